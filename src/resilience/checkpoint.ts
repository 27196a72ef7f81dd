import { ConfigError, checkObject, DistkitError, Emitter, systemClock, type Clock, type Unsubscribe, positiveInt } from '../core/index.js';
import { crc32c } from './crc32c.js';
import { NoRecoveryHandlerError } from './errors.js';

/**
 * Where checkpoints live. Values are opaque strings (the {@link CheckpointManager} frames and
 * checksums them). `save` must be atomic: after a crash, `load` returns the old value, the new
 * value, or nothing, or throws {@link CheckpointCorruptError} for a damaged value; never a
 * silently torn one. The memory store is {@link MemoryCheckpointStore}; `distkit/node` has a
 * file store (temp file, fsync, rename, fsync the directory, CRC32C verified on load).
 *
 * @example
 * ```ts
 * import { MemoryCheckpointStore } from 'distkit/resilience';
 * const store = new MemoryCheckpointStore();
 * await store.save('task-1', 1, 'payload');
 * await store.versions('task-1'); //=> [1]
 * ```
 */
export interface CheckpointStore {
  /** Stores `data` as version `version` of `taskId`, durably and atomically. */
  save(taskId: string, version: number, data: string): Promise<void>;
  /** The data of one version, or `undefined` if absent; throws CheckpointCorruptError if damaged. */
  load(taskId: string, version: number): Promise<string | undefined>;
  /** Versions stored for `taskId`, ascending. */
  versions(taskId: string): Promise<number[]>;
  /** Removes one version (absent is fine). */
  remove(taskId: string, version: number): Promise<void>;
  /** Task ids with at least one version. */
  tasks(): Promise<string[]>;
}

/**
 * A stored checkpoint failed verification (bad checksum, wrong length, unparsable).
 *
 * @example
 * ```ts
 * import { CheckpointCorruptError } from 'distkit/resilience';
 * new CheckpointCorruptError('job', 3, 'checksum mismatch').version; //=> 3
 * ```
 */
export class CheckpointCorruptError extends DistkitError {
  /** Task id. */
  readonly taskId: string;
  /** Version that is damaged. */
  readonly version: number;
  /** What failed. */
  readonly reason: string;
  constructor(taskId: string, version: number, reason: string) {
    super(`checkpoint ${JSON.stringify(taskId)} v${version} is corrupt: ${reason}`);
    this.taskId = taskId;
    this.version = version;
    this.reason = reason;
  }
}

/**
 * A checkpoint store in memory (for tests and single-process use).
 *
 * @example
 * ```ts
 * import { CheckpointManager, MemoryCheckpointStore } from 'distkit/resilience';
 * const store = new MemoryCheckpointStore();
 * const checkpoints = new CheckpointManager({ store, clock: { now: () => 0, wallNow: () => 1_700_000_000_000 } });
 * await checkpoints.save('job', { done: 10 });
 * await store.versions('job'); //=> [1]
 * await store.tasks(); //=> ['job']
 * ```
 */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly data = new Map<string, Map<number, string>>();

  /** Stores a version. */
  save(taskId: string, version: number, data: string): Promise<void> {
    let m = this.data.get(taskId);
    if (m === undefined) this.data.set(taskId, (m = new Map()));
    m.set(version, data);
    return Promise.resolve();
  }

  /** Loads a version. */
  load(taskId: string, version: number): Promise<string | undefined> {
    return Promise.resolve(this.data.get(taskId)?.get(version));
  }

  /** Versions ascending. */
  versions(taskId: string): Promise<number[]> {
    return Promise.resolve([...(this.data.get(taskId)?.keys() ?? [])].sort((a, b) => a - b));
  }

  /** Removes a version. */
  remove(taskId: string, version: number): Promise<void> {
    const m = this.data.get(taskId);
    m?.delete(version);
    if (m?.size === 0) this.data.delete(taskId);
    return Promise.resolve();
  }

  /** Task ids. */
  tasks(): Promise<string[]> {
    return Promise.resolve([...this.data.keys()].sort());
  }
}

