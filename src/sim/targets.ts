/**
 * Simulation targets (named scenarios: the `distkit sim` command runs them, and a module given to
 * its `--import` flag exports its own) and seed sweeps.
 *
 * @packageDocumentation
 */
import type { NodeId } from '../core/index.js';
import { simulate } from './simulate.js';
import type { MessageCounts, SimResult, SimulateOptions } from './types.js';

/**
 * What a target's factory receives.
 *
 * @example
 * ```ts
 * import { nodeIds, sweep, type SimTarget } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const raftTarget: SimTarget = {
 *   name: 'raft',
 *   description: 'Raft under random crashes',
 *   defaultNodes: 3,
 *   build: ({ nodes, seed }) => {
 *     const voters = nodeIds(nodes);
 *     return { nodes: voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: `${seed}/${id}` } })), invariants: raftSafetyInvariants(), nemesis: { crashRate: 0.5 }, maxTimeMs: 3000 };
 *   },
 * };
 * import type { SimTargetParams } from 'distkit/sim';
 * const p: SimTargetParams = { nodes: 5, seed: 42 };
 * raftTarget.build(p).nodes.map((n) => n.id); //=> ['a', 'b', 'c', 'd', 'e']
 * ```
 */
export interface SimTargetParams {
  /** How many nodes to simulate. */
  readonly nodes: number;
  /** The seed of this run (for seeding machine configs, e.g. randomized timeouts). */
  readonly seed: number | string;
}

/**
 * A scenario: every {@link SimulateOptions} field but the seed.
 *
 * @example
 * ```ts
 * import { nodeIds, sweep, type SimTarget } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const raftTarget: SimTarget = {
 *   name: 'raft',
 *   description: 'Raft under random crashes',
 *   defaultNodes: 3,
 *   build: ({ nodes, seed }) => {
 *     const voters = nodeIds(nodes);
 *     return { nodes: voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: `${seed}/${id}` } })), invariants: raftSafetyInvariants(), nemesis: { crashRate: 0.5 }, maxTimeMs: 3000 };
 *   },
 * };
 * import { simulate, type SimScenario } from 'distkit/sim';
 * // A scenario is everything but the seed: add one to run it.
 * const s: SimScenario = raftTarget.build({ nodes: 3, seed: 1 });
 * simulate({ seed: 1, ...s }).ok; //=> true
 * ```
 */
export type SimScenario = Omit<SimulateOptions<any, any>, 'seed'>;

/**
 * A named scenario. Export one from a module and run it with `distkit sim <name> --import <module>`.
 *
 * @example
 * ```ts
 * import { nodeIds, type SimTarget } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const target: SimTarget = {
 *   name: 'my-bully',
 *   description: 'bully election, every node electing at 0 ms',
 *   defaultNodes: 3,
 *   build: ({ nodes }) => {
 *     const ids = nodeIds(nodes);
 *     return {
 *       nodes: ids.map((id) => ({ id, machine: bully, config: { id, nodes: ids } })),
 *       commands: ids.map((node) => ({ at: 0, node, input: { type: 'elect' } })),
 *     };
 *   },
 * };
 * target.build({ nodes: 3, seed: 1 }).nodes.length; //=> 3
 * ```
 */
export interface SimTarget {
  /** The name the CLI knows it by. */
  readonly name: string;
  /** One line for `distkit sim --list`. */
  readonly description: string;
  /** Node count when none is given. */
  readonly defaultNodes: number;
  /** Builds the scenario for a node count and seed. */
  build(params: SimTargetParams): SimScenario;
}

/**
 * Node ids for a target: `a`, `b`, ... up to 26 nodes, `n0`, `n1`, ... beyond.
 *
 * @example
 * ```ts
 * import { nodeIds } from 'distkit/sim';
 * nodeIds(3); //=> ['a', 'b', 'c']
 * ```
 */
export function nodeIds(count: number): NodeId[] {
  return Array.from({ length: count }, (_, i) => (count <= 26 ? String.fromCharCode(97 + i) : `n${i}`));
}

/**
 * Options of {@link sweep}.
 *
 * @example
 * ```ts
 * import { nodeIds, sweep, type SimTarget } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const raftTarget: SimTarget = {
 *   name: 'raft',
 *   description: 'Raft under random crashes',
 *   defaultNodes: 3,
 *   build: ({ nodes, seed }) => {
 *     const voters = nodeIds(nodes);
 *     return { nodes: voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: `${seed}/${id}` } })), invariants: raftSafetyInvariants(), nemesis: { crashRate: 0.5 }, maxTimeMs: 3000 };
 *   },
 * };
 * import type { SweepOptions } from 'distkit/sim';
 * const seen: boolean[] = [];
 * const o: SweepOptions = { seeds: [1, 2, 3], scenario: (seed) => ({ seed, ...raftTarget.build({ nodes: 3, seed }) }), onResult: (r) => { seen.push(r.ok); } };
 * sweep(o).seedsRun; //=> 3
 * seen; //=> [true, true, true]
 * ```
 */
export interface SweepOptions {
  /** The seeds to run, in order. */
  readonly seeds: Iterable<number>;
  /** The options of the run for a seed. Runs keep no full trace (replay a seed to get one). */
  scenario(seed: number): SimulateOptions<any, any>;
  /** Called after each run (progress bars, logging). */
  onResult?(result: SimResult<unknown, unknown>, done: number): void;
  /** Stop after this many failing seeds. Default: run every seed. */
  readonly maxViolations?: number;
}

