import { describe, expect, it } from 'vitest';
import { checkedStep, ConfigError, InvalidCommandError } from 'distkit/core';
import { applyReplicatedPersist, type RaftDurable, type ReplicatedOutput, type ReplicatedPersistRecord } from 'distkit/consensus';
import { distributedQueue, replicatedQueue, type QueueResult } from 'distkit/messaging';

type Out = ReplicatedOutput<QueueResult>;
const one = { raft: { id: 'a', voters: ['a'], seed: 1 }, app: { visibilityTimeoutMs: 1000 }, snapshotEvery: 10 };

/** A single-voter replica with its disk: every persist output folded into the durable image. */
function replica(config = one) {
  let state = replicatedQueue.init(config);
  let disk: RaftDurable = replicatedQueue.durable(state);
  let now = 0;
  const step = (input: Record<string, unknown>): Out[] => {
    now += 1;
    const t = checkedStep(replicatedQueue, state, { ...input, now } as never);
    state = t.state;
    for (const o of t.outputs) if (o.type === 'persist') disk = applyReplicatedPersist(disk, o.record as ReplicatedPersistRecord);
    return [...t.outputs];
  };
  return {
    step,
    get state() {
      return state;
    },
    crashAndRecover() {
      state = replicatedQueue.recover(config, disk);
    },
  };
}

const results = (outs: Out[]) => outs.filter((o): o is Extract<Out, { type: 'result' }> => o.type === 'result');

describe('replicatedStateMachine over raft', () => {
  it('a follower answers notLeader; the leader stamps, commits, applies and answers', () => {
    const r = replica();
    expect(r.step({ type: 'submit', id: 'x', command: { type: 'enqueue', body: 1 } })).toContainEqual({ type: 'notLeader', id: 'x', leader: null });
    r.step({ type: 'campaign' });
    const outs = r.step({ type: 'submit', id: 'e1', command: { type: 'enqueue', body: 'job', key: 'k' } });
    expect(outs[0]?.type).toBe('persist');
    expect(results(outs)).toEqual([{ type: 'result', id: 'e1', index: 2, result: { type: 'enqueued', id: 'm1', duplicate: false, at: 3 } }]);
    // The command's own `now`, if any, is replaced by the leader's.
    const late = r.step({ type: 'submit', id: 'r1', command: { type: 'receive', consumer: 'w', now: 1e9 } });
    expect(results(late)[0]?.result).toMatchObject({ type: 'received', at: 4, message: { expiresAt: 1004 } });
  });

  it('a bad config throws ConfigError naming the field', () => {
    expect(() => replicatedQueue.init(null as never)).toThrow(ConfigError);
    expect(() => replicatedQueue.init({} as never)).toThrow(/raft/);
    expect(() => replicatedQueue.init({ ...one, snapshotEvery: 0 })).toThrow(/snapshotEvery/);
    expect(() => replicatedQueue.init({ ...one, app: { maxMessages: -1 } })).toThrow(/maxMessages/);
  });

  it('malformed commands are applied as refusals, identically everywhere', () => {
    const r = replica();
    r.step({ type: 'campaign' });
    expect(results(r.step({ type: 'submit', id: 'j', command: 'junk' }))[0]?.result).toMatchObject({ type: 'refused' });
    expect(() => r.step({ type: 'submit', id: '', command: {} })).toThrow(InvalidCommandError);
  });

  it('snapshots compact the log; a crashed replica recovers the same queue from its disk', () => {
    const r = replica();
    r.step({ type: 'campaign' });
    for (let i = 0; i < 25; i++) r.step({ type: 'submit', id: `e${i}`, command: { type: 'enqueue', body: i, key: `k${i}` } });
    r.step({ type: 'submit', id: 'r', command: { type: 'receive', consumer: 'w' } });
    expect(r.state.raft.log.snapshotIndex).toBeGreaterThanOrEqual(20);
    const before = r.state.app;
    r.crashAndRecover();
    // Recovered from the snapshot; the entries after it come back once the commit index is re-learned.
    expect(r.state.appliedIndex).toBe(r.state.raft.log.snapshotIndex);
    r.step({ type: 'campaign' });
    expect(r.state.app).toEqual(before);
    // Idempotency keys survived the crash: a retry is still recognised.
    const retry = r.step({ type: 'submit', id: 'again', command: { type: 'enqueue', body: 3, key: 'k3' } });
    expect(results(retry)[0]?.result).toMatchObject({ type: 'enqueued', id: 'm4', duplicate: true });
  });

  it('a leader beyond maxUncommittedEntries drops the submission with a reason', () => {
    const config = { raft: { id: 'a', voters: ['a', 'b', 'c'], seed: 1, maxUncommittedEntries: 1, preVote: false }, snapshotEvery: 10 };
    let s = replicatedQueue.init(config);
    s = replicatedQueue.step(s, { type: 'campaign', now: 0 }).state;
    s = replicatedQueue.step(s, { type: 'message', from: 'b', message: { type: 'voteResponse', term: 1, granted: true, pre: false }, now: 1 }).state;
    s = replicatedQueue.step(s, { type: 'submit', id: 'one', command: { type: 'redrive' }, now: 2 }).state;
    const t = replicatedQueue.step(s, { type: 'submit', id: 'two', command: { type: 'redrive' }, now: 3 });
    expect(t.outputs).toContainEqual(expect.objectContaining({ type: 'dropped', id: 'two' }));
  });

  it('a snapshot from the leader that is not a queue is refused; one that is replaces the queue', () => {
    const config = { raft: { id: 'a', voters: ['a', 'b', 'c'], seed: 1 } };
    const s = replicatedQueue.init(config);
    const membership = { voters: ['a', 'b', 'c'], learners: [] };
    const bad = replicatedQueue.step(s, { type: 'message', from: 'b', message: { type: 'snapshot', term: 1, snapshot: { index: 5, term: 1, membership, data: { nope: 1 } } }, now: 1 });
    expect(bad.outputs).toContainEqual(expect.objectContaining({ type: 'rejected', reason: 'snapshot 5: not a distributedQueue state' }));
    expect(bad.state.app).toBe(s.app);
    const queue = distributedQueue.apply(distributedQueue.init({}), { type: 'enqueue', body: 'x', now: 1 }).state;
    const good = replicatedQueue.step(s, { type: 'message', from: 'b', message: { type: 'snapshot', term: 1, snapshot: { index: 5, term: 1, membership, data: queue } }, now: 1 });
    expect(good.state.app).toEqual(queue);
    expect(good.state.appliedIndex).toBe(5);
  });
});