/**
 * One checkpoint as the manager stores it (plain data).
 *
 * @example
 * ```ts
 * import { CheckpointManager, MemoryCheckpointStore } from 'distkit/resilience';
 * const store = new MemoryCheckpointStore();
 * const checkpoints = new CheckpointManager({ store, clock: { now: () => 0, wallNow: () => 1_700_000_000_000 } });
 * await checkpoints.save('job', { done: 40 }, 'resize');
 * (await checkpoints.load<{ done: number }>('job'))?.record; //=> { taskId: 'job', taskType: 'resize', version: 1, savedAt: 1700000000000, state: { done: 40 } }
 * ```
 */
export interface CheckpointRecord<S = unknown> {
  /** Task id. */
  readonly taskId: string;
  /** Task type, for recovery dispatch. */
  readonly taskType: string;
  /** Version (1, 2, ...). */
  readonly version: number;
  /** Wall-clock time of the save, ms since the epoch. */
  readonly savedAt: number;
  /** The task's state (plain JSON data). */
  readonly state: S;
}

const MAGIC = 'dkcp1';

/**
 * Frames a record for storage: `dkcp1 <crc32c hex> <length>\n<json>`. Pure.
 *
 * @example
 * ```ts
 * import { encodeCheckpoint, decodeCheckpoint } from 'distkit/resilience';
 * const text = encodeCheckpoint({ taskId: 't', taskType: 'x', version: 1, savedAt: 0, state: [1] });
 * decodeCheckpoint(text).ok; //=> true
 * ```
 */
export function encodeCheckpoint(record: CheckpointRecord): string {
  const json = JSON.stringify(record);
  return `${MAGIC} ${crc32c(json).toString(16).padStart(8, '0')} ${json.length}\n${json}`;
}

/**
 * Verifies and parses a framed record: the checksum, the length and the JSON. Pure.
 *
 * @example
 * ```ts
 * import { decodeCheckpoint } from 'distkit/resilience';
 * decodeCheckpoint('garbage'); //=> { ok: false, reason: 'bad header' }
 * ```
 */
export function decodeCheckpoint(text: string): { readonly ok: true; readonly record: CheckpointRecord } | { readonly ok: false; readonly reason: string } {
  const nl = text.indexOf('\n');
  const header = nl < 0 ? '' : text.slice(0, nl);
  const m = /^dkcp1 ([0-9a-f]{8}) (\d+)$/.exec(header);
  if (m === null) return { ok: false, reason: 'bad header' };
  const json = text.slice(nl + 1);
  if (json.length !== Number(m[2])) return { ok: false, reason: `length ${json.length}, header says ${m[2]} (torn write?)` };
  if (crc32c(json) !== parseInt(m[1]!, 16)) return { ok: false, reason: 'CRC32C mismatch' };
  let record: unknown;
  try {
    record = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'invalid JSON' };
  }
  const r = record as CheckpointRecord;
  if (r === null || typeof r !== 'object' || typeof r.taskId !== 'string' || typeof r.taskType !== 'string' || typeof r.version !== 'number') {
    return { ok: false, reason: 'not a checkpoint record' };
  }
  return { ok: true, record: r };
}

/**
 * Which versions to delete to keep the newest `keep`. Pure.
 *
 * @example
 * ```ts
 * import { retentionVictims } from 'distkit/resilience';
 * retentionVictims([1, 2, 3, 4, 5], 3); //=> [1, 2]
 * ```
 */
export function retentionVictims(versions: readonly number[], keep: number): number[] {
  const sorted = [...versions].sort((a, b) => a - b);
  return sorted.slice(0, Math.max(0, sorted.length - keep));
}

/**
 * A damaged checkpoint skipped while loading.
 *
 * @example
 * ```ts
 * import { CheckpointManager, MemoryCheckpointStore } from 'distkit/resilience';
 * const store = new MemoryCheckpointStore();
 * const checkpoints = new CheckpointManager({ store, clock: { now: () => 0, wallNow: () => 1_700_000_000_000 } });
 * await checkpoints.save('job', { done: 10 });
 * await checkpoints.save('job', { done: 20 });
 * // Version 2 is damaged on disk: loading falls back to version 1 and says why.
 * await store.save('job', 2, 'not a checkpoint');
 * const loaded = await checkpoints.load<{ done: number }>('job');
 * [loaded?.record.state.done, loaded?.corrupt.map((c) => c.version)]; //=> [10, [2]]
 * ```
 */
export interface CorruptCheckpoint {
  /** Task id. */
  readonly taskId: string;
  /** Version skipped. */
  readonly version: number;
  /** Why. */
  readonly reason: string;
}

