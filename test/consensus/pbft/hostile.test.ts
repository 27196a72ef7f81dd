// Hostile input: every machine rejects malformed, forged, stale or mutated messages with a reason
// and returns the very same state object (checkedStep also deep-freezes it and checks JSON).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkedStep } from 'distkit/core';
import type { PbftClientState, PbftReplicaState } from 'distkit/consensus';
import { pbftMessageCheck } from '../../../src/consensus/pbft/messages.js';
import { Cluster, type Envelope } from './harness.js';

// States worth attacking: fresh, mid-run (log, checkpoints, certificates), and changing views.
function scenes(): { cluster: Cluster; replicas: Record<string, PbftReplicaState>; client: PbftClientState; valid: Envelope[] } {
  const c = new Cluster(4, ['c0'], { checkpointInterval: 2, viewChangeTimeoutMs: 200 });
  const replicas: Record<string, PbftReplicaState> = { fresh: c.states.get('r1')! };
  for (let i = 0; i < 3; i++) c.request('c0', `op${i}`);
  c.run();
  replicas.running = c.states.get('r1')!;
  c.request('c0', 'pending');
  c.silent.add('r0');
  c.advance(2500);
  replicas.changed = c.states.get('r2')!;
  c.request('c0', 'outstanding'); // the client waits for replies
  return { cluster: c, replicas, client: c.clientStates.get('c0')!, valid: c.history };
}

const { cluster, replicas, client, valid } = scenes();
const json = fc.jsonValue({ maxDepth: 4 });

function mutate(message: unknown, key: string, value: unknown, drop: boolean): unknown {
  if (message === null || typeof message !== 'object') return value;
  const copy = { ...(message as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const k = keys.length > 0 ? keys[Math.abs(hash(key)) % keys.length]! : key;
  if (drop) delete copy[k];
  else copy[k] = value;
  return copy;
}

function hash(s: string): number {
  let h = 7;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

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
