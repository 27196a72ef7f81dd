import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, InvalidCommandError, deepFreeze, seedPrng } from 'distkit/core';
import {
  Bulkhead,
  BulkheadRejectedError,
  CircuitBreaker,
  KeyedRateLimiter,
  LoadBalancer,
  OperationAbortedError,
  RateLimitedError,
  RateLimiter,
  Retry,
  TaskTimeoutError,
  Timeout,
  backoffInit,
  backoffNext,
  bulkheadCore,
  gcra,
  retryCore,
  tokenBucket,
  wrap,
  type Backoff,
  type Jitter,
} from 'distkit/resilience';
import { FakeTime, flush } from './fake-time.js';

function expectConfigError(field: string, make: () => unknown): void {
  let err: unknown;
  try {
    make();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).field).toBe(field);
}

describe('Retry', () => {
  it('retries up to maxAttempts and rethrows the last error', async () => {
    const time = new FakeTime();
    const retry = new Retry({ maxAttempts: 3, backoff: { kind: 'constant', delayMs: 10 }, timers: time });
    let calls = 0;
    const p = retry.execute(() => {
      calls++;
      return Promise.reject(new Error(`e${calls}`));
    });
    const caught = p.catch((e: Error) => e.message);
    await time.advance(100);
    expect(await caught).toBe('e3');
    expect(calls).toBe(3);
  });

  it('passes the attempt number and succeeds on a later attempt', async () => {
    const time = new FakeTime();
    const retry = new Retry({ maxAttempts: 5, backoff: { kind: 'linear', initialMs: 10, stepMs: 10 }, timers: time });
    const delays: number[] = [];
    retry.onRetry((e) => delays.push(e.delayMs));
    const p = retry.execute(({ attempt }) => (attempt < 3 ? Promise.reject(new Error('no')) : Promise.resolve(attempt)));
    await time.advance(1000);
    expect(await p).toBe(3);
    expect(delays).toEqual([10, 20]);
  });

  it('an error the filter does not retry is rethrown at once', async () => {
    const retry = new Retry({ maxAttempts: 5, retryOn: (e) => (e as Error).message === 'transient', timers: new FakeTime() });
    let calls = 0;
    await expect(
      retry.execute(() => {
        calls++;
        return Promise.reject(new Error('fatal'));
      }),
    ).rejects.toThrow('fatal');
    expect(calls).toBe(1);
  });

  it('retries on results and returns the last result when attempts run out', async () => {
    const time = new FakeTime();
    const retry = new Retry({ maxAttempts: 2, retryOnResult: (r) => r === 'busy', backoff: { kind: 'constant', delayMs: 1 }, timers: time });
    const gaveUp: number[] = [];
    retry.onGiveUp((e) => gaveUp.push(e.attempt));
    const p = retry.execute(() => 'busy');
    await time.advance(10);
    expect(await p).toBe('busy');
    expect(gaveUp).toEqual([2]);
  });

  it('an AbortSignal cancels a pending delay', async () => {
    const time = new FakeTime();
    const retry = new Retry({ maxAttempts: 10, backoff: { kind: 'constant', delayMs: 1000 }, timers: time });
    const ac = new AbortController();
    const p = retry.execute(() => Promise.reject(new Error('x')), ac.signal).catch((e: unknown) => e);
    await flush();
    ac.abort('stop');
    expect(await p).toBeInstanceOf(OperationAbortedError);
    expect(time.pending).toBe(0);
  });

  it('hostile options throw ConfigError naming the option', () => {
    expectConfigError('maxAttempts', () => new Retry({ maxAttempts: 0 }));
    expectConfigError('maxAttempts', () => new Retry({ maxAttempts: Number.NaN }));
    expectConfigError('backoff.delayMs', () => new Retry({ backoff: { kind: 'constant', delayMs: -1 } }));
    expectConfigError('backoff.factor', () => new Retry({ backoff: { kind: 'exponential', initialMs: 1, factor: 0.5 } }));
    expectConfigError('backoff.jitter', () => new Retry({ backoff: { kind: 'exponential', initialMs: 1, jitter: 'wild' as Jitter } }));
    expectConfigError('backoff.maxDelayMs', () => new Retry({ backoff: { kind: 'exponential', initialMs: 10, maxDelayMs: 5 } }));
    expectConfigError('seed', () => new Retry({ seed: Number.POSITIVE_INFINITY }));
  });
});

