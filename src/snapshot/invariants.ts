/**
 * The correctness of Chandy–Lamport snapshots as a core `Invariant`: every completed snapshot
 * assembles into a consistent cut.
 *
 * @packageDocumentation
 */
import type { Invariant, NodeId } from '../core/index.js';
import { assembleGlobalSnapshot, type GlobalSnapshot, type SnapshotReport } from './chandy-lamport.js';

/**
 * Options of {@link snapshotInvariants}.
 *
 * @typeParam S - the node state the invariant sees.
 * @typeParam AS - the application's state.
 * @example
 * ```ts
 * import type { SnapshotInvariantOptions, SnapshotReport } from 'distkit/snapshot';
 * const collected = new Map<string, SnapshotReport<number>[]>();
 * const o: SnapshotInvariantOptions<unknown, number> = { nodes: ['a', 'b'], reports: () => collected.values() };
 * ```
 */
export interface SnapshotInvariantOptions<S, AS> {
  /** Every node of the system: a snapshot is complete once each of them reported. */
  readonly nodes: readonly NodeId[];
  /**
   * The reports to judge, one list per snapshot: read from the states (a wrapper that keeps its
   * node's reports, for the model checker) or from a harness that collects `snapshotReport`
   * outputs (the simulator). Incomplete lists are skipped.
   */
  reports(states: Readonly<Record<NodeId, S>>): Iterable<readonly SnapshotReport<AS>[]>;
  /**
   * The application's rule for a consistent cut, e.g. money is conserved and each channel holds
   * exactly the messages sent before the sender's cut and not received before the receiver's.
   */
  cutProblem?(snapshot: GlobalSnapshot<AS>): string | undefined;
}

/**
 * Chandy & Lamport 1985 §3.2 (Theorem 1): a completed snapshot is a consistent global state —
 * one report per node, each with every incoming channel, and the application's own consistency
 * rule (`cutProblem`) holds of the assembled cut. Keeps no memory.
 *
 * @example
 * ```ts
 * import { snapshotInvariants } from 'distkit/snapshot';
 * import { checkInvariants } from 'distkit/core';
 * const reports = [
 *   { snapshotId: 's1', node: 'a', state: 90, channels: { b: [] } },
 *   { snapshotId: 's1', node: 'b', state: 100, channels: { a: [] } },
 * ];
 * const conserved = snapshotInvariants<unknown, number>({
 *   nodes: ['a', 'b'],
 *   reports: () => [reports],
 *   cutProblem: (g) => (g.states.a! + g.states.b! === 200 ? undefined : 'money vanished'),
 * });
 * checkInvariants(conserved, {})?.description; //=> 'snapshot s1: money vanished'
 * ```
 */
export function snapshotInvariants<S, AS>(options: SnapshotInvariantOptions<S, AS>): Invariant<S>[] {
  const { nodes } = options;
  return [
    {
      name: 'every completed snapshot is a consistent cut (CL §3.2)',
      check(states) {
        for (const list of options.reports(states)) {
          if (list.length < nodes.length) continue;
          const r = assembleGlobalSnapshot(list, nodes);
          if (!r.ok) return `snapshot ${list[0]!.snapshotId}: ${r.reason}`;
          const problem = options.cutProblem?.(r.snapshot);
          if (problem !== undefined) return `snapshot ${r.snapshot.snapshotId}: ${problem}`;
        }
        return undefined;
      },
    },
  ];
}
