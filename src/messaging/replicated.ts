/**
 * A replicated state machine over Raft: any {@link ReplicatedApp} (the queue, the event store)
 * becomes a durable machine whose commands are Raft log entries, applied by every replica in log
 * order, with snapshots of the application state compacting the log (Raft §7).
 *
 * @packageDocumentation
 */
import type { DurableMachine, MessageInput, NodeId, PersistOutput, RejectedOutput, SendOutput, TickInput } from '../core/index.js';
import { ConfigError, InvalidCommandError, MAX_ID_LENGTH, assertNever, inputNow, isPlainObject, plainDataProblem, positiveInt } from '../core/index.js';
import {
  applyRaftPersist,
  raft,
  raftNextDeadline,
  type RaftCampaignInput,
  type RaftConfig,
  type RaftDurable,
  type RaftEntry,
  type RaftInput,
  type RaftMessage,
  type RaftOutput,
  type RaftPersistRecord,
  type RaftRoleOutput,
  type RaftState,
  type RaftTransferInput,
} from '../consensus/index.js';
import type { ReplicatedApp } from './app.js';

/**
 * Configuration of one replica: its Raft node, the application's config (the same on every
 * replica) and how often to snapshot.
 *
 * @example
 * ```ts
 * import type { ReplicatedConfig, QueueConfig } from 'distkit/messaging';
 * const c: ReplicatedConfig<QueueConfig> = { raft: { id: 'a', voters: ['a', 'b', 'c'], seed: 1 }, app: { maxReceiveCount: 3 } };
 * ```
 */
export interface ReplicatedConfig<AppConfig> {
  readonly raft: RaftConfig;
  readonly app?: AppConfig;
  /** Hand Raft a snapshot of the application after this many applied entries (§7). Default 1000. */
  readonly snapshotEvery?: number;
}

/**
 * A replica's state: the Raft node, the application state and the last log index applied to it.
 *
 * @example
 * ```ts
 * import { replicatedQueue } from 'distkit/messaging';
 * replicatedQueue.init({ raft: { id: 'a', voters: ['a'], seed: 1 } }).appliedIndex; //=> 0
 * ```
 */
export interface ReplicatedState<AppConfig, AppState> {
  readonly raft: RaftState;
  readonly app: AppState;
  readonly appliedIndex: number;
  readonly appConfig: AppConfig;
  readonly snapshotEvery: number;
}

/**
 * Submit a command to the replicated application. Only the leader accepts it (elsewhere the
 * answer is `notLeader`); its result comes back as a `result` output naming `id` once the entry
 * commits and is applied, on this replica. The leader stamps the command with its `now`.
 *
 * @example
 * ```ts
 * import type { SubmitInput } from 'distkit/messaging';
 * const i: SubmitInput = { type: 'submit', id: 'req-1', command: { type: 'enqueue', body: 'job' }, now: 10 };
 * ```
 */
export interface SubmitInput {
  readonly type: 'submit';
  readonly now: number;
  /** The caller's request id, echoed in the answer (at most 256 characters). */
  readonly id: string;
  /** The application command, without `now`. */
  readonly command: unknown;
}

/**
 * Inputs of a replicated machine: Raft's peer messages and ticks, `submit`, and Raft's
 * `campaign` and `transferLeadership`.
 *
 * @example
 * ```ts
 * import type { ReplicatedInput } from 'distkit/messaging';
 * const i: ReplicatedInput = { type: 'tick', now: 100 };
 * ```
 */
export type ReplicatedInput = MessageInput<unknown> | TickInput | SubmitInput | RaftCampaignInput | RaftTransferInput;

/**
 * The persist record of a replicated machine: the Raft records of one step, in order
 * ({@link applyReplicatedPersist} folds them).
 *
 * @example
 * ```ts
 * import type { ReplicatedPersistRecord } from 'distkit/messaging';
 * const r: ReplicatedPersistRecord = { raft: [{ term: 2, vote: 'a' }] };
 * ```
 */
export interface ReplicatedPersistRecord {
  readonly raft: readonly RaftPersistRecord[];
}

/**
 * Outputs of a replicated machine: Raft's sends, one persist, rejections and role changes, plus
 * the answers to `submit`: `result` (applied at log `index`), `notLeader` (not accepted: retry at
 * `leader`) and `dropped` (the leader refused it, e.g. too many uncommitted entries).
 *
 * @example
 * ```ts
 * import type { ReplicatedOutput } from 'distkit/messaging';
 * const o: ReplicatedOutput<string> = { type: 'result', id: 'req-1', index: 4, result: 'ok' };
 * ```
 */
export type ReplicatedOutput<Result> =
  | SendOutput<RaftMessage>
  | PersistOutput<ReplicatedPersistRecord>
  | RejectedOutput
  | RaftRoleOutput
  | { readonly type: 'result'; readonly id: string; readonly index: number; readonly result: Result }
  | { readonly type: 'notLeader'; readonly id: string; readonly leader: NodeId | null }
  | { readonly type: 'dropped'; readonly id: string; readonly reason: string };

