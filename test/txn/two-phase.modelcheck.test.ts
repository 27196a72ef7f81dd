// 2PC through the project's model checker (distkit/check): a coordinator and two participants,
// every interleaving of deliveries, host votes, timeouts and a crash-and-restart (from durable
// state) of any node at any point, searched to exhaustion. The participants' hosts vote through
// commands, so a vote may come before or after its `prepare`.
import { describe, expect, it } from 'vitest';
import { formatModelCheckPath, modelCheck, type CheckableMachine } from 'distkit/check';
import type { Invariant } from 'distkit/core';
import { commitInvariants, twoPhaseCoordinator, twoPhaseParticipant, type CommitNodeState, type TwoPhaseCoordinatorState, type TwoPhaseParticipantState } from 'distkit/txn';

type Inner = TwoPhaseCoordinatorState | TwoPhaseParticipantState;
interface Budgeted {
  s: Inner;
  ticks: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
// Each node's timer may fire `n` times between restarts: re-sends would otherwise make time, and
// so the state space, unbounded. Crashes are bounded too, so the search stays finite. The budget
// is volatile: a restarted node may time out again (a recovered coordinator must, to re-send).
function withTickBudget(m: any, n: number): CheckableMachine<Budgeted> {
  return {
    name: m.name,
    init: (c) => ({ s: m.init(c), ticks: 0 }),
    step: (st: Budgeted, input: { type: string }) => {
      const t = m.step(st.s, input);
      if (t.state === st.s && input.type !== 'tick') return { state: st, outputs: t.outputs };
      return { state: { s: t.state, ticks: st.ticks + (input.type === 'tick' ? 1 : 0) }, outputs: t.outputs };
    },
    nextDeadline: (st) => (st.ticks < n ? m.nextDeadline(st.s) : undefined),
    durable: (st) => m.durable(st.s),
    recover: (c, d: any) => ({ s: m.recover(c, d), ticks: 0 }),
    applyPersist: (d: any, r: unknown) => m.applyPersist(d, r),
  } as CheckableMachine<Budgeted>;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** distkit/txn's atomicity, over the states inside the tick budget. */
const atomicity: Invariant<Budgeted>[] = commitInvariants().map((inv) => ({
  name: inv.name,
  check: (states, view) => inv.check(Object.fromEntries(Object.entries(states).map(([id, st]) => [id, st.s as CommitNodeState])), view),
}));

function check(presumedAbort: boolean, votes: readonly ['yes' | 'no' | 'abort', 'yes' | 'no' | 'abort'], participant = twoPhaseParticipant) {
  const hostInput = (v: string) => (v === 'abort' ? { type: 'abort', txId: 't' } : { type: 'vote', txId: 't', vote: v });
  return modelCheck<Budgeted>({
    nodes: [
      { id: 'c', machine: withTickBudget(twoPhaseCoordinator, 1), config: { id: 'c', voteTimeoutMs: 100, resendIntervalMs: 50, presumedAbort } },
      // The explored network may hold a message forever, so no finite retention window is sound here.
      { id: 'a', machine: withTickBudget(participant, 1), config: { id: 'a', decisionTimeoutMs: 100, retainDecidedMs: null } },
      { id: 'b', machine: withTickBudget(twoPhaseParticipant, 1), config: { id: 'b', decisionTimeoutMs: 100, retainDecidedMs: null } },
    ],
    commands: [
      { node: 'c', input: { type: 'begin', txId: 't', participants: ['a', 'b'] } },
      { node: 'a', input: hostInput(votes[0]) },
      { node: 'b', input: hostInput(votes[1]) },
    ],
    timeouts: true,
    faults: { crashes: 1 },
    invariants: atomicity,
    maxDepth: 200,
    maxStates: 1_000_000,
  });
}

describe('model check (distkit/check): 2PC, coordinator + 2 participants, one crash anywhere', () => {
  for (const presumedAbort of [false, true]) {
    it(`both vote YES: atomicity in every reachable state, search complete (presumedAbort=${presumedAbort})`, () => {
      const r = check(presumedAbort, ['yes', 'yes']);
      expect(r.violation === undefined ? '' : formatModelCheckPath(r.violation.path)).toBe('');
      expect(r.status).toBe('complete');
      // Recorded run (crashes between steps and between a persist and its sends, restarts from the
      // folded image): presumed nothing 103,214 states / depth 24; presumed abort 58,559 / depth 24.
      expect(r.states).toBeGreaterThan(20_000);
      expect(r.depth).toBeGreaterThanOrEqual(15);
      // Crashes between a persist and its sends triple the space of the earlier checker (about 40 s).
    }, 180_000);
  }
  it('one votes NO, or aborts unilaterally: atomicity holds, search complete', () => {
    for (const votes of [
      ['yes', 'no'],
      ['abort', 'yes'],
    ] as const) {
      const r = check(false, votes);
      expect(r.status, votes.join()).toBe('complete');
      expect(r.states).toBeGreaterThan(1_000);
    }
  }, 180_000);
  it('has teeth: a participant whose prepared record is not durable breaks atomicity after a crash', () => {
    // Its host drops every log record: a restart finds an empty log.
    const forgetful = { ...twoPhaseParticipant, applyPersist: () => ({ txs: {} }) };
    const r = check(false, ['yes', 'yes'], forgetful);
    expect(r.status).toBe('violation');
    expect(r.violation?.invariant).toMatch(/atomicity/);
    expect(r.violation?.path.some((s) => s.kind === 'crash')).toBe(true);
  });
});
