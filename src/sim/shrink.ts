import type { LinkOptions, ScheduledCommand, ScheduledFault, SimResult, SimulateOptions, Workload } from './types.js';
import { simulate } from './simulate.js';

/**
 * Options of {@link shrink}.
 *
 * @example
 * ```ts
 * import { shrink } from 'distkit/sim';
 * import { commitInvariants, threePhaseCoordinator, threePhaseParticipant } from 'distkit/txn';
 * const parts = ['a', 'b'];
 * // Three-phase commit under partitions, which it was never built for.
 * const failing = {
 *   seed: 3,
 *   nodes: [{ id: 'c0', machine: threePhaseCoordinator, config: { id: 'c0' } }, ...parts.map((id) => ({ id, machine: threePhaseParticipant, config: { id, autoVote: 'yes' as const } }))],
 *   commands: [{ at: 0, node: 'c0', input: { type: 'begin', txId: 't1', participants: parts } }],
 *   nemesis: { partitionRate: 4 },
 *   invariants: commitInvariants(),
 * };
 * import type { ShrinkOptions } from 'distkit/sim';
 * const o: ShrinkOptions = { maxRuns: 50, sameInvariant: true };
 * const found = shrink(failing, o);
 * [found !== undefined, found !== undefined && found.runs <= 50]; //=> [true, true]
 * ```
 */
export interface ShrinkOptions {
  /** Give up after this many replays. Default 300. */
  readonly maxRuns?: number;
  /** Only accept reductions that violate the same invariant as the original. Default true. */
  readonly sameInvariant?: boolean;
}

/**
 * The size of a reproduction, as {@link shrink} reports it.
 *
 * @example
 * ```ts
 * import { shrink } from 'distkit/sim';
 * import { commitInvariants, threePhaseCoordinator, threePhaseParticipant } from 'distkit/txn';
 * const parts = ['a', 'b'];
 * // Three-phase commit under partitions, which it was never built for.
 * const failing = {
 *   seed: 3,
 *   nodes: [{ id: 'c0', machine: threePhaseCoordinator, config: { id: 'c0' } }, ...parts.map((id) => ({ id, machine: threePhaseParticipant, config: { id, autoVote: 'yes' as const } }))],
 *   commands: [{ at: 0, node: 'c0', input: { type: 'begin', txId: 't1', participants: parts } }],
 *   nemesis: { partitionRate: 4 },
 *   invariants: commitInvariants(),
 * };
 * const found = shrink(failing)!;
 * // Fewer faults and less time, failing the same way.
 * [found.after.faults <= found.before.faults, found.after.timeMs <= found.before.timeMs, found.result.violation?.invariant]; //=> [true, true, 'atomicity: no participant commits while another aborts']
 * ```
 */
export interface ReproSize {
  /** Scheduled faults (scripted and nemesis). */
  readonly faults: number;
  /** Scheduled commands. */
  readonly commands: number;
  /** Workload operations issued. */
  readonly operations: number;
  /** Virtual time of the violation, ms. */
  readonly timeMs: number;
  /** Steps up to the violation. */
  readonly steps: number;
}

/**
 * What {@link shrink} found: smaller options that still fail, their run, and the sizes before and after.
 *
 * @example
 * ```ts
 * import { shrink } from 'distkit/sim';
 * import { commitInvariants, threePhaseCoordinator, threePhaseParticipant } from 'distkit/txn';
 * const parts = ['a', 'b'];
 * // Three-phase commit under partitions, which it was never built for.
 * const failing = {
 *   seed: 3,
 *   nodes: [{ id: 'c0', machine: threePhaseCoordinator, config: { id: 'c0' } }, ...parts.map((id) => ({ id, machine: threePhaseParticipant, config: { id, autoVote: 'yes' as const } }))],
 *   commands: [{ at: 0, node: 'c0', input: { type: 'begin', txId: 't1', participants: parts } }],
 *   nemesis: { partitionRate: 4 },
 *   invariants: commitInvariants(),
 * };
 * import { simulate } from 'distkit/sim';
 * const found = shrink(failing)!;
 * // The smaller options replay the failure on their own.
 * simulate(found.options).ok; //=> false
 * ```
 */
