import { describe, expect, it } from 'vitest';
import { checkLinearizability, kvModel } from 'distkit/check';
import { checkedStep } from 'distkit/core';
import { simulate } from 'distkit/sim';
import { raftKv, type KvOutput } from '../../examples/raft-kv/kv.js';
import { KV_ELECTION_TIMEOUT_MS, kvInvariants, kvNodes, runKvSeed } from '../../examples/raft-kv/simulation.js';

const SEEDS = 30;

describe('examples/raft-kv', () => {
  it('serves reads, writes and compare-and-set through Raft; followers refuse with a leader hint', () => {
    const replies: Record<number, unknown> = {};
    let leader: string | undefined;
    const r = simulate({
      seed: 1,
      nodes: kvNodes(1, ['a', 'b', 'c']),
      invariants: kvInvariants(),
      maxTimeMs: 800,
      onOutput: (e, sim) => {
        const o = e.output as KvOutput;
        if (o.type === 'role' && o.role === 'leader' && leader === undefined) {
          leader = e.node;
          const follower = ['a', 'b', 'c'].find((x) => x !== leader)!;
          sim.inject(leader, { type: 'request', id: 1, op: { f: 'write', key: 'x', value: 'one' } }, 50);
          sim.inject(leader, { type: 'request', id: 2, op: { f: 'cas', key: 'x', from: 'one', to: 'two' } }, 100);
          sim.inject(leader, { type: 'request', id: 3, op: { f: 'read', key: 'x' } }, 150);
          sim.inject(follower, { type: 'request', id: 4, op: { f: 'read', key: 'x' } }, 150);
          sim.inject(leader, { type: 'request', id: 5, op: { f: 'cas', key: 'x', from: 'one', to: 'three' } }, 200);
        }
        if (o.type === 'reply') replies[o.id] = o.result;
      },
    });
    expect(r.ok).toBe(true);
    expect(replies[1]).toEqual({ ok: true, value: null });
    expect(replies[2]).toEqual({ ok: true, value: true });
    expect(replies[3]).toEqual({ ok: true, value: 'two' });
    expect(replies[4]).toEqual({ ok: false, error: 'notLeader', leader });
    expect(replies[5]).toEqual({ ok: true, value: false });
  });

  it(`${SEEDS} seeds with crashes, partitions, loss, duplication and reordering: safe, live and linearizable`, () => {
    const failures: string[] = [];
    let operations = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { result, recoveryMs } = runKvSeed(seed);
      if (!result.ok) failures.push(`seed ${seed}: ${result.violation?.invariant}: ${result.violation?.message}`);
      if (recoveryMs < 0 || recoveryMs > 10 * KV_ELECTION_TIMEOUT_MS) failures.push(`seed ${seed}: no write committed within 10 T of the heal`);
      const lin = checkLinearizability(kvModel<string>(), result.history);
      if (lin.verdict !== 'linearizable') failures.push(`seed ${seed}: history ${lin.verdict}`);
      operations += result.history.length;
    }
    expect(failures).toEqual([]);
    expect(operations).toBeGreaterThan(SEEDS * 100);
  });

  it('the machine is durable: recover rebuilds the store from the snapshot', () => {
    let s = raftKv.init({ id: 'a', voters: ['a'], seed: 1, snapshotEvery: 4 });
    s = raftKv.step(s, { type: 'tick', now: 0 }).state;
    s = raftKv.step(s, { type: 'campaign', now: 0 }).state;
    // checkedStep: one persist per step (a compaction is folded into the step's own record).
    for (let i = 0; i < 10; i++) s = checkedStep(raftKv, s, { type: 'request', id: i, op: { f: 'write', key: `k${i % 3}`, value: `v${i}` }, now: i }).state;
    expect(s.raft.log.snapshotIndex).toBeGreaterThan(0);
    const back = raftKv.recover({ id: 'a', voters: ['a'], seed: 1, snapshotEvery: 4 }, raftKv.durable(s));
    let r = raftKv.step(back, { type: 'tick', now: 1 }).state;
    r = raftKv.step(r, { type: 'campaign', now: 1 }).state;
    expect(r.data).toEqual(s.data);
  });
});
