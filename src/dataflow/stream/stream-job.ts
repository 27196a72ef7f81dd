/**
 * An in-process executor for a checkpointed stream job: sources → keyed window tasks → one
 * exactly-once sink, with the checkpoint coordinator, FIFO channels delivered in a seeded random
 * order, a checkpoint store, an external system for the sink, and failures injected at chosen
 * steps (every task restarts from the last completed checkpoint and the sources replay). Used
 * to show that the committed output equals that of a run without failures.
 *
 * @packageDocumentation
 */
import { DistkitError, positiveInt, Random, type Transition } from '../../core/index.js';
import type { WindowAggregate } from './aggregate.js';
import type { TaskSnapshotOutput } from './barrier-alignment.js';
import { checkpointCoordinator, type CheckpointCoordinatorDurable, type CheckpointCoordinatorOutput, type CheckpointCoordinatorState } from './checkpoint-coordinator.js';
import { exactlyOnceSink, type ExactlyOnceSinkOutput, type ExactlyOnceSinkState, type SinkMode } from './exactly-once-sink.js';
import { streamSource, type StreamSourceState } from './stream-source.js';
import type { WindowTrigger } from './window-operator.js';
import { windowTask } from './window-task.js';
import type { WindowAssigner } from './window.js';

/**
 * One record of a source's log.
 *
 * @example
 * ```ts
 * import type { SourceRecord } from 'distkit/dataflow';
 * const r: SourceRecord = { key: 'eu', value: 1, timestamp: 1_000 };
 * ```
 */
export interface SourceRecord {
  readonly key: string;
  readonly value?: unknown;
  readonly timestamp: number;
}

/**
 * Options of {@link runStreamJob}.
 *
 * @example
 * ```ts
 * import type { StreamJobOptions } from 'distkit/dataflow';
 * const o: StreamJobOptions = { sources: [[{ key: 'a', timestamp: 1 }]], window: { kind: 'tumbling', sizeMs: 10 }, aggregate: { kind: 'count' } };
 * ```
 */
export interface StreamJobOptions {
  /** One replayable log per source task. */
  readonly sources: readonly (readonly SourceRecord[])[];
  readonly window: WindowAssigner;
  readonly aggregate: WindowAggregate;
  readonly trigger?: WindowTrigger;
  /** Parallel window tasks (each reads from every source). Default 2. */
  readonly windowTasks?: number;
  /** Default `two-phase`. */
  readonly sink?: SinkMode;
  /** The sources' bounded out-of-orderness (ms). Default 0. */
  readonly outOfOrdernessMs?: number;
  /** A source watermark after every this many records. Default 1. */
  readonly watermarkEvery?: number;
  /** A checkpoint every this many steps (one step delivers one message or reads one record); `null`: only the final one. Default 100. */
  readonly checkpointEvery?: number | null;
  /** Seed of the delivery order. Default 1. */
  readonly seed?: number;
  /** Steps at which the job fails: channels are lost and every task restarts from the last completed checkpoint. */
  readonly failures?: readonly number[];
  /** Whether each failure also crashes the coordinator (it recovers from its durable record). Default false. */
  readonly coordinatorCrashes?: boolean;
  /** Give up after this many steps. Default 10,000,000. */
  readonly maxSteps?: number;
}

/**
 * What a sink committed: its records in commit order (two-phase), or the final upsert table
 * sorted by key and timestamp (idempotent).
 *
 * @example
 * ```ts
 * import type { CommittedRecord } from 'distkit/dataflow';
 * const r: CommittedRecord = { key: 'eu', timestamp: 9, value: 2 };
 * ```
 */
export interface CommittedRecord {
  readonly key: string;
  readonly timestamp: number;
  readonly value: unknown;
}

/**
 * The result of {@link runStreamJob}: the committed output and what it took.
 *
 * @example
 * ```ts
 * import type { StreamJobResult } from 'distkit/dataflow';
 * const empty: StreamJobResult = { committed: [], checkpoints: 0, aborted: 0, restarts: 0, steps: 0, replayed: 0, writes: 0, late: 0, rejected: 0 };
 * ```
 */
export interface StreamJobResult {
  readonly committed: readonly CommittedRecord[];
  /** Checkpoints completed. */
  readonly checkpoints: number;
  readonly aborted: number;
  readonly restarts: number;
  readonly steps: number;
  /** Source records read again after restarts. */
  readonly replayed: number;
  /** Writes (or upserts) the sink made, replays included. */
  readonly writes: number;
  /** Elements that reached a window task past their window's lateness. */
  readonly late: number;
  /** Messages a task refused (none in a correct run). */
  readonly rejected: number;
}