/**
 * What {@link CheckpointManager.load} returns: the newest good checkpoint and the damaged newer
 * ones it skipped.
 *
 * @example
 * ```ts
 * import { CheckpointManager, MemoryCheckpointStore } from 'distkit/resilience';
 * const store = new MemoryCheckpointStore();
 * const checkpoints = new CheckpointManager({ store, clock: { now: () => 0, wallNow: () => 1_700_000_000_000 } });
 * import type { LoadedCheckpoint } from 'distkit/resilience';
 * await checkpoints.save('job', { step: 3 });
 * const l: LoadedCheckpoint<{ step: number }> | undefined = await checkpoints.load('job');
 * [l?.record.state.step, l?.record.version, l?.corrupt]; //=> [3, 1, []]
 * await checkpoints.load('unknown'); //=> undefined
 * ```
 */
export interface LoadedCheckpoint<S = unknown> {
  /** The newest good checkpoint. */
  readonly record: CheckpointRecord<S>;
  /** Newer versions skipped as corrupt (newest first). */
  readonly corrupt: readonly CorruptCheckpoint[];
}

/**
 * Options of {@link CheckpointManager}.
 *
 * @example
 * ```ts
 * import { CheckpointManager, MemoryCheckpointStore } from 'distkit/resilience';
 * const checkpoints = new CheckpointManager({ store: new MemoryCheckpointStore(), keep: 2 });
 * for (let step = 1; step <= 5; step++) await checkpoints.save('job', { step });
 * // Only the newest `keep` versions stay.
 * await checkpoints.versions('job'); //=> [4, 5]
 * ```
 */
export interface CheckpointManagerOptions {
  /** Where checkpoints live. */
  readonly store: CheckpointStore;
  /** Versions kept per task (default 3, at least 1). */
  readonly keep?: number;
  /** Clock for `savedAt` (its wall clock; default `systemClock`). */
  readonly clock?: Clock;
}

/**
 * Saves task state as numbered, checksummed versions and loads the newest good one. Keeps the last
 * `keep` versions per task; a corrupt or torn version is skipped (and reported through
 * {@link CheckpointManager.onCorruption} and the result) in favour of the previous good one.
 * Saves of one task are serialized.
 *
 * @example
 * ```ts
 * import { CheckpointManager, MemoryCheckpointStore } from 'distkit/resilience';
 * const cp = new CheckpointManager({ store: new MemoryCheckpointStore(), keep: 3 });
 * await cp.save('import-42', { offset: 1000 }, 'import');
 * const last = await cp.load<{ offset: number }>('import-42');
 * last?.record.state.offset; //=> 1000
 * ```
 */
export class CheckpointManager {
  private readonly store: CheckpointStore;
  /** Versions kept per task. */
  readonly keep: number;
  private readonly clock: Clock;
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly corruptionEvents = new Emitter<CorruptCheckpoint>();

  constructor(options: CheckpointManagerOptions) {
    checkObject('options', options);
    const s = options.store as CheckpointStore | undefined;
    if (s === undefined || typeof s.save !== 'function' || typeof s.load !== 'function' || typeof s.versions !== 'function') {
      throw new ConfigError('store', 'must implement CheckpointStore (save, load, versions, remove, tasks)');
    }
    this.store = s;
    this.keep = options.keep === undefined ? 3 : positiveInt('keep', options.keep);
    this.clock = options.clock ?? systemClock;
  }

  /** Saves `state` as the next version of `taskId`; resolves with the version once durable. */
  save<S>(taskId: string, state: S, taskType = 'default'): Promise<number> {
    if (typeof taskId !== 'string' || taskId === '') return Promise.reject(new ConfigError('taskId', 'must be a non-empty string'));
    return this.serialize(taskId, async () => {
      const found = await this.store.versions(taskId);
      const version = (found[found.length - 1] ?? 0) + 1;
      // A writer killed between its save and its pruning leaves surplus versions; drop them first
      // (still keeping `keep` old ones), so a crash at any point leaves at most keep + 1 versions.
      const surplus = retentionVictims(found, this.keep);
      for (const v of surplus) await this.store.remove(taskId, v);
      const versions = found.slice(surplus.length);
      const record: CheckpointRecord<S> = { taskId, taskType, version, savedAt: this.clock.wallNow(), state };
      await this.store.save(taskId, version, encodeCheckpoint(record));
      for (const v of retentionVictims([...versions, version], this.keep)) await this.store.remove(taskId, v);
      return version;
    });
  }

