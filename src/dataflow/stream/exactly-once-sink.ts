/**
 * Exactly-once sinks of a checkpointed stream job: idempotent keyed upserts, and a two-phase
 * commit sink (Flink's `TwoPhaseCommitSinkFunction`, after the two-phase commit protocol of
 * distkit/txn): writes go into a transaction that is pre-committed when the checkpoint's barriers
 * are aligned and committed once the coordinator says that checkpoint is complete.
 *
 * @packageDocumentation
 */
import { checkId, checkIds, ConfigError, InvalidCommandError, positiveInt, reject, stepByType, transition, type InputHandlers, type Machine, type MessageInput, type RejectedOutput, type SendOutput, type TickInput, type Transition } from '../../core/index.js';
import { channelFrom, checkRestore, controlFrom, DEFAULT_MAX_ALIGNMENT_BUFFER, deliver, idleAlignment, onAbort, type AlignedHooks, type RestoreTaskInput, type StreamTaskBase, type TaskSnapshotOutput } from './barrier-alignment.js';

/**
 * How a sink makes its output exactly-once: `idempotent` writes each record as an upsert keyed
 * by `(key, timestamp)`, so a replay rewrites the same values; `two-phase` writes into
 * transactions committed only with a completed checkpoint, so a replay's writes are never seen.
 *
 * @example
 * ```ts
 * import type { SinkMode } from 'distkit/dataflow';
 * const mode: SinkMode = 'two-phase';
 * ```
 */
export type SinkMode = 'idempotent' | 'two-phase';

/**
 * Configuration of {@link exactlyOnceSink}.
 *
 * @example
 * ```ts
 * import type { ExactlyOnceSinkConfig } from 'distkit/dataflow';
 * const c: ExactlyOnceSinkConfig = { id: 'sink', coordinator: 'jm', inputs: ['win-0', 'win-1'], mode: 'two-phase' };
 * ```
 */
export interface ExactlyOnceSinkConfig {
  readonly id: string;
  readonly coordinator: string;
  readonly inputs: readonly string[];
  readonly mode: SinkMode;
  /** Pre-committed transactions awaiting a completed checkpoint before the sink asks for a restart. Default 64. */
  readonly maxPendingTransactions?: number;
  /** Messages buffered while aligning before the checkpoint is declined. Default 10,000. */
  readonly maxAlignmentBuffer?: number;
}

/** A pre-committed transaction and the checkpoint whose completion commits it. */
export interface PendingTransaction {
  readonly checkpoint: number;
  readonly txn: string;
}

/** The state of {@link exactlyOnceSink}: plain JSON. */
export interface ExactlyOnceSinkState extends StreamTaskBase {
  readonly mode: SinkMode;
  readonly maxPendingTransactions: number;
  /** Transactions opened in this epoch (the open one is `${id}/${epoch}/${seq}`). */
  readonly seq: number;
  /** Writes into the open transaction. */
  readonly written: number;
  readonly pending: readonly PendingTransaction[];
}

/** Inputs of {@link exactlyOnceSink}. */
export type ExactlyOnceSinkInput = MessageInput | RestoreTaskInput | TickInput;

/**
 * What a sink asks of the external system:
 * - `upsert` (idempotent): set the value of `(key, timestamp)`;
 * - `write` (two-phase): add a record to transaction `txn` (opening it if needed);
 * - `pre-commit`: make `txn` durable but invisible (phase one);
 * - `commit`: make `txn` visible — idempotent, since a restore commits again (phase two);
 * - `recover`: after a restart, commit the listed transactions and abort every other open
 *   transaction of this sink (Kafka's `initTransactions` fencing);
 * - `failed`: too many transactions await a checkpoint: restart the job.
 */
