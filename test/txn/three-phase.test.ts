import { describe, expect, it } from 'vitest';
import { checkedStep } from 'distkit/core';
import {
  participantPhase,
  threePhaseCoordinator,
  threePhaseCoordinatorDecision,
  threePhaseParticipant,
  twoPhaseCoordinator,
  twoPhaseParticipant,
  type ThreePhaseCoordinatorState,
  type ThreePhaseParticipantState,
  type TwoPhaseParticipantState,
} from 'distkit/txn';
import { World, type CrashPoint, type WorldOptions } from './world.js';

const PARTS = ['a', 'b', 'd'];
const msg = (from: string, message: unknown, now = 0) => ({ type: 'message' as const, from, message, now });

function threeWorld(opts: WorldOptions = {}, votes: Record<string, 'yes' | 'no'> = {}): World {
  const w = new World({ minDelayMs: 10, maxDelayMs: 10, ...opts });
  w.add('c', threePhaseCoordinator, { id: 'c', timeoutMs: 200 });
  for (const p of PARTS) w.add(p, threePhaseParticipant, { id: p, timeoutMs: 200, autoVote: votes[p] ?? 'yes' });
  w.schedule(0, 'c', { type: 'begin', txId: 't', participants: PARTS });
  return w;
}

function twoWorld(opts: WorldOptions = {}): World {
  const w = new World({ minDelayMs: 10, maxDelayMs: 10, ...opts });
  w.add('c', twoPhaseCoordinator, { id: 'c', voteTimeoutMs: 200, resendIntervalMs: 100 });
  for (const p of PARTS) w.add(p, twoPhaseParticipant, { id: p, decisionTimeoutMs: 200, autoVote: 'yes' });
  w.schedule(0, 'c', { type: 'begin', txId: 't', participants: PARTS });
  return w;
}

function phases(w: World): Record<string, string | undefined> {
  return Object.fromEntries(
    PARTS.map((p) => {
      const st = w.state<ThreePhaseParticipantState | TwoPhaseParticipantState>(p);
      return [p, 'decided' in st ? participantPhase(st, 't') : st.txs.t?.phase];
    }),
  );
}

function agreementProblem(w: World): string | undefined {
  const ds = new Set<string>();
  for (const o of w.outputs) if (o.output.type === 'decided') ds.add(o.output.decision);
  for (const ph of Object.values(phases(w))) {
    if (ph === 'committed') ds.add('commit');
    if (ph === 'aborted') ds.add('abort');
  }
  return ds.size > 1 ? `both committed and aborted: ${JSON.stringify(phases(w))}` : undefined;
}

// The coordinator's step at which the last YES vote arrives: begin (0), then three votes (1–3).
const LAST_VOTE_STEP = 3;

describe('Skeen §4: three phases', () => {
  it('CanCommit, votes, PreCommit, acks, DoCommit', () => {
    const w = threeWorld();
    w.run(10_000);
    expect(phases(w)).toEqual({ a: 'committed', b: 'committed', d: 'committed' });
    const kinds = w.trace.filter((e) => e.kind === 'send').map((e) => (e.data as { type: string }).type);
    expect([...new Set(kinds)]).toEqual(['canCommit', 'vote', 'preCommit', 'preCommitAck', 'decision']);
    expect(threePhaseCoordinatorDecision(w.state<ThreePhaseCoordinatorState>('c'), 't')).toBe('commit');
  });
  it('a NO vote aborts', () => {
    const w = threeWorld({}, { b: 'no' });
    w.run(10_000);
    expect(phases(w)).toEqual({ a: 'aborted', b: 'aborted', d: 'aborted' });
  });
  it('participant persists uncertain before YES and precommitted before the ack', () => {
    let s = threePhaseParticipant.init({ id: 'a', autoVote: 'yes' });
    let t = checkedStep(threePhaseParticipant, s, msg('c', { type: 'canCommit', txId: 't', participants: ['a', 'b'] }));
    expect(t.outputs.map((o) => o.type)).toEqual(['persist', 'send']);
    s = t.state;
    t = checkedStep(threePhaseParticipant, s, msg('c', { type: 'preCommit', txId: 't', round: 0 }));
    expect(t.outputs).toMatchObject([{ type: 'persist', record: [{ phase: 'precommitted' }] }, { type: 'send', message: { type: 'preCommitAck' } }]);
  });
});

