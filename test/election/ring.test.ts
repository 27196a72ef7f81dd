import { describe, expect, it } from 'vitest';
import { checkedStep, InvalidCommandError } from 'distkit/core';
import { bully, ringElection, type RingElectionState } from 'distkit/election';
import { simulate } from 'distkit/sim';
import { ids } from '../support/event-sim.js';
import { crashSet, msg, runRing, type ElectionRun } from './elect.js';

function expectAgreement(r: ElectionRun, label: string): void {
  for (const [node, leader] of Object.entries(r.leaders)) expect(leader, `${label}: ${node}`).toBe(r.highestLive);
}

describe('ring election', () => {
  it('Chang–Roberts: one initiator costs between 2N and 3N − 1 messages, for every initiator position (N = 3, 5, 9, 16)', () => {
    for (const n of [3, 5, 9, 16]) {
      const counts: number[] = [];
      for (const init of ids(n)) {
        const r = runRing({ n, seed: 1, initiators: [init], variant: 'chang-roberts' });
        expectAgreement(r, `n=${n} ${init}`);
        counts.push(r.messages);
      }
      expect(Math.min(...counts)).toBe(2 * n); // the highest starts
      expect(Math.max(...counts)).toBe(3 * n - 1); // the node after the highest starts
    }
  });

  it('candidate-list variant: one initiator costs exactly 2N messages', () => {
    for (const n of [3, 5, 9, 16]) {
      const r = runRing({ n, seed: 1, initiators: ['n2'], variant: 'candidate-list' });
      expectAgreement(r, `n=${n}`);
      expect(r.messages).toBe(2 * n);
    }
  });

  for (const variant of ['chang-roberts', 'candidate-list'] as const) {
    it(`${variant}: crashed successors are skipped; exactly one leader, the highest live id (300 seeds)`, () => {
      for (let seed = 1; seed <= 300; seed++) {
        const n = 3 + (seed % 8);
        const crashed = crashSet(n, seed);
        const live = ids(n).filter((x) => !crashed.includes(x));
        const initiators = live.filter((_, i) => (seed + i) % 4 === 0);
        const r = runRing({ n, seed, initiators: initiators.length > 0 ? initiators : [live[0]!], crashed, spreadMs: 20, variant, checked: seed <= 10 });
        expectAgreement(r, `seed ${seed}`);
      }
    });
  }

  it('hostile: unknown senders, candidates from outside the ring, acks for messages never sent', () => {
    const s = ringElection.init({ id: 'b', nodes: ['a', 'b', 'c'] });
    for (const [from, m, why] of [
      ['z', { type: 'election', mid: 0, candidate: 'a' }, /unknown sender/],
      ['a', { type: 'election', mid: 0, candidate: 'zz' }, /not in the ring/],
      ['a', { type: 'ack', mid: 3 }, /unknown message/],
      ['a', { type: 'election-list', mid: 0, candidates: ['a', 'a'] }, /duplicate/],
      ['a', { type: 'election', mid: -1, candidate: 'a' }, /mid/],
    ] as const) {
      const t = checkedStep(ringElection, s, msg(from, m));
      expect(t.state).toBe(s);
      expect(t.outputs[0]).toMatchObject({ type: 'rejected', reason: expect.stringMatching(why) });
    }
  });
});

describe('ring election: v2 regressions', () => {
  it('Chang–Roberts with one crashed node goes quiet under simulate, with a bounded message count (10 seeds; before, 8 of 10 hit the step limit)', () => {
    const ring = ids(5);
    for (let seed = 1; seed <= 10; seed++) {
      const r = simulate({
        seed,
        nodes: ring.map((id) => ({ id, machine: ringElection, config: { id, nodes: ring, ackTimeoutMs: 50 } })),
        faults: [{ at: 0, fault: { type: 'crash', node: 'n3' } }],
        commands: [{ at: 5, node: 'n1', input: { type: 'elect' } }],
        maxTimeMs: 60_000,
        maxSteps: 100_000,
      });
      expect(r.stopReason, `seed ${seed}`).toBe('quiescent');
      expect(r.stats.messages.sent, `seed ${seed}`).toBeLessThan(60);
      for (const id of ring.filter((x) => x !== 'n3')) expect((r.states[id] as RingElectionState).leader, `seed ${seed} ${id}`).toBe('n5');
    }
  });

  it('only validated fields are stored and forwarded: a 100 kB junk field stays out of the state and the resend', () => {
    const s = ringElection.init({ id: 'b', nodes: ['a', 'b', 'c'] });
    const t = checkedStep(ringElection, s, msg('a', { type: 'elected', mid: 0, leader: 'c', junk: 'x'.repeat(100_000) }));
    expect(JSON.stringify(t.state).length).toBeLessThan(1000);
    expect(t.state.unacked[0]?.payload).toEqual({ type: 'elected', leader: 'c' });
    const resend = checkedStep(ringElection, t.state, { type: 'tick', now: 10_000 });
    expect(JSON.stringify(resend.outputs).length).toBeLessThan(1000);
  });

  it('the table of unacknowledged messages is bounded (maxUnacked): a flood is rejected, naming the limit', () => {
    let s = ringElection.init({ id: 'b', nodes: ['a', 'b', 'c'], maxUnacked: 4 });
    for (let i = 0; i < 4; i++) s = checkedStep(ringElection, s, msg('a', { type: 'election', mid: i, candidate: 'c' })).state;
    const t = checkedStep(ringElection, s, msg('a', { type: 'election', mid: 9, candidate: 'c' }));
    expect(t.state).toBe(s);
    expect(t.outputs[0]).toMatchObject({ type: 'rejected', reason: expect.stringMatching(/maxUnacked/) });
  });

  it('unknown local commands throw InvalidCommandError (they returned undefined)', () => {
    expect(() => ringElection.step(ringElection.init({ id: 'a', nodes: ['a', 'b'] }), { type: 'nope', now: 0 } as never)).toThrow(InvalidCommandError);
    expect(() => bully.step(bully.init({ id: 'a', nodes: ['a', 'b'] }), { type: 'nope', now: 0 } as never)).toThrow(InvalidCommandError);
  });
});