describe('backoff: properties', () => {
  const backoffArb: fc.Arbitrary<Backoff> = fc.oneof(
    fc.record({ kind: fc.constant('constant' as const), delayMs: fc.integer({ min: 0, max: 10_000 }) }),
    fc.record({ kind: fc.constant('linear' as const), initialMs: fc.integer({ min: 0, max: 1000 }), stepMs: fc.integer({ min: 0, max: 1000 }), maxDelayMs: fc.integer({ min: 0, max: 100_000 }) }),
    fc.integer({ min: 0, max: 1000 }).chain((initialMs) =>
      fc.record({
        kind: fc.constant('exponential' as const),
        initialMs: fc.constant(initialMs),
        factor: fc.double({ min: 1, max: 10, noNaN: true }),
        jitter: fc.constantFrom<Jitter>('none', 'full', 'equal', 'decorrelated'),
        maxDelayMs: fc.integer({ min: initialMs, max: initialMs + 100_000 }),
      }),
    ),
  );

  it('jitter is never NaN and stays within [0, maxDelayMs] over thousands of draws', () => {
    fc.assert(
      fc.property(backoffArb, fc.integer(), (b, seed) => {
        let s = deepFreeze(backoffInit(b, seed));
        const cap = b.kind === 'constant' ? b.delayMs : (b.maxDelayMs ?? Infinity);
        // One assertion per run, not per draw: 150k expect() calls made the test slow under load.
        const bad: number[] = [];
        for (let i = 0; i < 2000; i++) {
          const n = backoffNext(s);
          if (!(n.delayMs >= 0 && n.delayMs <= cap)) bad.push(n.delayMs); // NaN fails both
          s = n.state;
        }
        expect(bad).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  it('full jitter stays within [0, base], equal within [base/2, base], decorrelated within [initial, 3·prev]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer(), (initialMs, seed) => {
        const cap = initialMs * 64;
        for (const jitter of ['full', 'equal', 'decorrelated'] as const) {
          let s = backoffInit({ kind: 'exponential', initialMs, factor: 2, jitter, maxDelayMs: cap }, seed);
          for (let k = 0; k < 12; k++) {
            const prev = s.previousMs;
            const n = backoffNext(s);
            const base = Math.min(cap, initialMs * 2 ** k);
            if (jitter === 'full') expect(n.delayMs).toBeLessThanOrEqual(base);
            if (jitter === 'equal') expect(n.delayMs).toBeGreaterThanOrEqual(base / 2);
            if (jitter === 'decorrelated') {
              expect(n.delayMs).toBeGreaterThanOrEqual(initialMs);
              expect(n.delayMs).toBeLessThanOrEqual(Math.max(initialMs, Math.min(cap, prev * 3)));
            }
            s = n.state;
          }
        }
      }),
    );
  });

  it('regression: initialMs 0 with a factor whose powers overflow (10^400 = Infinity) stays 0, never NaN or Number.MAX_VALUE', () => {
    for (const jitter of ['none', 'full', 'equal', 'decorrelated'] as const) {
      let s = backoffInit({ kind: 'exponential', initialMs: 0, factor: 10, jitter, maxDelayMs: 5 }, 1);
      for (let i = 0; i < 400; i++) {
        const n = backoffNext(s);
        s = n.state;
        if (i >= 300) expect(n.delayMs, `${jitter} draw ${i}`).toBe(0);
      }
    }
  });

  it('the same seed gives the same delays (deterministic jitter)', () => {
    const b: Backoff = { kind: 'exponential', initialMs: 100, jitter: 'full', maxDelayMs: 10_000 };
    const run = (): number[] => {
      let s = backoffInit(b, seedPrng(9));
      return Array.from({ length: 8 }, () => {
        const n = backoffNext(s);
        s = n.state;
        return n.delayMs;
      });
    };
    expect(run()).toEqual(run());
  });

  it('retry core: never more than maxAttempts attempts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), (max) => {
        let s = retryCore.init({ maxAttempts: max, backoff: { kind: 'constant', delayMs: 0 }, seed: 1 });
        let attempts = 0;
        for (let now = 0; ; now++) {
          s = retryCore.step(deepFreeze(s), { type: 'attempt', now }).state;
          attempts++;
          const d = retryCore.step(deepFreeze(s), { type: 'failure', now });
          s = d.state;
          if (d.outputs[0]!.type !== 'retry') break;
        }
        expect(retryCore.step(s, { type: 'call', now: 0 }).state.attempts).toBe(0);
        expect(attempts).toBe(max);
      }),
    );
  });
});

