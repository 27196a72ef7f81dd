import { describe, expect, it } from 'vitest';
import { ConfigError, checkedStep, deepFreeze } from '../../src/core/index.js';
import { applyReplicatedPersist, raftEntries, raftLastIndex, type RaftDurable } from '../../src/consensus/index.js';
import { chainReplica, raftChainMaster, raftChainMasterInvariants, type RaftChainMasterOutput, type RaftChainMasterState } from '../../src/replication/index.js';

const solo = { raft: { id: 'm1', voters: ['m1'], seed: 1 }, replicas: ['a', 'b', 'c'], failureTimeoutMs: 100, checkMs: 10 };
const three = { raft: { id: 'm1', voters: ['m1', 'm2', 'm3'], seed: 1, electionTimeoutMs: 100, heartbeatIntervalMs: 10 }, replicas: ['a', 'b', 'c'], failureTimeoutMs: 100, checkMs: 10 };
const hb = (from: string, incarnation: number, epoch: number, synced = false, sentAt = 0) => ({ type: 'message' as const, from, now: sentAt + 1, message: { type: 'heartbeat', incarnation, epoch, sentAt, synced } });
const start = { epoch: 1, chain: ['a', 'b', 'c'].map((id) => ({ id, incarnation: null, since: 1 })), joining: null };
const entry = (index: number, base: unknown, next: unknown, reason: string | null) => ({ index, term: 1, data: { type: 'view', base, next, reason } });
const noop = { index: 1, term: 1, data: null, kind: 'noop' };

/** One master node with its disk: every persist output folded into Raft's durable image. */
function node(config: typeof solo) {
  let state = raftChainMaster.init(config);
  let disk: RaftDurable = raftChainMaster.durable(state);
  const step = (input: Record<string, unknown>): RaftChainMasterOutput[] => {
    const t = checkedStep(raftChainMaster, deepFreeze(state), input as never);
    state = t.state;
    for (const o of t.outputs) if (o.type === 'persist') disk = applyReplicatedPersist(disk, o.record);
    return [...t.outputs];
  };
  /** A Raft message from m2. */
  const fromM2 = (message: unknown, now: number) => step({ type: 'message', from: 'm2', now, message });
  return {
    step,
    fromM2,
    /** Of three masters, m1 campaigns at 0 and wins m2's pre-vote (1) and vote (2). */
    elect() {
      step({ type: 'campaign', now: 0 });
      fromM2({ type: 'voteResponse', term: 1, granted: true, pre: true }, 1);
      fromM2({ type: 'voteResponse', term: 1, granted: true, pre: false }, 2);
    },
    get state(): RaftChainMasterState {
      return state;
    },
    restart() {
      state = raftChainMaster.recover(config, disk);
    },
  };
}
const reconfigured = (outs: RaftChainMasterOutput[]) => outs.filter((o) => o.type === 'reconfigured');
/** Whether the master answered replica a. */
const answered = (outs: RaftChainMasterOutput[]) => outs.some((o) => o.type === 'send' && o.to === 'a');

