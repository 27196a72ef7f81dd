import { describe, expect, it } from 'vitest';
import { Bulkhead, CircuitBreaker, LoadBalancer, RateLimitedError, RateLimiter, Retry, Timeout, wrap } from 'distkit/resilience';
import { FakeTime } from './fake-time.js';

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
