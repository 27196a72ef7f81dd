// Thesis §10.2.1: a leader may replicate entries while it writes them to its own disk, as long as
// it counts itself toward the commit quorum only for what its disk holds. `parallelAppend` marks
// the leader's sends `beforePersist`, asks for an `onDurable` acknowledgement of its log writes,
// and commits on `persisted`.
import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidCommandError, applyStep } from 'distkit/core';
import { raft, type RaftInput, type RaftOutput, type RaftState } from 'distkit/consensus';
import { ELECTION_TIMEOUT_MS, runSeed } from './seeds.js';

const step = (s: RaftState, i: RaftInput) => applyStep(raft, s, i);

/** Node a leads a 3-voter cluster at term 1 (b voted), with `parallelAppend`. */
function leaderA(): RaftState {
  let a = raft.init({ id: 'a', voters: ['a', 'b', 'c'], seed: 1, parallelAppend: true, preVote: false });
  a = step(a, { type: 'campaign', now: 0 }).state;
  const won = step(a, { type: 'message', from: 'b', message: { type: 'voteResponse', term: 1, granted: true, pre: false }, now: 1 });
  expect(won.state.role).toBe('leader');
  return won.state;
}

describe('raft parallelAppend (thesis §10.2.1)', () => {
  it('the election transition still waits for its persist; later leader sends are marked beforePersist', () => {
    let a = raft.init({ id: 'a', voters: ['a', 'b', 'c'], seed: 1, parallelAppend: true, preVote: false });
    a = step(a, { type: 'campaign', now: 0 }).state;
    const won = step(a, { type: 'message', from: 'b', message: { type: 'voteResponse', term: 1, granted: true, pre: false }, now: 1 });
    expect(won.sends.every((s) => s.beforePersist === undefined)).toBe(true);
    expect(won.persist?.onDurable).toEqual({ type: 'persisted', index: 1, term: 1 });
    // b acknowledges the no-op (its progress leaves probe), so the next entry streams to it.
    const probed = step(won.state, { type: 'message', from: 'b', message: { type: 'appendResponse', term: 1, index: 1, success: true, hintIndex: 0, hintTerm: 0 }, now: 2 });
    const p = step(probed.state, { type: 'propose', data: 'x', now: 2 });
    expect(p.persist?.record).toMatchObject({ entries: [{ index: 2, term: 1, data: 'x' }] });
    expect(p.persist?.onDurable).toEqual({ type: 'persisted', index: 2, term: 1 });
    expect(p.sends.length).toBeGreaterThan(0);
    expect(p.sends.every((s) => s.beforePersist === true)).toBe(true);
  });

  it('one follower ack does not commit until the leader disk holds the entry', () => {
    const a = step(leaderA(), { type: 'propose', data: 'x', now: 2 }).state;
    const acked = step(a, { type: 'message', from: 'b', message: { type: 'appendResponse', term: 1, index: 2, success: true, hintIndex: 0, hintTerm: 0 }, now: 3 }).state;
    expect(acked.commit).toBe(0);
    const durable = step(acked, { type: 'persisted', index: 2, term: 1, now: 4 });
    expect(durable.state.commit).toBe(2);
    expect(durable.outputs.some((o: RaftOutput) => o.type === 'apply')).toBe(true);
  });

  it('two follower acks commit without the leader disk (a majority holds the entry)', () => {
    let a = step(leaderA(), { type: 'propose', data: 'x', now: 2 }).state;
    a = step(a, { type: 'message', from: 'b', message: { type: 'appendResponse', term: 1, index: 2, success: true, hintIndex: 0, hintTerm: 0 }, now: 3 }).state;
    a = step(a, { type: 'message', from: 'c', message: { type: 'appendResponse', term: 1, index: 2, success: true, hintIndex: 0, hintTerm: 0 }, now: 3 }).state;
    expect(a.commit).toBe(2);
  });

  it('a stale or foreign acknowledgement changes nothing', () => {
    const a = step(leaderA(), { type: 'propose', data: 'x', now: 2 }).state;
    for (const ack of [
      { index: 2, term: 7 },
      { index: 9, term: 1 },
      { index: 0, term: 0 },
    ]) {
      const t = step(a, { type: 'persisted', ...ack, now: 3 });
      expect(t.state).toBe(a);
      expect(t.outputs).toEqual([]);
    }
    const follower = raft.init({ id: 'b', voters: ['a', 'b', 'c'], seed: 1, parallelAppend: true });
    expect(step(follower, { type: 'persisted', index: 0, term: 0, now: 1 }).state).toBe(follower);
  });

  it('a malformed acknowledgement is a command error, and the option is checked', () => {
    const a = leaderA();
    expect(() => step(a, { type: 'persisted', index: -1, term: 1, now: 3 })).toThrow(InvalidCommandError);
    expect(() => step(a, { type: 'persisted', index: 1, term: 'x', now: 3 } as unknown as RaftInput)).toThrow(InvalidCommandError);
    expect(() => raft.init({ id: 'a', voters: ['a'], seed: 1, parallelAppend: 'yes' as unknown as boolean })).toThrow(ConfigError);
  });

  it('without the option nothing is marked and the leader counts its in-memory log', () => {
    let a = raft.init({ id: 'a', voters: ['a', 'b', 'c'], seed: 1, preVote: false });
    a = step(a, { type: 'campaign', now: 0 }).state;
    a = step(a, { type: 'message', from: 'b', message: { type: 'voteResponse', term: 1, granted: true, pre: false }, now: 1 }).state;
    const p = step(a, { type: 'propose', data: 'x', now: 2 });
    expect(p.persist?.onDurable).toBeUndefined();
    expect(p.sends.every((s) => s.beforePersist === undefined)).toBe(true);
    const acked = step(p.state, { type: 'message', from: 'b', message: { type: 'appendResponse', term: 1, index: 2, success: true, hintIndex: 0, hintTerm: 0 }, now: 3 });
    expect(acked.state.commit).toBe(2);
  });
});

// Five nodes with slow disks (1-15 ms per sync, a crash loses what is not yet durable), loss,
// duplication, reordering, partitions, crashes: Figure 3's invariants after every step, and a
// commit within 10 T of the heal.
describe('simulation with slow disks', () => {
  const SEEDS = 120;
  for (const parallelAppend of [false, true]) {
    it(`${SEEDS} seeds, parallelAppend ${parallelAppend}: safety and liveness`, () => {
      const slow: number[] = [];
      let steps = 0;
      for (let seed = 1; seed <= SEEDS; seed++) {
        const r = runSeed(seed, { slowDisk: true, parallelAppend });
        steps += r.steps;
        if (r.recoveryMs < 0 || r.recoveryMs > 10 * ELECTION_TIMEOUT_MS) slow.push(seed);
      }
      expect(slow).toEqual([]);
      expect(steps).toBeGreaterThan(SEEDS * 500);
    }, 600_000);
  }
});