describe('timers start from the time on the input that starts them', () => {
  // Skeen's termination protocol is safe only if a timeout means the coordinator failed. A timer
  // started from the stale `now` of an idle machine would fire at once and run a termination
  // round beside a live coordinator (a regression: such transactions used to abort at once).
  it('an uncertain participant idle for 10 s waits its whole timeout before a termination round', () => {
    let s = threePhaseParticipant.step(threePhaseParticipant.init({ id: 'a', autoVote: 'yes', timeoutMs: 200 }), { type: 'tick', now: 0 }).state;
    s = checkedStep(threePhaseParticipant, s, msg('c', { type: 'canCommit', txId: 't', participants: ['a', 'b'] }, 10_000)).state;
    expect(threePhaseParticipant.nextDeadline!(s)).toBe(10_200);
    const t = checkedStep(threePhaseParticipant, s, { type: 'tick', now: 10_199 });
    expect(t.outputs).toEqual([]);
  });
  it('a transaction begun after a long idle period commits', () => {
    const w = threeWorld();
    for (const n of ['c', ...PARTS]) w.input(n, { type: 'tick' });
    w.run(9_000);
    w.schedule(10_000, 'c', { type: 'begin', txId: 'late', participants: PARTS });
    w.run(30_000);
    const latePhases = PARTS.map((p) => w.state<ThreePhaseParticipantState>(p).txs.late?.phase);
    expect(latePhases).toEqual(['committed', 'committed', 'committed']);
    expect(threePhaseCoordinatorDecision(w.state<ThreePhaseCoordinatorState>('c'), 'late')).toBe('commit');
  });
});

describe('where 2PC blocks and 3PC does not: coordinator crash after all YES votes', () => {
  for (const mode of ['beforePersist', 'afterPersist'] as const) {
    it(`2PC: every participant stays in doubt while the coordinator is down (${mode})`, () => {
      const w = twoWorld({ crashes: [{ node: 'c', step: LAST_VOTE_STEP, mode, downMs: Infinity }] });
      w.run(30_000);
      expect(w.node('c').up).toBe(false);
      // All prepared: the cooperative termination protocol cannot decide (BHG §7.4).
      expect(phases(w)).toEqual({ a: 'prepared', b: 'prepared', d: 'prepared' });
      expect(w.emitted('a', 'decided')).toEqual([]);
    });
  }
  it('2PC: once the coordinator recovers, the participants learn the logged decision', () => {
    const w = twoWorld({ crashes: [{ node: 'c', step: LAST_VOTE_STEP, mode: 'afterPersist', downMs: 5_000 }] });
    w.run(30_000);
    expect(phases(w)).toEqual({ a: 'committed', b: 'committed', d: 'committed' });
  });
  it('3PC: the participants terminate without the coordinator (all uncertain → abort)', () => {
    const w = threeWorld({ crashes: [{ node: 'c', step: LAST_VOTE_STEP, mode: 'beforePersist', downMs: Infinity }] });
    w.run(30_000);
    expect(w.node('c').up).toBe(false);
    expect(phases(w)).toEqual({ a: 'aborted', b: 'aborted', d: 'aborted' });
  });
  it('3PC: crashed after sending PreCommit, the participants terminate with commit', () => {
    const w = threeWorld({ crashes: [{ node: 'c', step: LAST_VOTE_STEP, mode: 'afterSend', downMs: Infinity }] });
    w.run(30_000);
    expect(phases(w)).toEqual({ a: 'committed', b: 'committed', d: 'committed' });
  });
  it('3PC: PreCommit reached one participant only; the backup brings the others along and commits', () => {
    const w = threeWorld({ crashes: [{ node: 'c', step: LAST_VOTE_STEP, mode: 'afterSend', downMs: Infinity }] });
    w.run(25);
    // The PreCommits to b and d are in flight; cut them.
    w.partition(['c'], ['b', 'd']);
    w.run(30_000);
    expect(phases(w)).toEqual({ a: 'committed', b: 'committed', d: 'committed' });
  });
});

