import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, InvalidCommandError, checkedStep } from 'distkit/core';
import {
  applyCoordinatorRecord,
  applyParticipantRecord,
  participantPhase,
  twoPhaseCoordinator,
  twoPhaseParticipant,
  type CoordinatorDurable,
  type CoordinatorLogRecord,
  type ParticipantDurable,
  type ParticipantLogRecord,
  type TwoPhaseCoordinatorState,
  type TwoPhaseParticipantState,
} from 'distkit/txn';
import {
  MIXED,
  allCrashPoints,
  atomicityProblem,
  expectSafeAndDone,
  runTwoPhase,
  stepCounts,
  terminationProblem,
  twoPhaseWorld,
  type Scenario,
} from './two-phase-helpers.js';
import { World } from './world.js';

const C = twoPhaseCoordinator;
const P = twoPhaseParticipant;
const msg = (from: string, message: unknown, now = 0) => ({ type: 'message' as const, from, message, now });

function types(outputs: readonly { type: string }[]): string[] {
  return outputs.map((o) => o.type);
}

describe('config', () => {
  it('rejects bad options naming the field', () => {
    expect(() => C.init({ id: '' })).toThrow(ConfigError);
    expect(() => C.init({ id: 'c', voteTimeoutMs: -1 })).toThrow(/voteTimeoutMs/);
    expect(() => P.init({ id: 'a', decisionTimeoutMs: 0 })).toThrow(/decisionTimeoutMs/);
    expect(() => P.init({ id: 'a', autoVote: 'maybe' as never })).toThrow(/autoVote/);
  });
  it('rejects bad begin commands as programming errors', () => {
    const s = C.init({ id: 'c' });
    expect(() => C.step(s, { type: 'begin', txId: 't', participants: [], now: 0 })).toThrow(InvalidCommandError);
    expect(() => C.step(s, { type: 'begin', txId: 't', participants: ['a', 'a'], now: 0 })).toThrow(InvalidCommandError);
    expect(() => C.step(s, { type: 'begin', txId: 't', participants: ['c'], now: 0 })).toThrow(InvalidCommandError);
    const t = C.step(s, { type: 'begin', txId: 't', participants: ['a'], now: 0 });
    expect(() => C.step(t.state, { type: 'begin', txId: 't', participants: ['a'], now: 0 })).toThrow(/already in progress/);
  });
});

