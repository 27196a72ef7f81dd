import type { LinkOptions, ScheduledCommand, ScheduledFault, SimResult, SimulateOptions, Workload } from './types.js';
import { simulate } from './simulate.js';

/**
 * Options of {@link shrink}.
 *
 * @example
 * ```ts
 * import type { ShrinkOptions } from 'distkit/sim';
 * const o: ShrinkOptions = { maxRuns: 100, sameInvariant: true };
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
 * import type { ReproSize } from 'distkit/sim';
 * const s: ReproSize = { faults: 2, commands: 0, operations: 4, timeMs: 812, steps: 140 };
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
 * import { shrink, simulate, type ShrinkResult } from 'distkit/sim';
 * declare const found: ShrinkResult;
 * simulate(found.options).ok; //=> false, the smaller reproduction
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
 * const parts = ['a', 'b', 'c'];
 * const found = shrink({
 *   seed: 4,
 *   nodes: [{ id: 'c0', machine: threePhaseCoordinator, config: { id: 'c0' } }, ...parts.map((id) => ({ id, machine: threePhaseParticipant, config: { id, autoVote: 'yes' as const } }))],
 *   commands: [{ at: 0, node: 'c0', input: { type: 'begin', txId: 't1', participants: parts } }],
 *   nemesis: { crashRate: 1, partitionRate: 4 },
 *   invariants: commitInvariants(),
 *   maxTimeMs: 10_000,
 * });
 * if (found) console.log(found.before.faults, '→', found.after.faults, 'faults');
 * ```
 */
export function shrink<I = unknown, O = unknown>(options: SimulateOptions<I, O>, shrinkOptions: ShrinkOptions = {}): ShrinkResult<I, O> | undefined {
  const maxRuns = shrinkOptions.maxRuns ?? 300;
  const same = shrinkOptions.sameInvariant ?? true;
  const original = simulate(options);
  if (original.violation === undefined) return undefined;
  const invariant = original.violation.invariant;
  let runs = 1;
  const quiet = (o: SimulateOptions<I, O>): SimulateOptions<I, O> => ({ ...o, trace: false, lastEvents: 0 });
  const fails = (o: SimulateOptions<I, O>): boolean => {
    if (runs >= maxRuns) return false;
    runs++;
    const r = simulate(quiet(o));
    return r.violation !== undefined && (!same || r.violation.invariant === invariant);
  };
  const cutAt = (o: SimulateOptions<I, O>, r: SimResult<I, O>): SimulateOptions<I, O> =>
    r.violation === undefined ? o : { ...o, maxTimeMs: r.violation.time, maxSteps: r.violation.step };

  // 1. Make the schedule explicit and stop at the violation.
  let best: SimulateOptions<I, O> = options;
  {
    const { nemesis: _nemesis, ...rest } = options;
    const explicit = cutAt({ ...rest, faults: original.faults } as SimulateOptions<I, O>, original);
    if (fails(explicit)) best = explicit;
  }

  // 2. Fewer faults.
  const faults = ddmin<ScheduledFault>(best.faults ?? [], (subset) => fails({ ...best, faults: subset }));
  if (faults.length !== (best.faults?.length ?? 0)) best = { ...best, faults };

  // 3. Fewer commands.
  const commands = ddmin<ScheduledCommand>(best.commands ?? [], (subset) => fails({ ...best, commands: subset }));
  if (commands.length !== (best.commands?.length ?? 0)) best = { ...best, commands };

  // 4. A kinder network.
  for (const key of ['loss', 'duplicate', 'reorder', 'corrupt'] as const) {
    const current = best.network?.[key];
    if (current === undefined || current === 0) continue;
    const network: LinkOptions = { ...best.network, [key]: 0 };
    const candidate = { ...best, network };
    if (fails(candidate)) best = candidate;
  }

  // 5. A smaller workload.
  const w = best.workload;
  if (w !== undefined) {
    let ops = w.operations ?? 10;
    while (ops > 1) {
      const half = Math.floor(ops / 2);
      const candidate = { ...best, workload: { ...w, operations: half } as Workload<I, O> };
      if (!fails(candidate)) break;
      best = candidate;
      ops = half;
    }
    if (typeof w.clients === 'number') {
      let clients = w.clients;
      while (clients > 1) {
        const candidate = { ...best, workload: { ...(best.workload as Workload<I, O>), clients: clients - 1 } };
        if (!fails(candidate)) break;
        best = candidate;
        clients--;
      }
    }
  }

  // 6. Replay the result with the caller's trace settings and cut it at its own violation.
  let result = simulate(best);
  runs++;
  if (result.violation === undefined) {
    best = options;
    result = original;
  } else {
    const tight = cutAt(best, result);
    const again = simulate(tight);
    runs++;
    if (again.violation !== undefined) {
      best = tight;
      result = again;
    }
  }
  return {
    options: best,
    result,
    before: size(options as SimulateOptions<unknown, unknown>, original as SimResult<unknown, unknown>),
    after: size(best as SimulateOptions<unknown, unknown>, result as SimResult<unknown, unknown>),
    runs,
  };
}
