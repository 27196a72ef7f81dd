import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidCommandError, MAX_COUNTER, checkedStep, plainDataEqual } from 'distkit/core';
import { RAFT_MAX_COUNTER, raft, raftEntries, raftLastIndex, raftNextDeadline, type RaftOutput, type RaftState } from 'distkit/consensus';
import { Net, durableWithTerms } from './harness.js';

const ABC = ['a', 'b', 'c'];
const types = (os: readonly RaftOutput[]): string[] => os.map((o) => o.type);

function elected(ids = ABC, leader = 'a', overrides = {}): Net {
  const net = new Net(ids, overrides);
  net.campaign(leader);
  expect(net.leader()).toBe(leader);
  return net;
}

describe('init and config', () => {
  it('validates the config and names the field', () => {
    expect(() => raft.init({ id: '', voters: ['a'], seed: 1 })).toThrow(ConfigError);
    expect(() => raft.init({ id: 'a', voters: ['a', 'a'], seed: 1 })).toThrow(/unique/);
    expect(() => raft.init({ id: 'a', voters: ['a'], seed: 1, electionTimeoutMs: 100, heartbeatIntervalMs: 100 })).toThrow(/heartbeatIntervalMs/);
    expect(() => raft.init({ id: 'a', voters: ['a'], seed: 1, readMode: 'lease', checkQuorum: false })).toThrow(/readMode/);
    expect(() => raft.init({ id: 'a', voters: ['a'], seed: Number.NaN })).toThrow(/seed/);
  });
  it('starts as a follower of term 0 that asks for a tick at once', () => {
    const s = raft.init({ id: 'a', voters: ['a', 'b', 'c'], seed: 1 });
    expect(s.role).toBe('follower');
    expect(s.term).toBe(0);
    expect(raft.nextDeadline!(s)).toBe(Number.MIN_SAFE_INTEGER);
  });
});

describe('§5.1 terms', () => {
  it('a node that sees a higher term adopts it and becomes a follower, persisting before replying', () => {
    const net = elected();
    const t = net.step('b', { type: 'message', from: 'c', message: { type: 'vote', term: 9, lastIndex: 99, lastTerm: 8, pre: false, transfer: false } });
    expect(net.states.b!.term).toBe(9);
    expect(net.states.b!.vote).toBe('c');
    expect(types(t)[0]).toBe('persist');
    expect(t[0]).toEqual({ type: 'persist', record: { term: 9, vote: 'c' } });
  });
  it('a message with a stale term is rejected and changes nothing', () => {
    const net = elected();
    const before = net.states.a!;
    const t = net.step('a', { type: 'message', from: 'b', message: { type: 'voteResponse', term: 0, granted: true, pre: false } });
    expect(net.states.a).toBe(before);
    expect(types(t)).toEqual(['rejected']);
  });
  it('a leader steps down when it sees a higher term', () => {
    const net = elected();
    net.step('a', { type: 'message', from: 'b', message: { type: 'heartbeatResponse', term: 5, seq: 0, sentAt: 0 } });
    expect(net.states.a!.role).toBe('follower');
    expect(net.states.a!.term).toBe(5);
  });
});

describe('§5.2 leader election', () => {
  it('election timeouts are drawn from [T, 2T) by the seeded PRNG', () => {
    const deadlines = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      let s = raft.init({ id: 'a', voters: ['a', 'b', 'c'], seed, electionTimeoutMs: 100 });
      s = raft.step(s, { type: 'tick', now: 1000 }).state;
      expect(s.electionTimer.at!).toBeGreaterThanOrEqual(1100);
      expect(s.electionTimer.at!).toBeLessThan(1200);
      deadlines.add(s.electionTimer.at!);
    }
    expect(deadlines.size).toBeGreaterThan(50);
  });
  it('the same seed gives the same timeouts (replayable)', () => {
    const run = () => raft.step(raft.init({ id: 'a', voters: ['a', 'b'], seed: 'x' }), { type: 'tick', now: 5 }).state.electionTimer.at!;
    expect(run()).toBe(run());
  });
  it('a follower whose timer expires campaigns and wins with a majority', () => {
    const net = new Net(ABC);
    const deadline = net.states.a!.electionTimer.at!;
    net.step('a', { type: 'tick', now: deadline });
    expect(net.states.a!.role).toBe('candidate');
    expect(net.states.a!.term).toBe(1);
    expect(net.states.a!.vote).toBe('a');
    net.stabilize();
    expect(net.leader()).toBe('a');
    expect(net.states.b!.leader).toBe('a');
  });
  it('each server votes for at most one candidate per term', () => {
    const net = new Net(ABC);
    net.step('a', { type: 'campaign' });
    net.step('b', { type: 'campaign' });
    // c hears a first, then b, in term 1.
    net.deliverWhere((e) => e.to === 'c' && e.from === 'a');
    net.deliverWhere((e) => e.to === 'c' && e.from === 'b');
    const votes = net.lastOutputs('c', 'send').map((o) => (o as { message: { type: string; granted?: boolean } }).message);
    expect(votes.filter((m) => m.type === 'voteResponse').map((m) => m.granted)).toEqual([true, false]);
  });
  it('a candidate that hears from a leader of its term becomes a follower', () => {
    const net = new Net(ABC);
    net.step('a', { type: 'campaign' });
    net.step('b', { type: 'campaign' });
    net.deliverWhere((e) => e.from === 'a' && e.to === 'c');
    net.deliverWhere((e) => e.from === 'c' && e.to === 'a');
    expect(net.leader()).toBe('a');
    net.deliverWhere((e) => e.from === 'a' && e.to === 'b' && e.message.type === 'append');
    expect(net.states.b!.role).toBe('follower');
    expect(net.states.b!.leader).toBe('a');
  });
  it('a split vote ends with a new election in a higher term', () => {
    const net = new Net(['a', 'b', 'c', 'd']);
    net.step('a', { type: 'campaign' });
    net.step('b', { type: 'campaign' });
    net.deliverWhere((e) => (e.from === 'a' && e.to === 'c') || (e.from === 'b' && e.to === 'd'));
    net.stabilize();
    expect(net.leader()).toBeUndefined();
    for (let round = 0; round < 5 && net.leader() === undefined; round++) {
      net.tickAll(Math.min(...['a', 'b', 'c', 'd'].map((id) => net.states[id]!.electionTimer.at!)));
      net.stabilize();
    }
    const l = net.leader();
    expect(l).toBeDefined();
    expect(net.states[l!]!.term).toBe(2);
  });
  it('a leader deposed by a message draws its election timeout from that message\'s time (seed 234 livelocked)', () => {
    const net = elected();
    // A leader runs no election timer.
    expect(net.states.a!.electionTimer.at).toBeNull();
    net.step('a', { type: 'message', from: 'b', message: { type: 'heartbeatResponse', term: 5, seq: 0, sentAt: 0 }, now: 540 });
    expect(net.states.a!.role).toBe('follower');
    expect(net.states.a!.electionTimer.at!).toBeGreaterThanOrEqual(640);
    expect(net.states.a!.electionTimer.at!).toBeLessThan(740);
    expect(raft.nextDeadline!(net.states.a!)).toBe(net.states.a!.electionTimer.at);
    // A tick before the deadline changes nothing.
    const before = net.states.a!;
    net.step('a', { type: 'tick', now: 600 });
    expect(net.states.a).toBe(before);
  });
  it('a candidate asks unanswered voters again every heartbeat interval (§5.1 retries; KV seed 15791)', () => {
    const net = new Net(ABC);
    net.step('a', { type: 'campaign' });
    // Both vote requests are lost.
    net.queue = [];
    const deadline = net.states.a!.electionTimer.at!;
    net.tickAll(net.now + 10);
    const resent = net.queue.filter((e) => e.from === 'a' && e.message.type === 'vote').map((e) => e.to);
    expect(resent).toEqual(['b', 'c']);
    // b answers: a wins in its term, before its election timeout would have started another.
    net.deliverWhere((e) => e.to === 'b' || e.from === 'b');
    expect(net.leader()).toBe('a');
    expect(net.states.a!.term).toBe(1);
    expect(net.now).toBeLessThan(deadline);
  });
  it('a single voter elects itself', () => {
    const net = new Net(['solo']);
    net.step('solo', { type: 'campaign' });
    expect(net.leader()).toBe('solo');
  });
});