  /** The newest good checkpoint of `taskId`, or `undefined` when there is none. */
  async load<S = unknown>(taskId: string): Promise<LoadedCheckpoint<S> | undefined> {
    const versions = await this.store.versions(taskId);
    const corrupt: CorruptCheckpoint[] = [];
    for (let i = versions.length - 1; i >= 0; i--) {
      const r = await this.read(taskId, versions[i]!);
      if (r === undefined) continue;
      if ('reason' in r) {
        corrupt.push(r);
        this.corruptionEvents.emit(r);
        continue;
      }
      return { record: r as CheckpointRecord<S>, corrupt };
    }
    return undefined;
  }

  private async read(taskId: string, version: number): Promise<CheckpointRecord | CorruptCheckpoint | undefined> {
    let text: string | undefined;
    try {
      text = await this.store.load(taskId, version);
    } catch (e) {
      if (e instanceof CheckpointCorruptError) return { taskId, version, reason: e.reason };
      throw e;
    }
    if (text === undefined) return undefined;
    const d = decodeCheckpoint(text);
    if (!d.ok) return { taskId, version, reason: d.reason };
    if (d.record.taskId !== taskId || d.record.version !== version) {
      return { taskId, version, reason: `record says ${JSON.stringify(d.record.taskId)} v${d.record.version}` };
    }
    return d.record;
  }

  /** Stored versions of `taskId`, ascending. */
  versions(taskId: string): Promise<number[]> {
    return this.store.versions(taskId);
  }

  /** Task ids with checkpoints. */
  tasks(): Promise<string[]> {
    return this.store.tasks();
  }

  /** Deletes every version of `taskId` (e.g. when the task completes). */
  clear(taskId: string): Promise<void> {
    return this.serialize(taskId, async () => {
      for (const v of await this.store.versions(taskId)) await this.store.remove(taskId, v);
    });
  }

  /** Listens for corrupt versions found while loading. */
  onCorruption(listener: (corrupt: CorruptCheckpoint) => void): Unsubscribe {
    return this.corruptionEvents.on(listener);
  }

  private serialize<T>(taskId: string, op: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(taskId) ?? Promise.resolve();
    const next = prev.then(op, op);
    const tail = next.catch(() => undefined);
    this.chains.set(taskId, tail);
    void tail.then(() => {
      if (this.chains.get(taskId) === tail) this.chains.delete(taskId);
    });
    return next;
  }
}

/**
 * Recovers a task from its checkpoint: the state and where it came from, and, when recovery
 * follows a failure ({@link RecoveryManager.handleFailure}), the error the task failed with.
 *
 * @example
 * ```ts
 * import { CheckpointManager, MemoryCheckpointStore, RecoveryManager, type RecoveryHandler } from 'distkit/resilience';
 * const checkpoints = new CheckpointManager({ store: new MemoryCheckpointStore() });
 * await checkpoints.save('copy', { offset: 100 }, 'copy');
 * const resumed: number[] = [];
 * const resume: RecoveryHandler<{ offset: number }, void> = ({ state }) => { resumed.push(state.offset); };
 * const recovery = new RecoveryManager(checkpoints);
 * recovery.registerHandler('copy', resume);
 * await recovery.recover('copy');
 * resumed; //=> [100]
 * ```
 */
export type RecoveryHandler<S = unknown, R = unknown> = (checkpoint: CheckpointRecord<S>, error?: unknown) => R | Promise<R>;

/**
 * The outcome of {@link RecoveryManager.recover} for one task.
 *
 * @example
 * ```ts
 * import { CheckpointManager, MemoryCheckpointStore, RecoveryManager } from 'distkit/resilience';
 * const recovery = new RecoveryManager(new CheckpointManager({ store: new MemoryCheckpointStore() }));
 * // Nothing saved for this task: nothing to recover.
 * await recovery.recover('job'); //=> { taskId: 'job', recovered: false }
 * ```
 */