describe('3PC is not safe under network partitions (known limitation, Skeen 1981 assumes none)', () => {
  it('coordinator and a on one side, b and d on the other: a commits while b and d abort', () => {
    const w = threeWorld();
    w.run(25); // votes are in; PreCommit is on its way
    w.partition(['c', 'a'], ['b', 'd']);
    w.run(30_000);
    expect(phases(w)).toEqual({ a: 'committed', b: 'aborted', d: 'aborted' });
    expect(agreementProblem(w)).toMatch(/both committed and aborted/);
  });
});

describe('3PC under single crashes at every coordinator and participant step (no partitions)', () => {
  it('agreement holds and everyone decides', () => {
    const base = threeWorld();
    base.run(10_000);
    const points: CrashPoint[] = [];
    for (const node of ['c', ...PARTS]) {
      for (let step = 0; step < base.node(node).steps; step++) {
        for (const mode of ['beforePersist', 'afterPersist', 'afterSend'] as const) points.push({ node, step, mode, downMs: 2_000 });
      }
    }
    expect(points.length).toBeGreaterThan(30);
    for (const p of points) {
      const w = threeWorld({ crashes: [p] });
      w.run(60_000);
      expect(agreementProblem(w), JSON.stringify(p)).toBeUndefined();
      for (const [n, ph] of Object.entries(phases(w))) expect([undefined, 'committed', 'aborted'], `${n} ${JSON.stringify(p)}`).toContain(ph);
    }
  });
});

describe('3PC hostile messages', () => {
  it('rejects rounds led by the wrong node, strangers and conflicting decisions', () => {
    let s = threePhaseParticipant.init({ id: 'a', autoVote: 'yes' });
    s = threePhaseParticipant.step(s, msg('c', { type: 'canCommit', txId: 't', participants: ['a', 'b', 'd'] })).state;
    const hostile: [string, unknown][] = [
      ['d', { type: 'stateReq', txId: 't', round: 1 }], // round 1 is led by a
      ['x', { type: 'preCommit', txId: 't', round: 0 }],
      ['b', { type: 'preCommit', txId: 't', round: 0 }],
      ['x', { type: 'decision', txId: 't', decision: 'commit' }],
      ['b', { type: 'stateReport', txId: 't', round: 1, phase: 'committed' }],
      ['c', { type: 'vote', txId: 't', vote: 'yes' }],
      ['c', { type: 'preCommit', txId: 't', round: -1 }],
    ];
    for (const [from, m] of hostile) {
      const t = checkedStep(threePhaseParticipant, s, msg(from, m));
      expect(t.state, JSON.stringify(m)).toBe(s);
      expect(t.outputs.map((o) => o.type)).toEqual(['rejected']);
    }
    const committed = threePhaseParticipant.step(s, msg('c', { type: 'decision', txId: 't', decision: 'commit' })).state;
    const t = checkedStep(threePhaseParticipant, committed, msg('b', { type: 'decision', txId: 't', decision: 'abort' }));
    expect(t.state).toBe(committed);
    let c = threePhaseCoordinator.step(threePhaseCoordinator.init({ id: 'c' }), { type: 'begin', txId: 't', participants: ['a', 'b'], now: 0 }).state;
    for (const [from, m] of [
      ['x', { type: 'vote', txId: 't', vote: 'yes' }],
      ['a', { type: 'vote', txId: 'zz', vote: 'yes' }],
      ['a', { type: 'preCommitAck', txId: 't', round: 0 }],
      ['a', { type: 'stateReq', txId: 't', round: 1 }],
    ] as [string, unknown][]) {
      const r = checkedStep(threePhaseCoordinator, c, msg(from, m));
      expect(r.state).toBe(c);
    }
    c = threePhaseCoordinator.step(c, msg('a', { type: 'vote', txId: 't', vote: 'yes' })).state;
    expect(checkedStep(threePhaseCoordinator, c, msg('a', { type: 'vote', txId: 't', vote: 'yes' })).outputs[0]).toMatchObject({ type: 'rejected' });
  });
});