describe('§5.3 log replication', () => {
  it('the leader replicates an entry, commits it on a majority, and every node applies it once', () => {
    const net = elected();
    net.step('a', { type: 'propose', data: 'x=1' });
    net.stabilize();
    net.tickAll(net.now + 10); // heartbeat carries the commit index to followers
    net.stabilize();
    for (const id of ABC) {
      expect(net.applied[id]!.map((e) => e.data)).toEqual([null, 'x=1']);
    }
  });
  it('the consistency check rejects an append whose previous entry does not match', () => {
    const net = elected();
    const t = net.step('b', {
      type: 'message',
      from: 'a',
      message: { type: 'append', term: 1, prevIndex: 5, prevTerm: 1, entries: [], commit: 0 },
    });
    const sent = t.find((o) => o.type === 'send') as { message: { success: boolean; hintIndex: number } };
    expect(sent.message.success).toBe(false);
    expect(sent.message.hintIndex).toBe(1);
  });
  it('duplicate appends are idempotent', () => {
    const net = elected();
    net.step('a', { type: 'propose', data: 1 });
    const append = net.queue.find((e) => e.to === 'b')!;
    net.deliver(append);
    const once = net.terms('b');
    net.deliver(append);
    expect(net.terms('b')).toEqual(once);
  });
  it('Figure 7: followers with missing and extra entries converge to the leader log', () => {
    const ids = ['L', 'a', 'b', 'c', 'd', 'e', 'f'];
    const net = new Net(ids);
    const logs: Record<string, number[]> = {
      L: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6],
      a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
      b: [1, 1, 1, 4],
      c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
      d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
      e: [1, 1, 1, 4, 4, 4, 4],
      f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    };
    for (const id of ids) net.load(id, durableWithTerms(ids, 7, logs[id]!));
    // L wins term 8 with a, b, e, f (c and d have more up-to-date logs and refuse, §5.4.1).
    net.campaign('L');
    expect(net.leader()).toBe('L');
    expect(net.states.L!.term).toBe(8);
    net.tickAll(net.now + 10);
    net.stabilize();
    const want = [...logs.L!, 8];
    for (const id of ids) expect(net.terms(id)).toEqual(want);
    for (const id of ids) expect(net.states[id]!.commit).toBe(11);
  });
  it('fast backtracking skips a conflicting term in one round trip', () => {
    const ids = ['L', 'f', 'x'];
    const net = new Net(ids, { maxEntriesPerAppend: 100 });
    net.load('L', durableWithTerms(ids, 7, [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]));
    net.load('x', durableWithTerms(ids, 7, [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]));
    net.load('f', durableWithTerms(ids, 7, [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]));
    net.campaign('L');
    const rejections = net.outputs.f!.filter((o) => o.type === 'send' && o.message.type === 'appendResponse' && !o.message.success);
    // Without hints the leader would back off one entry per round trip (8 rejections).
    expect(rejections.length).toBeLessThanOrEqual(2);
    expect(net.terms('f')).toEqual(net.terms('L'));
  });
  it('a follower learns the commit index from the leader', () => {
    const net = elected();
    net.step('a', { type: 'propose', data: 1 });
    net.stabilize();
    expect(net.states.a!.commit).toBe(2);
    expect(net.states.b!.commit).toBeLessThan(2);
    net.step('a', { type: 'propose', data: 2 });
    net.stabilize();
    expect(net.states.b!.commit).toBeGreaterThanOrEqual(2);
  });
});

describe('§5.4.1 election restriction', () => {
  it('a candidate with a less up-to-date log cannot win', () => {
    const net = new Net(ABC);
    net.load('a', durableWithTerms(ABC, 3, [1, 2]));
    net.load('b', durableWithTerms(ABC, 3, [1, 3]));
    net.load('c', durableWithTerms(ABC, 3, [1, 3]));
    net.campaign('a');
    expect(net.states.a!.role).not.toBe('leader');
    net.campaign('b');
    expect(net.leader()).toBe('b');
  });
  it('equal last terms: the longer log is more up-to-date', () => {
    const net = new Net(ABC);
    net.load('a', durableWithTerms(ABC, 3, [1, 3]));
    net.load('b', durableWithTerms(ABC, 3, [1, 3, 3]));
    net.load('c', durableWithTerms(ABC, 3, [1, 3, 3]));
    net.campaign('a');
    expect(net.states.a!.role).not.toBe('leader');
  });
});

