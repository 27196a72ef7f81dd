import { describe, expect, it } from 'vitest';
import { ConfigError } from 'distkit/core';
import { fastPaxos, fastPaxosMightBeChosen, fastPaxosPickValue, type FastPaxosBallot, type FastPaxosConfig, type FastPaxosVote } from 'distkit/consensus';
import { Net } from './net.js';

const ACC = ['a', 'b', 'c', 'd'];
const cfg = (id: string): FastPaxosConfig => ({ id, acceptors: ACC, coordinators: ['a'], proposers: ['p', 'q'], learners: [...ACC, 'p', 'q'], seed: 1 });
function opened(): Net<ReturnType<typeof fastPaxos.init>> {
  const net = new Net(fastPaxos, Object.fromEntries([...ACC, 'p', 'q'].map((id) => [id, cfg(id)])));
  net.tick('a', 0); // the coordinator opens fast round (1, a): prepare, promises, any
  net.run();
  return net;
}
const k: FastPaxosBallot = { round: 1, node: 'c', recovery: false };
const fastVote = (value: unknown): FastPaxosVote => ({ ballot: k, fast: true, value });

describe('Fast Paxos (Lamport 2006)', () => {
  it('default quorums: fast ⌈3N/4⌉, classic a majority (FP §3.4.1)', () => {
    const q = (n: number) => {
      const s = fastPaxos.init({ id: 'x', acceptors: Array.from({ length: n }, (_, i) => `n${i}`) });
      return [s.fastQuorum, s.classicQuorum];
    };
    expect([3, 4, 5, 7].map(q)).toEqual([[3, 2], [3, 3], [4, 3], [6, 4]]);
    expect(() => fastPaxos.init({ id: 'x', acceptors: ACC, fastQuorum: 2 })).toThrow(ConfigError);
    expect(() => fastPaxos.init({ id: 'x', acceptors: ACC, classicQuorum: 2 })).toThrow(/classicQuorum/);
  });

  it('§3.1 fast path: a proposer sends to the acceptors and learners learn from their votes, without the coordinator', () => {
    const net = opened();
    expect(net.states.b!.acceptor!.anyBallot).toEqual({ round: 1, node: 'a', recovery: false });
    net.input('p', { type: 'propose', value: 'x' });
    // Two message delays: propose -> acceptors, accepted -> learners. Nothing from the coordinator.
    net.run((e) => e.message.type === 'propose' && e.to !== 'a');
    net.run((e) => e.message.type === 'accepted' && e.to !== 'a');
    for (const id of ['b', 'c', 'd', 'p', 'q']) expect(net.states[id]!.learner!.decided).toEqual({ value: 'x' });
  });

  it('§3.2 collision: the coordinator detects it and recovers with a classic round that reuses the fast votes', () => {
    const net = opened();
    net.input('p', { type: 'propose', value: 'x' });
    net.input('q', { type: 'propose', value: 'y' });
    // a and b see x first, c and d see y first: a 2-2 split, no fast quorum of 3 possible.
    net.run((e) => e.message.type === 'propose' && ((e.from === 'p' && (e.to === 'a' || e.to === 'b')) || (e.from === 'q' && (e.to === 'c' || e.to === 'd'))));
    net.drop((e) => e.message.type === 'propose');
    net.run();
    const collision = net.events.a!.find((e) => e.type === 'collision');
    expect(collision).toEqual({ type: 'collision', ballot: { round: 1, node: 'a', recovery: false }, recovery: { round: 1, node: 'a', recovery: true } });
    const decided = net.states.b!.learner!.decided;
    expect(['x', 'y']).toContain(decided?.value);
    for (const id of [...ACC, 'p', 'q']) expect(net.states[id]!.learner!.decided).toEqual(decided);
    // No new phase 1 was needed: round (1, a, recovery) followed at once.
    expect(net.states.a!.coordinator!.usedRound).toBe(1);
  });

  describe('the phase-2a rule with O4(v) (FP §3.1)', () => {
    it('no vote reported: free', () => {
      expect(fastPaxosPickValue({ a: null, b: null, c: null }, 4, 3)).toEqual({ free: true });
    });
    it('the highest round wins over lower ones; a classic round has one value', () => {
      const lower = { ballot: { round: 1, node: 'a', recovery: false }, fast: true, value: 'old' };
      const classic = { ballot: { round: 1, node: 'a', recovery: true }, fast: false, value: 'new' };
      expect(fastPaxosPickValue({ a: lower, b: classic, c: lower }, 4, 3)).toEqual({ free: false, value: 'new' });
    });
    it('N = 4, fast quorum 3, |Q| = 3: a value reported twice might have been chosen (2 >= 3 + 3 - 4) and must be picked', () => {
      expect(fastPaxosPickValue({ a: fastVote('y'), b: fastVote('x'), c: fastVote('x') }, 4, 3)).toEqual({ free: false, value: 'x' });
      expect(fastPaxosMightBeChosen(2, 3, 4, 3)).toBe(true);
      expect(fastPaxosMightBeChosen(1, 3, 4, 3)).toBe(false);
    });
    it('N = 5, fast quorum 4, |Q| = 3: O4 needs 2 reports; with |Q| = 4 it needs 3', () => {
      expect(fastPaxosMightBeChosen(2, 3, 5, 4)).toBe(true);
      expect(fastPaxosMightBeChosen(2, 4, 5, 4)).toBe(false);
      expect(fastPaxosPickValue({ a: fastVote('y'), b: fastVote('x'), c: fastVote('x') }, 5, 4)).toEqual({ free: false, value: 'x' });
      // |Q| = 4 with a 2-2 split: neither might have been chosen; the rule may pick either (ties by JSON).
      expect(fastPaxosPickValue({ a: fastVote('y'), b: fastVote('x'), c: fastVote('x'), d: fastVote('y') }, 5, 4)).toEqual({ free: false, value: 'x' });
    });
    it('exhaustively, for N = 4 and 5: whenever a value could have been chosen in k, the rule picks it', () => {
      // Enumerate every assignment of votes in fast round k to N acceptors (values x, y or none)
      // where some value got a fast quorum, and every classic quorum Q: the pick must be that value.
      for (const n of [4, 5]) {
        const fq = Math.ceil((3 * n) / 4);
        const cq = Math.floor(n / 2) + 1;
        const ids = Array.from({ length: n }, (_, i) => `n${i}`);
        for (let code = 0; code < 3 ** n; code++) {
          const votes = ids.map((_, i) => Math.floor(code / 3 ** i) % 3); // 0 none, 1 x, 2 y
          const chosen = [1, 2].find((v) => votes.filter((x) => x === v).length >= fq);
          if (chosen === undefined) continue;
          for (let mask = 0; mask < 1 << n; mask++) {
            const q = ids.filter((_, i) => mask & (1 << i));
            if (q.length < cq) continue;
            const reports = Object.fromEntries(q.map((id) => [id, votes[ids.indexOf(id)] === 0 ? null : fastVote(votes[ids.indexOf(id)] === 1 ? 'x' : 'y')]));
            expect(fastPaxosPickValue(reports, n, fq), `n=${n} votes=${votes} Q=${q}`).toEqual({ free: false, value: chosen === 1 ? 'x' : 'y' });
          }
        }
      }
    });
  });

  it('a recovered acceptor keeps its promise and vote', () => {
    const net = opened();
    net.input('p', { type: 'propose', value: 'x' });
    net.run((e) => e.to === 'b' && e.message.type === 'propose');
    const d = fastPaxos.durable(net.states.b!);
    expect(d.vote).toMatchObject({ fast: true, value: 'x' });
    const r = fastPaxos.recover(cfg('b'), JSON.parse(JSON.stringify(d)));
    const t = fastPaxos.step(r, { type: 'message', from: 'a', message: { type: 'prepare', ballot: { round: 2, node: 'a', recovery: false } }, now: 0 });
    expect(t.outputs.at(-1)).toMatchObject({ type: 'send', to: 'a', message: { type: 'promise', vote: { value: 'x' } } });
  });
});