/**
 * Folds a replicated persist record into Raft's durable image.
 *
 * @example
 * ```ts
 * import { applyReplicatedPersist } from 'distkit/messaging';
 * import { raft } from 'distkit/consensus';
 * const d = raft.durable(raft.init({ id: 'a', voters: ['a'], seed: 1 }));
 * applyReplicatedPersist(d, { raft: [{ term: 1, vote: 'a' }] }).term; //=> 1
 * ```
 */
export function applyReplicatedPersist(durable: RaftDurable, record: ReplicatedPersistRecord): RaftDurable {
  return record.raft.reduce(applyRaftPersist, durable);
}

/** The entry data a replica proposes: who asked, the request id, the leader's time, the command. */
interface EntryData {
  readonly node: string;
  readonly id: string;
  readonly at: number;
  readonly command: unknown;
}

function entryData(data: unknown): EntryData | undefined {
  if (!isPlainObject(data)) return undefined;
  const { node, id, at } = data as Partial<EntryData>;
  if (typeof node !== 'string' || typeof id !== 'string' || typeof at !== 'number' || !Number.isFinite(at)) return undefined;
  return data as unknown as EntryData;
}

/** Outputs of the Raft steps of one input, gathered so the one persist comes first. */
interface Collected<R> {
  persists: RaftPersistRecord[];
  sends: SendOutput<RaftMessage>[];
  events: ReplicatedOutput<R>[];
}

type Step<C, S, R> = (state: ReplicatedState<C, S>, outputs: readonly RaftOutput[], into: Collected<R>) => ReplicatedState<C, S>;

function absorb<C, S, R>(app: ReplicatedApp<C, S, R>): Step<C, S, R> {
  return (state, outputs, into) => {
    let s = state;
    for (const o of outputs) {
      switch (o.type) {
        case 'persist':
          into.persists.push(o.record);
          break;
        case 'send':
          into.sends.push(o);
          break;
        case 'apply':
          s = applyEntries(app, s, o.entries, into);
          break;
        case 'restore': {
          const restored = app.restore(o.snapshot.data, s.appConfig);
          if (restored === undefined) into.events.push({ type: 'rejected', from: s.raft.leader ?? 'local', reason: `snapshot ${o.snapshot.index}: not a ${app.name} state` });
          s = { ...s, app: restored ?? s.app, appliedIndex: o.snapshot.index };
          break;
        }
        case 'role':
        case 'rejected':
          into.events.push(o);
          break;
        case 'proposed':
        case 'notLeader':
        case 'readReady':
          break;
        default:
          assertNever(o, 'raft output');
      }
    }
    return s;
  };
}

function applyEntries<C, S, R>(app: ReplicatedApp<C, S, R>, state: ReplicatedState<C, S>, entries: readonly RaftEntry[], into: Collected<R>): ReplicatedState<C, S> {
  let appState = state.app;
  let appliedIndex = state.appliedIndex;
  for (const e of entries) {
    if (e.index <= appliedIndex) continue;
    appliedIndex = e.index;
    const data = e.kind === undefined ? entryData(e.data) : undefined;
    if (data === undefined) continue;
    // Every replica applies the command with the leader's time, so all reach the same state.
    const command = isPlainObject(data.command) ? { ...data.command, now: data.at } : data.command;
    const applied = app.apply(appState, command);
    appState = applied.state;
    if (data.node === state.raft.id) into.events.push({ type: 'result', id: data.id, index: e.index, result: applied.result });
  }
  return { ...state, app: appState, appliedIndex };
}

function stepRaft<C, S, R>(absorbOutputs: Step<C, S, R>, state: ReplicatedState<C, S>, input: RaftInput, into: Collected<R>): ReplicatedState<C, S> {
  const t = raft.step(state.raft, input);
  if (t.state === state.raft && t.outputs.length === 0) return state;
  return absorbOutputs({ ...state, raft: t.state }, t.outputs, into);
}

/** Raft §7: once `snapshotEvery` entries were applied since the last snapshot, hand Raft one. */
function maybeCompact<C, S, R>(absorbOutputs: Step<C, S, R>, state: ReplicatedState<C, S>, now: number, into: Collected<R>): ReplicatedState<C, S> {
  const r = state.raft;
  if (r.applied !== state.appliedIndex || r.applied - r.log.snapshotIndex < state.snapshotEvery) return state;
  if (plainDataProblem(state.app, 'data', r.options.payloadLimits) !== undefined) return state; // too large to snapshot: keep the log
  return stepRaft(absorbOutputs, state, { type: 'compact', index: r.applied, data: state.app, now }, into);
}