describe('Timeout', () => {
  it('cooperative: the signal aborts at the deadline and a rejection becomes TaskTimeoutError', async () => {
    const time = new FakeTime();
    const t = new Timeout(100, { timers: time });
    let aborted = false;
    const p = t
      .execute(
        ({ signal }) =>
          new Promise((_, reject) =>
            signal.addEventListener('abort', () => {
              aborted = true;
              reject(new Error('cancelled'));
            }),
          ),
      )
      .catch((e: unknown) => e);
    await time.advance(100);
    expect(aborted).toBe(true);
    expect(await p).toBeInstanceOf(TaskTimeoutError);
  });

  it('cooperative: a function that ignores the signal and resolves keeps its result', async () => {
    const time = new FakeTime();
    const t = new Timeout(10, { timers: time });
    const p = t.execute(() => new Promise((r) => time.setTimer(50, () => r('late'))));
    await time.advance(60);
    expect(await p).toBe('late');
  });

  it('aggressive: rejects at the deadline whatever the function does', async () => {
    const time = new FakeTime();
    const t = new Timeout(10, { strategy: 'aggressive', timers: time });
    const p = t.execute(() => new Promise(() => {})).catch((e: unknown) => e);
    await time.advance(10);
    expect(await p).toBeInstanceOf(TaskTimeoutError);
  });

  it('a call finishing before the deadline clears its timer', async () => {
    const time = new FakeTime();
    const t = new Timeout(10, { timers: time });
    expect(await t.execute(() => 1)).toBe(1);
    await flush();
    expect(time.pending).toBe(0);
  });

  it('hostile options', () => {
    expectConfigError('timeoutMs', () => new Timeout(Number.NaN));
    expectConfigError('timeoutMs', () => new Timeout(-1));
    expectConfigError('strategy', () => new Timeout(1, { strategy: 'rude' as never }));
  });
});

describe('Bulkhead', () => {
  it('runs maxConcurrent, queues maxQueue, rejects the rest with a typed error', async () => {
    const b = new Bulkhead({ maxConcurrent: 2, maxQueue: 1 });
    const gates: (() => void)[] = [];
    const job = (): Promise<void> => new Promise<void>((r) => gates.push(r));
    const p1 = b.execute(job);
    const p2 = b.execute(job);
    const p3 = b.execute(job);
    await flush();
    expect([b.executing, b.queued]).toEqual([2, 1]);
    const e = await b.execute(job).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BulkheadRejectedError);
    gates[0]!();
    await p1;
    await flush();
    expect([b.executing, b.queued]).toEqual([2, 0]);
    gates[1]!();
    gates[2]!();
    await Promise.all([p2, p3]);
    expect([b.executing, b.queued]).toEqual([0, 0]);
  });

  it('an aborted queued call leaves the queue', async () => {
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 5 });
    let open!: () => void;
    const p1 = b.execute(() => new Promise<void>((r) => (open = r)));
    const ac = new AbortController();
    const p2 = b.execute(() => 'never', ac.signal).catch((e: unknown) => e);
    await flush();
    expect(b.queued).toBe(1);
    ac.abort();
    expect(await p2).toBeInstanceOf(OperationAbortedError);
    expect(b.queued).toBe(0);
    open();
    await p1;
    expect(b.executing).toBe(0);
  });

  it('core property: executing never exceeds maxConcurrent, queue never exceeds maxQueue', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.array(fc.constantFrom('admit', 'release', 'cancel'), { maxLength: 100 }), (c, q, ops) => {
        let s = bulkheadCore.init({ maxConcurrent: c, maxQueue: q });
        for (const op of ops) {
          if (op === 'admit' || (op === 'release' && s.executing > 0) || (op === 'cancel' && s.queued > 0)) s = bulkheadCore.step(deepFreeze(s), { type: op, now: 0 }).state;
          else expect(() => bulkheadCore.step(s, { type: op, now: 0 })).toThrow(InvalidCommandError);
          expect(s.executing).toBeLessThanOrEqual(c);
          expect(s.queued).toBeLessThanOrEqual(q);
          if (s.queued > 0) expect(s.executing).toBe(c);
        }
      }),
    );
  });

  it('hostile options', () => {
    expectConfigError('maxConcurrent', () => new Bulkhead({ maxConcurrent: 0 }));
    expectConfigError('maxQueue', () => new Bulkhead({ maxConcurrent: 1, maxQueue: -1 }));
  });
});

