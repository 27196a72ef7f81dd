/**
 * A replayable source task (Carbone et al. 2015, ABS §4.3: "sources must be replayable"): it reads
 * a log by offset, partitions records to its outputs by key, emits watermarks, and on a `trigger`
 * from the checkpoint coordinator records its offset and injects a barrier on every output.
 *
 * @packageDocumentation
 */
import { checkId, checkIds, ConfigError, InvalidCommandError, positiveInt, reject, send, stepByType, transition, type InputHandlers, type Machine, type MessageInput, type RejectedOutput, type SendOutput, type TickInput, type Transition } from '../../core/index.js';
import { murmur3 } from '../../hashing/index.js';
import { ackOutput, broadcast, checkRestore, controlFrom, idleAlignment, type RestoreTaskInput, type StreamTaskBase, type TaskSnapshotOutput } from './barrier-alignment.js';
import { MAX_STREAM_VALUE_BYTES } from './barrier-messages.js';
import { boundedOutOfOrderness, currentWatermark, observeTimestamp, type BoundedOutOfOrdernessState } from './watermark.js';
import { MAX_WATERMARK, TIMESTAMP_LIMIT } from './window.js';
import { MAX_ID_LENGTH, plainDataProblem } from '../../core/index.js';

/**
 * Configuration of {@link streamSource}.
 *
 * @example
 * ```ts
 * import type { StreamSourceConfig } from 'distkit/dataflow';
 * const c: StreamSourceConfig = { id: 'src-0', coordinator: 'jm', outputs: ['win-0', 'win-1'], outOfOrdernessMs: 100 };
 * ```
 */
export interface StreamSourceConfig {
  readonly id: string;
  readonly coordinator: string;
  /** The tasks records go to, by `hash(key) mod outputs.length`. */
  readonly outputs: readonly string[];
  /** Bounded out-of-orderness of the log's timestamps (ms). Default 0. */
  readonly outOfOrdernessMs?: number;
  /** A watermark after every this many records. Default 1. */
  readonly watermarkEvery?: number;
}

/** The state of {@link streamSource}: plain JSON. */
export interface StreamSourceState extends StreamTaskBase {
  /** The offset of the next record to read from the log. */
  readonly offset: number;
  readonly generator: BoundedOutOfOrdernessState;
  readonly watermarkEvery: number;
  /** Records since the last watermark. */
  readonly sinceWatermark: number;
  /** The last watermark sent. */
  readonly watermark: number;
  /** The log is exhausted: the final watermark was sent. */
  readonly ended: boolean;
  /** The last checkpoint this source injected. */
  readonly lastCheckpoint: number;
}

/** The host read the record at `offset` of the log (it must be the source's `offset`). */
export interface SourceEmitInput {
  readonly type: 'emit';
  readonly offset: number;
  readonly key: string;
  readonly value?: unknown;
  readonly timestamp: number;
  readonly now: number;
}

/** The log is exhausted (a bounded stream): the source sends the final watermark. */
export interface SourceEndInput {
  readonly type: 'end';
  readonly now: number;
}

/** Inputs of {@link streamSource}. */
export type StreamSourceInput = SourceEmitInput | SourceEndInput | RestoreTaskInput | MessageInput | TickInput;

/** Outputs of {@link streamSource}. */
export type StreamSourceOutput = SendOutput | TaskSnapshotOutput | RejectedOutput;

/** What a source's snapshot holds: its offset and watermark position. */
interface SourceSnapshot {
  readonly offset: number;
  readonly maxTimestamp: number | null;
  readonly sinceWatermark: number;
  readonly watermark: number;
  readonly ended: boolean;
}

type Out = Transition<StreamSourceState, StreamSourceOutput>;

function init(config: StreamSourceConfig): StreamSourceState {
  checkId('id', config.id);
  checkId('coordinator', config.coordinator);
  checkIds('outputs', config.outputs);
  if (config.outputs.length === 0) throw new ConfigError('outputs', 'a source needs at least one output');
  return {
    id: config.id,
    coordinator: config.coordinator,
    inputs: [],
    outputs: [...config.outputs],
    epoch: 0,
    align: idleAlignment(-1),
    maxAlignmentBuffer: 0,
    offset: 0,
    generator: boundedOutOfOrderness(config.outOfOrdernessMs ?? 0),
    watermarkEvery: positiveInt('watermarkEvery', config.watermarkEvery, 1),
    sinceWatermark: 0,
    watermark: -MAX_WATERMARK,
    ended: false,
    lastCheckpoint: -1,
  };
}

function emitProblem(state: StreamSourceState, input: SourceEmitInput): string | undefined {
  if (state.ended) return 'the source has ended';
  if (input.offset !== state.offset) return `offset ${String(input.offset)}: expected ${state.offset} (replay from the source's offset)`;
  if (typeof input.key !== 'string' || input.key.length > MAX_ID_LENGTH) return `key: expected a string of at most ${MAX_ID_LENGTH} characters`;
  if (!Number.isSafeInteger(input.timestamp) || Math.abs(input.timestamp) > TIMESTAMP_LIMIT) return `timestamp: expected an integer in -${TIMESTAMP_LIMIT}..${TIMESTAMP_LIMIT}`;
  if (input.value !== undefined && input.value !== null && typeof input.value === 'object') return plainDataProblem(input.value, 'value', { maxDepth: 16, maxBytes: MAX_STREAM_VALUE_BYTES });
  return undefined;
}