export interface RecoveryResult<R = unknown> {
  /** Task id. */
  readonly taskId: string;
  /** Whether a checkpoint was found and its handler ran. */
  readonly recovered: boolean;
  /** The version recovered from. */
  readonly version?: number;
  /** What the handler returned. */
  readonly result?: R;
  /** Corrupt versions skipped. */
  readonly corrupt?: readonly CorruptCheckpoint[];
  /**
   * Why {@link RecoveryManager.recoverAll} could not recover this task (no handler for its type,
   * or the handler threw); the other tasks were still recovered.
   */
  readonly error?: unknown;
}

/**
 * Restarts tasks from their newest good checkpoint through a handler registered per task type,
 * as in the notes' RecoveryManager. A checkpoint whose type has no handler throws
 * {@link NoRecoveryHandlerError} naming the type and the registered ones.
 *
 * @example
 * ```ts
 * import { CheckpointManager, MemoryCheckpointStore, RecoveryManager } from 'distkit/resilience';
 * const checkpoints = new CheckpointManager({ store: new MemoryCheckpointStore() });
 * await checkpoints.save('import-7', { offset: 4096 }, 'import');
 * // After a restart: every task with a checkpoint resumes through its type's handler.
 * const recovery = new RecoveryManager(checkpoints);
 * recovery.registerHandler<{ offset: number }, string>('import', ({ taskId, state }) => `${taskId} resumes at ${state.offset}`);
 * await recovery.recoverAll(); //=> [{ taskId: 'import-7', recovered: true, version: 1, result: 'import-7 resumes at 4096', corrupt: [] }]
 * ```
 */
export class RecoveryManager {
  private readonly handlers = new Map<string, RecoveryHandler>();

  constructor(private readonly checkpoints: CheckpointManager) {}

  /** Registers the handler for a task type (replacing any earlier one). */
  registerHandler<S = unknown, R = unknown>(taskType: string, handler: RecoveryHandler<S, R>): void {
    if (typeof taskType !== 'string' || taskType === '') throw new ConfigError('taskType', 'must be a non-empty string');
    if (typeof handler !== 'function') throw new ConfigError('handler', 'must be a function');
    this.handlers.set(taskType, handler as RecoveryHandler);
  }

  /** The notes' `register_recovery_handler(task_type, handler)`: the same as {@link RecoveryManager.registerHandler}. */
  registerRecoveryHandler<S = unknown, R = unknown>(taskType: string, handler: RecoveryHandler<S, R>): void {
    this.registerHandler(taskType, handler);
  }

  /** Task types with a handler. */
  get taskTypes(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /** Recovers one task (no checkpoint: `recovered: false`). */
  async recover<R = unknown>(taskId: string): Promise<RecoveryResult<R>> {
    const loaded = await this.checkpoints.load(taskId);
    if (loaded === undefined) return { taskId, recovered: false };
    const handler = this.handlers.get(loaded.record.taskType);
    if (handler === undefined) throw new NoRecoveryHandlerError(loaded.record.taskType, this.taskTypes);
    const result = (await handler(loaded.record)) as R;
    return { taskId, recovered: true, version: loaded.record.version, result, corrupt: loaded.corrupt };
  }

  /**
   * The notes' `handle_failure(task_id, task_type, error)`: restarts a failed task from its newest
   * good checkpoint through the handler for `taskType`, which receives the checkpoint and `error`.
   * No handler for the type throws {@link NoRecoveryHandlerError}; no checkpoint gives
   * `recovered: false` (the task starts over, the caller's decision).
   */
  async handleFailure<R = unknown>(taskId: string, taskType: string, error: unknown): Promise<RecoveryResult<R>> {
    const handler = this.handlers.get(taskType);
    if (handler === undefined) throw new NoRecoveryHandlerError(taskType, this.taskTypes);
    const loaded = await this.checkpoints.load(taskId);
    if (loaded === undefined) return { taskId, recovered: false };
    const result = (await handler(loaded.record, error)) as R;
    return { taskId, recovered: true, version: loaded.record.version, result, corrupt: loaded.corrupt };
  }

  /**
   * Recovers every task with a checkpoint, one after another. A task that cannot be recovered (no
   * handler for its type, or its handler throws) does not stop the others: its result says
   * `recovered: false` with the `error`.
   */
  async recoverAll(): Promise<RecoveryResult[]> {
    const out: RecoveryResult[] = [];
    for (const id of await this.checkpoints.tasks()) {
      try {
        out.push(await this.recover(id));
      } catch (error) {
        out.push({ taskId: id, recovered: false, error });
      }
    }
    return out;
  }
}