describe('raftChainMaster: the chain master as a Raft-replicated service (van Renesse & Schneider §3)', () => {
  it('the leader removes a replica silent for failureTimeoutMs, a full timeout after it became leader', () => {
    const m = node(solo);
    m.step({ type: 'campaign', now: 1000 });
    expect(reconfigured(m.step({ type: 'tick', now: 1010 }))).toEqual([]);
    expect(reconfigured(m.step({ type: 'tick', now: 1105 }))).toEqual([]);
    const outs = m.step({ type: 'tick', now: 1120 });
    expect(reconfigured(outs)).toEqual([{ type: 'reconfigured', epoch: 2, reason: 'a failed', chain: ['b', 'c'], joining: null }]);
    // The new view goes to every replica, after the persist of its log entry.
    const kinds = outs.map((o) => o.type);
    expect(kinds.indexOf('persist')).toBeLessThan(kinds.indexOf('send'));
    expect(outs.filter((o) => o.type === 'send' && (o.message as { type: string }).type === 'config').map((o) => (o as { to: string }).to)).toEqual(['a', 'b', 'c']);
  });

  it('a follower does not act as master: it answers no heartbeat and runs no failure detector', () => {
    const m = node(three as never);
    const outs = m.step(hb('a', 0, 0));
    expect(outs).toEqual([{ type: 'rejected', from: 'a', reason: 'heartbeat to a node that is not the leader' }]);
    for (let t = 1; t <= 60; t++) expect(reconfigured(m.step({ type: 'tick', now: t * 10 }))).toEqual([]);
    expect(m.state.view.epoch).toBe(1);
  });

  it('a leader answers heartbeats only while its lease from a quorum holds (thesis §6.4.1), so a leader deposed while paused or cut off renews no lease a new leader does not know of', () => {
    const m = node(three as never);
    const raftMsg = m.fromM2;
    m.elect();
    // Thesis §6.4: until an entry of its term is applied, a new leader may not know the latest view.
    expect(m.state.raft.role).toBe('leader');
    expect(m.step(hb('a', 0, 1, false, 1))).toEqual([{ type: 'rejected', from: 'a', reason: 'heartbeat before this leader applied an entry of its term' }]);
    raftMsg({ type: 'appendResponse', term: 1, success: true, index: 1, hintIndex: 0, hintTerm: 0 }, 3);
    expect(m.state.raft.role).toBe('leader');
    // No quorum has acknowledged a heartbeat of this leader yet: it hears the replica but renews nothing.
    const early = m.step(hb('a', 0, 1, false, 4));
    expect(answered(early)).toBe(false);
    expect(early.some((o) => o.type === 'rejected')).toBe(false);
    const beat = m.step({ type: 'tick', now: 12 }).find((o) => o.type === 'send' && o.to === 'm2' && (o.message as { type: string }).type === 'heartbeat');
    const { seq, sentAt } = (beat as { message: { seq: number; sentAt: number } }).message;
    raftMsg({ type: 'heartbeatResponse', term: 1, seq, sentAt }, 13);
    // While the change learning a's incarnation is in flight, no lease is renewed either.
    expect(answered(m.step(hb('a', 0, 1, false, 13)))).toBe(false);
    raftMsg({ type: 'appendResponse', term: 1, success: true, index: 2, hintIndex: 0, hintTerm: 0 }, 13);
    expect(m.state.view.chain[0]).toMatchObject({ id: 'a', incarnation: 0 });
    expect(answered(m.step(hb('a', 0, 1, false, 14)))).toBe(true);
    // Paused from 14 to 500: on waking it still believes it leads, but its lease (leaseMs 90 from 12) ran out.
    const late = m.step(hb('a', 0, 1, false, 500));
    expect(m.state.raft.role).toBe('leader');
    expect(answered(late)).toBe(false);
    // No answer from m2 or m3 from now on: the leader steps down (checkQuorum) and rejects heartbeats.
    for (let t = 510; t <= 900; t += 10) m.step({ type: 'tick', now: t });
    expect(m.state.raft.role).not.toBe('leader');
    expect(m.step(hb('a', 0, 1, false, 901))).toEqual([{ type: 'rejected', from: 'a', reason: 'heartbeat to a node that is not the leader' }]);
  });

  it('nextDeadline: a leader that has not applied an entry of its term yet arms only Raft\'s deadline, not its due failure detector', () => {
    const m = node(three as never);
    m.elect();
    m.step({ type: 'tick', now: 30 }); // the check timer (due at 12) cannot run: the noop is not committed
    expect(m.state.raft.role).toBe('leader');
    expect(raftChainMaster.nextDeadline?.(m.state)).toBeGreaterThan(30);
  });

  it('no lease is renewed while a change is in flight: the removal it may carry would end the epoch the lease is for', () => {
    const m = node(three as never);
    const raftMsg = m.fromM2;
    m.elect();
    raftMsg({ type: 'appendResponse', term: 1, success: true, index: 1, hintIndex: 0, hintTerm: 0 }, 3);
    // The failure detector starts: every member gets a full timeout from now (10).
    const beat = m.step({ type: 'tick', now: 12 }).find((o) => o.type === 'send' && o.to === 'm2' && (o.message as { type: string }).type === 'heartbeat');
    const { seq, sentAt } = (beat as { message: { seq: number; sentAt: number } }).message;
    raftMsg({ type: 'heartbeatResponse', term: 1, seq, sentAt }, 13);
    // No replica is heard past failureTimeoutMs: the leader proposes to remove the head, a ...
    for (let t = 20; t <= 115; t += 5) {
      const outs = m.step({ type: 'tick', now: t });
      const hbs = outs.filter((o) => o.type === 'send' && (o.message as { type: string }).type === 'heartbeat') as { to: string; message: { seq: number; sentAt: number } }[];
      for (const h of hbs) m.step({ type: 'message', from: h.to, now: t, message: { type: 'heartbeatResponse', term: 1, seq: h.message.seq, sentAt: h.message.sentAt } });
    }
    expect(m.state.pending).not.toBeNull();
    const last = raftLastIndex(m.state.raft.log);
    expect(raftEntries(m.state.raft.log, last, last)[0]?.data).toMatchObject({ type: 'view', reason: 'a failed' });
    expect(m.state.view.epoch).toBe(1);
    // ... and a's heartbeat, arriving now, is heard but not answered: its lease in epoch 1 is not renewed.
    expect(answered(m.step(hb('a', 0, 1, false, 116)))).toBe(false);
  });

  it('heartbeats: an incarnation is learned (same epoch), then the answer renews the lease of that member; a new replica joins at the tail', () => {
    const m = node({ ...solo, replicas: ['a', 'b', 'c', 'd'], initial: 3 } as never);
    m.step({ type: 'campaign', now: 0 });
    m.step(hb('a', 7, 0, false, 1));
    expect(m.state.view.epoch).toBe(1);
    expect(m.state.view.chain[0]).toEqual({ id: 'a', incarnation: 7, since: 1 });
    const answer = m.step(hb('a', 7, 1, false, 2)).find((o) => o.type === 'send');
    expect(answer).toEqual({ type: 'send', to: 'a', message: { type: 'config', view: m.state.view, sentAt: 2 } });
    expect(reconfigured(m.step(hb('d', 1, 1)))).toEqual([{ type: 'reconfigured', epoch: 2, reason: 'd joins at the tail', chain: ['a', 'b', 'c', 'd'], joining: 'd' }]);
  });

  it('a deposed leader cannot issue an epoch: of two changes based on the same view, log order keeps the first', () => {
    const m = node(three as never);
    const outs = m.step({ type: 'message', from: 'm2', now: 1, message: { type: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries: [noop, entry(2, start, { ...start, epoch: 2, chain: start.chain.slice(1) }, 'a failed'), entry(3, start, { ...start, epoch: 2, chain: start.chain.slice(0, 2) }, 'c failed')], commit: 3 } });
    expect(m.state.view.epoch).toBe(2);
    expect(m.state.view.chain.map((x) => x.id)).toEqual(['b', 'c']);
    expect(reconfigured(outs)).toEqual([]); // a follower applies silently
  });

  it('a change that is not one a master makes is dropped (epoch jump, duplicate member, members changed at the same epoch)', () => {
    const m = node(three as never);
    const bad = [
      entry(2, start, { ...start, epoch: 5 }, 'jump'),
      entry(3, start, { ...start, epoch: 2, chain: [start.chain[0], start.chain[0]] }, 'dup'),
      entry(4, start, { ...start, chain: start.chain.slice(1) }, null),
      { index: 5, term: 1, data: { type: 'view', base: start, next: 'junk', reason: null } },
    ];
    m.step({ type: 'message', from: 'm2', now: 1, message: { type: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries: [noop, ...bad], commit: 5 } });
    expect(m.state.appliedIndex).toBe(5);
    expect(m.state.view).toEqual(start);
  });

  it('a crashed master node recovers every issued epoch from Raft and never issues one again with another view', () => {
    const m = node(solo);
    m.step({ type: 'campaign', now: 0 });
    m.step({ type: 'tick', now: 10 });
    expect(reconfigured(m.step({ type: 'tick', now: 120 }))[0]).toMatchObject({ epoch: 2, chain: ['b', 'c'] });
    m.restart();
    m.step({ type: 'campaign', now: 200 });
    expect(m.state.view.epoch).toBe(2);
    expect(m.state.view.chain.map((x) => x.id)).toEqual(['b', 'c']);
    m.step({ type: 'tick', now: 210 });
    const next = reconfigured(m.step({ type: 'tick', now: 320 }));
    expect(next[0]).toMatchObject({ epoch: 3, reason: 'b failed', chain: ['c'] });
  });

  it('hostile input: garbage from a replica is rejected with the same state; bad configs throw ConfigError naming the field', () => {
    const m = node(solo);
    m.step({ type: 'campaign', now: 0 });
    const before = m.state;
    expect(m.step({ type: 'message', from: 'a', now: 1, message: { type: 'heartbeat', incarnation: -1 } })[0]).toMatchObject({ type: 'rejected', from: 'a' });
    expect(m.state).toBe(before);
    expect(() => raftChainMaster.init({ ...solo, raft: { ...solo.raft, checkQuorum: false } })).toThrow(ConfigError);
    expect(() => raftChainMaster.init({ ...solo, replicas: ['m1'] })).toThrow(ConfigError);
    expect(() => raftChainMaster.init({ ...solo, initial: 9 })).toThrow(ConfigError);
  });

  it('replicas configured with masters heartbeat to every master node and take views from any of them', () => {
    let r = chainReplica.init({ id: 'a', master: 'm1', masters: ['m1', 'm2', 'm3'], heartbeatMs: 10 });
    r = chainReplica.step(r, { type: 'tick', now: 0 }).state;
    const t = chainReplica.step(r, { type: 'tick', now: 10 });
    const to = t.outputs.filter((o) => o.type === 'send' && (o.message as { type: string }).type === 'heartbeat').map((o) => (o as { to: string }).to);
    expect(to).toEqual(['m1', 'm2', 'm3']);
    const view = { epoch: 2, chain: [{ id: 'a', incarnation: r.incarnation, since: 1 }], joining: null };
    expect(chainReplica.step(t.state, { type: 'message', from: 'm3', now: 11, message: { type: 'config', view, sentAt: null } }).state.view.epoch).toBe(2);
    expect(() => chainReplica.init({ id: 'a', master: 'm1', masters: ['m2'] })).toThrow(ConfigError);
    expect(() => chainReplica.init({ id: 'a', master: 'm1', masters: ['m1', 'a'] })).toThrow(ConfigError);
  });
});

describe('raftChainMasterInvariants', () => {
  it('one view per epoch: flags two master nodes holding different chains at one epoch, skips other states', () => {
    const [inv] = raftChainMasterInvariants();
    const a = raftChainMaster.init(solo);
    const b: RaftChainMasterState = { ...a, view: { ...a.view, chain: a.view.chain.slice(1) } };
    const view = { time: 0, nodes: ['m1', 'm2', 'x'], isUp: () => true };
    expect(inv!.check({ m1: a, m2: a, x: { other: 1 } }, view)).toBeUndefined();
    expect(inv!.check({ m1: a, m2: b }, view)).toMatch(/epoch 1/);
  });
});