function onEmit(state: StreamSourceState, input: SourceEmitInput): Out {
  const problem = emitProblem(state, input);
  if (problem !== undefined) return transition(state, [{ type: 'rejected', from: 'local', reason: problem }]);
  const to = state.outputs[murmur3(input.key) % state.outputs.length] as string;
  const outputs: StreamSourceOutput[] = [send(to, { type: 'record', epoch: state.epoch, key: input.key, value: input.value ?? null, timestamp: input.timestamp })];
  const generator = observeTimestamp(state.generator, input.timestamp);
  let s: StreamSourceState = { ...state, offset: state.offset + 1, generator, sinceWatermark: state.sinceWatermark + 1 };
  if (s.sinceWatermark >= s.watermarkEvery) {
    const w = currentWatermark(generator);
    s = { ...s, sinceWatermark: 0 };
    if (w > s.watermark) {
      s = { ...s, watermark: w };
      broadcast(s, { type: 'watermark', epoch: s.epoch, watermark: w }, outputs as never[]);
    }
  }
  return transition(s, outputs);
}

function onEnd(state: StreamSourceState): Out {
  if (state.ended) return transition(state);
  const s: StreamSourceState = { ...state, ended: true, watermark: MAX_WATERMARK };
  const outputs: StreamSourceOutput[] = [];
  broadcast(s, { type: 'watermark', epoch: s.epoch, watermark: MAX_WATERMARK }, outputs as never[]);
  return transition(s, outputs);
}

/** ABS §4.1: a source snapshots its offset and injects the barrier on every output. */
function onMessage(state: StreamSourceState, input: MessageInput): Out {
  const m = controlFrom(state, input.from, input.message);
  if (typeof m === 'string') return reject(state, input.from, m);
  if (m.type !== 'trigger') return transition(state); // `complete` and `abort` need nothing of a source
  if (m.checkpoint <= state.lastCheckpoint) return reject(state, input.from, `checkpoint ${m.checkpoint} is not after ${state.lastCheckpoint}`);
  const snapshot: SourceSnapshot = { offset: state.offset, maxTimestamp: state.generator.maxTimestamp, sinceWatermark: state.sinceWatermark, watermark: state.watermark, ended: state.ended };
  const s: StreamSourceState = { ...state, lastCheckpoint: m.checkpoint };
  const outputs: StreamSourceOutput[] = [{ type: 'snapshot', checkpoint: m.checkpoint, snapshot }];
  broadcast(s, { type: 'barrier', epoch: s.epoch, checkpoint: m.checkpoint }, outputs as never[]);
  outputs.push(ackOutput(s, m.checkpoint));
  return transition(s, outputs);
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function onRestore(state: StreamSourceState, input: RestoreTaskInput): Out {
  checkRestore(state, input);
  const fresh: StreamSourceState = { ...state, epoch: input.epoch, offset: 0, generator: { ...state.generator, maxTimestamp: null }, sinceWatermark: 0, watermark: -MAX_WATERMARK, ended: false, lastCheckpoint: input.checkpoint ?? -1 };
  if (input.checkpoint === null) return transition(fresh);
  const snap = input.snapshot as Partial<SourceSnapshot> | null;
  if (snap === null || typeof snap !== 'object' || !isCount(snap.offset) || !isCount(snap.sinceWatermark) || typeof snap.ended !== 'boolean' || !Number.isSafeInteger(snap.watermark) || (snap.maxTimestamp !== null && !Number.isSafeInteger(snap.maxTimestamp))) {
    throw new InvalidCommandError('restore', 'snapshot: expected a source snapshot { offset, maxTimestamp, sinceWatermark, watermark, ended }');
  }
  return transition({ ...fresh, offset: snap.offset, generator: { ...fresh.generator, maxTimestamp: snap.maxTimestamp ?? null }, sinceWatermark: snap.sinceWatermark, watermark: snap.watermark as number, ended: snap.ended });
}

const handlers: InputHandlers<StreamSourceState, StreamSourceInput, StreamSourceOutput> = {
  emit: onEmit,
  end: (state) => onEnd(state),
  restore: onRestore,
  message: onMessage,
  tick: (state) => transition(state),
};

/**
 * A replayable stream source (Carbone et al. 2015, ABS §4.1 and §4.3): the host feeds it the
 * record at its `offset` of a log (`emit`), and after a failure restores it from a checkpoint and
 * replays the log from the offset recorded there. Records go to `outputs[hash(key) mod n]`;
 * watermarks follow bounded out-of-orderness; on the coordinator's `trigger` it emits its
 * `snapshot` (the offset), a barrier on every output, then the `ack`.
 *
 * @example
 * ```ts
 * import { streamSource } from 'distkit/dataflow';
 * let s = streamSource.init({ id: 'src', coordinator: 'jm', outputs: ['win'] });
 * s = streamSource.step(s, { type: 'emit', offset: 0, key: 'a', value: 1, timestamp: 5, now: 0 }).state;
 * const t = streamSource.step(s, { type: 'message', from: 'jm', message: { type: 'trigger', epoch: 0, checkpoint: 1 }, now: 1 });
 * t.outputs.map((o) => o.type); //=> ['snapshot', 'send', 'send']
 * t.state.offset; //=> 1
 * ```
 */
export const streamSource: Machine<StreamSourceConfig, StreamSourceState, StreamSourceInput, StreamSourceOutput> = {
  name: 'stream-source',
  init,
  step: (state, input) => stepByType(handlers, state, input),
};
