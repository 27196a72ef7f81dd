// Runs a MapReduce job in the deterministic simulator: one coordinator and N worker machines;
// each worker's host runs `run` outputs with the user's functions (runAssignment) and steps the
// result back in after the task's simulated duration. A map output can be fetched only while its
// worker is up in the incarnation that wrote it (a crashed machine's disk is unreachable).
import { Random } from '../../../src/core/index.js';
import {
  MemoryTaskStore,
  mapReduceCoordinator,
  mapReduceInvariants,
  mapReduceWorker,
  runAssignment,
  type Assignment,
  type MapOutputLocation,
  type MapReduceCoordinatorConfig,
  type MapReduceCoordinatorState,
  type MapReduceFunctions,
  type MapReduceWorkerState,
  type Pair,
  type TaskStore,
} from '../../../src/dataflow/index.js';
import { simulate, type LinkOptions, type NemesisOptions, type ScheduledFault, type SimResult } from '../../../src/sim/index.js';

export interface SimJobOptions<I, K, V, R> {
  readonly seed: number;
  readonly fns: MapReduceFunctions<I, K, V, R>;
  readonly input: readonly I[];
  readonly workers: number;
  readonly splits: number;
  readonly partitions: number;
  readonly coordinator?: Partial<Omit<MapReduceCoordinatorConfig, 'id' | 'splits' | 'partitions'>>;
  /** Simulated duration of an attempt on a worker, ms. Default 20 + records (map) or 10 + pairs / 2 (reduce), ±50% jitter. */
  readonly costMs?: (worker: string, task: Assignment, units: number, random: Random) => number;
  readonly faults?: readonly ScheduledFault[];
  readonly nemesis?: NemesisOptions;
  readonly network?: LinkOptions;
  readonly maxTimeMs?: number;
  readonly heartbeatMs?: number;
}

export interface RunInterval {
  readonly worker: string;
  readonly kind: 'map' | 'reduce';
  readonly index: number;
  readonly attempt: number;
  readonly start: number;
  readonly end: number;
}

export interface SimJobResult<K, R> {
  readonly sim: SimResult;
  readonly status: 'running' | 'done' | 'failed';
  readonly error: string | null;
  readonly output: Map<K, R>;
  readonly doneAt: number | undefined;
  readonly exits: readonly { worker: string; time: number }[];
  readonly runs: readonly RunInterval[];
  readonly counters: Readonly<Record<string, number>>;
}

export const workerIds = (n: number): string[] => Array.from({ length: n }, (_x, i) => `w${i + 1}`);

function defaultCost(_worker: string, task: Assignment, units: number, random: Random): number {
  const base = task.ref.kind === 'map' ? 20 + units : 10 + units / 2;
  return Math.round(base * (0.5 + random.float()));
}