describe('BHG §7.3: the basic protocol', () => {
  it('coordinator logs begin before prepare, decision before sending it, end after all acks', () => {
    let s = C.init({ id: 'c' });
    let t = checkedStep(C, s, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
    expect(types(t.outputs)).toEqual(['persist', 'send', 'send']);
    s = t.state;
    t = checkedStep(C, s, msg('a', { type: 'vote', txId: 't1', vote: 'yes' }));
    expect(t.outputs).toEqual([]);
    t = checkedStep(C, t.state, msg('b', { type: 'vote', txId: 't1', vote: 'yes' }));
    expect(types(t.outputs)).toEqual(['persist', 'send', 'send', 'decided']);
    expect(t.outputs[0]).toMatchObject({ record: [{ kind: 'decision', decision: 'commit', recipients: ['a', 'b'] }] });
    t = checkedStep(C, t.state, msg('a', { type: 'ack', txId: 't1' }));
    expect(t.outputs).toEqual([]);
    t = checkedStep(C, t.state, msg('b', { type: 'ack', txId: 't1' }));
    expect(types(t.outputs)).toEqual(['persist', 'ended']);
    expect(t.state.txs).toEqual({});
  });

  it('participant forces its prepared record before the YES vote, and its decision before the ack', () => {
    const s = P.init({ id: 'a', autoVote: 'yes' });
    let t = checkedStep(P, s, msg('c', { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: { k: 1 } }));
    expect(t.outputs).toEqual([
      { type: 'persist', record: [{ kind: 'prepared', txId: 't1', coordinator: 'c', participants: ['a', 'b'] }] },
      { type: 'send', to: 'c', message: { type: 'vote', txId: 't1', vote: 'yes' } },
    ]);
    t = checkedStep(P, t.state, msg('c', { type: 'decision', txId: 't1', decision: 'commit', ack: true }));
    expect(types(t.outputs)).toEqual(['persist', 'decided', 'send']);
    expect(participantPhase(t.state, 't1')).toBe('committed');
  });

  it('any NO vote aborts at once', () => {
    let s = C.step(C.init({ id: 'c' }), { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 }).state;
    const t = checkedStep(C, s, msg('b', { type: 'vote', txId: 't1', vote: 'no' }));
    expect(t.outputs.find((o) => o.type === 'decided')).toEqual({ type: 'decided', txId: 't1', decision: 'abort' });
    // The abort goes to a (not voted), not to b (voted NO, already aborted).
    expect(t.outputs.filter((o) => o.type === 'send').map((o) => (o as { to: string }).to)).toEqual(['a']);
    s = t.state;
    expect(s.txs.t1?.awaiting).toEqual(['a']);
  });

  it('a coordinator that misses a vote aborts at the vote timeout, re-sending prepare meanwhile', () => {
    let s = C.step(C.init({ id: 'c', voteTimeoutMs: 300, resendIntervalMs: 100 }), { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 }).state;
    expect(C.nextDeadline!(s)).toBe(100); // the timers start at the begin command's time
    s = C.step(s, msg('a', { type: 'vote', txId: 't1', vote: 'yes' })).state;
    expect(C.nextDeadline!(s)).toBe(100);
    let t = C.step(s, { type: 'tick', now: 100 });
    expect(t.outputs).toEqual([{ type: 'send', to: 'b', message: { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null } }]);
    t = C.step(t.state, { type: 'tick', now: 300 });
    expect(t.outputs.find((o) => o.type === 'decided')).toMatchObject({ decision: 'abort' });
  });

  it('a participant that has not voted may abort unilaterally; a later prepare gets NO', () => {
    let s = P.init({ id: 'a' });
    let t = checkedStep(P, s, msg('c', { type: 'prepare', txId: 't1', participants: ['a'], payload: null }));
    expect(types(t.outputs)).toEqual(['voteRequested']);
    t = checkedStep(P, t.state, { type: 'abort', txId: 't1', now: 0 });
    expect(types(t.outputs)).toEqual(['persist', 'decided', 'send']);
    s = t.state;
    t = checkedStep(P, s, msg('c', { type: 'prepare', txId: 't1', participants: ['a'], payload: null }));
    expect(t.outputs).toEqual([{ type: 'send', to: 'c', message: { type: 'vote', txId: 't1', vote: 'no' } }]);
    // Voting after the unilateral abort is a race, reported, not thrown.
    expect(types(checkedStep(P, s, { type: 'vote', txId: 't1', vote: 'yes', now: 0 }).outputs)).toEqual(['rejected']);
  });

  it('aborting after a YES vote is a local programming error', () => {
    const s = P.step(P.init({ id: 'a', autoVote: 'yes' }), msg('c', { type: 'prepare', txId: 't1', participants: ['a'], payload: null })).state;
    expect(() => P.step(s, { type: 'abort', txId: 't1', now: 0 })).toThrow(InvalidCommandError);
  });

  it('a vote given before prepare is used when prepare arrives', () => {
    let s = P.init({ id: 'a' });
    s = checkedStep(P, s, { type: 'vote', txId: 't1', vote: 'no', now: 0 }).state;
    const t = checkedStep(P, s, msg('c', { type: 'prepare', txId: 't1', participants: ['a'], payload: null }));
    expect(t.outputs.find((o) => o.type === 'send')).toMatchObject({ message: { vote: 'no' } });
  });
});

describe('timers start from the time on the input that starts them', () => {
  // A machine has no deadline while idle, so its host sends no tick; a transaction begun then must
  // still get its full vote timeout (a regression: it used to abort at once after an idle period).
  it('a coordinator idle for 10 s gives a new transaction its whole vote timeout', () => {
    let s = C.step(C.init({ id: 'c', voteTimeoutMs: 300, resendIntervalMs: 100 }), { type: 'tick', now: 0 }).state;
    s = checkedStep(C, s, { type: 'begin', txId: 't1', participants: ['a'], now: 10_000 }).state;
    expect(C.nextDeadline!(s)).toBe(10_100);
    let t = checkedStep(C, s, { type: 'tick', now: 10_100 });
    expect(types(t.outputs)).toEqual(['send']); // a re-sent prepare, no abort
    t = checkedStep(C, t.state, msg('a', { type: 'vote', txId: 't1', vote: 'yes' }, 10_200));
    expect(t.outputs.find((o) => o.type === 'decided')).toEqual({ type: 'decided', txId: 't1', decision: 'commit' });
  });
  it('a participant idle for 10 s waits its whole decision timeout before asking', () => {
    let s = P.init({ id: 'a', autoVote: 'yes', decisionTimeoutMs: 100 });
    s = P.step(s, msg('c', { type: 'prepare', txId: 't1', participants: ['a'], payload: null }, 10_000)).state;
    expect(P.nextDeadline!(s)).toBe(10_100);
    const t = checkedStep(P, s, { type: 'tick', now: 10_099 });
    expect(t.outputs).toEqual([]);
  });
});

describe('BHG §7.4: termination and recovery', () => {
  function prepared(id: string, parts: string[]): TwoPhaseParticipantState {
    const s = P.step(P.init({ id, autoVote: 'yes', decisionTimeoutMs: 100 }), msg('c', { type: 'prepare', txId: 't1', participants: parts, payload: null })).state;
    return s;
  }
  it('an in-doubt participant asks the coordinator first, then every participant', () => {
    const s = prepared('a', ['a', 'b', 'd']);
    expect(P.nextDeadline!(s)).toBe(100);
    let t = P.step(s, { type: 'tick', now: 100 });
    expect(t.outputs.map((o) => (o as { to: string }).to)).toEqual(['c']);
    t = P.step(t.state, { type: 'tick', now: 200 });
    expect(t.outputs.map((o) => (o as { to: string }).to)).toEqual(['c', 'b', 'd']);
  });
  it('a peer that knows the outcome tells it; a peer that has not voted aborts and says ABORT', () => {
    const b = P.step(P.init({ id: 'b' }), msg('c', { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null })).state;
    const t = checkedStep(P, b, msg('a', { type: 'query', txId: 't1' }));
    expect(participantPhase(t.state, 't1')).toBe('aborted');
    expect(t.outputs.at(-1)).toEqual({ type: 'send', to: 'a', message: { type: 'decision', txId: 't1', decision: 'abort', ack: false } });
    const a = checkedStep(P, prepared('a', ['a', 'b']), msg('b', { type: 'decision', txId: 't1', decision: 'abort', ack: false }));
    expect(participantPhase(a.state, 't1')).toBe('aborted');
    expect(types(a.outputs)).toEqual(['persist', 'decided']);
  });
  it('a prepared peer cannot help: all prepared and coordinator down = blocked', () => {
    const t = checkedStep(P, prepared('b', ['a', 'b']), msg('a', { type: 'query', txId: 't1' }));
    expect(t.outputs).toEqual([]);
  });
  it('a participant recovering with a prepared record is in doubt and asks at once', () => {
    const s = prepared('a', ['a', 'b']);
    const r = P.recover({ id: 'a' }, P.durable(s));
    expect(participantPhase(r, 't1')).toBe('prepared');
    expect(P.nextDeadline!(r)).toBe(Number.MIN_SAFE_INTEGER); // due whatever the host's clock reads
    expect(P.step(r, { type: 'tick', now: 5 }).outputs).toEqual([{ type: 'send', to: 'c', message: { type: 'query', txId: 't1' } }]);
  });
  it('a coordinator recovering with begin but no decision aborts; with a decision re-sends it', () => {
    const s1 = C.step(C.init({ id: 'c' }), { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 }).state;
    const r1 = C.recover({ id: 'c' }, C.durable(s1));
    const t1 = C.step(r1, { type: 'tick', now: 5 });
    expect(t1.outputs.find((o) => o.type === 'decided')).toMatchObject({ decision: 'abort' });
    let s2 = s1;
    s2 = C.step(s2, msg('a', { type: 'vote', txId: 't1', vote: 'yes' })).state;
    s2 = C.step(s2, msg('b', { type: 'vote', txId: 't1', vote: 'yes' })).state;
    const r2 = C.recover({ id: 'c' }, JSON.parse(JSON.stringify(C.durable(s2))) as CoordinatorDurable);
    const t2 = C.step(r2, { type: 'tick', now: 5 });
    expect(t2.outputs.filter((o) => o.type === 'send').map((o) => (o as { message: unknown }).message)).toEqual([
      { type: 'decision', txId: 't1', decision: 'commit', ack: true },
      { type: 'decision', txId: 't1', decision: 'commit', ack: true },
    ]);
  });
});

describe('BHG §7.4 cooperative termination with the coordinator down for good', () => {
  function world(autoVotes: Record<string, 'yes' | undefined>): World {
    const w = new World({ minDelayMs: 5, maxDelayMs: 5 });
    w.add('c', C, { id: 'c', voteTimeoutMs: 1000, resendIntervalMs: 1000 });
    for (const p of ['a', 'b', 'd']) w.add(p, P, { id: p, decisionTimeoutMs: 100, ...(autoVotes[p] ? { autoVote: autoVotes[p] } : {}) });
    w.schedule(0, 'c', { type: 'begin', txId: 't', participants: ['a', 'b', 'd'] });
    return w;
  }
  it('a participant that learned COMMIT before the crash tells the in-doubt ones', () => {
    const w = world({ a: 'yes', b: 'yes', d: 'yes' });
    // The decision reaches a only; then the coordinator is gone.
    w.run(12);
    w.partition(['c'], ['b', 'd']);
    w.run(16);
    w.crash('c');
    w.heal();
    w.run(5_000);
    expect(['a', 'b', 'd'].map((p) => participantPhase(w.state<TwoPhaseParticipantState>(p), 't'))).toEqual(['committed', 'committed', 'committed']);
    expect(w.trace.some((e) => e.kind === 'deliver' && e.from === 'a' && e.to === 'b' && (e.data as { type: string }).type === 'decision')).toBe(true);
  });
  it('a participant whose host has not voted aborts when asked, and the in-doubt ones abort too', () => {
    const w = world({ a: 'yes', b: 'yes' }); // d's host never answers its voteRequested
    w.run(11);
    w.crash('c');
    w.run(5_000);
    expect(['a', 'b', 'd'].map((p) => participantPhase(w.state<TwoPhaseParticipantState>(p), 't'))).toEqual(['aborted', 'aborted', 'aborted']);
  });
});

describe('R* optimizations: presumed abort and read-only', () => {
  function count(sc: Scenario): { messages: number; persists: number } {
    const w = runTwoPhase(sc);
    expectSafeAndDone(w, sc, JSON.stringify(sc));
    const messages = w.trace.filter((e) => e.kind === 'send').length;
    let persists = 0;
    for (const id of w.order) persists += w.node(id).records.length;
    return { messages, persists };
  }
  it('presumed abort saves the begin record, the abort record, and the abort acks', () => {
    const abortTx = { txs: { t: ['a', 'b', 'n'] } };
    const pn = count({ presumedAbort: false, ...abortTx });
    const pa = count({ presumedAbort: true, ...abortTx });
    // Presumed nothing: 3 prepare + 3 votes + 2 aborts + 2 acks = 10 messages.
    expect(pn.messages).toBe(10);
    // Presumed abort: no acks for the abort.
    expect(pa.messages).toBe(8);
    // Coordinator: begin + decision + end vs nothing.
    expect(pn.persists - pa.persists).toBe(3);
  });
  it('a read-only participant skips phase two: 2 messages and 1 log write saved per read-only voter', () => {
    const full = count({ presumedAbort: false, txs: { t: ['a', 'b'] } });
    const ro = count({ presumedAbort: false, txs: { t: ['a', 'r'] } });
    expect(full.messages).toBe(8); // 2 prepare, 2 votes, 2 commits, 2 acks
    expect(ro.messages).toBe(6);
    expect(full.persists - ro.persists).toBe(2); // r writes neither prepared nor committed
  });
  it('an all-read-only transaction needs no second phase and no coordinator log write', () => {
    const ro = count({ presumedAbort: true, txs: { t: ['r'] } });
    expect(ro).toEqual({ messages: 2, persists: 0 });
  });
  it('presumed abort: a query about an unknown transaction is answered ABORT', () => {
    const t = C.step(C.init({ id: 'c', presumedAbort: true }), msg('a', { type: 'query', txId: 'gone' }));
    expect(t.outputs).toEqual([{ type: 'send', to: 'a', message: { type: 'decision', txId: 'gone', decision: 'abort', ack: false } }]);
  });
});

describe('durability: the persist records rebuild durable(state)', () => {
  for (const presumedAbort of [false, true]) {
    it(`folding every persisted record gives durable(state) (presumedAbort=${presumedAbort})`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
          const w = twoPhaseWorld({ presumedAbort, ...MIXED }, { seed, loss: 0.2, duplicate: 0.2 });
          w.run(20_000);
          const c = w.node('c');
          let cd: CoordinatorDurable = { txs: {} };
          for (const r of c.records as CoordinatorLogRecord[]) cd = applyCoordinatorRecord(cd, r);
          expect(cd).toEqual(C.durable(c.state as TwoPhaseCoordinatorState));
          for (const id of ['a', 'b', 'n', 'r']) {
            const n = w.node(id);
            let pd: ParticipantDurable = { txs: {} };
            for (const r of n.records as ParticipantLogRecord[]) pd = applyParticipantRecord(pd, r);
            expect(pd).toEqual(P.durable(n.state as TwoPhaseParticipantState));
          }
        }),
        { numRuns: 30 },
      );
    });
  }
});

