import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidCommandError, deepFreeze } from 'distkit/core';
import { Bulkhead, BulkheadRejectedError, OperationAbortedError, bulkheadCore } from 'distkit/resilience';
import { flush } from './fake-time.js';
import { expectConfigError } from './config-error.js';

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
