/**
 * A replicated state machine over Raft: any {@link ReplicatedApp} (the queue, the event store)
 * becomes a durable machine whose commands are Raft log entries, applied by every replica in log
 * order, with snapshots of the application state compacting the log (Raft §7).
 *
 * @packageDocumentation
 */
import type { DurableMachine, NodeId } from '../core/index.js';
import { ConfigError, checkObject, InvalidCommandError, MAX_ID_LENGTH, assertNever, inputNow, isPlainObject, positiveInt } from '../core/index.js';
import { raft } from './raft/machine.js';
import type { RaftConfig, RaftDurable, RaftState } from './raft/types.js';
import { raftReplica, type RaftReplicaInput, type RaftReplicaOutput, type RaftReplicaOutputs, type RaftReplicaSteps } from './raft-replica.js';

/**
 * What `apply` returns: the next state and the command's result.
 *
 * @example
 * ```ts
 * import type { Applied } from 'distkit/consensus';
 * // What an application's apply returns: the next state and the result for the client.
 * const add = (n: number, by: number): Applied<number, string> => ({ state: n + by, result: `now ${n + by}` });
 * add(1, 2); //=> { state: 3, result: 'now 3' }
 * ```
 */
export interface Applied<S, R> {
  readonly state: S;
  readonly result: R;
}

/**
 * What a replica's application state machine offers: `init` from a config, a deterministic
 * `apply`, and `restore`, which checks a state received from a peer (a Raft snapshot) and returns
 * it, or `undefined` when it is not one.
 *
 * @example
 * ```ts
 * import type { ReplicatedApp } from 'distkit/consensus';
 * import { distributedQueue } from 'distkit/messaging';
 * const app: ReplicatedApp<any, any, any> = distributedQueue;
 * app.apply(app.init({}), { type: 'redrive', now: 1 }).result.type; //=> 'redriven'
 * ```
 */
export interface ReplicatedApp<Config, State, Result> {
  /** A short name for traces and error messages. */
  readonly name: string;
  /** The initial state; throws `ConfigError` naming a bad field. */
  init(config: Config): State;
  /** Applies one command (untrusted data from the log): pure, deterministic, total. */
  apply(state: State, command: unknown): Applied<State, Result>;
  /** Checks a state received in a snapshot and returns it with this replica's options, or `undefined`. */
  restore(data: unknown, config: Config): State | undefined;
}

/**
 * Configuration of one replica: its Raft node, the application's config (the same on every
 * replica) and how often to snapshot.
 *
 * @example
 * ```ts
 * import { replicatedStateMachine, type ReplicatedApp } from 'distkit/consensus';
 * // A replicated counter: each command adds a number; the result is the new total.
 * const counter: ReplicatedApp<null, number, number> = {
 *   name: 'counter',
 *   init: () => 0,
 *   apply: (n, command) => { const add = typeof command === 'number' ? command : 0; return { state: n + add, result: n + add }; },
 *   restore: (data) => (typeof data === 'number' ? data : undefined),
 * };
 * const m = replicatedStateMachine(counter);
 * import type { ReplicatedConfig } from 'distkit/consensus';
 * const config: ReplicatedConfig<null> = { raft: { id: 'a', voters: ['a', 'b', 'c'], seed: 1 }, snapshotEvery: 100 };
 * const s = m.init(config);
 * [s.raft.role, s.app, s.appliedIndex, s.snapshotEvery]; //=> ['follower', 0, 0, 100]
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
 * import { replicatedStateMachine, type ReplicatedApp } from 'distkit/consensus';
 * // A replicated counter: each command adds a number; the result is the new total.
 * const counter: ReplicatedApp<null, number, number> = {
 *   name: 'counter',
 *   init: () => 0,
 *   apply: (n, command) => { const add = typeof command === 'number' ? command : 0; return { state: n + add, result: n + add }; },
 *   restore: (data) => (typeof data === 'number' ? data : undefined),
 * };
 * const m = replicatedStateMachine(counter);
 * let s = m.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = m.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * import type { SubmitInput } from 'distkit/consensus';
 * const submit: SubmitInput = { type: 'submit', id: 'req-1', command: 5, now: 10 };
 * m.step(s, submit).outputs.find((o) => o.type === 'result'); //=> { type: 'result', id: 'req-1', index: 2, result: 5 }
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
 * import { replicatedStateMachine, type ReplicatedApp } from 'distkit/consensus';
 * // A replicated counter: each command adds a number; the result is the new total.
 * const counter: ReplicatedApp<null, number, number> = {
 *   name: 'counter',
 *   init: () => 0,
 *   apply: (n, command) => { const add = typeof command === 'number' ? command : 0; return { state: n + add, result: n + add }; },
 *   restore: (data) => (typeof data === 'number' ? data : undefined),
 * };
 * const m = replicatedStateMachine(counter);
 * import type { ReplicatedInput } from 'distkit/consensus';
 * // A follower that knows no leader refuses a submit, naming none.
 * const b = m.init({ raft: { id: 'b', voters: ['a', 'b', 'c'], seed: 1 } });
 * const input: ReplicatedInput = { type: 'submit', id: 'req-1', command: 5, now: 10 };
 * m.step(b, input).outputs; //=> [{ type: 'notLeader', id: 'req-1', leader: null }]
 * ```
 */
export type ReplicatedInput = RaftReplicaInput | SubmitInput;