describe('atomicity across every crash point', () => {
  for (const presumedAbort of [false, true]) {
    const sc: Scenario = { presumedAbort, ...MIXED };
    const nodes = ['c', 'a', 'b', 'n', 'r'];
    it(`one crash at every step index of every node, each mode, then recovery (presumedAbort=${presumedAbort})`, () => {
      const base = runTwoPhase(sc);
      expectSafeAndDone(base, sc, 'no crash');
      const points = allCrashPoints(stepCounts(base), nodes);
      expect(points.length).toBeGreaterThan(60);
      for (const p of points) {
        const w = runTwoPhase(sc, { crashes: [p] });
        expectSafeAndDone(w, sc, JSON.stringify(p));
      }
    });
  }
  it('two crashes: every (coordinator step, participant step) pair, coordinator down long', () => {
    const sc: Scenario = { presumedAbort: false, txs: { t1: ['a', 'b'] } };
    const counts = stepCounts(runTwoPhase(sc));
    let runs = 0;
    for (const cp of allCrashPoints(counts, ['c'])) {
      for (const ap of allCrashPoints(counts, ['a'])) {
        const w = runTwoPhase(sc, { crashes: [{ ...cp, downMs: 1000 }, { ...ap, downMs: 300 }] });
        expectSafeAndDone(w, sc, JSON.stringify([cp, ap]));
        runs++;
      }
    }
    expect(runs).toBe(allCrashPoints(counts, ['c']).length * allCrashPoints(counts, ['a']).length);
  });
});