describe('RateLimiter', () => {
  it('GCRA: exact retry-after, no timer', () => {
    let s = gcra.init({ limit: 10, periodMs: 1000, burst: 2 }); // T = 100 ms
    s = gcra.step(s, { type: 'take', now: 0 }).state;
    s = gcra.step(s, { type: 'take', now: 0 }).state;
    expect(gcra.step(s, { type: 'take', now: 30 }).outputs).toEqual([{ type: 'refused', retryAfterMs: 70 }]);
    expect(gcra.step(s, { type: 'take', now: 100 }).outputs).toEqual([{ type: 'allowed' }]);
    expect(gcra.step(s, { type: 'take', now: 0, cost: 5 }).outputs).toEqual([{ type: 'over-burst', burst: 2 }]);
    expect(new RateLimiter({ limit: 10, periodMs: 1000, burst: 2 }).tryAcquire(5)).toEqual({ allowed: false, retryAfterMs: Infinity });
    expect(() => gcra.step(s, { type: 'take', now: 0, cost: -1 })).toThrow(InvalidCommandError);
  });

  it('token bucket: refill from elapsed time', () => {
    let s = tokenBucket.init({ limit: 10, periodMs: 1000 });
    s = tokenBucket.step(s, { type: 'take', now: 0, cost: 10 }).state;
    const d = tokenBucket.step(s, { type: 'take', now: 50 }).outputs[0]!;
    expect(d.type).toBe('refused');
    expect((d as { retryAfterMs: number }).retryAfterMs).toBeCloseTo(50, 6);
    expect(tokenBucket.step(s, { type: 'take', now: 100 }).outputs).toEqual([{ type: 'allowed' }]);
  });

  for (const algorithm of ['gcra', 'token-bucket'] as const) {
    it(`${algorithm}: admits at most burst + rate·t over any interval, and the retry-after is exact`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 50 }),
          fc.integer({ min: 10, max: 2000 }),
          fc.integer({ min: 1, max: 20 }),
          fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 200 }),
          (limit, periodMs, burst, gaps) => {
            const time = new FakeTime();
            const rl = new RateLimiter({ limit, periodMs, burst, algorithm, clock: time });
            let admitted = 0;
            for (const gap of gaps) {
              time.t += gap;
              const d = rl.tryAcquire();
              if (d.allowed) admitted++;
              else {
                expect(d.retryAfterMs).toBeGreaterThan(0);
                // Exactly at retry-after, the same request conforms (checked on a copy of the state).
                const snap = rl.snapshot;
                const at = time.t + d.retryAfterMs;
                const again = algorithm === 'gcra' ? gcra.step(snap as never, { type: 'take', now: at }) : tokenBucket.step(snap as never, { type: 'take', now: at + 1e-6 });
                expect(again.outputs).toEqual([{ type: 'allowed' }]);
              }
              expect(admitted).toBeLessThanOrEqual(burst + (limit * time.t) / periodMs + 1e-6);
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  }

  it('execute rejects with RateLimitedError carrying retry-after', async () => {
    const time = new FakeTime();
    const rl = new RateLimiter({ limit: 1, periodMs: 1000, clock: time });
    expect(await rl.execute(() => 'a')).toBe('a');
    const e = await rl.execute(() => 'b').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RateLimitedError);
    expect((e as RateLimitedError).retryAfterMs).toBe(1000);
  });

  it('per-key limiters keep memory bounded and limit each key separately', () => {
    const time = new FakeTime();
    const k = new KeyedRateLimiter({ limit: 1, periodMs: 1000, maxKeys: 100, clock: time });
    expect(k.tryAcquire('a').allowed).toBe(true);
    expect(k.tryAcquire('a').allowed).toBe(false);
    expect(k.tryAcquire('b').allowed).toBe(true);
    for (let i = 0; i < 10_000; i++) k.tryAcquire(`client-${i}`);
    expect(k.size).toBeLessThanOrEqual(100);
    // Idle keys are evicted before busy ones.
    time.t = 5000;
    const k2 = new KeyedRateLimiter({ limit: 1, periodMs: 1000, maxKeys: 2, clock: time });
    k2.tryAcquire('idle');
    time.t = 6500;
    k2.tryAcquire('busy');
    k2.tryAcquire('new');
    expect(k2.tryAcquire('busy').allowed).toBe(false);
  });

  it('forKey is the policy of one key: it composes with wrap and names the key when it refuses', async () => {
    const time = new FakeTime();
    const k = new KeyedRateLimiter({ limit: 1, periodMs: 1000, clock: time });
    const policy = wrap(new Bulkhead({ maxConcurrent: 1 }), k.forKey('10.0.0.7'));
    expect(await policy.execute(() => 'a')).toBe('a');
    const e = await policy.execute(() => 'b').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RateLimitedError);
    expect((e as Error).message).toContain('10.0.0.7');
    expect(await k.forKey('other').execute(() => 'c')).toBe('c');
  });

  it('hostile options', () => {
    expectConfigError('limit', () => new RateLimiter({ limit: 0, periodMs: 1000 }));
    expectConfigError('limit', () => new RateLimiter({ limit: Number.NaN, periodMs: 1000 }));
    expectConfigError('periodMs', () => new RateLimiter({ limit: 1, periodMs: -1 }));
    expectConfigError('burst', () => new RateLimiter({ limit: 1, periodMs: 1, burst: 0 }));
    expectConfigError('algorithm', () => new RateLimiter({ limit: 1, periodMs: 1, algorithm: 'leaky' as never }));
    expectConfigError('maxKeys', () => new KeyedRateLimiter({ limit: 1, periodMs: 1, maxKeys: 0 }));
  });
});