describe('§5.4.2 committing entries from previous terms (Figure 8)', () => {
  it('a leader does not commit an old-term entry by counting replicas, only with one of its own term', () => {
    const ids = ['s1', 's2', 's3', 's4', 's5'];
    const net = new Net(ids, { maxEntriesPerAppend: 1 });
    // Figure 8 (c): s1 (log 1,2) becomes leader of term 4; s5 holds a term-3 entry at index 2.
    net.load('s1', durableWithTerms(ids, 3, [1, 2]));
    net.load('s2', durableWithTerms(ids, 3, [1, 2]));
    net.load('s3', durableWithTerms(ids, 3, [1]));
    net.load('s4', durableWithTerms(ids, 3, [1]));
    net.load('s5', durableWithTerms(ids, 3, [1, 3]));
    // Nothing about s1's own term-4 entry (index 3) may reach anyone.
    // (Appends that the recipient must reject for lack of index 2 may pass: they carry no news.)
    net.drop = (e) => e.message.type === 'append' && e.message.entries.some((x) => x.term === 4) && net.terms(e.to).length >= 2;
    net.campaign('s1');
    expect(net.leader()).toBe('s1');
    expect(net.states.s1!.term).toBe(4);
    // Index 2 (term 2) is now on s1, s2, s3: a majority...
    expect(net.terms('s3')).toEqual([1, 2]);
    // The leader knows it: with its own, three of five voters hold index 2.
    const matches = ['s2', 's3', 's4', 's5'].map((id) => net.states.s1!.progress[id]!.match);
    expect(matches.filter((m) => m >= 2).length).toBeGreaterThanOrEqual(2);
    // ...but it is not committed: s5 could still be elected (by s2, s3, s4) and overwrite it.
    expect(net.states.s1!.commit).toBe(0);
    const grant = net.step('s3', { type: 'message', from: 's5', message: { type: 'vote', term: 5, lastIndex: 2, lastTerm: 3, pre: false, transfer: false } });
    expect(grant.some((o) => o.type === 'send' && o.message.type === 'voteResponse' && o.message.granted)).toBe(true);
  });
  it('once an entry of the current term is on a majority, it and all before it commit', () => {
    const ids = ['s1', 's2', 's3', 's4', 's5'];
    const net = new Net(ids, { maxEntriesPerAppend: 1 });
    net.load('s1', durableWithTerms(ids, 3, [1, 2]));
    net.load('s2', durableWithTerms(ids, 3, [1, 2]));
    net.load('s3', durableWithTerms(ids, 3, [1]));
    net.load('s4', durableWithTerms(ids, 3, [1]));
    net.load('s5', durableWithTerms(ids, 3, [1, 3]));
    net.drop = (e) => e.to === 's5';
    net.campaign('s1');
    expect(net.states.s1!.commit).toBe(3);
    expect(net.applied.s1!.map((e) => e.term)).toEqual([1, 2, 4]);
    // Now s5 cannot win: a majority holds a term-4 entry.
    net.drop = () => false;
    net.campaign('s5');
    expect(net.leader()).toBe('s1');
  });
});