describe('atomicity across crashes during recovery', () => {
  for (const node of ['c', 'a']) {
    it(`node ${node} crashes at every step, then again at every later step (including recovery steps)`, () => {
      const sc: Scenario = { presumedAbort: false, ...MIXED };
      const first = allCrashPoints(stepCounts(runTwoPhase(sc)), [node]);
      let runs = 0;
      for (const p1 of first) {
        const after = runTwoPhase(sc, { crashes: [p1] }).node(node).steps;
        for (let step = p1.step + 1; step < after; step++) {
          for (const mode of ['beforePersist', 'afterPersist', 'afterSend'] as const) {
            const p2 = { node, step, mode };
            const w = runTwoPhase(sc, { crashes: [p1, p2] });
            expectSafeAndDone(w, sc, JSON.stringify([p1, p2]));
            runs++;
          }
        }
      }
      expect(runs).toBeGreaterThan(100);
    });
  }
});

describe('simulated seeds with loss and duplication', () => {
  for (const presumedAbort of [false, true]) {
    it(`200 seeds, 20% loss, 20% duplication, a random crash each (presumedAbort=${presumedAbort})`, () => {
      const sc: Scenario = { presumedAbort, ...MIXED };
      const nodes = ['c', 'a', 'b', 'n', 'r'];
      for (let seed = 1; seed <= 200; seed++) {
        const node = nodes[seed % nodes.length]!;
        const mode = (['beforePersist', 'afterPersist', 'afterSend'] as const)[seed % 3]!;
        const w = runTwoPhase(sc, { seed, loss: 0.2, duplicate: 0.2, crashes: [{ node, step: seed % 7, mode, downMs: 200 + (seed % 5) * 300 }] });
        expect(atomicityProblem(w), `seed ${seed}`).toBeUndefined();
        expect(terminationProblem(w, sc), `seed ${seed}`).toBeUndefined();
      }
    });
  }
});

