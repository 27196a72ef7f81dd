// Hostile input: every machine rejects malformed, forged, stale or mutated messages with a reason
// and returns the very same state object (checkedStep also deep-freezes it and checks JSON).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkedStep } from 'distkit/core';
import { json, mutate, scenes } from './hostile.js';

const { cluster, client, valid } = scenes();

describe('hostile input to the client', () => {
  it('arbitrary JSON and mutated replies: rejected or ignored, state unchanged', () => {
    const machine = cluster.clientMachines.get('c0')!;
    const replies = valid.filter((e) => e.to === 'c0');
    fc.assert(
      fc.property(json, fc.integer({ min: 0, max: replies.length - 1 }), fc.string({ maxLength: 4 }), json, (garbage, i, key, value) => {
        const t1 = checkedStep(machine, client, { type: 'message', from: 'r1', message: garbage, now: 3000 });
        expect(t1.state).toBe(client);
        expect(t1.outputs).toEqual([{ type: 'rejected', from: 'r1', reason: expect.any(String) }]);
        const e = replies[i]!;
        const message = mutate(e.message, key, value, false);
        if (JSON.stringify(message) === JSON.stringify(e.message)) return;
        const t2 = checkedStep(machine, client, { type: 'message', from: e.from, message, now: 3000 });
        expect(t2.state).toBe(client);
        for (const o of t2.outputs) expect(o.type).toBe('rejected');
      }),
      { numRuns: 300, seed: 13 },
    );
  });
});
