// The message diagrams of docs/txn.md, generated from short seeded simulator runs with the
// simulator's Mermaid export. test/txn/docs.test.ts checks the guide holds exactly these;
// print them with `npx tsx test/txn/diagrams.ts` after changing a machine.
import { simulate, toMermaid, type SimNode, type SimResult } from 'distkit/sim';
import { threePhaseCoordinator, threePhaseParticipant, twoPhaseCoordinator, twoPhaseParticipant } from 'distkit/txn';

const fixed = (ms: number) => ({ type: 'fixed' as const, ms });

function twoPhaseNodes(): SimNode[] {
  return [
    { id: 'coord', machine: twoPhaseCoordinator, config: { id: 'coord', voteTimeoutMs: 500, resendIntervalMs: 200 } },
    { id: 'a', machine: twoPhaseParticipant, config: { id: 'a', autoVote: 'yes', decisionTimeoutMs: 300 } },
    { id: 'b', machine: twoPhaseParticipant, config: { id: 'b', autoVote: 'yes', decisionTimeoutMs: 300 } },
  ];
}

/** 2PC, both participants vote YES: prepare, votes, the logged decision, acknowledgements. */
export function twoPhaseCommitRun(): SimResult {
  return simulate({
    seed: 1,
    nodes: twoPhaseNodes(),
    network: { delay: fixed(2) },
    commands: [{ at: 0, node: 'coord', input: { type: 'begin', txId: 't1', participants: ['a', 'b'] } }],
    maxTimeMs: 5_000,
  });
}

/**
 * 2PC blocking: the coordinator crashes after both YES votes were sent (b's is slow and finds it
 * down). Both participants are prepared: they ask the coordinator and each other, and nobody can
 * decide until the coordinator restarts, finds its begin record without a decision, and aborts.
 */
export function twoPhaseBlockingRun(): SimResult {
  return simulate({
    seed: 1,
    nodes: twoPhaseNodes(),
    network: { delay: fixed(2) },
    links: [{ from: 'b', to: 'coord', delay: fixed(10) }],
    commands: [{ at: 0, node: 'coord', input: { type: 'begin', txId: 't1', participants: ['a', 'b'] } }],
    faults: [
      { at: 6, fault: { type: 'crash', node: 'coord' } },
      { at: 800, fault: { type: 'restart', node: 'coord' } },
    ],
    maxTimeMs: 5_000,
  });
}

function threePhaseNodes(): SimNode[] {
  return [
    { id: 'coord', machine: threePhaseCoordinator, config: { id: 'coord', timeoutMs: 300 } },
    { id: 'a', machine: threePhaseParticipant, config: { id: 'a', autoVote: 'yes', timeoutMs: 300 } },
    { id: 'b', machine: threePhaseParticipant, config: { id: 'b', autoVote: 'yes', timeoutMs: 300 } },
  ];
}

/** 3PC, both vote YES: CanCommit, votes, PreCommit, acks, DoCommit (the `decision` message). */
export function threePhaseCommitRun(): SimResult {
  return simulate({
    seed: 1,
    nodes: threePhaseNodes(),
    network: { delay: fixed(2) },
    commands: [{ at: 0, node: 'coord', input: { type: 'begin', txId: 't1', participants: ['a', 'b'] } }],
    maxTimeMs: 5_000,
  });
}

/**
 * 3PC does not block: the same crash as {@link twoPhaseBlockingRun}. The participants time out,
 * a (the backup of round 1) collects the states — all uncertain — and decides ABORT without the
 * coordinator, which learns the outcome when it restarts.
 */
export function threePhaseTerminationRun(): SimResult {
  return simulate({
    seed: 1,
    nodes: threePhaseNodes(),
    network: { delay: fixed(2) },
    links: [{ from: 'b', to: 'coord', delay: fixed(10) }],
    commands: [{ at: 0, node: 'coord', input: { type: 'begin', txId: 't1', participants: ['a', 'b'] } }],
    faults: [
      { at: 6, fault: { type: 'crash', node: 'coord' } },
      { at: 1500, fault: { type: 'restart', node: 'coord' } },
    ],
    maxTimeMs: 5_000,
  });
}

/** The diagrams, by the title they carry in docs/txn.md. */
export const DIAGRAMS: Record<string, () => SimResult> = {
  '2PC commit': twoPhaseCommitRun,
  '2PC blocking': twoPhaseBlockingRun,
  '3PC commit': threePhaseCommitRun,
  '3PC termination': threePhaseTerminationRun,
};

export function diagram(name: string): string {
  return toMermaid(DIAGRAMS[name]!().trace);
}

// Printing entry point (npx tsx test/txn/diagrams.ts).
if (typeof process !== 'undefined' && process.argv[1]?.endsWith('diagrams.ts')) {
  for (const name of Object.keys(DIAGRAMS)) process.stdout.write(`--- ${name}\n${diagram(name)}\n`);
}
