// The real clock, timers and entropy the imperative wrappers default to. A call someone awaits
// keeps a plain Node process alive; idle background timers do not.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backgroundTimers, randomSeed, systemClock, systemTimers } from '../../src/core/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `code` as an ES module in a fresh Node process (with tsx, from the repository root). */
function runScript(code: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('systemTimers and backgroundTimers', () => {
  it('a Retry in a plain script makes every attempt before the process exits', () => {
    const r = runScript(`
      import { Retry } from './src/resilience/index.ts';
      const log = [];
      const retry = new Retry({ maxAttempts: 3, backoff: { kind: 'constant', delayMs: 50 } });
      const v = await retry.execute(async ({ attempt }) => { log.push(attempt); if (attempt < 3) throw new Error('flaky'); return 'ok'; });
      console.log(JSON.stringify({ v, log }));
    `);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ v: 'ok', log: [1, 2, 3] });
    expect(r.code).toBe(0);
  });

  it('runSaga in a plain script compensates a completed step after a failed one', () => {
    const r = runScript(`
      import { runSaga } from './src/txn/index.ts';
      const log = [];
      const outcome = await runSaga({ sagaId: 'order-1', retryDelayMs: 50, steps: [
        { name: 'charge', action: async () => { log.push('charge'); return 1; }, compensate: async () => { log.push('refund'); } },
        { name: 'ship', maxAttempts: 2, action: async () => { log.push('ship?'); throw new Error('no stock'); }, compensate: async () => {} },
      ] });
      console.log(JSON.stringify({ status: outcome.status, log }));
    `);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ status: 'compensated', log: ['charge', 'ship?', 'ship?', 'refund'] });
    expect(r.code).toBe(0);
  });

  it('an armed background timer alone lets the process exit; a system timer holds it until it fires', () => {
    const bg = runScript(`
      import { backgroundTimers } from './src/core/index.ts';
      backgroundTimers.setTimer(60_000, () => console.log('fired'));
    `);
    expect(bg).toMatchObject({ code: 0, stdout: '' });
    const fg = runScript(`
      import { systemTimers } from './src/core/index.ts';
      systemTimers.setTimer(50, () => console.log('fired'));
    `);
    expect(fg).toMatchObject({ code: 0, stdout: 'fired\n' });
  });

  it('cancelling stops a timer from firing', async () => {
    for (const timers of [systemTimers, backgroundTimers]) {
      let fired = false;
      timers.setTimer(5, () => (fired = true))();
      await new Promise((r) => setTimeout(r, 30));
      expect(fired).toBe(false);
    }
  });
});

describe('systemClock', () => {
  it('now() is monotonic and wallNow() is Unix-epoch milliseconds', () => {
    const a = systemClock.now();
    const b = systemClock.now();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(Math.abs(systemClock.wallNow!() - Date.now())).toBeLessThan(1000);
  });
});

describe('systemTimers', () => {
  it('fires a timer after its delay', async () => {
    const started = systemClock.now();
    const fired = await new Promise<number>((resolve) => systemTimers.setTimer(20, () => resolve(systemClock.now())));
    expect(fired - started).toBeGreaterThanOrEqual(15);
  });

  it('a cancelled timer never fires; a negative delay fires at once', async () => {
    let cancelledFired = false;
    const cancel = systemTimers.setTimer(5, () => {
      cancelledFired = true;
    });
    cancel();
    await new Promise<void>((resolve) => systemTimers.setTimer(-10, resolve));
    await new Promise((r) => setTimeout(r, 20));
    expect(cancelledFired).toBe(false);
  });
});

describe('randomSeed', () => {
  it('returns 32-bit unsigned integers that differ between calls', () => {
    const seeds = Array.from({ length: 20 }, randomSeed);
    for (const s of seeds) {
      expect(Number.isInteger(s)).toBe(true);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(2 ** 32);
    }
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });
});