export type ExactlyOnceSinkOutput =
  | { readonly type: 'upsert'; readonly key: string; readonly timestamp: number; readonly value: unknown }
  | { readonly type: 'write'; readonly txn: string; readonly key: string; readonly timestamp: number; readonly value: unknown }
  | { readonly type: 'pre-commit'; readonly txn: string }
  | { readonly type: 'commit'; readonly txn: string }
  | { readonly type: 'recover'; readonly sink: string; readonly commit: readonly string[] }
  | { readonly type: 'failed'; readonly reason: string }
  | SendOutput
  | TaskSnapshotOutput
  | RejectedOutput;

type Out = Transition<ExactlyOnceSinkState, ExactlyOnceSinkOutput>;
type Outs = ExactlyOnceSinkOutput[];

/** The name of the sink's open transaction. */
export function openTransaction(state: ExactlyOnceSinkState): string {
  return `${state.id}/${state.epoch}/${state.seq}`;
}

function init(config: ExactlyOnceSinkConfig): ExactlyOnceSinkState {
  checkId('id', config.id);
  checkId('coordinator', config.coordinator);
  if (config.mode !== 'idempotent' && config.mode !== 'two-phase') throw new ConfigError('mode', `must be 'idempotent' or 'two-phase', got ${JSON.stringify(config.mode)}`);
  return {
    id: config.id,
    coordinator: config.coordinator,
    inputs: checkIds('inputs', config.inputs),
    outputs: [],
    epoch: 0,
    align: idleAlignment(-1),
    maxAlignmentBuffer: positiveInt('maxAlignmentBuffer', config.maxAlignmentBuffer, DEFAULT_MAX_ALIGNMENT_BUFFER),
    mode: config.mode,
    maxPendingTransactions: positiveInt('maxPendingTransactions', config.maxPendingTransactions, 64),
    seq: 0,
    written: 0,
    pending: [],
  };
}

const hooks: AlignedHooks<ExactlyOnceSinkState, ExactlyOnceSinkOutput> = {
  process(state, _from, message, _now, out) {
    if (message.type !== 'record') return state;
    const { key, timestamp, value } = message;
    if (state.mode === 'idempotent') {
      out.push({ type: 'upsert', key, timestamp, value });
      return state;
    }
    out.push({ type: 'write', txn: openTransaction(state), key, timestamp, value });
    return { ...state, written: state.written + 1 };
  },
  // Phase one at the barrier: what came before it is pre-committed and belongs to this checkpoint.
  snapshot(state, checkpoint, out) {
    let s = state;
    if (s.mode === 'two-phase' && s.written > 0) {
      if (s.pending.length >= s.maxPendingTransactions) {
        // Bounded: decline (the open transaction stays open) and ask for a restart, which resets `pending`.
        const reason = `${s.pending.length} transactions await a completed checkpoint (maxPendingTransactions)`;
        out.push({ type: 'failed', reason });
        return reason;
      }
      const txn = openTransaction(s);
      out.push({ type: 'pre-commit', txn });
      s = { ...s, seq: s.seq + 1, written: 0, pending: [...s.pending, { checkpoint, txn }] };
    }
    out.push({ type: 'snapshot', checkpoint, snapshot: { pending: s.pending } });
    return s;
  },
};

/** Phase two: checkpoint `checkpoint` is complete, so every transaction it covers commits. */
function onComplete(state: ExactlyOnceSinkState, checkpoint: number): Out {
  const done = state.pending.filter((p) => p.checkpoint <= checkpoint);
  if (done.length === 0) return transition(state);
  return transition(
    { ...state, pending: state.pending.filter((p) => p.checkpoint > checkpoint) },
    done.map((p): ExactlyOnceSinkOutput => ({ type: 'commit', txn: p.txn })),
  );
}

function onMessage(state: ExactlyOnceSinkState, input: MessageInput): Out {
  const out: Outs = [];
  if (input.from === state.coordinator) {
    const m = controlFrom(state, input.from, input.message);
    if (typeof m === 'string') return reject(state, input.from, m);
    if (m.type === 'complete') return onComplete(state, m.checkpoint);
    if (m.type === 'abort') return transition(onAbort(hooks, state, m.checkpoint, input.now, out), out);
    return reject(state, input.from, 'a sink injects no barriers');
  }
  const m = channelFrom(state, input.from, input.message);
  if (typeof m === 'string') return reject(state, String(input.from), m);
  return transition(deliver(hooks, state, input.from, m, input.now, out), out);
}