describe('wrap: composition', () => {
  it('breaker(retry(timeout(fn))): each attempt has its own timeout, the breaker sees one outcome per call', async () => {
    const time = new FakeTime();
    const breaker = new CircuitBreaker({ failureThreshold: 2, clock: time });
    const retry = new Retry({ maxAttempts: 3, backoff: { kind: 'constant', delayMs: 5 }, timers: time });
    const timeout = new Timeout(50, { strategy: 'aggressive', timers: time });
    const policy = wrap(breaker, retry, timeout);
    const attempts: number[] = [];
    const p = policy.execute(({ attempt }) => {
      attempts.push(attempt);
      return attempt < 3 ? new Promise<string>(() => {}) : Promise.resolve('third time');
    });
    await time.advance(500);
    expect(await p).toBe('third time');
    expect(attempts).toEqual([1, 2, 3]);
    expect(breaker.stats().counters).toMatchObject({ calls: 1, successes: 1, failures: 0 });
  });

  it('a refusing breaker outermost stops the retry from running at all', async () => {
    const time = new FakeTime();
    const breaker = new CircuitBreaker({ failureThreshold: 1, clock: time });
    await breaker.call(() => Promise.reject(new Error('x'))).catch(() => {});
    let ran = 0;
    const e = await wrap(breaker, new Retry({ timers: time })).execute(() => ++ran).catch((x: unknown) => x);
    expect((e as Error).name).toBe('BrokenCircuitError');
    expect(ran).toBe(0);
  });

  it('bulkhead and rate limiter compose too', async () => {
    const time = new FakeTime();
    const policy = wrap(new RateLimiter({ limit: 1, periodMs: 100, clock: time }), new Bulkhead({ maxConcurrent: 1 }));
    expect(await policy.execute(() => 7)).toBe(7);
    await expect(policy.execute(() => 8)).rejects.toBeInstanceOf(RateLimitedError);
  });

  it('contexts merge inward: the retry attempt and the balancer node both reach fn, one pick per attempt', async () => {
    const time = new FakeTime();
    const lb = new LoadBalancer({ strategy: 'round-robin', nodes: [{ id: 'a' }, { id: 'b' }] });
    const retry = new Retry({ maxAttempts: 2, backoff: { kind: 'constant', delayMs: 1 }, timers: time });
    const seen: string[] = [];
    const p = wrap(retry, lb).execute(({ node, attempt }) => {
      seen.push(`${attempt}:${node}`);
      return attempt < 2 ? Promise.reject(new Error('x')) : node;
    });
    await time.advance(10);
    expect(await p).toBe('b');
    expect(seen).toEqual(['1:a', '2:b']);
  });
});
