// Hostile input: every machine rejects malformed, forged, stale or mutated messages with a reason
// and returns the very same state object (checkedStep also deep-freezes it and checks JSON).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkedStep } from 'distkit/core';
import { pbftMessageCheck } from '../../../src/consensus/pbft/messages.js';
import { json, mutate, scenes } from './hostile.js';

const { cluster, replicas, valid } = scenes();

describe('hostile input to the replica', () => {
  it('arbitrary JSON from a peer: rejected with a reason, state unchanged', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(replicas)), fc.constantFrom('r0', 'r3', 'c0', 'stranger'), json, (scene, from, message) => {
        const before = replicas[scene]!;
        const t = checkedStep(cluster.machines.get(before.id)!, before, { type: 'message', from, message, now: 3000 });
        expect(t.state).toBe(before);
        expect(t.outputs).toHaveLength(1);
        expect(t.outputs[0]).toMatchObject({ type: 'rejected', from, reason: expect.stringMatching(/^message/) });
      }),
      { numRuns: 400, seed: 11 },
    );
  });

  it('valid messages with one field replaced or removed: state unchanged; malformed ones rejected with a reason', () => {
    const protocol = valid.filter((e) => cluster.states.has(e.to));
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(replicas)),
        fc.integer({ min: 0, max: protocol.length - 1 }),
        fc.string({ maxLength: 4 }),
        json,
        fc.boolean(),
        (scene, i, key, value, drop) => {
          const before = replicas[scene]!;
          const e = protocol[i]!;
          const message = mutate(e.message, key, value, drop);
          if (JSON.stringify(message) === JSON.stringify(e.message)) return;
          const t = checkedStep(cluster.machines.get(before.id)!, before, { type: 'message', from: e.from, message, now: 3000 });
          expect(t.state).toBe(before);
          for (const o of t.outputs) expect(['rejected', 'send']).toContain(o.type);
          if (pbftMessageCheck(message, 'message') !== undefined) {
            expect(t.outputs).toEqual([{ type: 'rejected', from: e.from, reason: expect.stringMatching(/^message/) }]);
          }
        },
      ),
      { numRuns: 400, seed: 12 },
    );
  });

  it('replaying every message of a run to a replica in a later state changes nothing it should not', () => {
    // Replays are duplicates or stale for a replica that took part in the whole run (r2): none may
    // execute anything again or move it to another view.
    const before = replicas.changed!;
    for (const e of valid) {
      if (e.to !== 'r2') continue;
      const t = checkedStep(cluster.machines.get('r2')!, before, { type: 'message', from: e.from, message: e.message, now: 3000 });
      for (const o of t.outputs) expect(o.type === 'rejected' || o.type === 'send').toBe(true);
      expect(t.state.lastExecuted).toBe(before.lastExecuted);
      expect(t.state.view).toBe(before.view);
    }
  });
});
