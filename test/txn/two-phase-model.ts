import { checkInvariants } from 'distkit/core';
import { commitInvariants, participantPhase, twoPhaseCoordinator, twoPhaseParticipant, type CommitNodeState, type Decision, type TwoPhaseParticipantState } from 'distkit/txn';
import type { ExploreConfig, Global } from './explore.js';

// Exhaustive exploration: coordinator c and participants a, b; each participant's host may vote
// yes, no, or abort unilaterally; every interleaving of deliveries, timeouts, one loss, one
// duplicate delivery, and crashes (between steps, or after a persist before the sends) with
// recovery from durable state.
function atomicity(g: Global): string | undefined {
  for (const [node, evs] of Object.entries(g.events)) if (new Set(evs).size > 1) return `${node} decided both ways`;
  // distkit/txn's atomicity over the participants' states and every decision announced.
  const announced = Object.values(g.events).flat() as Decision[];
  const participants = { a: g.nodes['a']!.state as CommitNodeState, b: g.nodes['b']!.state as CommitNodeState };
  const v = checkInvariants(commitInvariants({ announced: () => announced }), participants);
  if (v !== undefined) return `atomicity: ${v.description}`;
  // Validity: commit only if both voted yes.
  if (announced.includes('commit') || ['a', 'b'].some((id) => participantPhase(g.nodes[id]!.state as TwoPhaseParticipantState, 't') === 'committed')) {
    for (const id of ['a', 'b']) {
      const phase = participantPhase(g.nodes[id]!.state as TwoPhaseParticipantState, 't');
      if (g.nodes[id]!.up && (phase === 'active' || phase === 'asked')) return `validity: commit while ${id} has not voted`;
    }
  }
  return undefined;
}

export function config(presumedAbort: boolean, crashes: Record<string, number>, faults = { losses: 0, dups: 0, ticks: 1 }): ExploreConfig {
  return {
    nodes: {
      c: { machine: twoPhaseCoordinator, config: { id: 'c', voteTimeoutMs: 100, resendIntervalMs: 50, presumedAbort } },
      // The explored network may hold a message forever, so no finite retention window is sound here.
      a: { machine: twoPhaseParticipant, config: { id: 'a', decisionTimeoutMs: 100, retainDecidedMs: null } },
      b: { machine: twoPhaseParticipant, config: { id: 'b', decisionTimeoutMs: 100, retainDecidedMs: null } },
    },
    initial: [{ node: 'c', input: { type: 'begin', txId: 't', participants: ['a', 'b'] } }],
    maxTicks: { c: faults.ticks, a: faults.ticks, b: faults.ticks },
    maxCrashes: crashes,
    maxLosses: faults.losses,
    maxDups: faults.dups,
    hostChoices: (_node, o) =>
      o.type === 'voteRequested'
        ? [
            { type: 'vote', txId: o.txId, vote: 'yes' },
            { type: 'vote', txId: o.txId, vote: 'no' },
            { type: 'abort', txId: o.txId },
          ]
        : undefined,
    remember: (_node, o) => (o.type === 'decided' ? (o.decision as string) : undefined),
    invariant: atomicity,
  };
}

