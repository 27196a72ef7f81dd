import { describe, expect, it } from 'vitest';
import { ConfigError } from 'distkit/core';
import {
  BrokenCircuitError,
  CircuitBreaker,
  IsolatedCircuitError,
  type BreakerStrategy,
} from 'distkit/resilience';
import { FakeTime, flush } from './fake-time.js';
import { expectConfigError } from './config-error.js';

const fail = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

describe('CircuitBreaker: behaviours users rely on in the peers', () => {
  it('two handled failures open a consecutive(2) breaker and the third call never invokes the function', async () => {
    const time = new FakeTime();
    const b = new CircuitBreaker({ strategy: { kind: 'consecutive', threshold: 2 }, openMs: 1000, clock: time });
    await expect(b.call(fail)).rejects.toThrow('boom');
    await expect(b.call(fail)).rejects.toThrow('boom');
    expect(b.state).toBe('open');
    let invoked = 0;
    const e = await b.call(async () => ++invoked).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BrokenCircuitError);
    expect((e as BrokenCircuitError).retryAfterMs).toBe(1000);
    expect(invoked).toBe(0);
  });

  it("the notes' API: failureThreshold and timeoutMs, call(fn, ...args)", async () => {
    const time = new FakeTime();
    const b = new CircuitBreaker({ failureThreshold: 5, timeoutMs: 60_000, clock: time });
    expect(await b.call((a: number, c: number) => Promise.resolve(a + c), 2, 3)).toBe(5);
    for (let i = 0; i < 5; i++) await b.call(fail).catch(() => {});
    expect(b.state).toBe('open');
    time.t += 59_999;
    expect(b.state).toBe('open');
    time.t += 1;
    expect(b.state).toBe('half-open');
  });

  it('a success resets the consecutive count', async () => {
    const b = new CircuitBreaker({ failureThreshold: 2, clock: new FakeTime() });
    await b.call(fail).catch(() => {});
    await b.call(ok);
    await b.call(fail).catch(() => {});
    expect(b.state).toBe('closed');
  });

  it('errors the filter does not count pass through and do not open the circuit', async () => {
    class Ignored extends Error {}
    const b = new CircuitBreaker({ failureThreshold: 1, isFailure: (e) => !(e instanceof Ignored), clock: new FakeTime() });
    await expect(b.call(() => Promise.reject(new Ignored('x')))).rejects.toBeInstanceOf(Ignored);
    expect(b.state).toBe('closed');
    await b.call(fail).catch(() => {});
    expect(b.state).toBe('open');
  });

  it('results can count as failures while still being returned', async () => {
    const b = new CircuitBreaker({ failureThreshold: 2, isResultFailure: (r) => r === 503, clock: new FakeTime() });
    expect(await b.call(() => Promise.resolve(503))).toBe(503);
    expect(await b.call(() => 503)).toBe(503);
    await flush();
    expect(b.state).toBe('open');
  });

  it('synchronous throws count and are returned as rejections', async () => {
    const b = new CircuitBreaker({ failureThreshold: 1, clock: new FakeTime() });
    await expect(
      b.call(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(b.state).toBe('open');
  });

  it('half-open: one probe passes, concurrent callers are refused with retry-after, success closes', async () => {
    const time = new FakeTime();
    const b = new CircuitBreaker({ failureThreshold: 1, openMs: 100, clock: time });
    await b.call(fail).catch(() => {});
    time.t = 100;
    let release!: (v: string) => void;
    const probe = b.call(() => new Promise<string>((r) => (release = r)));
    const refused = await b.call(ok).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    expect((refused as BrokenCircuitError).circuit).toBe('half-open');
    expect((refused as BrokenCircuitError).retryAfterMs).toBeGreaterThan(0);
    release('done');
    expect(await probe).toBe('done');
    await flush();
    expect(b.state).toBe('closed');
  });

  it('half-open with N probes: reopens per the failure ratio, closes when all succeed', async () => {
    const time = new FakeTime();
    const b = new CircuitBreaker({ failureThreshold: 1, openMs: 100, halfOpenProbes: 3, halfOpenFailureRatio: 0.4, clock: time });
    await b.call(fail).catch(() => {});
    time.t = 100;
    await b.call(fail).catch(() => {}); // 1/3 failed <= 0.4: still half-open
    expect(b.state).toBe('half-open');
    await b.call(fail).catch(() => {}); // 2/3 > 0.4: reopen
    expect(b.state).toBe('open');
    time.t = 300;
    await b.call(ok);
    await b.call(ok);
    expect(b.state).toBe('half-open');
    await b.call(ok);
    expect(b.state).toBe('closed');
  });

  it('a late probe from a failed half-open round does not count in the next round', async () => {
    const time = new FakeTime();
    const b = new CircuitBreaker({ failureThreshold: 1, openMs: 100, halfOpenProbes: 2, clock: time });
    await b.call(fail).catch(() => {});
    time.t = 100;
    let late!: (v: string) => void;
    const p1 = b.call(() => new Promise<string>((r) => (late = r))); // round 1, still running
    await b.call(fail).catch(() => {}); // round 1 fails: open again
    expect(b.state).toBe('open');
    time.t = 200;
    expect(await b.call(ok)).toBe('ok'); // round 2, first probe
    late('slow');
    expect(await p1).toBe('slow');
    await flush();
    expect(b.state).toBe('half-open'); // the round-1 success is not the second probe of round 2
    expect(await b.call(ok)).toBe('ok');
    expect(b.state).toBe('closed');
  });

  it('open duration from a backoff grows after failed probes and resets on close', async () => {
    const time = new FakeTime();
    const b = new CircuitBreaker({ failureThreshold: 1, openBackoff: { initialMs: 100, maxMs: 350, factor: 2 }, clock: time });
    const changes: string[] = [];
    b.onStateChange((e) => changes.push(`${e.from}->${e.to}@${e.now}`));
    await b.call(fail).catch(() => {}); // open until 100
    time.t = 100;
    await b.call(fail).catch(() => {}); // probe fails: open 200 → until 300
    time.t = 299;
    expect(b.state).toBe('open');
    time.t = 300;
    await b.call(fail).catch(() => {}); // open min(350, 400) → until 650
    time.t = 649;
    expect(b.state).toBe('open');
    time.t = 650;
    await b.call(ok);
    expect(b.state).toBe('closed');
    await b.call(fail).catch(() => {}); // back to 100
    expect(b.snapshot.openTimer.at).toBe(750);
    expect(changes).toEqual([
      'closed->open@0',
      'open->half-open@100',
      'half-open->open@100',
      'open->half-open@300',
      'half-open->open@300',
      'open->half-open@650',
      'half-open->closed@650',
      'closed->open@650',
    ]);
  });

  it('isolation is reference-counted and refuses with IsolatedCircuitError', async () => {
    const b = new CircuitBreaker({ clock: new FakeTime() });
    const h1 = b.isolate();
    const h2 = b.isolate();
    await expect(b.call(ok)).rejects.toBeInstanceOf(IsolatedCircuitError);
    h1.dispose();
    h1.dispose();
    expect(b.state).toBe('isolated');
    h2.dispose();
    expect(b.state).toBe('closed');
    expect(await b.call(ok)).toBe('ok');
  });

  it('count-based window: opens at the failure ratio once the minimum number of calls is reached', async () => {
    const b = new CircuitBreaker({ strategy: { kind: 'count', size: 4, failureRatio: 0.5, minimumCalls: 4 }, clock: new FakeTime() });
    await b.call(fail).catch(() => {});
    await b.call(fail).catch(() => {});
    await b.call(fail).catch(() => {});
    expect(b.state).toBe('closed'); // 3 calls < minimum
    await b.call(ok);
    expect(b.state).toBe('open'); // 3/4 >= 0.5
  });

  it('time-based window: stale buckets are dropped after an idle gap', async () => {
    const time = new FakeTime();
    const strategy: BreakerStrategy = { kind: 'time', durationMs: 1000, buckets: 10, failureRatio: 0.5, minimumThroughput: 3 };
    const b = new CircuitBreaker({ strategy, clock: time, latencySampleEvery: 1 });
    await b.call(fail).catch(() => {});
    await b.call(fail).catch(() => {});
    time.t = 5000; // idle gap longer than the window
    await b.call(fail).catch(() => {});
    expect(b.state).toBe('closed'); // only 1 call in the window
    const w = b.snapshot.window;
    expect(w.kind === 'time' && w.buckets.length).toBe(1);
    await b.call(ok);
    await b.call(fail).catch(() => {});
    expect(b.state).toBe('open'); // 2/3
  });

  it('slow-call rate: calls slower than the threshold open the circuit', async () => {
    const time = new FakeTime();
    const b = new CircuitBreaker({
      strategy: { kind: 'count', size: 4, failureRatio: 1, minimumCalls: 2, slowCallRatio: 0.5 },
      slowCallDurationMs: 100,
      clock: time,
    });
    const slow = (): Promise<string> => new Promise((r) => time.setTimer(150, () => r('late')));
    const p = b.call(slow);
    await time.advance(150);
    expect(await p).toBe('late');
    expect(b.state).toBe('closed');
    const q = b.call(slow);
    await time.advance(150);
    await q;
    expect(b.state).toBe('open');
  });

  it('events and counters: success/failure with durations, rejections, latency percentiles', async () => {
    const time = new FakeTime();
    const b = new CircuitBreaker({ failureThreshold: 2, clock: time });
    const seen: string[] = [];
    b.onSuccess((e) => seen.push(`ok ${e.durationMs}`));
    b.onFailure((e) => seen.push(`fail ${e.durationMs} ${(e.error as Error).message}`));
    b.onReject((e) => seen.push(`reject ${e.retryAfterMs}`));
    const p = b.call(() => new Promise((r) => time.setTimer(20, () => r(1))));
    await time.advance(20);
    await p;
    await b.call(fail).catch(() => {});
    await b.call(fail).catch(() => {});
    await b.call(ok).catch(() => {});
    expect(seen).toEqual(['ok 20', 'fail 0 boom', 'fail 0 boom', 'reject 30000']);
    const st = b.stats();
    expect(st.counters).toEqual({ calls: 3, successes: 1, failures: 2, rejections: 1 });
    expect(st.latency.max).toBe(20);
    expect(st.latency.count).toBe(3);
  });

  it('latency is sampled one call in latencySampleEvery; outcomes of sampled and unsampled calls all count', async () => {
    const time = new FakeTime();
    const b = new CircuitBreaker({ failureThreshold: 3, latencySampleEvery: 4, clock: time });
    for (let i = 0; i < 8; i++) await b.call(ok);
    expect(b.stats().latency.count).toBe(2);
    // Failures 9, 10 (unsampled) and 11 (unsampled) open it; 12 is refused.
    for (let i = 0; i < 3; i++) await b.call(fail).catch(() => {});
    expect(b.state).toBe('open');
    await expect(b.call(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(b.stats().counters).toEqual({ calls: 11, successes: 8, failures: 3, rejections: 1 });
    const sampledFailure = new CircuitBreaker({ failureThreshold: 1, latencySampleEvery: 1, clock: time });
    await sampledFailure.call(fail).catch(() => {});
    expect(sampledFailure.state).toBe('open');
    expect(new CircuitBreaker({ clock: time }).stats().latency.count).toBe(0);
  });

  it('toJSON / fromJSON round-trips every state; a restored open breaker remembers when it opened', async () => {
    const t1 = new FakeTime();
    const b = new CircuitBreaker({ failureThreshold: 1, openMs: 1000, clock: t1 });
    t1.t = 500;
    await b.call(fail).catch(() => {});
    const json = JSON.parse(JSON.stringify(b.toJSON()));
    // A new process: a different monotonic origin, 300 ms of wall time later.
    const t2 = new FakeTime();
    t2.wall = t1.wall + 500 + 300 - 50_000;
    t2.t = 50_000;
    const r = CircuitBreaker.fromJSON(json, { clock: t2 });
    expect(r.state).toBe('open');
    expect(r.snapshot.openTimer.at).toBe(50_000 + 700);
    const e = (await r.call(ok).catch((x: unknown) => x)) as BrokenCircuitError;
    expect(e.retryAfterMs).toBe(700);
    t2.t += 700;
    expect(r.state).toBe('half-open');
    expect(r.stats().counters.failures).toBe(1);

    for (const circuit of ['closed', 'half-open', 'isolated'] as const) {
      const t = new FakeTime();
      const x = new CircuitBreaker({ strategy: { kind: 'count', size: 5, failureRatio: 0.9, minimumCalls: 5 }, openMs: 10, clock: t });
      await x.call(fail).catch(() => {});
      if (circuit === 'half-open') {
        x.isolate().dispose();
        for (let i = 0; i < 5; i++) await x.call(fail).catch(() => {});
        t.t = 10;
        expect(x.state).toBe('half-open');
      }
      if (circuit === 'isolated') x.isolate();
      const y = CircuitBreaker.fromJSON(JSON.parse(JSON.stringify(x.toJSON())), { clock: t });
      expect(y.state).toBe(circuit);
      expect(y.snapshot.window).toEqual(x.snapshot.window);
    }
  });

  it('a restored isolated breaker hands out one handle per saved isolation, so it can close again', async () => {
    const t = new FakeTime();
    const x = new CircuitBreaker({ clock: t });
    x.isolate();
    x.isolate();
    const y = CircuitBreaker.fromJSON(JSON.parse(JSON.stringify(x.toJSON())), { clock: t });
    const handles = y.takeRestoredIsolations();
    expect(handles).toHaveLength(2);
    expect(y.takeRestoredIsolations()).toEqual([]);
    handles[0]!.dispose();
    handles[0]!.dispose();
    expect(y.state).toBe('isolated');
    await expect(y.call(ok)).rejects.toBeInstanceOf(IsolatedCircuitError);
    handles[1]!.dispose();
    expect(y.state).toBe('closed');
    expect(await y.call(ok)).toBe('ok');
    expect(new CircuitBreaker({ clock: t }).takeRestoredIsolations()).toEqual([]);
    const json = x.toJSON();
    expect(() => CircuitBreaker.fromJSON({ ...json, state: { ...json.state, isolations: 0 } })).toThrow(/isolations/);
    expect(() => CircuitBreaker.fromJSON({ ...json, state: { ...json.state, circuit: 'closed' } })).toThrow(/isolations/);
  });

  it('fromJSON refuses, naming it, every setting the saved state carries (where it once ignored openMs and threw on timeoutMs)', () => {
    const json = new CircuitBreaker({ failureThreshold: 2, openMs: 1000 }).toJSON();
    const settings = { strategy: { kind: 'consecutive', threshold: 3 }, failureThreshold: 3, timeoutMs: 5, openMs: 5, openBackoff: { kind: 'exponential', maxMs: 10 }, halfOpenProbes: 2, halfOpenFailureRatio: 0.5, slowCallDurationMs: 10 };
    for (const [k, v] of Object.entries(settings)) {
      expect(() => CircuitBreaker.fromJSON(json, { [k]: v } as never), k).toThrow(new RegExp(`options\\.${k}: comes from the saved state`));
    }
    // @ts-expect-error the thresholds come from the saved state
    expect(() => CircuitBreaker.fromJSON(json, { openMs: 5 })).toThrow(ConfigError);
    expect(CircuitBreaker.fromJSON(json, { isFailure: () => true, latencySampleEvery: 8 }).state).toBe('closed');
  });

  it('fromJSON rejects something that is not a saved breaker', () => {
    expect(() => CircuitBreaker.fromJSON({ format: 'x' } as never)).toThrow(ConfigError);
  });
});

describe('CircuitBreaker: hostile config throws ConfigError naming the option', () => {
  const cases: [string, () => unknown][] = [
    ['failureThreshold', () => new CircuitBreaker({ failureThreshold: Number.NaN })],
    ['failureThreshold', () => new CircuitBreaker({ failureThreshold: -1 })],
    ['timeoutMs', () => new CircuitBreaker({ timeoutMs: -5 })],
    ['openMs', () => new CircuitBreaker({ openMs: Number.NaN })],
    ['strategy.failureRatio', () => new CircuitBreaker({ strategy: { kind: 'count', size: 5, failureRatio: 1.5, minimumCalls: 2 } })],
    ['strategy.failureRatio', () => new CircuitBreaker({ strategy: { kind: 'time', durationMs: 1000, buckets: 5, failureRatio: -0.1, minimumThroughput: 2 } })],
    ['strategy.minimumCalls', () => new CircuitBreaker({ strategy: { kind: 'count', size: 5, failureRatio: 0.5, minimumCalls: 6 } })],
    ['strategy.durationMs', () => new CircuitBreaker({ strategy: { kind: 'time', durationMs: 0, buckets: 5, failureRatio: 0.5, minimumThroughput: 2 } })],
    ['strategy.slowCallRatio', () => new CircuitBreaker({ strategy: { kind: 'count', size: 5, failureRatio: 0.5, minimumCalls: 2, slowCallRatio: 2 } })],
    ['strategy.kind', () => new CircuitBreaker({ strategy: { kind: 'nope' } as never })],
    ['halfOpenProbes', () => new CircuitBreaker({ halfOpenProbes: 0 })],
    ['halfOpenFailureRatio', () => new CircuitBreaker({ halfOpenFailureRatio: Number.NaN })],
    ['openBackoff.factor', () => new CircuitBreaker({ openBackoff: { initialMs: 1, maxMs: 2, factor: 0.5 } })],
    ['openBackoff.maxMs', () => new CircuitBreaker({ openBackoff: { initialMs: 10, maxMs: 2, factor: 2 } })],
    ['slowCallDurationMs', () => new CircuitBreaker({ slowCallDurationMs: -1 })],
    ['latencySampleEvery', () => new CircuitBreaker({ latencySampleEvery: 3 })],
  ];
  for (const [field, make] of cases) {
    it(`${field}`, () => expectConfigError(field, make));
  }
});