describe('hostile messages are rejected and never change a decision', () => {
  function committedCoordinator(): TwoPhaseCoordinatorState {
    let s = C.step(C.init({ id: 'c' }), { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 }).state;
    s = C.step(s, msg('a', { type: 'vote', txId: 't1', vote: 'yes' })).state;
    return C.step(s, msg('b', { type: 'vote', txId: 't1', vote: 'yes' })).state;
  }
  it('coordinator: votes for unknown transactions, from strangers, conflicting, duplicate acks, garbage', () => {
    const s = committedCoordinator();
    const hostile: [string, unknown][] = [
      ['a', { type: 'vote', txId: 'nope', vote: 'yes' }],
      ['x', { type: 'vote', txId: 't1', vote: 'no' }],
      ['a', { type: 'vote', txId: 't1', vote: 'no' }],
      ['x', { type: 'ack', txId: 't1' }],
      ['a', { type: 'ack', txId: 'nope' }],
      ['a', { type: 'decision', txId: 't1', decision: 'abort', ack: true }],
      ['a', { type: 'prepare', txId: 't1', participants: ['a'], payload: null }],
      ['a', { type: 'vote', txId: 't1', vote: 'maybe' }],
      ['a', { type: 'vote', txId: 7 }],
      ['a', null],
      ['a', [1, 2]],
      ['x', { type: 'query', txId: 't1' }],
    ];
    for (const [from, m] of hostile) {
      const t = checkedStep(C, s, msg(from, m));
      expect(t.state, JSON.stringify(m)).toBe(s);
      expect(types(t.outputs)).toEqual(['rejected']);
    }
    const acked = C.step(s, msg('a', { type: 'ack', txId: 't1' })).state;
    const dup = checkedStep(C, acked, msg('a', { type: 'ack', txId: 't1' }));
    expect(dup.state).toBe(acked);
    expect(dup.outputs[0]).toMatchObject({ type: 'rejected', reason: 'duplicate ack' });
    expect(acked.txs.t1?.decision).toBe('commit');
  });
  it('participant: decisions from non-coordinators, conflicting decisions, commits it never prepared', () => {
    let s = P.step(P.init({ id: 'a', autoVote: 'yes' }), msg('c', { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null })).state;
    s = P.step(s, msg('c', { type: 'decision', txId: 't1', decision: 'commit', ack: true })).state;
    const hostile: [string, unknown][] = [
      ['x', { type: 'decision', txId: 't1', decision: 'abort', ack: false }],
      ['c', { type: 'decision', txId: 't1', decision: 'abort', ack: true }],
      ['b', { type: 'decision', txId: 't1', decision: 'abort', ack: false }],
      ['x', { type: 'decision', txId: 'other', decision: 'commit', ack: false }],
      ['x', { type: 'prepare', txId: 't1', participants: ['a'], payload: null }],
      ['c', { type: 'prepare', txId: 't9', participants: ['b'], payload: null }],
      ['c', { type: 'vote', txId: 't1', vote: 'yes' }],
      ['c', { type: 'ack', txId: 't1' }],
      ['x', { type: 'query', txId: 't1' }],
      ['c', { type: 'decision', txId: 't1', decision: 'commit' }],
      ['c', 'garbage'],
    ];
    for (const [from, m] of hostile) {
      const t = checkedStep(P, s, msg(from, m));
      expect(t.state, JSON.stringify(m)).toBe(s);
      expect(types(t.outputs), JSON.stringify(m)).toEqual(['rejected']);
    }
    expect(participantPhase(s, 't1')).toBe('committed');
  });
  it('random junk never throws, and never changes a recorded decision', () => {
    const s = committedCoordinator();
    let p = P.step(P.init({ id: 'a', autoVote: 'yes' }), msg('c', { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null })).state;
    p = P.step(p, msg('c', { type: 'decision', txId: 't1', decision: 'commit', ack: true })).state;
    const junk = fc.oneof(
      fc.anything(),
      fc.record({
        type: fc.constantFrom('prepare', 'vote', 'decision', 'ack', 'query'),
        txId: fc.constantFrom('t1', 't2', ''),
        vote: fc.constantFrom('yes', 'no', 'readonly', 'x'),
        decision: fc.constantFrom('commit', 'abort'),
        ack: fc.boolean(),
        participants: fc.constantFrom(['a'], ['a', 'b'], [], ['a', 'a']),
        payload: fc.constant(null),
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom('a', 'b', 'c', 'x'), junk, (from, m) => {
        const tc = checkedStep(C, s, msg(from, m));
        expect(tc.state.txs.t1?.decision ?? 'commit').toBe('commit');
        const tp = checkedStep(P, p, msg(from, m));
        expect(participantPhase(tp.state, 't1')).toBe('committed');
      }),
      { numRuns: 500 },
    );
  });
});