/** Thrown when the job does not finish within `maxSteps` or the sink's external system sees a protocol error. */
export class StreamJobError extends DistkitError {}

type AnyState = unknown;
type AnyOutput = { readonly type: string } & Record<string, unknown>;
interface Task {
  readonly step: (state: AnyState, input: Record<string, unknown>) => Transition<AnyState, AnyOutput>;
  state: AnyState;
}

const COORDINATOR = 'coordinator';
const SINK = 'sink';

/** The external system of a two-phase or idempotent sink. */
class ExternalSink {
  readonly open = new Map<string, CommittedRecord[]>();
  readonly precommitted = new Map<string, CommittedRecord[]>();
  readonly committedTxns = new Set<string>();
  readonly committed: CommittedRecord[] = [];
  readonly table = new Map<string, CommittedRecord>();
  writes = 0;

  apply(o: ExactlyOnceSinkOutput): void {
    switch (o.type) {
      case 'upsert':
        this.writes++;
        this.table.set(`${o.timestamp}\u0000${o.key}`, { key: o.key, timestamp: o.timestamp, value: o.value });
        return;
      case 'write': {
        this.writes++;
        if (this.precommitted.has(o.txn) || this.committedTxns.has(o.txn)) throw new StreamJobError(`write into closed transaction ${o.txn}`);
        const list = this.open.get(o.txn) ?? [];
        list.push({ key: o.key, timestamp: o.timestamp, value: o.value });
        this.open.set(o.txn, list);
        return;
      }
      case 'pre-commit':
        this.precommitted.set(o.txn, this.open.get(o.txn) ?? []);
        this.open.delete(o.txn);
        return;
      case 'commit':
        this.commit(o.txn);
        return;
      case 'recover':
        for (const txn of o.commit) this.commit(txn);
        // Fencing: every other transaction this sink left open or pre-committed is aborted.
        this.open.clear();
        this.precommitted.clear();
        return;
      default:
        return;
    }
  }

  private commit(txn: string): void {
    if (this.committedTxns.has(txn)) return; // commits are idempotent
    const records = this.precommitted.get(txn);
    if (records === undefined) throw new StreamJobError(`commit of transaction ${txn}, which is not pre-committed`);
    this.precommitted.delete(txn);
    this.committedTxns.add(txn);
    this.committed.push(...records);
  }
}