export interface ShrinkResult<I = unknown, O = unknown> {
  /** The reduced options: replay them with {@link simulate}. */
  readonly options: SimulateOptions<I, O>;
  /** The run of the reduced options (with its violation and trace). */
  readonly result: SimResult<I, O>;
  /** The size of the original reproduction. */
  readonly before: ReproSize;
  /** The size of the reduced one. */
  readonly after: ReproSize;
  /** How many replays shrinking took. */
  readonly runs: number;
}

function size(options: SimulateOptions<unknown, unknown>, r: SimResult<unknown, unknown>): ReproSize {
  return {
    faults: r.faults.length,
    commands: options.commands?.length ?? 0,
    operations: r.history.length,
    timeMs: r.violation?.time ?? r.stats.timeMs,
    steps: r.violation?.step ?? r.stats.steps,
  };
}

/** Delta debugging (Zeller and Hildebrandt, "Simplifying and isolating failure-inducing input", TSE 2002), complement-only variant. */
function ddmin<T>(items: readonly T[], fails: (subset: readonly T[]) => boolean): readonly T[] {
  let cur = items;
  if (cur.length === 0) return cur;
  if (fails([])) return [];
  let n = 2;
  while (cur.length >= 2) {
    const chunk = Math.ceil(cur.length / n);
    let reduced = false;
    for (let i = 0; i < cur.length; i += chunk) {
      const complement = cur.slice(0, i).concat(cur.slice(i + chunk));
      if (fails(complement)) {
        cur = complement;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= cur.length) break;
      n = Math.min(n * 2, cur.length);
    }
  }
  return cur;
}

/**
 * Shrinks a failing simulation to a smaller reproduction with the same seed: it turns the nemesis
 * into its drawn fault schedule, cuts the run at the violation, then removes faults and commands
 * by delta debugging, switches off network loss, duplication, reordering and corruption where the failure
 * survives without them, and halves the workload. Each candidate is replayed; a reduction is kept
 * only when the run still fails (with the same invariant, by default). Returns `undefined` when
 * the options do not fail.
 *
 * Removing a fault changes the random draws that follow it, so a shrunk run is a different
 * execution that fails the same way, not a sub-trace of the original.
 *
 * @example
 * ```ts
 * import { shrink } from 'distkit/sim';
 * import { commitInvariants, threePhaseCoordinator, threePhaseParticipant } from 'distkit/txn';
 * const parts = ['a', 'b'];
 * // Three-phase commit under partitions, which it was never built for.
 * const failing = {
 *   seed: 3,
 *   nodes: [{ id: 'c0', machine: threePhaseCoordinator, config: { id: 'c0' } }, ...parts.map((id) => ({ id, machine: threePhaseParticipant, config: { id, autoVote: 'yes' as const } }))],
 *   commands: [{ at: 0, node: 'c0', input: { type: 'begin', txId: 't1', participants: parts } }],
 *   nemesis: { partitionRate: 4 },
 *   invariants: commitInvariants(),
 * };
 * const found = shrink(failing);
 * [found?.before.faults, found?.after.faults]; //=> [154, 1]
 * ```
 */
export function shrink<I = unknown, O = unknown>(options: SimulateOptions<I, O>, shrinkOptions: ShrinkOptions = {}): ShrinkResult<I, O> | undefined {
  const original = simulate(options);
  if (original.violation === undefined) return undefined;
  const t = new Trials<I, O>(original.violation.invariant, shrinkOptions);
  let best = explicitSchedule(options, original, t);
  best = fewer(best, 'faults', t);
  best = fewer(best, 'commands', t);
  best = kinderNetwork(best, t);
  best = smallerWorkload(best, t);
  const replayed = replay(best, t);
  const [final, result] = replayed ?? [options, original];
  return {
    options: final,
    result,
    before: size(options as SimulateOptions<unknown, unknown>, original as SimResult<unknown, unknown>),
    after: size(final as SimulateOptions<unknown, unknown>, result as SimResult<unknown, unknown>),
    runs: t.runs,
  };
}