/**
 * Outputs of a replicated machine: Raft's sends, one persist, rejections and role changes, plus
 * the answers to `submit`: `result` (applied at log `index`), `notLeader` (not accepted: retry at
 * `leader`) and `dropped` (the leader refused it, e.g. too many uncommitted entries).
 *
 * @example
 * ```ts
 * import { replicatedStateMachine, type ReplicatedApp } from 'distkit/consensus';
 * // A replicated counter: each command adds a number; the result is the new total.
 * const counter: ReplicatedApp<null, number, number> = {
 *   name: 'counter',
 *   init: () => 0,
 *   apply: (n, command) => { const add = typeof command === 'number' ? command : 0; return { state: n + add, result: n + add }; },
 *   restore: (data) => (typeof data === 'number' ? data : undefined),
 * };
 * const m = replicatedStateMachine(counter);
 * let s = m.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = m.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * import type { ReplicatedOutput } from 'distkit/consensus';
 * const results: ReplicatedOutput<number>[] = [];
 * for (const [i, add] of [2, 3].entries()) {
 *   const t = m.step(s, { type: 'submit', id: `r${i}`, command: add, now: 10 + i });
 *   s = t.state;
 *   for (const o of t.outputs) if (o.type === 'result') results.push(o);
 * }
 * results; //=> [{ type: 'result', id: 'r0', index: 2, result: 2 }, { type: 'result', id: 'r1', index: 3, result: 5 }]
 * ```
 */
export type ReplicatedOutput<Result> = RaftReplicaOutput<
  never,
  | { readonly type: 'result'; readonly id: string; readonly index: number; readonly result: Result }
  | { readonly type: 'notLeader'; readonly id: string; readonly leader: NodeId | null }
  | { readonly type: 'dropped'; readonly id: string; readonly reason: string }
>;

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

type Answer<R> = Exclude<ReplicatedOutput<R>, RaftReplicaOutput<never, never>>;
type Out<R> = RaftReplicaOutputs<never, Answer<R>>;
type Steps<C, S, R> = RaftReplicaSteps<ReplicatedState<C, S>, never, Answer<R>>;

function stepsFor<C, S, R>(app: ReplicatedApp<C, S, R>): Steps<C, S, R> {
  return raftReplica.steps<ReplicatedState<C, S>, never, Answer<R>>({
    apply(state, raw, index, out) {
      const data = entryData(raw);
      if (data === undefined) return state;
      // Every replica applies the command with the leader's time, so all reach the same state.
      const command = isPlainObject(data.command) ? { ...data.command, now: data.at } : data.command;
      const applied = app.apply(state.app, command);
      if (data.node === state.raft.id) out.events.push({ type: 'result', id: data.id, index, result: applied.result });
      return { ...state, app: applied.state };
    },
    restore(state, snapshot, out) {
      const restored = app.restore(snapshot.data, state.appConfig);
      if (restored === undefined) out.events.push({ type: 'rejected', from: state.raft.leader ?? 'local', reason: `snapshot ${snapshot.index}: not a ${app.name} state` });
      return { ...state, app: restored ?? state.app };
    },
    snapshotData: (state) => state.app,
  });
}

function submit<C, S, R>(steps: Steps<C, S, R>, state: ReplicatedState<C, S>, input: SubmitInput, now: number, out: Out<R>): ReplicatedState<C, S> {
  if (typeof input.id !== 'string' || input.id.length === 0 || input.id.length > MAX_ID_LENGTH) {
    throw new InvalidCommandError('submit', `id must be a string of 1..${MAX_ID_LENGTH} characters`);
  }
  if (state.raft.role !== 'leader') {
    out.events.push({ type: 'notLeader', id: input.id, leader: state.raft.leader });
    return state;
  }
  const data: EntryData = { node: state.raft.id, id: input.id, at: now, command: input.command };
  const proposed = steps.propose(state, data, now, out);
  if (proposed.refused !== undefined) out.events.push({ type: 'dropped', id: input.id, reason: proposed.refused });
  return proposed.state;
}

/**
 * Builds the replicated machine of an application: a durable machine that runs Raft and applies
 * every committed entry to the application, on every replica, in log order (state machine
 * replication; Schneider 1990, Raft §2). The leader stamps each command with its clock (`now`),
 * so replicas apply identical commands. Application snapshots compact the log every
 * `snapshotEvery` entries; a crashed replica recovers from Raft's durable image (the latest
 * snapshot plus the log after it), replaying committed entries as Raft re-learns the commit index.
 * The frame it runs in is {@link raftReplica}.
 *
 * @example
 * ```ts
 * import { replicatedStateMachine } from 'distkit/consensus';
 * import { distributedQueue } from 'distkit/messaging';
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
  const steps = stepsFor(app);
  const checked = (config: ReplicatedConfig<C>): ReplicatedConfig<C> => {
    checkObject('config', config, 'must be an object { raft, app?, snapshotEvery? }');
    checkObject('raft', config.raft, 'must be a RaftConfig');
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
      const out: Out<R> = raftReplica.collect();
      let s: ReplicatedState<C, S>;
      switch (input.type) {
        case 'submit':
          s = submit(steps, state, input, now, out);
          break;
        case 'message':
        case 'tick':
        case 'campaign':
        case 'transferLeadership':
        case 'persisted':
          s = steps.raft(state, input, out);
          break;
        default:
          return assertNever(input, 'input');
      }
      return steps.finish(state, steps.compact(s, now, out), out);
    },
    ...raftReplica.durability(start, (config: ReplicatedConfig<C>) => checked(config).raft),
  };
}