describe('§5.5 follower and candidate crashes', () => {
  it('a crashed follower catches up after restart; applies restart from the applied index', () => {
    const net = elected();
    net.crash('c');
    for (let i = 0; i < 5; i++) net.step('a', { type: 'propose', data: i });
    net.stabilize();
    net.restart('c');
    net.tickAll(net.now + 10);
    net.stabilize();
    net.tickAll(net.now + 10);
    net.stabilize();
    expect(net.terms('c')).toEqual(net.terms('a'));
    expect(net.applied.c!.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('recover with `applied` re-emits only what the application has not applied', () => {
    const net = elected();
    for (let i = 0; i < 4; i++) net.step('a', { type: 'propose', data: i });
    net.stabilize();
    net.crash('a');
    net.restart('a', 3);
    net.campaign('a');
    net.stabilize();
    expect(net.applied.a!.map((e) => e.index)).toEqual([4, 5, 6]);
  });
  it('durable(state) is exactly what the persist outputs wrote', () => {
    const net = elected();
    for (let i = 0; i < 3; i++) net.step('a', { type: 'propose', data: i });
    net.stabilize();
    for (const id of ABC) expect(net.disks[id]).toEqual(raft.durable(net.states[id]!));
  });
  it('persist comes before the sends of the same transition', () => {
    const net = new Net(ABC);
    const t = net.step('a', { type: 'campaign' });
    expect(types(t)[0]).toBe('persist');
    expect(types(t).indexOf('send')).toBeGreaterThan(0);
  });
});

describe('§7 log compaction', () => {
  it('compaction drops the log prefix and keeps the rest', () => {
    const net = elected();
    for (let i = 0; i < 10; i++) net.step('a', { type: 'propose', data: i });
    net.stabilize();
    const t = net.step('a', { type: 'compact', index: 8, data: { upTo: 8 } });
    expect(types(t)).toEqual(['persist']);
    expect(net.states.a!.log.snapshotIndex).toBe(8);
    expect(raftEntries(net.states.a!.log).map((e) => e.index)).toEqual([9, 10, 11]);
    expect(net.disks.a!.snapshot.index).toBe(8);
  });
  it('compaction beyond the applied index is a programming error', () => {
    const net = elected();
    expect(() => net.step('b', { type: 'compact', index: 50, data: null })).toThrow(InvalidCommandError);
  });
  it('a lagging follower receives InstallSnapshot, restores it, then follows the log', () => {
    const net = elected();
    net.crash('c');
    for (let i = 0; i < 10; i++) net.step('a', { type: 'propose', data: i });
    net.stabilize();
    net.step('a', { type: 'compact', index: 9, data: { upTo: 9 } });
    net.restart('c');
    net.step('a', { type: 'propose', data: 'after' });
    net.stabilize();
    net.tickAll(net.now + 10);
    net.stabilize();
    expect(net.lastOutputs('c', 'restore')).toHaveLength(1);
    expect(net.states.c!.log.snapshotIndex).toBe(9);
    expect(net.terms('c')).toEqual(net.terms('a'));
    expect(net.applied.c!.map((e) => e.index)).toEqual([10, 11, 12]);
    // The node restarts from its snapshot.
    net.crash('c');
    net.restart('c');
    expect(net.states.c!.log.snapshotIndex).toBe(9);
  });
  it('the in-memory log stays bounded under repeated compaction', () => {
    let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
    s = raft.step(s, { type: 'tick', now: 0 }).state;
    s = raft.step(s, { type: 'campaign', now: 0 }).state;
    let maxBacking = 0;
    for (let i = 0; i < 20_000; i++) {
      s = raft.step(s, { type: 'propose', data: i, now: i }).state;
      if (i % 100 === 99) s = raft.step(s, { type: 'compact', index: s.applied, data: i, now: i }).state;
      maxBacking = Math.max(maxBacking, s.log.entries.length);
    }
    expect(raftLastIndex(s.log)).toBe(20_001);
    expect(maxBacking).toBeLessThan(400);
  });
});

describe('§8 client interaction', () => {
  it('a new leader appends a no-op entry of its term', () => {
    const net = elected();
    expect(raftEntries(net.states.a!.log)[0]).toMatchObject({ index: 1, term: 1, kind: 'noop' });
  });
  it('proposals on a follower are refused with a leader hint (no forwarding)', () => {
    const net = elected();
    const before = net.states.b!;
    const t = net.step('b', { type: 'propose', data: 1 });
    expect(t).toEqual([{ type: 'notLeader', command: 'propose', leader: 'a' }]);
    expect(net.states.b).toBe(before);
  });
  it('a batch of proposals is one persist and one append per follower', () => {
    const net = elected();
    const t = net.step('a', { type: 'proposeBatch', data: [1, 2, 3, 4] });
    expect(types(t)).toEqual(['persist', 'proposed', 'send', 'send']);
    net.stabilize();
    expect(net.states.a!.commit).toBe(5);
  });
  it('the leader refuses proposals beyond maxUncommittedEntries', () => {
    const net = elected(ABC, 'a', { maxUncommittedEntries: 3 });
    net.step('a', { type: 'proposeBatch', data: [1, 2, 3] });
    expect(types(net.step('a', { type: 'propose', data: 4 }))).toEqual(['rejected']);
  });
});

describe('thesis §6.4 linearizable reads', () => {
  it('ReadIndex: the read is ready after a heartbeat round confirms leadership', () => {
    const net = elected();
    const t = net.step('a', { type: 'read', id: 'r1' });
    expect(types(t).filter((x) => x === 'send')).toHaveLength(2);
    expect(t.some((o) => o.type === 'readReady')).toBe(false);
    net.stabilize();
    expect(net.lastOutputs('a', 'readReady')).toEqual([{ type: 'readReady', id: 'r1', index: 1 }]);
  });
  it('a deposed leader cannot confirm a read', () => {
    const net = elected();
    net.step('a', { type: 'read', id: 'r1' });
    net.queue = [];
    net.step('b', { type: 'campaign' });
    net.drop = (e) => e.to === 'a' || e.from === 'a';
    net.stabilize();
    expect(net.states.b!.role).toBe('leader');
    net.drop = () => false;
    net.step('a', { type: 'message', from: 'b', message: { type: 'heartbeat', term: 2, commit: 0, seq: 0, sentAt: 0 } });
    expect(net.lastOutputs('a', 'readReady')).toEqual([]);
    expect(net.lastOutputs('a', 'notLeader')).toEqual([{ type: 'notLeader', command: 'read', leader: null, id: 'r1' }]);
  });
  it('a leader waits for its first commit before serving a read', () => {
    const net = new Net(ABC);
    net.step('a', { type: 'campaign' });
    net.deliverWhere((e) => e.message.type === 'vote' || e.message.type === 'voteResponse');
    expect(net.leader()).toBe('a');
    net.step('a', { type: 'read', id: 'early' });
    expect(net.states.a!.reads[0]!.index).toBe(-1);
    net.stabilize();
    expect(net.lastOutputs('a', 'readReady')).toEqual([{ type: 'readReady', id: 'early', index: 1 }]);
  });
  it('reads on a follower are refused with a leader hint', () => {
    const net = elected();
    expect(net.step('c', { type: 'read', id: 'x' })).toEqual([{ type: 'notLeader', command: 'read', leader: 'a', id: 'x' }]);
  });
  it('lease reads answer at once while a quorum acknowledged a recent heartbeat', () => {
    const net = elected(ABC, 'a', { checkQuorum: true, readMode: 'lease' });
    net.tickAll(10);
    net.stabilize();
    expect(net.step('a', { type: 'read', id: 'fast' })).toEqual([{ type: 'readReady', id: 'fast', index: 1 }]);
    // Without acknowledgements the lease runs out and the read falls back to ReadIndex.
    net.drop = () => true;
    net.tickAll(200);
    net.queue = [];
    expect(types(net.step('a', { type: 'read', id: 'slow' }))).not.toContain('readReady');
  });
  it('no lease reads once a TimeoutNow went out: its target may win past the leases (stale read found)', () => {
    const net = elected(ABC, 'a', { checkQuorum: true, readMode: 'lease' });
    net.tickAll(10);
    net.stabilize();
    net.step('a', { type: 'transferLeadership', to: 'b' });
    // a hears nothing more: b wins term 2 with c's vote (transfer campaigns bypass leases) and commits.
    net.drop = (e) => e.to === 'a';
    net.stabilize();
    expect(net.states.b!.role).toBe('leader');
    net.step('b', { type: 'propose', data: 'new' });
    net.stabilize();
    expect(net.states.b!.commit).toBe(3);
    expect(net.states.a!.role).toBe('leader');
    // a's lease has not run out by its clock, but a read served from it would miss index 3.
    expect(types(net.step('a', { type: 'read', id: 'stale' }))).not.toContain('readReady');
    // Also after the transfer is abandoned: the TimeoutNow may still be in flight.
    net.step('a', { type: 'tick', now: net.now + 150 });
    expect(net.states.a!.transferee).toBeNull();
    expect(types(net.step('a', { type: 'read', id: 'later' }))).not.toContain('readReady');
  });
});

describe('thesis §3.10 leadership transfer', () => {
  it('the leader brings the target up to date, sends TimeoutNow, and the target wins', () => {
    const net = elected();
    net.crash('c');
    net.step('a', { type: 'propose', data: 1 });
    net.stabilize();
    net.restart('c');
    net.step('a', { type: 'transferLeadership', to: 'c' });
    expect(types(net.step('a', { type: 'propose', data: 2 }))).toEqual(['rejected']);
    net.tickAll(net.now + 10);
    net.stabilize();
    expect(net.leader()).toBe('c');
    expect(net.states.c!.term).toBe(2);
  });
  it('a transfer to a non-voter is refused; a stalled transfer is abandoned after T', () => {
    const net = elected();
    expect(types(net.step('a', { type: 'transferLeadership', to: 'zz' }))).toEqual(['rejected']);
    net.drop = (e) => e.to === 'b';
    net.step('a', { type: 'propose', data: 1 });
    net.stabilize();
    net.step('a', { type: 'transferLeadership', to: 'b' });
    expect(net.states.a!.transferee).toBe('b');
    net.tickAll(net.now + 150);
    expect(net.states.a!.transferee).toBeNull();
  });
  it('a transfer campaign passes a follower lease (check-quorum)', () => {
    const net = elected(ABC, 'a', { checkQuorum: true, preVote: true });
    net.tickAll(10);
    net.stabilize();
    net.step('a', { type: 'transferLeadership', to: 'b' });
    net.stabilize();
    expect(net.leader()).toBe('b');
  });
});

describe('thesis §9.6 pre-vote and check-quorum', () => {
  it('a partitioned node does not inflate its term with pre-vote', () => {
    const net = elected(ABC, 'a', { preVote: true, checkQuorum: true });
    net.drop = (e) => e.to === 'c' || e.from === 'c';
    for (let t = 100; t < 2000; t += 50) {
      net.tickAll(t);
      net.stabilize();
    }
    expect(net.states.c!.term).toBe(1);
    expect(net.states.c!.role).toBe('preCandidate');
    net.drop = () => false;
    net.tickAll(2010);
    net.stabilize();
    expect(net.leader()).toBe('a');
    expect(net.states.a!.term).toBe(1);
  });
  it('followers in a leader lease ignore vote requests', () => {
    const net = elected(ABC, 'a', { checkQuorum: true });
    net.tickAll(10);
    net.stabilize();
    const t = net.step('b', { type: 'message', from: 'c', message: { type: 'vote', term: 5, lastIndex: 9, lastTerm: 1, pre: false, transfer: false } });
    expect(types(t)).toEqual(['rejected']);
    expect(net.states.b!.term).toBe(1);
  });
  it('an isolated leader steps down after an election timeout (check-quorum)', () => {
    const net = elected(ABC, 'a', { checkQuorum: true });
    net.drop = (e) => e.to === 'a' || e.from === 'a';
    for (let t = 10; t <= 250; t += 10) {
      net.tickAll(t);
      net.stabilize();
    }
    expect(net.states.a!.role).toBe('follower');
  });
  it('a restarted node keeps its lease promise for one T before voting', () => {
    const net = elected(ABC, 'a', { checkQuorum: true });
    net.crash('b');
    net.restart('b');
    const t = net.step('b', { type: 'message', from: 'c', message: { type: 'vote', term: 5, lastIndex: 9, lastTerm: 1, pre: false, transfer: false } });
    expect(types(t)).toEqual(['rejected']);
  });
});

describe('thesis §4 membership changes', () => {
  it('adds a learner, which replicates but does not vote, then promotes it', () => {
    const net = new Net(['a', 'b', 'c', 'd']);
    // d joins with no membership: it learns it from the leader.
    net.states.d = raft.init({ ...net.configs.d!, voters: [] });
    net.step('d', { type: 'tick', now: 0 });
    for (const id of ABC) {
      net.states[id] = raft.init({ ...net.configs[id]!, voters: ABC });
      net.step(id, { type: 'tick', now: 0 });
    }
    net.campaign('a');
    net.step('a', { type: 'changeMembership', change: { action: 'addLearner', node: 'd' } });
    net.stabilize();
    expect(net.states.a!.membership).toEqual({ voters: ABC, learners: ['d'] });
    expect(net.states.d!.membership).toEqual({ voters: ABC, learners: ['d'] });
    expect(net.terms('d')).toEqual(net.terms('a'));
    // A learner never campaigns.
    expect(types(net.step('d', { type: 'campaign' }))).toEqual(['rejected']);
    net.tickAll(net.now + 10);
    net.stabilize();
    net.step('a', { type: 'changeMembership', change: { action: 'addVoter', node: 'd' } });
    net.stabilize();
    expect(net.states.a!.membership).toEqual({ voters: ['a', 'b', 'c', 'd'], learners: [] });
  });
  it('one change at a time: a second change waits for the first to commit', () => {
    const net = elected();
    net.drop = () => true;
    net.step('a', { type: 'changeMembership', change: { action: 'addLearner', node: 'd' } });
    const t = net.step('a', { type: 'changeMembership', change: { action: 'addLearner', node: 'e' } });
    expect(t).toEqual([{ type: 'rejected', from: 'local', reason: 'changeMembership: a previous change is not committed yet' }]);
  });
  it('the single-server bug fix: no change before the leader commits an entry of its term', () => {
    const net = new Net(ABC);
    net.step('a', { type: 'campaign' });
    net.deliverWhere((e) => e.message.type === 'vote' || e.message.type === 'voteResponse');
    expect(net.leader()).toBe('a');
    const t = net.step('a', { type: 'changeMembership', change: { action: 'remove', node: 'c' } });
    expect((t[0] as { reason: string }).reason).toMatch(/not committed an entry of its term/);
  });
  it('removing a follower: the rest keeps committing', () => {
    const net = elected();
    net.step('a', { type: 'changeMembership', change: { action: 'remove', node: 'c' } });
    net.stabilize();
    net.crash('c');
    net.step('a', { type: 'propose', data: 'x' });
    net.stabilize();
    expect(net.states.a!.membership.voters).toEqual(['a', 'b']);
    expect(net.states.a!.commit).toBe(3);
  });
  it('removing the leader: it steps down once the change commits, and the others elect a new one', () => {
    const net = elected();
    net.step('a', { type: 'changeMembership', change: { action: 'remove', node: 'a' } });
    net.stabilize();
    expect(net.states.a!.role).toBe('follower');
    expect(types(net.step('a', { type: 'campaign' }))).toEqual(['rejected']);
    net.campaign('b');
    expect(net.leader()).toBe('b');
    expect(net.states.b!.membership.voters).toEqual(['b', 'c']);
  });
  it('a membership taken from an uncommitted entry is reverted when that entry is truncated', () => {
    const net = elected(['a', 'b', 'c', 'd', 'e']);
    net.drop = () => true;
    net.step('a', { type: 'changeMembership', change: { action: 'addLearner', node: 'z' } });
    const append = net.queue.find((e) => e.to === 'b')!;
    net.drop = () => false;
    net.queue = [];
    net.deliver(append);
    expect(net.states.b!.membership.learners).toEqual(['z']);
    // c becomes leader of term 2 without the entry (votes of d, e), and overwrites index 2 on b.
    net.crash('a');
    net.campaign('c');
    expect(net.leader()).toBe('c');
    net.step('c', { type: 'propose', data: 'x' });
    net.stabilize();
    expect(net.states.b!.membership.learners).toEqual([]);
  });
});

describe('flow control', () => {
  it('maxEntriesPerAppend and maxBytesPerAppend bound each message', () => {
    const net = elected(ABC, 'a', { maxEntriesPerAppend: 2, maxBytesPerAppend: 25 });
    net.step('a', { type: 'proposeBatch', data: ['0123456789', '0123456789', '0123456789', '0123456789', '0123456789'] });
    net.stabilize();
    const appends = net.outputs.a!.flatMap((o) => (o.type === 'send' && o.message.type === 'append' ? [o.message] : []));
    for (const m of appends) {
      expect(m.entries.length).toBeLessThanOrEqual(2);
    }
    expect(appends.some((m) => m.entries.length === 2)).toBe(true);
    expect(net.terms('b')).toEqual(net.terms('a'));
  });
  it('maxBytesPerAppend alone bounds a message; an entry larger than it still goes out alone', () => {
    const net = elected(ABC, 'a', { maxEntriesPerAppend: 100, maxBytesPerAppend: 25 });
    net.drop = (e) => e.to === 'b';
    const ten = '0123456789';
    net.step('a', { type: 'proposeBatch', data: [ten, ten, ten, ten, ten, 'x'.repeat(40), ten] });
    net.stabilize();
    net.drop = () => false;
    net.outputs.a = [];
    net.tickAll(net.now + 10);
    net.stabilize();
    const appends = net.outputs.a!.flatMap((o) => (o.type === 'send' && o.message.type === 'append' && o.to === 'b' ? [o.message] : []));
    const sizes = appends.filter((m) => m.entries.length > 0).map((m) => m.entries.map((e) => (typeof e.data === 'string' ? e.data.length : 8)));
    for (const size of sizes) {
      const bytes = size.reduce((x, y) => x + y, 0);
      expect(size.length === 1 || bytes <= 25).toBe(true);
    }
    expect(sizes).toContainEqual([40]);
    expect(sizes.some((x) => x.length === 2)).toBe(true);
    expect(net.terms('b')).toEqual(net.terms('a'));
  });
  it('in replicate state at most maxInflight appends are outstanding', () => {
    const net = elected(ABC, 'a', { maxInflight: 2, maxEntriesPerAppend: 1 });
    for (let i = 0; i < 6; i++) net.step('a', { type: 'propose', data: i });
    const toB = net.queue.filter((e) => e.to === 'b' && e.message.type === 'append');
    expect(toB.length).toBe(2);
    expect(net.states.a!.progress.b!.state).toBe('replicate');
    net.stabilize();
    expect(net.terms('b')).toEqual(net.terms('a'));
  });
  it('a probing follower gets one append at a time', () => {
    const net = new Net(ABC, { maxEntriesPerAppend: 1 });
    net.load('a', durableWithTerms(ABC, 1, [1, 1, 1, 1, 1]));
    net.step('a', { type: 'campaign' });
    let probing = 0;
    while (net.queue.length > 0) {
      net.deliver(net.queue.shift()!);
      const p = net.states.a!.progress.b;
      if (p?.state !== 'probe') continue;
      probing++;
      // Probe: at most one AppendEntries to b unanswered.
      const out = net.queue.filter((e) => e.to === 'b' && e.message.type === 'append').length + net.queue.filter((e) => e.from === 'b' && e.message.type === 'appendResponse').length;
      expect(out).toBeLessThanOrEqual(1);
    }
    // b lacked entries 1..5: the probe took several round trips, then b streamed.
    expect(probing).toBeGreaterThan(3);
    expect(net.states.a!.progress.b!.state).toBe('replicate');
    expect(net.terms('b')).toEqual(net.terms('a'));
  });
  it('a follower behind the snapshot is in the snapshot state until it answers, then replicates', () => {
    const net = elected();
    net.crash('c');
    for (let i = 0; i < 6; i++) net.step('a', { type: 'propose', data: i });
    net.stabilize();
    net.step('a', { type: 'compact', index: 5, data: { upTo: 5 } });
    net.restart('c');
    net.tickAll(net.now + 10);
    net.deliverWhere((e) => e.message.type === 'heartbeat' || e.message.type === 'heartbeatResponse');
    net.deliverWhere((e) => e.to === 'c' && e.message.type === 'append');
    net.deliverWhere((e) => e.from === 'c' && e.message.type === 'appendResponse');
    expect(net.states.a!.progress.c!.state).toBe('snapshot');
    expect(net.queue.filter((e) => e.to === 'c' && e.message.type === 'snapshot')).toHaveLength(1);
    // No appends while the snapshot is out.
    net.step('a', { type: 'propose', data: 'more' });
    expect(net.queue.filter((e) => e.to === 'c' && e.message.type === 'append')).toHaveLength(0);
    net.stabilize();
    expect(net.states.a!.progress.c!.state).toBe('replicate');
    expect(net.terms('c')).toEqual(net.terms('a'));
  });
  it('a heartbeat answer frees one slot of a full window and keeps streaming (seed 801 stalled in probe)', () => {
    const net = elected(ABC, 'a', { maxInflight: 2, maxEntriesPerAppend: 1 });
    for (let i = 0; i < 3; i++) net.step('a', { type: 'propose', data: i });
    expect(net.states.a!.progress.b!.inflight).toEqual([2, 3]);
    // The appends are slow; a heartbeat round trip overtakes them.
    const slow = net.queue.filter((e) => e.to === 'b');
    net.queue = net.queue.filter((e) => e.to !== 'b');
    net.tickAll(net.now + 10);
    net.deliverWhere((e) => (e.to === 'b' && e.message.type === 'heartbeat') || (e.from === 'b' && e.message.type === 'heartbeatResponse'));
    const p = net.states.a!.progress.b!;
    expect(p.state).toBe('replicate');
    expect(p.inflight).toEqual([3, 4]);
    const sent = net.queue.filter((e) => e.to === 'b' && e.message.type === 'append').map((e) => (e.message as { prevIndex: number }).prevIndex);
    expect(sent).toEqual([3]);
    net.queue.unshift(...slow);
    net.stabilize();
    expect(net.terms('b')).toEqual(net.terms('a'));
  });
  it('a full window of lost appends is found by the follower rejecting the next one', () => {
    const net = elected(ABC, 'a', { maxInflight: 1, maxEntriesPerAppend: 1 });
    net.drop = (e) => e.message.type === 'append' && e.to === 'b';
    net.step('a', { type: 'propose', data: 1 });
    net.step('a', { type: 'propose', data: 2 });
    net.stabilize();
    net.drop = () => false;
    net.tickAll(net.now + 10);
    net.stabilize();
    expect(net.terms('b')).toEqual(net.terms('a'));
  });
});

describe('machine contract', () => {
  it('step never mutates its input and rejections keep the same state (checkedStep)', () => {
    const net = elected();
    let s: RaftState = net.states.a!;
    for (let i = 0; i < 20; i++) s = checkedStep(raft, s, { type: 'propose', data: { i }, now: 1 }).state;
    expect(raftLastIndex(s.log)).toBe(21);
  });
  it('states round-trip through JSON', () => {
    const net = elected();
    net.step('a', { type: 'propose', data: [1, { x: 'y' }] });
    const s = net.states.a!;
    const copy = JSON.parse(JSON.stringify(s)) as RaftState;
    const t1 = raft.step(s, { type: 'tick', now: 500 });
    const t2 = raft.step(copy, { type: 'tick', now: 500 });
    expect(JSON.stringify(t2.outputs)).toBe(JSON.stringify(t1.outputs));
  });
  it('local commands with non-JSON data are programming errors', () => {
    const net = elected();
    expect(() => net.step('a', { type: 'propose', data: new Map() })).toThrow(InvalidCommandError);
    expect(() => net.step('a', { type: 'propose', data: Number.NaN })).toThrow(InvalidCommandError);
  });
  it('nextDeadline is the election deadline for followers and the next heartbeat for leaders', () => {
    const net = elected();
    expect(raft.nextDeadline!(net.states.b!)).toBe(net.states.b!.electionTimer.at!);
    expect(raft.nextDeadline!(net.states.a!)).toBe(net.states.a!.heartbeatTimer.at);
    // A message restarts b's election timer from the message's own time.
    net.step('b', { type: 'message', from: 'a', message: { type: 'heartbeat', term: 1, commit: 0, seq: 9, sentAt: 0 }, now: 77 });
    expect(net.states.b!.electionTimer.at!).toBeGreaterThanOrEqual(177);
    expect(net.states.b!.electionTimer.at!).toBeLessThan(277);
  });
  it('§5.2: a follower campaigns in [T, 2T) after it last heard from the leader, exactly', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const net = new Net(ABC, { seed });
      net.campaign('a');
      // Heartbeats until t = 300; then a falls silent.
      for (let t = 10; t <= 300; t += 10) {
        net.tickAll(t);
        net.stabilize();
      }
      net.crash('a');
      const lastContact = 300;
      // A host ticks b at nextDeadline until it campaigns.
      let now = net.now;
      while (net.states.b!.role === 'follower') {
        now = Math.max(now + 1, raftNextDeadline(net.states.b!)!);
        net.step('b', { type: 'tick', now });
      }
      expect(now).toBeGreaterThanOrEqual(lastContact + 100);
      expect(now).toBeLessThan(lastContact + 200);
    }
  });
});

describe('issue 13 §4: operator and liveness bugs found against etcd-io/raft', () => {
  it('(a) repeating a transfer to the same unreachable node does not push its deadline back (etcd aborts one T after the first request)', () => {
    const net = elected();
    net.drop = (e) => e.to === 'b';
    net.step('a', { type: 'propose', data: 1 });
    net.stabilize();
    const t0 = net.now;
    net.step('a', { type: 'transferLeadership', to: 'b', now: t0 });
    expect(net.states.a!.transferTimer.at).toBe(t0 + 100);
    // An operator retries every T/2.
    net.tickAll(t0 + 50);
    net.step('a', { type: 'transferLeadership', to: 'b', now: t0 + 50 });
    expect(net.states.a!.transferTimer.at).toBe(t0 + 100);
    net.tickAll(t0 + 100);
    expect(net.states.a!.transferee).toBeNull();
    expect(types(net.step('a', { type: 'propose', data: 2 }))).toContain('proposed');
  });
  it('(b) a transfer to the leader itself cancels a pending transfer', () => {
    const net = elected();
    net.drop = (e) => e.to === 'b';
    net.step('a', { type: 'transferLeadership', to: 'b' });
    expect(net.states.a!.transferee).toBe('b');
    net.step('a', { type: 'transferLeadership', to: 'a' });
    expect(net.states.a!.transferee).toBeNull();
    expect(raft.nextDeadline!(net.states.a!)).toBe(net.states.a!.heartbeatTimer.at);
    expect(types(net.step('a', { type: 'propose', data: 1 }))).toContain('proposed');
    // With no transfer pending, a transfer to itself changes nothing.
    const before = net.states.a!;
    expect(net.step('a', { type: 'transferLeadership', to: 'a' })).toEqual([]);
    expect(net.states.a).toBe(before);
  });
  it('(c) a transfer to a follower whose entries are all in flight and lost sends an append at once', () => {
    const net = elected();
    expect(net.states.a!.progress.b!.state).toBe('replicate');
    net.step('a', { type: 'propose', data: 1 });
    // The append to b is lost; b's progress still counts it in flight.
    net.queue = net.queue.filter((e) => e.to !== 'b');
    net.deliverWhere((e) => e.to === 'c' || e.from === 'c');
    expect(net.states.a!.progress.b!.inflight).toEqual([2]);
    const t = net.step('a', { type: 'transferLeadership', to: 'b' });
    expect(t.some((o) => o.type === 'send' && o.to === 'b' && o.message.type === 'append')).toBe(true);
    // b rejects it for the gap, the leader backs up, b catches up and gets TimeoutNow, all
    // without waiting for a heartbeat.
    net.stabilize();
    expect(net.leader()).toBe('b');
    expect(net.states.b!.term).toBe(2);
  });
  it('(d) check-quorum steps down T after an election that no follower acknowledged, not 2T (thesis §6.2)', () => {
    const net = new Net(ABC, { checkQuorum: true });
    net.step('a', { type: 'campaign', now: 0 });
    net.deliverWhere((e) => e.message.type === 'vote' || e.message.type === 'voteResponse');
    expect(net.leader()).toBe('a');
    // From now on a hears from nobody.
    net.queue = [];
    net.step('a', { type: 'tick', now: 99 });
    expect(net.states.a!.role).toBe('leader');
    net.queue = [];
    net.step('a', { type: 'tick', now: 100 });
    expect(net.states.a!.role).toBe('follower');
  });
  it('(d) followers that answer in the leader\'s first T keep it leading', () => {
    const net = elected(ABC, 'a', { checkQuorum: true });
    for (let t = 10; t <= 400; t += 10) {
      net.tickAll(t);
      net.stabilize();
    }
    expect(net.leader()).toBe('a');
    expect(net.states.a!.term).toBe(1);
  });
  it('(e) a batch larger than maxUncommittedEntries is admitted once nothing is uncommitted (etcd\'s rule)', () => {
    const net = elected(ABC, 'a', { maxUncommittedEntries: 3 });
    expect(net.states.a!.commit).toBe(raftLastIndex(net.states.a!.log));
    const t = net.step('a', { type: 'proposeBatch', data: [1, 2, 3, 4, 5] });
    expect(types(t)).toContain('proposed');
    // While those are uncommitted, back-pressure holds.
    expect(types(net.step('a', { type: 'propose', data: 6 }))).toEqual(['rejected']);
    net.stabilize();
    expect(net.states.a!.commit).toBe(6);
    expect(types(net.step('a', { type: 'propose', data: 6 }))).toContain('proposed');
  });
});

describe('hostile input (issue 13 §3)', () => {
  it('a member named like an Object.prototype property votes and replicates', () => {
    const ids = ['__proto__', 'a', 'constructor'];
    const net = new Net(ids);
    net.campaign('a');
    expect(net.leader()).toBe('a');
    net.step('a', { type: 'propose', data: 'x' });
    net.stabilize();
    expect(Object.keys(net.states.a!.progress).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(net.states.a!.progress)).toBe(Object.prototype);
    expect(net.terms('__proto__')).toEqual(net.terms('a'));
    expect(net.states.a!.commit).toBe(2);
  });
  it('deeply nested append data is rejected, not thrown, and never stored', () => {
    const net = elected();
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const before = net.states.b!;
    const t = net.step('b', { type: 'message', from: 'a', message: { type: 'append', term: 1, prevIndex: 1, prevTerm: 1, entries: [{ index: 2, term: 1, data: deep }], commit: 1 } });
    expect(types(t)).toEqual(['rejected']);
    expect((t[0] as { reason: string }).reason).toMatch(/nested deeper than 64/);
    expect(net.states.b).toBe(before);
  });
  it('payloadLimits bound entry data; a proposal beyond them is a programming error', () => {
    const net = elected(ABC, 'a', { payloadLimits: { maxBytes: 100 } });
    expect(() => net.step('a', { type: 'propose', data: 'x'.repeat(200) })).toThrow(InvalidCommandError);
    const t = net.step('b', { type: 'message', from: 'a', message: { type: 'append', term: 1, prevIndex: 1, prevTerm: 1, entries: [{ index: 2, term: 1, data: 'y'.repeat(200) }], commit: 1 } });
    expect(types(t)).toEqual(['rejected']);
  });
  it('extra fields of a message are never stored', () => {
    const net = elected();
    net.step('b', { type: 'message', from: 'a', message: { type: 'append', term: 1, prevIndex: 1, prevTerm: 1, entries: [{ index: 2, term: 1, data: 'x', junk: 'z'.repeat(1000) }], commit: 1, junk: 1 } });
    expect(JSON.stringify(net.states.b!)).not.toContain('junk');
  });
  it('stores only what JSON carries: named properties of a peer\'s arrays and -0 are dropped (conformance seed 11)', () => {
    const net = elected();
    const data = Object.assign([1, -0], { deep: { x: 1 } });
    net.step('b', { type: 'message', from: 'a', message: { type: 'append', term: 1, prevIndex: 1, prevTerm: 1, entries: [{ index: 2, term: 1, data }], commit: 1 } });
    expect(raftEntries(net.states.b!.log, 2, 2)[0]!.data).toEqual([1, 0]);
    expect(plainDataEqual(JSON.parse(JSON.stringify(net.states.b!)), net.states.b!)).toBe(true);
    net.step('a', { type: 'message', from: 'b', message: { type: 'heartbeatResponse', term: 1, seq: 0, sentAt: -0 } });
    expect(Object.is(net.states.a!.progress.b!.ackedAt, -0)).toBe(false);
    expect(plainDataEqual(JSON.parse(JSON.stringify(net.states.a!)), net.states.a!)).toBe(true);
  });
  it('a term at MAX_COUNTER is accepted, and the node does not campaign past it', () => {
    const net = new Net(ABC);
    net.step('b', { type: 'message', from: 'c', message: { type: 'vote', term: MAX_COUNTER, lastIndex: 0, lastTerm: 0, pre: false, transfer: false } });
    expect(net.states.b!.term).toBe(MAX_COUNTER);
    expect(types(net.step('b', { type: 'campaign' }))).toEqual(['rejected']);
    net.step('b', { type: 'tick', now: net.states.b!.electionTimer.at! });
    expect(net.states.b!.term).toBe(MAX_COUNTER);
    expect(RAFT_MAX_COUNTER).toBe(MAX_COUNTER);
    const t = net.step('b', { type: 'message', from: 'c', message: { type: 'vote', term: MAX_COUNTER + 1, lastIndex: 0, lastTerm: 0, pre: false, transfer: false } });
    expect(types(t)).toEqual(['rejected']);
  });
  it('a TimeoutNow at MAX_COUNTER does not start a term past it (conformance seed 7)', () => {
    const net = new Net(ABC);
    const t = net.step('b', { type: 'message', from: 'a', message: { type: 'timeoutNow', term: MAX_COUNTER } });
    expect(net.states.b!.term).toBe(MAX_COUNTER);
    expect(net.states.b!.role).toBe('follower');
    expect(t.some((o) => o.type === 'send')).toBe(false);
  });
  it('an unknown local command and a bad now throw InvalidCommandError', () => {
    const s = raft.init({ id: 'a', voters: ABC, seed: 1 });
    expect(() => raft.step(s, { type: 'nope', now: 1 } as never)).toThrow(InvalidCommandError);
    expect(() => raft.step(s, { type: 'tick', now: Number.NaN })).toThrow(InvalidCommandError);
    expect(() => raft.step(s, { type: 'propose', data: 1 } as never)).toThrow(InvalidCommandError);
  });
});