function finish<C, S, R>(before: ReplicatedState<C, S>, after: ReplicatedState<C, S>, into: Collected<R>): { state: ReplicatedState<C, S>; outputs: ReplicatedOutput<R>[] } {
  const outputs: ReplicatedOutput<R>[] = [];
  if (into.persists.length > 0) outputs.push({ type: 'persist', record: { raft: into.persists } });
  outputs.push(...into.sends, ...into.events);
  const onlyRejected = outputs.length > 0 && outputs.every((o) => o.type === 'rejected');
  return { state: onlyRejected ? before : after, outputs };
}

function submit<C, S, R>(absorbOutputs: Step<C, S, R>, state: ReplicatedState<C, S>, input: SubmitInput, now: number, into: Collected<R>): ReplicatedState<C, S> {
  if (typeof input.id !== 'string' || input.id.length === 0 || input.id.length > MAX_ID_LENGTH) {
    throw new InvalidCommandError('submit', `id must be a string of 1..${MAX_ID_LENGTH} characters`);
  }
  if (state.raft.role !== 'leader') {
    into.events.push({ type: 'notLeader', id: input.id, leader: state.raft.leader });
    return state;
  }
  const data: EntryData = { node: state.raft.id, id: input.id, at: now, command: input.command };
  const t = raft.step(state.raft, { type: 'propose', data, now });
  const refusal = t.outputs.find((o): o is RejectedOutput => o.type === 'rejected');
  if (refusal !== undefined) {
    into.events.push({ type: 'dropped', id: input.id, reason: refusal.reason });
    return state;
  }
  return absorbOutputs({ ...state, raft: t.state }, t.outputs, into);
}

/**
 * Builds the replicated machine of an application: a durable machine that runs Raft and applies
 * every committed entry to the application, on every replica, in log order (state machine
 * replication; Schneider 1990, Raft §2). The leader stamps each command with its clock (`now`),
 * so replicas apply identical commands. Application snapshots compact the log every
 * `snapshotEvery` entries; a crashed replica recovers from Raft's durable image (the latest
 * snapshot plus the log after it), replaying committed entries as Raft re-learns the commit index.
 *
 * @example
 * ```ts
 * import { replicatedStateMachine, distributedQueue } from 'distkit/messaging';
 * const m = replicatedStateMachine(distributedQueue);
 * let s = m.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = m.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * const t = m.step(s, { type: 'submit', id: 'r1', command: { type: 'enqueue', body: 'job' }, now: 5 });
 * t.outputs.find((o) => o.type === 'result');
 * //=> { type: 'result', id: 'r1', index: 2, result: { type: 'enqueued', id: 'm1', duplicate: false, at: 5 } }
 * ```
 */
export function replicatedStateMachine<C, S, R>(
  app: ReplicatedApp<C, S, R>,
): DurableMachine<ReplicatedConfig<C>, ReplicatedState<C, S>, ReplicatedInput, ReplicatedOutput<R>, RaftDurable> {
  const absorbOutputs = absorb(app);
  const checked = (config: ReplicatedConfig<C>): ReplicatedConfig<C> => {
    if (config === null || typeof config !== 'object') throw new ConfigError('config', 'must be an object { raft, app?, snapshotEvery? }');
    if (config.raft === null || typeof config.raft !== 'object') throw new ConfigError('raft', 'must be a RaftConfig');
    return config;
  };
  const start = (config: ReplicatedConfig<C>, r: RaftState): ReplicatedState<C, S> => {
    const appConfig = (config.app ?? {}) as C;
    const snapshotEvery = positiveInt('snapshotEvery', config.snapshotEvery, 1000);
    const snap = r.log.snapshot;
    const restored = snap.index > 0 ? app.restore(snap.data, appConfig) : undefined;
    return { raft: r, app: restored ?? app.init(appConfig), appliedIndex: r.applied, appConfig, snapshotEvery };
  };
  return {
    name: `replicated(${app.name})`,
    init: (config) => start(config, raft.init(checked(config).raft)),
    step(state, input) {
      const now = inputNow(input);
      const into: Collected<R> = { persists: [], sends: [], events: [] };
      let s: ReplicatedState<C, S>;
      switch (input.type) {
        case 'submit':
          s = submit(absorbOutputs, state, input, now, into);
          break;
        case 'message':
        case 'tick':
        case 'campaign':
        case 'transferLeadership':
          s = stepRaft(absorbOutputs, state, input, into);
          break;
        default:
          return assertNever(input, 'input');
      }
      s = maybeCompact(absorbOutputs, s, now, into);
      return finish(state, s, into);
    },
    nextDeadline: (state) => raftNextDeadline(state.raft),
    durable: (state) => raft.durable(state.raft),
    recover: (config, durable) => start(config, raft.recover(checked(config).raft, durable)),
    applyPersist: applyReplicatedPersist,
  };
}