export function runJobInSim<I, K, V, R>(o: SimJobOptions<I, K, V, R>): SimJobResult<K, R> {
  const ids = workerIds(o.workers);
  const splits = Array.from({ length: o.splits }, (_x, i) => [Math.floor((i * o.input.length) / o.splits), Math.floor(((i + 1) * o.input.length) / o.splits)]);
  const records = (split: unknown): readonly I[] => o.input.slice((split as number[])[0], (split as number[])[1]);
  const inner = new MemoryTaskStore<K, V, R>();
  let states: Readonly<Record<string, unknown>> = {};
  const reachable = (loc: MapOutputLocation): boolean => {
    const s = states[loc.worker] as MapReduceWorkerState | undefined;
    return s !== undefined && s.incarnation === loc.incarnation;
  };
  const store: TaskStore<K, V, R> = {
    putMapOutput: (w, ref, regions) => inner.putMapOutput(w, ref, regions),
    getRegion: (loc, p) => (reachable(loc) ? inner.getRegion(loc, p) : undefined),
    putReduceOutput: (w, ref, pairs) => inner.putReduceOutput(w, ref, pairs),
    getReduceOutput: (w, ref) => inner.getReduceOutput(w, ref),
  };
  const random = new Random(`${o.seed}/costs`);
  const cost = o.costMs ?? defaultCost;
  const committed: { attempt: number; worker: string }[] = [];
  const runs: RunInterval[] = [];
  const exits: { worker: string; time: number }[] = [];
  let doneAt: number | undefined;
  let counters: Readonly<Record<string, number>> = {};
  const config: MapReduceCoordinatorConfig = { id: 'c', splits, partitions: o.partitions, workerTimeoutMs: 1000, ...o.coordinator };
  const sim = simulate({
    seed: o.seed,
    nodes: [
      { id: 'c', machine: mapReduceCoordinator, config },
      ...ids.map((id) => ({ id, machine: mapReduceWorker, config: { id, coordinator: 'c', heartbeatMs: o.heartbeatMs ?? 100 } })),
    ],
    faults: o.faults ?? [],
    ...(o.nemesis === undefined ? {} : { nemesis: o.nemesis }),
    ...(o.network === undefined ? {} : { network: o.network }),
    invariants: mapReduceInvariants(),
    maxTimeMs: o.maxTimeMs ?? 120_000,
    trace: false,
    stopWhen: (view) => {
      const c = view.states.c as MapReduceCoordinatorState | undefined;
      return c !== undefined && c.status !== 'running' && view.time > (doneAt ?? 0) + 500;
    },
    onOutput: (event, control) => {
      states = control.states;
      const out = event.output as { type: string; [k: string]: unknown };
      if (event.node === 'c') {
        if (out.type === 'committed') committed[out.index as number] = { attempt: out.attempt as number, worker: out.worker as string };
        if (out.type === 'jobDone' || out.type === 'jobFailed') doneAt ??= event.time;
        if (out.type === 'jobDone') counters = out.counters as Record<string, number>;
        return;
      }
      if (out.type === 'exit') exits.push({ worker: event.node, time: event.time });
      if (out.type !== 'run') return;
      const task = out.task as Assignment;
      const units = task.ref.kind === 'map' ? records(task.split).length : (task.locations ?? []).reduce((n, l) => n + l.sizeBytes / 8, 0);
      const ms = Math.max(1, cost(event.node, task, units, random));
      const result = runAssignment(o.fns, task, event.node, { records, store });
      runs.push({ worker: event.node, kind: task.ref.kind, index: task.ref.index, attempt: task.ref.attempt, start: event.time, end: event.time + ms });
      control.inject(event.node, result, ms);
    },
  });
  const c = sim.states.c as MapReduceCoordinatorState | undefined;
  const output = new Map<K, R>();
  committed.forEach((x, i) => {
    for (const [k, r] of inner.getReduceOutput(x.worker, { kind: 'reduce', index: i, attempt: x.attempt }) ?? ([] as Pair<K, R>[])) output.set(k, r);
  });
  return { sim, status: c?.status ?? 'running', error: c?.error ?? null, output, doneAt, exits, runs, counters };
}

/** The largest number of intervals of `kind` that overlap at one time. */
export function maxConcurrent(runs: readonly RunInterval[], kind: 'map' | 'reduce'): number {
  const edges = runs.filter((r) => r.kind === kind).flatMap((r) => [[r.start, 1], [r.end, -1]] as [number, number][]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let best = 0;
  for (const [, d] of edges) best = Math.max(best, (cur += d));
  return best;
}

/** Documents of seeded random words (a small vocabulary, so keys repeat across splits). */
export function documents(seed: number, count: number, wordsPerDoc: number): { name: string; text: string }[] {
  const random = new Random(`${seed}/docs`);
  const vocabulary = Array.from({ length: 60 }, (_x, i) => `word${i}${i % 7 === 0 ? 'Caps' : ''}`);
  return Array.from({ length: count }, (_x, d) => ({
    name: `doc${d}`,
    text: Array.from({ length: wordsPerDoc }, () => vocabulary[random.int(0, vocabulary.length)]!).join(random.float() < 0.5 ? ' ' : '  '),
  }));
}
