import { describe, expect, it } from 'vitest';
import { ConfigError } from 'distkit/core';
import { OperationAbortedError, Retry, type Jitter } from 'distkit/resilience';
import { FakeTime, flush } from './fake-time.js';
import { expectConfigError } from './config-error.js';

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