/**
 * One failing seed in a {@link SweepSummary}.
 *
 * @example
 * ```ts
 * import { nodeIds, sweep, type SimTarget } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const raftTarget: SimTarget = {
 *   name: 'raft',
 *   description: 'Raft under random crashes',
 *   defaultNodes: 3,
 *   build: ({ nodes, seed }) => {
 *     const voters = nodeIds(nodes);
 *     return { nodes: voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: `${seed}/${id}` } })), invariants: raftSafetyInvariants(), nemesis: { crashRate: 0.5 }, maxTimeMs: 3000 };
 *   },
 * };
 * // A claim that cannot hold, to show a failure: 'no node ever leads'.
 * const noLeader = { name: 'no leader', check: (states: Record<string, { role: string }>) => (Object.values(states).some((s) => s.role === 'leader') ? 'a leader' : undefined) };
 * const s = sweep({ seeds: [1, 2], scenario: (seed) => ({ seed, ...raftTarget.build({ nodes: 3, seed }), invariants: [noLeader] }) });
 * s.failures.map((f) => [f.seed, f.invariant, f.message]); //=> [[1, 'no leader', 'a leader'], [2, 'no leader', 'a leader']]
 * ```
 */
export interface SweepFailure {
  /** The failing seed. */
  readonly seed: number;
  /** The violated invariant. */
  readonly invariant: string;
  /** Its message. */
  readonly message: string;
  /** Virtual time of the violation, ms. */
  readonly time: number;
}

/**
 * Totals over a sweep.
 *
 * @example
 * ```ts
 * import { nodeIds, sweep, type SimTarget } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const raftTarget: SimTarget = {
 *   name: 'raft',
 *   description: 'Raft under random crashes',
 *   defaultNodes: 3,
 *   build: ({ nodes, seed }) => {
 *     const voters = nodeIds(nodes);
 *     return { nodes: voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: `${seed}/${id}` } })), invariants: raftSafetyInvariants(), nemesis: { crashRate: 0.5 }, maxTimeMs: 3000 };
 *   },
 * };
 * const s = sweep({ seeds: [1, 2, 3, 4, 5], scenario: (seed) => ({ seed, ...raftTarget.build({ nodes: 3, seed }) }) });
 * [s.seedsRun, s.violations, s.faults > 0, s.messages.delivered > 0]; //=> [5, 0, true, true]
 * ```
 */
export interface SweepSummary {
  /** Seeds run. */
  readonly seedsRun: number;
  /** Seeds that violated an invariant. */
  readonly violations: number;
  /** The failing seeds (the first 1000). */
  readonly failures: readonly SweepFailure[];
  /** Failing seeds per invariant name. */
  readonly byInvariant: Readonly<Record<string, number>>;
  /** Message totals over all runs. */
  readonly messages: MessageCounts;
  /** Steps over all runs. */
  readonly steps: number;
  /** Faults over all runs. */
  readonly faults: number;
  /** Virtual time over all runs, ms. */
  readonly virtualTimeMs: number;
}

/**
 * Runs one simulation per seed and totals the results: the batch behind `distkit sim --seeds`.
 * Runs keep only the last trace events; replay a failing seed with {@link simulate} for its trace.
 *
 * @example
 * ```ts
 * import { nodeIds, sweep, type SimTarget } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const raftTarget: SimTarget = {
 *   name: 'raft',
 *   description: 'Raft under random crashes',
 *   defaultNodes: 3,
 *   build: ({ nodes, seed }) => {
 *     const voters = nodeIds(nodes);
 *     return { nodes: voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: `${seed}/${id}` } })), invariants: raftSafetyInvariants(), nemesis: { crashRate: 0.5 }, maxTimeMs: 3000 };
 *   },
 * };
 * // A claim that cannot hold, to show a failure: 'no node ever leads'.
 * const noLeader = { name: 'no leader', check: (states: Record<string, { role: string }>) => (Object.values(states).some((s) => s.role === 'leader') ? 'a leader' : undefined) };
 * // Five seeds of Raft under crashes: no safety violation.
 * sweep({ seeds: [1, 2, 3, 4, 5], scenario: (seed) => ({ seed, ...raftTarget.build({ nodes: 3, seed }) }) }).violations; //=> 0
 * // With a claim that fails, each failing seed is reported, to replay with simulate.
 * sweep({ seeds: [1, 2, 3], maxViolations: 2, scenario: (seed) => ({ seed, ...raftTarget.build({ nodes: 3, seed }), invariants: [noLeader] }) }).failures.map((f) => f.seed); //=> [1, 2]
 * ```
 */
export function sweep(options: SweepOptions): SweepSummary {
  const messages: MessageCounts = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, corrupted: 0 };
  const failures: SweepFailure[] = [];
  const byInvariant: Record<string, number> = {};
  let seedsRun = 0;
  let violations = 0;
  let steps = 0;
  let faults = 0;
  let virtualTimeMs = 0;
  for (const seed of options.seeds) {
    const r = simulate({ ...options.scenario(seed), trace: false });
    seedsRun++;
    steps += r.stats.steps;
    faults += r.stats.faults;
    virtualTimeMs += r.stats.timeMs;
    messages.sent += r.stats.messages.sent;
    messages.delivered += r.stats.messages.delivered;
    messages.dropped += r.stats.messages.dropped;
    messages.duplicated += r.stats.messages.duplicated;
    messages.corrupted += r.stats.messages.corrupted;
    if (r.violation !== undefined) {
      violations++;
      byInvariant[r.violation.invariant] = (byInvariant[r.violation.invariant] ?? 0) + 1;
      if (failures.length < 1000) failures.push({ seed, invariant: r.violation.invariant, message: r.violation.message, time: r.violation.time });
    }
    options.onResult?.(r, seedsRun);
    if (options.maxViolations !== undefined && violations >= options.maxViolations) break;
  }
  return { seedsRun, violations, failures, byInvariant, messages, steps, faults, virtualTimeMs };
}
