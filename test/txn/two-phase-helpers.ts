import { expect } from 'vitest';
import { checkInvariants } from 'distkit/core';
import {
  commitInvariants,
  participantPhase,
  twoPhaseCoordinator,
  twoPhaseParticipant,
  type CommitNodeState,
  type Decision,
  type TwoPhaseCoordinatorState,
  type TwoPhaseParticipantState,
} from 'distkit/txn';
import { World, type CrashPoint, type WorldOptions } from './world.js';

export interface Scenario {
  presumedAbort: boolean;
  /** Transactions: id → participants. */
  txs: Record<string, string[]>;
}

/** Participants: a, b vote yes; n votes no; r votes read-only. */
export const VOTES: Record<string, 'yes' | 'no' | 'readonly'> = { a: 'yes', b: 'yes', d: 'yes', n: 'no', r: 'readonly' };

export const MIXED: Omit<Scenario, 'presumedAbort'> = {
  txs: { t1: ['a', 'b'], t2: ['a', 'b', 'n'], t3: ['a', 'r'] },
};

export function twoPhaseWorld(sc: Scenario, opts: WorldOptions = {}): World {
  const w = new World(opts);
  w.add('c', twoPhaseCoordinator, { id: 'c', voteTimeoutMs: 300, resendIntervalMs: 100, presumedAbort: sc.presumedAbort });
  const parts = new Set(Object.values(sc.txs).flat());
  for (const p of [...parts].sort()) w.add(p, twoPhaseParticipant, { id: p, decisionTimeoutMs: 150, autoVote: VOTES[p] ?? 'yes' });
  let at = 0;
  for (const [txId, participants] of Object.entries(sc.txs)) {
    w.schedule(at, 'c', { type: 'begin', txId, participants });
    at += 3;
  }
  return w;
}

/** Every decision emitted anywhere (coordinator or participants), per transaction. */
export function decisions(w: World): Map<string, Set<Decision>> {
  const m = new Map<string, Set<Decision>>();
  for (const o of w.outputs) {
    if (o.output.type !== 'decided') continue;
    const s = m.get(o.output.txId) ?? new Set<Decision>();
    s.add(o.output.decision);
    m.set(o.output.txId, s);
  }
  return m;
}

/** Atomicity (distkit/txn's): no transaction has both a commit and an abort anywhere (events or durable state). */
export function atomicityProblem(w: World): string | undefined {
  const d = decisions(w);
  // The participants' durable records: what survives whether they are up or not.
  const states: Record<string, CommitNodeState> = {};
  for (const id of w.order) if (id !== 'c') states[id] = twoPhaseParticipant.durable(w.state<TwoPhaseParticipantState>(id)) as unknown as CommitNodeState;
  const events = commitInvariants({ announced: (txId) => d.get(txId) });
  const eventsOnly = [...d].find(([, set]) => set.size > 1);
  if (eventsOnly !== undefined) return `transaction ${eventsOnly[0]} both committed and aborted`;
  return checkInvariants(events, states)?.description;
}

/** Termination: the coordinator forgot everything; every participant that prepared is decided. */
export function terminationProblem(w: World, sc: Scenario): string | undefined {
  const c = w.state<TwoPhaseCoordinatorState>('c');
  if (Object.keys(c.txs).length > 0) return `coordinator still holds ${Object.keys(c.txs).join(',')}`;
  for (const [txId, parts] of Object.entries(sc.txs)) {
    for (const p of parts) {
      if (!w.node(p).up) return `${p} is down`;
      const phase = participantPhase(w.state<TwoPhaseParticipantState>(p), txId);
      if (phase === 'prepared' || phase === 'asked') return `${p} still ${phase} in ${txId}`;
    }
  }
  return undefined;
}

export function runTwoPhase(sc: Scenario, opts: WorldOptions = {}, until = 60_000): World {
  const w = twoPhaseWorld(sc, opts);
  w.run(until);
  return w;
}

export function expectSafeAndDone(w: World, sc: Scenario, label: string): void {
  expect(atomicityProblem(w), label).toBeUndefined();
  expect(terminationProblem(w, sc), label).toBeUndefined();
}

export function stepCounts(w: World): Record<string, number> {
  return Object.fromEntries(w.order.map((id) => [id, w.node(id).steps]));
}

export const MODES = ['beforePersist', 'afterPersist', 'afterSend'] as const;

export function allCrashPoints(counts: Record<string, number>, nodes: readonly string[]): CrashPoint[] {
  const out: CrashPoint[] = [];
  for (const node of nodes) for (let step = 0; step < (counts[node] ?? 0); step++) for (const mode of MODES) out.push({ node, step, mode });
  return out;
}
