/**
 * Simulation targets (named scenarios the `distkit sim` command can run) and seed sweeps.
 *
 * @packageDocumentation
 */
import { ConfigError, describeValue, type NodeId } from '../core/index.js';
import { echoMachine, naiveLeaderMachine, oneLeaderPerTerm, type EchoState } from './demo.js';
import { simulate } from './simulate.js';
import type { MessageCounts, SimResult, SimulateOptions } from './types.js';

/**
 * What a target's factory receives.
 *
 * @example
 * ```ts
 * import type { SimTargetParams } from 'distkit/sim';
 * const p: SimTargetParams = { nodes: 5, seed: 42 };
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
 * import type { SimScenario } from 'distkit/sim';
 * declare const s: SimScenario;
 * s.nodes.length;
 * ```
 */
export type SimScenario = Omit<SimulateOptions<any, any>, 'seed'>;

/**
 * A named, registered scenario.
 *
 * @example
 * ```ts
 * import { registerSimTarget, echoTarget } from 'distkit/sim';
 * const t = registerSimTarget(echoTarget.name, echoTarget.build, echoTarget);
 * t.build({ nodes: 3, seed: 1 }).nodes.length; //=> 3
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
 * Extra facts about a target for {@link registerSimTarget}.
 *
 * @example
 * ```ts
 * import type { SimTargetInfo } from 'distkit/sim';
 * const info: SimTargetInfo = { description: 'Raft, 5 nodes, with a KV workload', defaultNodes: 5 };
 * ```
 */
export interface SimTargetInfo {
  /** One line describing the target. */
  readonly description?: string;
  /** Node count when none is given. Default 3. */
  readonly defaultNodes?: number;
}

// Shared through a global symbol: the `distkit` command is bundled with its own copy of this
// module, and a user's `--import`ed file registers through the package's copy.
const REGISTRY_KEY = Symbol.for('distkit.sim.targets');
const registry: Map<string, SimTarget> = ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] as Map<string, SimTarget> | undefined) ??
  ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] = new Map<string, SimTarget>()) as Map<string, SimTarget>;

/**
 * Registers a scenario under a name so that `distkit sim <name>` (and {@link getSimTarget}) can
 * run it. Throws a `ConfigError` when the name is taken by another factory.
 *
 * @example
 * ```ts
 * import { registerSimTarget, echoMachine } from 'distkit/sim';
 * registerSimTarget('my-echo', ({ nodes }) => {
 *   const peers = Array.from({ length: nodes }, (_, i) => `n${i}`);
 *   return { nodes: peers.map((id) => ({ id, machine: echoMachine, config: { id, peers, rounds: 10 } })) };
 * }, { description: 'ten rounds of pings' });
 * ```
 */
export function registerSimTarget(name: string, factory: (params: SimTargetParams) => SimScenario, info: SimTargetInfo = {}): SimTarget {
  if (typeof name !== 'string' || !/^[\w.:-]+$/.test(name)) throw new ConfigError('name', `must be a non-empty word (letters, digits, _ . : -), got ${describeValue(name)}`);
  if (typeof factory !== 'function') throw new ConfigError('factory', 'must be a function (params) => scenario');
  const existing = registry.get(name);
  if (existing !== undefined) {
    if (existing.build === factory) return existing;
    throw new ConfigError('name', `a simulation target named ${name} is already registered`);
  }
  const defaultNodes = info.defaultNodes ?? 3;
  if (!Number.isInteger(defaultNodes) || defaultNodes < 1) throw new ConfigError('defaultNodes', `must be an integer >= 1, got ${describeValue(defaultNodes)}`);
  const target: SimTarget = { name, description: info.description ?? '', defaultNodes, build: factory };
  registry.set(name, target);
  return target;
}

/**
 * The target registered under `name`, if any.
 *
 * @example
 * ```ts
 * import { getSimTarget } from 'distkit/sim';
 * getSimTarget('no-such-target'); //=> undefined
 * ```
 */
export function getSimTarget(name: string): SimTarget | undefined {
  return registry.get(name);
}

/**
 * Every registered target, sorted by name.
 *
 * @example
 * ```ts
 * import { listSimTargets } from 'distkit/sim';
 * listSimTargets().map((t) => t.name); // ['echo', 'naive-leader', ...]
 * ```
 */
export function listSimTargets(): readonly SimTarget[] {
  return [...registry.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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
 * The built-in `echo` target: {@link echoMachine} nodes pinging each other for 5 rounds, with
 * the invariant that no node runs past its last round. Passes under any faults.
 *
 * @example
 * ```ts
 * import { echoTarget, simulate } from 'distkit/sim';
 * simulate({ seed: 1, ...echoTarget.build({ nodes: 3, seed: 1 }) }).ok; //=> true
 * ```
 */
export const echoTarget: SimTarget = {
  name: 'echo',
  description: 'ping/echo rounds with retransmission (correct: finds nothing)',
  defaultNodes: 3,
  build: ({ nodes }) => {
    const peers = nodeIds(nodes);
    return {
      nodes: peers.map((id) => ({ id, machine: echoMachine, config: { id, peers, rounds: 5 } })),
      invariants: [{ name: 'rounds stay within bounds', check: (states: Readonly<Record<NodeId, EchoState>>) => Object.values(states).every((s) => s.round <= s.rounds) }],
      maxTimeMs: 5000,
    };
  },
};

/**
 * The built-in `naive-leader` target: {@link naiveLeaderMachine}, a leader election without
 * votes, checked against {@link oneLeaderPerTerm}. Most seeds find two leaders in one term.
 *
 * @example
 * ```ts
 * import { naiveLeaderTarget, simulate } from 'distkit/sim';
 * const failing = [1, 2, 3, 4, 5].filter((seed) => !simulate({ seed, ...naiveLeaderTarget.build({ nodes: 3, seed }) }).ok);
 * ```
 */
export const naiveLeaderTarget: SimTarget = {
  name: 'naive-leader',
  description: 'a leader election without votes (buggy: two leaders per term)',
  defaultNodes: 3,
  build: ({ nodes, seed }) => {
    const peers = nodeIds(nodes);
    const s = typeof seed === 'number' ? seed : 0;
    return {
      nodes: peers.map((id) => ({ id, machine: naiveLeaderMachine, config: { id, peers, seed: s } })),
      invariants: [oneLeaderPerTerm],
      maxTimeMs: 5000,
    };
  },
};

/**
 * Options of {@link sweep}.
 *
 * @example
 * ```ts
 * import { sweep, echoTarget, type SweepOptions } from 'distkit/sim';
 * const o: SweepOptions = { seeds: [1, 2, 3], scenario: (seed) => ({ seed, ...echoTarget.build({ nodes: 3, seed }) }) };
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
 * import type { SweepFailure } from 'distkit/sim';
 * const f: SweepFailure = { seed: 4, invariant: 'at most one leader per term', message: 'a and b ...', time: 190 };
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
 * import type { SweepSummary } from 'distkit/sim';
 * declare const s: SweepSummary;
 * `${s.violations}/${s.seedsRun} seeds failed`;
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
 * import { sweep, naiveLeaderTarget } from 'distkit/sim';
 * const s = sweep({ seeds: [1, 2, 3, 4, 5], scenario: (seed) => ({ seed, ...naiveLeaderTarget.build({ nodes: 3, seed }) }) });
 * s.failures[0]?.seed; // the first failing seed, to replay
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
