import { describe, expect, it } from 'vitest';
import { TaskTimeoutError, Timeout } from 'distkit/resilience';
import { FakeTime, flush } from './fake-time.js';
import { expectConfigError } from './config-error.js';

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