function pendingOf(snapshot: unknown, max: number): PendingTransaction[] {
  const pending = snapshot !== null && typeof snapshot === 'object' ? (snapshot as { pending?: unknown }).pending : undefined;
  const ok =
    Array.isArray(pending) &&
    pending.length <= max &&
    pending.every((p: unknown) => p !== null && typeof p === 'object' && Number.isSafeInteger((p as PendingTransaction).checkpoint) && typeof (p as PendingTransaction).txn === 'string');
  if (!ok) throw new InvalidCommandError('restore', 'snapshot: expected a sink snapshot { pending: [{ checkpoint, txn }] }');
  return (pending as PendingTransaction[]).map((p) => ({ checkpoint: p.checkpoint, txn: p.txn }));
}

/**
 * ABS §4.3 with Flink's two-phase sink: the transactions pre-committed in the restored checkpoint
 * belong to it, so they commit now (their `commit` may have been lost in the failure); anything
 * else opened before the failure is aborted.
 */
function onRestore(state: ExactlyOnceSinkState, input: RestoreTaskInput): Out {
  checkRestore(state, input);
  const commit = input.checkpoint === null ? [] : pendingOf(input.snapshot, state.maxPendingTransactions).map((p) => p.txn);
  const s: ExactlyOnceSinkState = { ...state, epoch: input.epoch, align: idleAlignment(input.checkpoint ?? -1), seq: 0, written: 0, pending: [] };
  return transition(s, state.mode === 'two-phase' ? [{ type: 'recover', sink: state.id, commit }] : []);
}

const handlers: InputHandlers<ExactlyOnceSinkState, ExactlyOnceSinkInput, ExactlyOnceSinkOutput> = {
  message: onMessage,
  restore: onRestore,
  tick: (state) => transition(state),
};

/**
 * An exactly-once sink task (Carbone et al. 2015 with Flink's `TwoPhaseCommitSinkFunction`): it
 * aligns barriers like every task with inputs; in `idempotent` mode each record is an `upsert`
 * keyed by `(key, timestamp)`; in `two-phase` mode records are `write`s into the open transaction,
 * which is `pre-commit`ted when checkpoint n is aligned and `commit`ted when the coordinator reports
 * n complete. After a restart, `recover` commits the transactions of the restored checkpoint and
 * aborts the rest, so the committed output equals that of a run without failures.
 *
 * @example
 * ```ts
 * import { exactlyOnceSink } from 'distkit/dataflow';
 * let s = exactlyOnceSink.init({ id: 'sink', coordinator: 'jm', inputs: ['w'], mode: 'two-phase' });
 * const msg = (from: string, message: unknown) => ({ type: 'message' as const, from, message, now: 0 });
 * s = exactlyOnceSink.step(s, msg('w', { type: 'record', epoch: 0, key: 'k', value: 3, timestamp: 9 })).state;
 * const pre = exactlyOnceSink.step(s, msg('w', { type: 'barrier', epoch: 0, checkpoint: 1 }));
 * pre.outputs[0]; //=> { type: 'pre-commit', txn: 'sink/0/0' }
 * exactlyOnceSink.step(pre.state, msg('jm', { type: 'complete', epoch: 0, checkpoint: 1 })).outputs; //=> [{ type: 'commit', txn: 'sink/0/0' }]
 * ```
 */
export const exactlyOnceSink: Machine<ExactlyOnceSinkConfig, ExactlyOnceSinkState, ExactlyOnceSinkInput, ExactlyOnceSinkOutput> = {
  name: 'exactly-once-sink',
  init,
  step: (state, input) => stepByType(handlers, state, input),
};
