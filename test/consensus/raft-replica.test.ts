import { describe, expect, it } from 'vitest';
import { deepFreeze } from 'distkit/core';
import { raft, raftReplica, type RaftReplicaHooks, type RaftReplicaOutputs, type RaftReplicaState } from 'distkit/consensus';

/** A toy application: the sum of the numbers in the log, and each index it applied. */
type Sum = RaftReplicaState & { readonly total: number; readonly seen: readonly number[] };
type Out = RaftReplicaOutputs<never, { readonly type: 'applied'; readonly index: number }>;

const hooks: RaftReplicaHooks<Sum, never, { readonly type: 'applied'; readonly index: number }> = {
  apply(state, data, index, out) {
    out.events.push({ type: 'applied', index });
    return typeof data === 'number' ? { ...state, total: state.total + data, seen: [...state.seen, index] } : { ...state, seen: [...state.seen, index] };
  },
  restore: (state, snapshot) => (typeof snapshot.data === 'number' ? { ...state, total: snapshot.data } : state),
  snapshotData: (state) => state.total,
};
const steps = raftReplica.steps(hooks);
const voters = ['a', 'b', 'c'];

function replica(id: string, members: readonly string[], snapshotEvery = 1000, maxBytes = 64 * 1024): Sum {
  const r = raft.init({ id, voters: [...members], seed: 1, electionTimeoutMs: 100, heartbeatIntervalMs: 10, payloadLimits: { maxDepth: 8, maxBytes } });
  return deepFreeze({ raft: r, appliedIndex: 0, snapshotEvery, total: 0, seen: [] });
}

const append = (entries: unknown[], commit: number) => ({ type: 'message' as const, from: 'b', now: 1, message: { type: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries, commit } });
const noop = { index: 1, term: 1, data: null, kind: 'noop' };

describe('raftReplica: the frame of a Raft-replicated state machine', () => {
  it('applies committed normal entries once each, in log order; noop entries only advance appliedIndex (Raft §5.3)', () => {
    const out: Out = raftReplica.collect();
    const entries = [noop, { index: 2, term: 1, data: 5 }, { index: 3, term: 1, data: 'junk' }, { index: 4, term: 1, data: 7 }];
    let s = steps.raft(replica('a', voters), append(entries, 4), out);
    expect(s.total).toBe(12);
    expect(s.seen).toEqual([2, 3, 4]);
    expect(s.appliedIndex).toBe(4);
    // The same append delivered again (a duplicate on the network) applies nothing twice.
    s = steps.raft(deepFreeze(s), append(entries, 4), raftReplica.collect());
    expect(s.total).toBe(12);
    expect(s.seen).toEqual([2, 3, 4]);
  });

  it('finish puts the one persist first, then the sends, then the events', () => {
    const before = replica('a', voters);
    const out: Out = raftReplica.collect();
    const after = steps.raft(before, append([noop, { index: 2, term: 1, data: 1 }], 2), out);
    const t = steps.finish(before, after, out);
    const types = t.outputs.map((o) => o.type);
    expect(types[0]).toBe('persist');
    expect(types.filter((x) => x === 'persist')).toHaveLength(1);
    expect(types.indexOf('send')).toBeLessThan(types.indexOf('applied'));
    expect(t.state).toBe(after);
  });

  it('a step whose only outputs are rejections keeps the state object (the machine contract)', () => {
    const before = replica('a', voters);
    const out: Out = raftReplica.collect();
    const after = steps.raft(before, { type: 'message', from: 'b', now: 1, message: { type: 'append', term: 'x' } }, out);
    const t = steps.finish(before, after, out);
    expect(t.outputs.length).toBeGreaterThan(0);
    expect(t.outputs.every((o) => o.type === 'rejected')).toBe(true);
    expect(t.state).toBe(before);
  });

  it('a proposal on a follower appends nothing; on a leader it commits and applies', () => {
    const follower = replica('a', voters);
    const ignored = steps.propose(follower, 1, 1, raftReplica.collect());
    expect(ignored.state.raft.log).toBe(follower.raft.log);
    expect(ignored.state.total).toBe(0);
    const leader = steps.raft(replica('a', ['a']), { type: 'campaign', now: 0 }, raftReplica.collect());
    const proposed = steps.propose(deepFreeze(leader), 9, 1, raftReplica.collect());
    expect(proposed.refused).toBeUndefined();
    expect(proposed.state.total).toBe(9);
  });

  it('compacts the log every snapshotEvery applied entries (Raft §7), and keeps the log when the snapshot is too large', () => {
    let s = steps.raft(replica('a', ['a'], 2), { type: 'campaign', now: 0 }, raftReplica.collect());
    for (let i = 1; i <= 3; i += 1) s = steps.propose(s, i, i, raftReplica.collect()).state;
    s = steps.compact(s, 4, raftReplica.collect());
    expect(s.raft.log.snapshotIndex).toBe(4);
    expect(s.raft.log.snapshot.data).toBe(6);

    const big: RaftReplicaHooks<Sum, never, never> = { ...hooks, snapshotData: () => 'x'.repeat(200) };
    const bigSteps = raftReplica.steps(big);
    let t = bigSteps.raft(replica('a', ['a'], 2, 100), { type: 'campaign', now: 0 }, raftReplica.collect());
    for (let i = 1; i <= 3; i += 1) t = bigSteps.propose(t, i, i, raftReplica.collect()).state;
    const kept = bigSteps.compact(deepFreeze(t), 4, raftReplica.collect());
    expect(kept).toBe(t);
    expect(kept.raft.log.snapshotIndex).toBe(0);
  });

  it('installs a leader snapshot through restore and moves appliedIndex to it (Raft §7 InstallSnapshot)', () => {
    const out: Out = raftReplica.collect();
    const s = steps.raft(replica('a', voters), { type: 'message', from: 'b', now: 1, message: { type: 'snapshot', term: 1, snapshot: { index: 9, term: 1, membership: { voters, learners: [] }, data: 40 } } }, out);
    expect(s.total).toBe(40);
    expect(s.appliedIndex).toBe(9);
  });
});