function sortedTable(table: Map<string, CommittedRecord>): CommittedRecord[] {
  return [...table.values()].sort((a, b) => a.timestamp - b.timestamp || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The job's wiring, its channels and its bookkeeping. */
class StreamJob {
  readonly tasks = new Map<string, Task>();
  readonly sourceIds: string[];
  readonly windowIds: string[];
  /** FIFO channels by `from\u0000to`, and the non-empty ones. */
  readonly channels = new Map<string, { from: string; to: string; queue: unknown[]; head: number }>();
  readonly snapshots = new Map<string, unknown>();
  readonly external = new ExternalSink();
  coordinator: CheckpointCoordinatorState;
  coordinatorDurable: CheckpointCoordinatorDurable | null = null;
  now = 0;
  readonly stats = { replayed: 0, late: 0, rejected: 0, restarts: 0, completed: 0, aborted: 0 };
  failRequested = false;
  highWater: number[];

  constructor(readonly options: StreamJobOptions) {
    const n = positiveInt('windowTasks', options.windowTasks, 2);
    this.sourceIds = options.sources.map((_s, i) => `source-${i}`);
    this.windowIds = Array.from({ length: n }, (_x, i) => `window-${i}`);
    this.highWater = options.sources.map(() => 0);
    const every = options.checkpointEvery === undefined ? 100 : options.checkpointEvery;
    this.coordinator = checkpointCoordinator.init({ id: COORDINATOR, sources: this.sourceIds, tasks: [...this.windowIds, SINK], ...(every === null ? {} : { intervalMs: positiveInt('checkpointEvery', every) }), timeoutMs: 1e12 });
    for (const id of this.sourceIds) {
      const state = streamSource.init({ id, coordinator: COORDINATOR, outputs: this.windowIds, outOfOrdernessMs: options.outOfOrdernessMs ?? 0, watermarkEvery: options.watermarkEvery ?? 1 });
      this.tasks.set(id, { step: streamSource.step as unknown as Task['step'], state });
    }
    for (const id of this.windowIds) {
      const config = { id, coordinator: COORDINATOR, inputs: this.sourceIds, outputs: [SINK], window: options.window, aggregate: options.aggregate, ...(options.trigger === undefined ? {} : { trigger: options.trigger }) };
      this.tasks.set(id, { step: windowTask.step as unknown as Task['step'], state: windowTask.init(config) });
    }
    this.tasks.set(SINK, { step: exactlyOnceSink.step as unknown as Task['step'], state: exactlyOnceSink.init({ id: SINK, coordinator: COORDINATOR, inputs: this.windowIds, mode: options.sink ?? 'two-phase' }) });
  }

  enqueue(from: string, to: string, message: unknown): void {
    const k = `${from}\u0000${to}`;
    let c = this.channels.get(k);
    if (c === undefined) {
      c = { from, to, queue: [], head: 0 };
      this.channels.set(k, c);
    }
    c.queue.push(message);
  }

  stepTask(id: string, input: Record<string, unknown>): void {
    const task = this.tasks.get(id) as Task;
    const t = task.step(task.state, { ...input, now: this.now });
    task.state = t.state;
    for (const o of t.outputs) this.taskOutput(id, o);
  }

  taskOutput(id: string, o: AnyOutput): void {
    switch (o.type) {
      case 'send':
        this.enqueue(id, o.to as string, o.message);
        return;
      case 'snapshot':
        this.snapshots.set(`${id}\u0000${(o as unknown as TaskSnapshotOutput).checkpoint}`, (o as unknown as TaskSnapshotOutput).snapshot);
        return;
      case 'late':
        this.stats.late++;
        return;
      case 'rejected':
      case 'dropped':
        this.stats.rejected++;
        return;
      case 'failed':
        this.failRequested = true;
        return;
      default:
        this.external.apply(o as unknown as ExactlyOnceSinkOutput);
    }
  }

  stepCoordinator(input: Record<string, unknown>): void {
    const t = checkpointCoordinator.step(this.coordinator, { ...input, now: this.now } as never);
    this.coordinator = t.state;
    for (const o of t.outputs) this.coordinatorOutput(o);
  }

  coordinatorOutput(o: CheckpointCoordinatorOutput): void {
    switch (o.type) {
      case 'send':
        this.enqueue(COORDINATOR, o.to, o.message);
        return;
      case 'persist':
        this.coordinatorDurable = o.record;
        return;
      case 'aborted':
        this.stats.aborted++;
        return;
      case 'completed':
        this.stats.completed++;
        for (const k of [...this.snapshots.keys()]) if (Number(k.slice(k.indexOf('\u0000') + 1)) < o.checkpoint) this.snapshots.delete(k);
        return;
      case 'restore':
        this.restore(o.epoch, o.checkpoint);
        return;
      default:
        return;
    }
  }

  /** ABS §4.3: every task back to its snapshot of `checkpoint`; the sources replay from their offsets. */
  restore(epoch: number, checkpoint: number | null): void {
    this.stats.restarts++;
    for (const id of this.tasks.keys()) {
      const snapshot = checkpoint === null ? null : this.snapshots.get(`${id}\u0000${checkpoint}`);
      if (snapshot === undefined) throw new StreamJobError(`no snapshot of ${id} for completed checkpoint ${checkpoint}`);
      this.stepTask(id, { type: 'restore', epoch, checkpoint, snapshot });
    }
  }

  fail(): void {
    this.channels.clear();
    this.failRequested = false;
    if (this.options.coordinatorCrashes === true && this.coordinatorDurable !== null) {
      const config = { id: COORDINATOR, sources: this.sourceIds, tasks: [...this.windowIds, SINK], ...(this.coordinator.intervalMs === null ? {} : { intervalMs: this.coordinator.intervalMs }), timeoutMs: 1e12 };
      this.coordinator = checkpointCoordinator.recover(config, this.coordinatorDurable);
    }
    this.stepCoordinator({ type: 'failure', reason: 'injected failure' });
  }

  allEnded(): boolean {
    return this.sourceIds.every((id) => ((this.tasks.get(id) as Task).state as StreamSourceState).ended);
  }

  /** No transaction of the sink awaits its commit. */
  sinkSettled(): boolean {
    return ((this.tasks.get(SINK) as Task).state as ExactlyOnceSinkState).pending.length === 0;
  }

  /** Reads the next record of source `i`, or ends it. */
  readSource(i: number): void {
    const id = this.sourceIds[i] as string;
    const s = (this.tasks.get(id) as Task).state as StreamSourceState;
    const log = this.options.sources[i] as readonly SourceRecord[];
    if (s.offset >= log.length) {
      this.stepTask(id, { type: 'end' });
      return;
    }
    if (s.offset < (this.highWater[i] as number)) this.stats.replayed++;
    else this.highWater[i] = s.offset + 1;
    const r = log[s.offset] as SourceRecord;
    this.stepTask(id, { type: 'emit', offset: s.offset, key: r.key, value: r.value ?? null, timestamp: r.timestamp });
  }

  /** One step: a random busy channel delivers its head, or a random live source reads a record. */
  turn(rng: Random): boolean {
    const busy = [...this.channels.values()].filter((c) => c.head < c.queue.length);
    const live = this.sourceIds.map((_id, i) => i).filter((i) => !((this.tasks.get(this.sourceIds[i] as string) as Task).state as StreamSourceState).ended);
    const n = busy.length + live.length;
    if (n === 0) return false;
    const pick = rng.int(0, n);
    if (pick >= busy.length) {
      this.readSource(live[pick - busy.length] as number);
      return true;
    }
    const c = busy[pick] as { from: string; to: string; queue: unknown[]; head: number };
    const message = c.queue[c.head];
    c.head++;
    if (c.head === c.queue.length) {
      c.queue.length = 0;
      c.head = 0;
    }
    if (c.to === COORDINATOR) this.stepCoordinator({ type: 'message', from: c.from, message });
    else this.stepTask(c.to, { type: 'message', from: c.from, message });
    return true;
  }
}

/**
 * Runs a stream job in process: `sources` → `windowTasks` keyed window tasks (every source feeds
 * every window task, by key hash) → one exactly-once sink, with a {@link checkpointCoordinator}
 * triggering aligned checkpoints every `checkpointEvery` steps and a final one once the input is
 * drained. At each step in `failures` the channels are lost and the job restarts from the last
 * completed checkpoint. Returns what the sink's external system committed.
 *
 * @example
 * ```ts
 * import { runStreamJob } from 'distkit/dataflow';
 * const log = [{ key: 'a', timestamp: 1 }, { key: 'b', timestamp: 2 }, { key: 'a', timestamp: 12 }];
 * const r = runStreamJob({ sources: [log], window: { kind: 'tumbling', sizeMs: 10 }, aggregate: { kind: 'count' }, failures: [4] });
 * r.committed.length; //=> 3
 * r.committed.find((c) => c.key === 'a' && c.timestamp === 9); //=> { key: 'a', timestamp: 9, value: 1 }
 * r.restarts; //=> 1
 * ```
 */
export function runStreamJob(options: StreamJobOptions): StreamJobResult {
  const job = new StreamJob(options);
  const rng = new Random(options.seed ?? 1);
  const maxSteps = positiveInt('maxSteps', options.maxSteps, 10_000_000);
  const failures = new Set(options.failures ?? []);
  // Barriers follow every record in FIFO order, so any checkpoint triggered once every source has
  // ended covers the whole input: the job is done when that one completed and the sink committed.
  let finalCheckpoint: number | null = null;
  let steps = 0;
  for (; steps < maxSteps; steps++) {
    job.now = steps;
    if (failures.has(steps) || job.failRequested) {
      job.fail();
      finalCheckpoint = null;
    }
    const c = job.coordinator;
    if (finalCheckpoint === null && job.allEnded()) finalCheckpoint = c.nextCheckpoint;
    if (finalCheckpoint !== null && c.completed !== null && c.completed >= finalCheckpoint && job.sinkSettled()) break;
    const due = checkpointCoordinator.nextDeadline(c);
    if (due !== undefined && due <= job.now) job.stepCoordinator({ type: 'tick' });
    else if (finalCheckpoint === c.nextCheckpoint && c.pending === null) job.stepCoordinator({ type: 'trigger' });
    job.turn(rng);
  }
  if (steps >= maxSteps) throw new StreamJobError(`the job did not finish within ${maxSteps} steps`);
  const e = job.external;
  const committed = (options.sink ?? 'two-phase') === 'two-phase' ? e.committed : sortedTable(e.table);
  return { committed, checkpoints: job.stats.completed, aborted: job.stats.aborted, restarts: job.stats.restarts, steps, replayed: job.stats.replayed, writes: e.writes, late: job.stats.late, rejected: job.stats.rejected };
}
