// Hostile peers (ARCHITECTURE.md rule 3): transaction ids are chosen by peers, so they may be named
// like Object.prototype members; opaque payloads may nest without bound; a peer may flood fresh
// ids. None of it may throw, corrupt state, or grow a table past its named limit.
import { describe, expect, it } from 'vitest';
import { InvalidCommandError, MAX_COUNTER, checkedStep } from 'distkit/core';
import {
  DEFAULT_MAX_TRANSACTIONS,
  deadlockDetector,
  edgeChasing,
  participantPhase,
  threePhaseCoordinator,
  threePhaseParticipant,
  twoPhaseCoordinator,
  twoPhaseParticipant,
} from 'distkit/txn';

const PROTO_IDS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
const msg = (from: string, message: unknown, now = 0) => ({ type: 'message' as const, from, message, now });
const types = (outputs: readonly { type: string }[]) => outputs.map((o) => o.type);

function nested(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe('prototype-named transaction ids are plain keys', () => {
  for (const txId of PROTO_IDS) {
    it(`2PC coordinator and participant: vote, query, decision for ${txId} neither throw nor corrupt`, () => {
      const c = twoPhaseCoordinator.init({ id: 'c' });
      for (const m of [
        { type: 'vote', txId, vote: 'yes' },
        { type: 'query', txId },
        { type: 'ack', txId },
      ]) {
        const t = checkedStep(twoPhaseCoordinator, c, msg('a', m));
        expect(t.state === c || types(t.outputs).every((x) => x === 'send')).toBe(true);
      }
      const p = twoPhaseParticipant.init({ id: 'a' });
      for (const m of [
        { type: 'vote', txId, vote: 'yes' },
        { type: 'query', txId },
        { type: 'decision', txId, decision: 'commit', ack: false },
      ]) {
        checkedStep(twoPhaseParticipant, p, msg('c', m));
      }
      // A full run of a transaction named like that commits and is remembered as itself.
      let cs = checkedStep(twoPhaseCoordinator, c, { type: 'begin', txId, participants: ['a'], now: 0 }).state;
      let ps = checkedStep(twoPhaseParticipant, twoPhaseParticipant.init({ id: 'a', autoVote: 'yes' }), msg('c', { type: 'prepare', txId, participants: ['a'], payload: null })).state;
      expect(participantPhase(ps, txId)).toBe('prepared');
      const t = checkedStep(twoPhaseCoordinator, cs, msg('a', { type: 'vote', txId, vote: 'yes' }));
      expect(t.outputs.find((o) => o.type === 'decided')).toEqual({ type: 'decided', txId, decision: 'commit' });
      cs = t.state;
      ps = checkedStep(twoPhaseParticipant, ps, msg('c', { type: 'decision', txId, decision: 'commit', ack: true })).state;
      expect(participantPhase(ps, txId)).toBe('committed');
      expect(Object.getPrototypeOf(ps.txs)).toBe(Object.prototype);
    });

    it(`3PC coordinator and participant: vote, preCommit, decision, query for ${txId} neither throw nor corrupt`, () => {
      const c = threePhaseCoordinator.init({ id: 'c' });
      const p = threePhaseParticipant.init({ id: 'a' });
      for (const m of [
        { type: 'vote', txId, vote: 'yes' },
        { type: 'preCommit', txId, round: 0 },
        { type: 'preCommitAck', txId, round: 0 },
        { type: 'decision', txId, decision: 'commit' },
        { type: 'query', txId },
        { type: 'stateReq', txId, round: 1 },
        { type: 'stateReport', txId, round: 1, phase: 'uncertain' },
      ]) {
        checkedStep(threePhaseCoordinator, c, msg('a', m));
        checkedStep(threePhaseParticipant, p, msg('c', m));
      }
    });
  }

  it("the coordinators' durable() keeps a transaction named __proto__", () => {
    const c2 = twoPhaseCoordinator.step(twoPhaseCoordinator.init({ id: 'c' }), { type: 'begin', txId: '__proto__', participants: ['a'], now: 0 }).state;
    const d2 = twoPhaseCoordinator.durable(c2);
    expect(Object.keys(d2.txs)).toEqual(['__proto__']);
    expect(Object.keys(JSON.parse(JSON.stringify(d2)).txs)).toEqual(['__proto__']);
    const c3 = threePhaseCoordinator.step(threePhaseCoordinator.init({ id: 'c' }), { type: 'begin', txId: '__proto__', participants: ['a'], now: 0 }).state;
    expect(Object.keys(threePhaseCoordinator.durable(c3).txs)).toEqual(['__proto__']);
    // And recovery brings it back.
    const r = twoPhaseCoordinator.recover({ id: 'c' }, JSON.parse(JSON.stringify(d2)));
    expect(Object.keys(r.txs)).toEqual(['__proto__']);
  });

  it('the deadlock detector finds a cycle through a transaction named constructor', () => {
    let d = deadlockDetector.init({ id: 'd', nodes: ['s1'], confirmRounds: 1 });
    d = checkedStep(deadlockDetector, d, { type: 'tick', now: 0 }).state;
    const t = checkedStep(
      deadlockDetector,
      d,
      msg('s1', {
        type: 'graphReport',
        round: 1,
        edges: [
          { waiter: 'constructor', holder: 'toString', id: 'e1' },
          { waiter: 'toString', holder: 'constructor', id: 'e2' },
        ],
      }),
    );
    expect(t.outputs).toEqual([{ type: 'deadlock', cycle: ['constructor', 'toString'], members: ['constructor', 'toString'], victim: 'toString' }]);
  });
});

describe('opaque payloads are bounded and copied', () => {
  it('a 2PC prepare nested 10,000 deep is rejected, not thrown', () => {
    const s = twoPhaseParticipant.init({ id: 'a' });
    const t = checkedStep(twoPhaseParticipant, s, msg('c', { type: 'prepare', txId: 't', participants: ['a'], payload: nested(10_000) }));
    expect(t.state).toBe(s);
    expect(types(t.outputs)).toEqual(['rejected']);
  });
  it('the payload limits are configurable and only the parsed copy is handed on', () => {
    const s = twoPhaseParticipant.init({ id: 'a', payloadLimits: { maxDepth: 2 } });
    expect(types(checkedStep(twoPhaseParticipant, s, msg('c', { type: 'prepare', txId: 't', participants: ['a'], payload: nested(3) })).outputs)).toEqual(['rejected']);
    const payload = { k: [1] };
    const t = checkedStep(twoPhaseParticipant, s, msg('c', { type: 'prepare', txId: 't', participants: ['a'], payload, junk: 'x'.repeat(1000) }));
    const o = t.outputs[0] as { type: string; payload: unknown };
    expect(o).toEqual({ type: 'voteRequested', txId: 't', coordinator: 'c', payload: { k: [1] } });
    expect(o.payload).not.toBe(payload);
    expect(() => twoPhaseParticipant.init({ id: 'a', payloadLimits: { maxBytes: -1 } })).toThrow(/payloadLimits/);
  });
  it('a coordinator refuses a begin payload past its limits as a local error', () => {
    const s = twoPhaseCoordinator.init({ id: 'c', payloadLimits: { maxBytes: 10 } });
    expect(() => twoPhaseCoordinator.step(s, { type: 'begin', txId: 't', participants: ['a'], payload: 'x'.repeat(100), now: 0 })).toThrow(InvalidCommandError);
  });
});

describe('floods of fresh transaction ids stop at a named limit', () => {
  it(`2PC participant: 2,500 prepares with fresh ids keep at most maxTransactions (default ${DEFAULT_MAX_TRANSACTIONS})`, () => {
    let s = twoPhaseParticipant.init({ id: 'a', autoVote: 'yes', maxTransactions: 100 });
    let refused = 0;
    for (let i = 0; i < 2_500; i++) {
      const t = twoPhaseParticipant.step(s, msg('c', { type: 'prepare', txId: `f${i}`, participants: ['a', 'b'], payload: null }, i));
      if (t.outputs[0]?.type === 'rejected') {
        refused++;
        expect((t.outputs[0] as { reason: string }).reason).toMatch(/maxTransactions/);
        expect(t.state).toBe(s);
      }
      s = t.state;
    }
    expect(refused).toBe(2_400);
    expect(Object.keys(s.txs).length).toBe(100);
    expect(JSON.stringify(s).length).toBeLessThan(100 * 200);
  });
  it('2PC participant: aborts for unknown transactions (tombstones) count toward the same limit', () => {
    let s = twoPhaseParticipant.init({ id: 'a', maxTransactions: 50 });
    for (let i = 0; i < 1_000; i++) s = twoPhaseParticipant.step(s, msg('c', { type: 'decision', txId: `f${i}`, decision: 'abort', ack: true }, i)).state;
    expect(JSON.stringify(s).length).toBeLessThan(50 * 200);
  });
  it('3PC participant: 2,500 canCommits with fresh ids keep at most maxTransactions', () => {
    let s = threePhaseParticipant.init({ id: 'a', autoVote: 'yes', maxTransactions: 100 });
    for (let i = 0; i < 2_500; i++) s = threePhaseParticipant.step(s, msg('c', { type: 'canCommit', txId: `f${i}`, participants: ['a', 'b'] }, i)).state;
    expect(Object.keys(s.txs).length).toBe(100);
  });
  it('edge chasing: probes from fresh initiators stop at maxInitiators; seq past MAX_COUNTER is refused', () => {
    let s = edgeChasing.step(edgeChasing.init({ id: 'p1', maxInitiators: 10 }), { type: 'block', on: ['p2'], now: 0 }).state;
    for (let i = 0; i < 100; i++) s = edgeChasing.step(s, msg('p2', { type: 'probe', initiator: `i${i}`, seq: 1, path: [`i${i}`, 'p2'] })).state;
    expect(Object.keys(s.forwarded).length).toBe(10);
    const t = checkedStep(edgeChasing, s, msg('p2', { type: 'probe', initiator: 'i0', seq: MAX_COUNTER + 1, path: ['i0', 'p2'] }));
    expect(types(t.outputs)).toEqual(['rejected']);
  });
});