// The replays of one shrink: whether a candidate still fails, within the budget of runs.
class Trials<I, O> {
  runs = 1;
  private readonly maxRuns: number;
  private readonly same: boolean;

  constructor(
    private readonly invariant: string,
    options: ShrinkOptions,
  ) {
    this.maxRuns = options.maxRuns ?? 300;
    this.same = options.sameInvariant ?? true;
  }

  /** Whether the candidate still fails (the same way, by default). */
  fails(o: SimulateOptions<I, O>): boolean {
    if (this.runs >= this.maxRuns) return false;
    this.runs++;
    const r = simulate({ ...o, trace: false, lastEvents: 0 });
    return r.violation !== undefined && (!this.same || r.violation.invariant === this.invariant);
  }

  /** A replay with the caller's trace settings. */
  run(o: SimulateOptions<I, O>): SimResult<I, O> {
    this.runs++;
    return simulate(o);
  }
}

// Options that stop at the run's violation.
function cutAt<I, O>(o: SimulateOptions<I, O>, r: SimResult<I, O>): SimulateOptions<I, O> {
  return r.violation === undefined ? o : { ...o, maxTimeMs: r.violation.time, maxSteps: r.violation.step };
}

// 1. Make the schedule explicit (the nemesis's drawn faults) and stop at the violation.
function explicitSchedule<I, O>(options: SimulateOptions<I, O>, original: SimResult<I, O>, t: Trials<I, O>): SimulateOptions<I, O> {
  const { nemesis: _nemesis, ...rest } = options;
  const explicit = cutAt({ ...rest, faults: original.faults } as SimulateOptions<I, O>, original);
  return t.fails(explicit) ? explicit : options;
}

// 2 and 3. Fewer faults, then fewer commands.
function fewer<I, O>(best: SimulateOptions<I, O>, key: 'faults' | 'commands', t: Trials<I, O>): SimulateOptions<I, O> {
  const items: readonly (ScheduledFault | ScheduledCommand)[] = best[key] ?? [];
  const kept = ddmin(items, (subset) => t.fails({ ...best, [key]: subset }));
  return kept.length !== items.length ? { ...best, [key]: kept } : best;
}

// 4. A kinder network: no loss, duplication, reordering or corruption where the failure survives without.
function kinderNetwork<I, O>(options: SimulateOptions<I, O>, t: Trials<I, O>): SimulateOptions<I, O> {
  let best = options;
  for (const key of ['loss', 'duplicate', 'reorder', 'corrupt'] as const) {
    const current = best.network?.[key];
    if (current === undefined || current === 0) continue;
    const network: LinkOptions = { ...best.network, [key]: 0 };
    const candidate = { ...best, network };
    if (t.fails(candidate)) best = candidate;
  }
  return best;
}

// 5. A smaller workload: halve the operations per client, then drop clients one by one.
function smallerWorkload<I, O>(options: SimulateOptions<I, O>, t: Trials<I, O>): SimulateOptions<I, O> {
  const w = options.workload;
  if (w === undefined) return options;
  let best = options;
  for (let ops = w.operations ?? 10; ops > 1; ) {
    const half = Math.floor(ops / 2);
    const candidate = { ...best, workload: { ...w, operations: half } as Workload<I, O> };
    if (!t.fails(candidate)) break;
    best = candidate;
    ops = half;
  }
  if (typeof w.clients !== 'number') return best;
  for (let clients = w.clients; clients > 1; clients--) {
    const candidate = { ...best, workload: { ...(best.workload as Workload<I, O>), clients: clients - 1 } };
    if (!t.fails(candidate)) break;
    best = candidate;
  }
  return best;
}

// 6. Replay the result with the caller's trace settings, cut at its own violation; `undefined` when it no longer fails.
function replay<I, O>(best: SimulateOptions<I, O>, t: Trials<I, O>): [SimulateOptions<I, O>, SimResult<I, O>] | undefined {
  const result = t.run(best);
  if (result.violation === undefined) return undefined;
  const tight = cutAt(best, result);
  const again = t.run(tight);
  return again.violation !== undefined ? [tight, again] : [best, result];
}
