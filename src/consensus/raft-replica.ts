/**
 * The frame every state machine replicated by Raft shares: step Raft, gather its outputs so the
 * one persist of a step comes before its sends, apply committed entries in log order, install
 * snapshots, and hand Raft a snapshot of the application every so often (Raft §2, §5.3, §7).
 *
 * @packageDocumentation
 */
import type { MessageInput, PersistOutput, RejectedOutput, SendOutput, TickInput, Transition } from '../core/index.js';
import { assertNever, plainDataProblem, transition } from '../core/index.js';
import { raft, raftNextDeadline } from './raft/machine.js';
import { applyRaftPersist } from './raft/storage.js';
import type {
  RaftCampaignInput,
  RaftConfig,
  RaftDurable,
  RaftInput,
  RaftMessage,
  RaftNotLeaderOutput,
  RaftOutput,
  RaftPersistedInput,
  RaftPersistRecord,
  RaftReadReadyOutput,
  RaftRoleOutput,
  RaftSnapshot,
  RaftState,
  RaftTransferInput,
} from './raft/types.js';

/**
 * The persist record of a machine replicated by Raft: the Raft records of one step, in order
 * ({@link applyReplicatedPersist} folds them).
 *
 * @example
 * ```ts
 * import type { ReplicatedPersistRecord } from 'distkit/consensus';
 * const r: ReplicatedPersistRecord = { raft: [{ term: 2, vote: 'a' }] };
 * ```
 */
export interface ReplicatedPersistRecord {
  readonly raft: readonly RaftPersistRecord[];
}

/**
 * Folds a replicated persist record into Raft's durable image.
 *
 * @example
 * ```ts
 * import { applyReplicatedPersist, raft } from 'distkit/consensus';
 * const d = raft.durable(raft.init({ id: 'a', voters: ['a'], seed: 1 }));
 * applyReplicatedPersist(d, { raft: [{ term: 1, vote: 'a' }] }).term; //=> 1
 * ```
 */
export function applyReplicatedPersist(durable: RaftDurable, record: ReplicatedPersistRecord): RaftDurable {
  return record.raft.reduce(applyRaftPersist, durable);
}

/**
 * What the frame reads and writes of a replica's state: the Raft node, the last log index applied
 * to the application, and how often to snapshot. A replica's state extends it with its application.
 *
 * @example
 * ```ts
 * import { raft, type RaftReplicaState } from 'distkit/consensus';
 * const s: RaftReplicaState = { raft: raft.init({ id: 'a', voters: ['a'], seed: 1 }), appliedIndex: 0, snapshotEvery: 1000 };
 * ```
 */
export interface RaftReplicaState {
  readonly raft: RaftState;
  readonly appliedIndex: number;
  /** Hand Raft a snapshot of the application after this many applied entries (§7). */
  readonly snapshotEvery: number;
}

/**
 * The outputs of one input to a replica, gathered while Raft is stepped (possibly several times):
 * Raft's persist records, the sends (Raft's and the application's, in order), and events. With
 * `parallelAppend` (Raft thesis §10.2.1) a leader's log append also names the input its host steps
 * once the records are durable (`onDurable`, Raft's {@link RaftPersistedInput} without `now`), and
 * its AppendEntries sends are marked `beforePersist`; the step's one persist output carries both on.
 *
 * @example
 * ```ts
 * import { raftReplica } from 'distkit/consensus';
 * const out = raftReplica.collect<never, never>();
 * out.persists.length; //=> 0
 * ```
 */
export interface RaftReplicaOutputs<M, E> {
  readonly persists: RaftPersistRecord[];
  readonly sends: SendOutput<RaftMessage | M>[];
  readonly events: (E | RejectedOutput | RaftRoleOutput)[];
  /** The durability acknowledgement Raft asked for in this step, if any (the latest wins). */
  onDurable?: Omit<RaftPersistedInput, 'now'>;
}

/**
 * What a replicated application plugs into the frame. `apply` receives the data of each committed
 * normal entry (untrusted: check it), in log order, once per replica, after the frame has advanced
 * `appliedIndex` to `index`; noop and membership entries only advance it.
 *
 * @example
 * ```ts
 * import type { RaftReplicaHooks, RaftReplicaState } from 'distkit/consensus';
 * type Sum = RaftReplicaState & { readonly total: number };
 * const hooks: RaftReplicaHooks<Sum, never, never> = {
 *   apply: (s, data) => (typeof data === 'number' ? { ...s, total: s.total + data } : s),
 *   restore: (s, snapshot) => ({ ...s, total: typeof snapshot.data === 'number' ? snapshot.data : s.total }),
 *   snapshotData: (s) => s.total,
 * };
 * ```
 */
export interface RaftReplicaHooks<St extends RaftReplicaState, M, E> {
  /** Applies one committed entry's data at log `index` (deterministic, total on any data). */
  apply(state: St, data: unknown, index: number, out: RaftReplicaOutputs<M, E>): St;
  /** Replaces the application with an installed snapshot's data (§7); the frame sets `appliedIndex`. */
  restore(state: St, snapshot: RaftSnapshot, out: RaftReplicaOutputs<M, E>): St;
  /** The application state to snapshot (JSON data). */
  snapshotData(state: St): unknown;
  /** Raft's answers to reads (`readReady`, and `notLeader` for a read or a proposal). */
  answer?(state: St, output: RaftReadReadyOutput | RaftNotLeaderOutput, out: RaftReplicaOutputs<M, E>): St;
  /** Runs after each batch of Raft outputs was absorbed (e.g. to serve reads now applied). */
  settle?(state: St, out: RaftReplicaOutputs<M, E>): St;
}

/**
 * The steps of a replica built by {@link raftReplica}.
 *
 * @example
 * ```ts
 * import type { RaftReplicaSteps, RaftReplicaState } from 'distkit/consensus';
 * declare const steps: RaftReplicaSteps<RaftReplicaState, never, never>;
 * ```
 */
export interface RaftReplicaSteps<St extends RaftReplicaState, M, E> {
  /** Steps Raft with `input` and absorbs its outputs. */
  raft(state: St, input: RaftInput, out: RaftReplicaOutputs<M, E>): St;
  /** Proposes `data` on a leader; the reason when Raft refused it (the state is then unchanged). */
  propose(state: St, data: unknown, now: number, out: RaftReplicaOutputs<M, E>): { readonly state: St; readonly refused?: string };
  /** §7: hands Raft a snapshot once `snapshotEvery` entries were applied since the last one. */
  compact(state: St, now: number, out: RaftReplicaOutputs<M, E>): St;
  /**
   * The step's transition: one persist first, then the sends, then the events; a step whose only
   * outputs are rejections keeps `before` (the contract: a refused input changes nothing).
   */
  finish(before: St, after: St, out: RaftReplicaOutputs<M, E>): Transition<St, RaftReplicaOutput<M, E>>;
}

/**
 * The outputs a replica built by {@link raftReplica} emits.
 *
 * @example
 * ```ts
 * import type { RaftReplicaOutput } from 'distkit/consensus';
 * const o: RaftReplicaOutput<never, never> = { type: 'persist', record: { raft: [] } };
 * ```
 */
export type RaftReplicaOutput<M, E> = PersistOutput<ReplicatedPersistRecord> | SendOutput<RaftMessage | M> | E | RejectedOutput | RaftRoleOutput;

/**
 * The inputs every replica built by {@link raftReplica} takes besides its own commands and hands
 * to Raft: peers' messages, ticks, `campaign`, `transferLeadership` (thesis §3.10) and, with
 * `parallelAppend`, the `persisted` acknowledgement of its own log write (§10.2.1). One list, so
 * an input Raft gains reaches every replica.
 *
 * @example
 * ```ts
 * import type { RaftReplicaInput } from 'distkit/consensus';
 * const inputs: RaftReplicaInput[] = [{ type: 'tick', now: 0 }, { type: 'campaign', now: 1 }, { type: 'persisted', index: 1, term: 1, now: 2 }];
 * ```
 */
export type RaftReplicaInput = MessageInput<unknown> | TickInput | RaftCampaignInput | RaftTransferInput | RaftPersistedInput;

function applyEntries<St extends RaftReplicaState, M, E>(hooks: RaftReplicaHooks<St, M, E>, state: St, output: Extract<RaftOutput, { type: 'apply' }>, out: RaftReplicaOutputs<M, E>): St {
  let s = state;
  for (const e of output.entries) {
    if (e.index <= s.appliedIndex) continue;
    s = { ...s, appliedIndex: e.index };
    // Noop and membership entries carry no command (Raft §5.4.2, §6).
    if (e.kind === undefined) s = hooks.apply(s, e.data, e.index, out);
  }
  return s;
}

function absorb<St extends RaftReplicaState, M, E>(hooks: RaftReplicaHooks<St, M, E>, state: St, outputs: readonly RaftOutput[], out: RaftReplicaOutputs<M, E>): St {
  let s = state;
  for (const o of outputs) {
    switch (o.type) {
      case 'persist':
        out.persists.push(o.record);
        if (o.onDurable !== undefined) out.onDurable = o.onDurable as Omit<RaftPersistedInput, 'now'>;
        break;
      case 'send':
        out.sends.push(o);
        break;
      case 'apply':
        s = applyEntries(hooks, s, o, out);
        break;
      case 'restore':
        s = { ...hooks.restore(s, o.snapshot, out), appliedIndex: o.snapshot.index };
        break;
      case 'readReady':
      case 'notLeader':
        if (hooks.answer !== undefined) s = hooks.answer(s, o, out);
        break;
      case 'role':
      case 'rejected':
        out.events.push(o);
        break;
      case 'proposed':
        break;
      default:
        assertNever(o, 'raft output');
    }
  }
  return hooks.settle === undefined ? s : hooks.settle(s, out);
}

function stepsOf<St extends RaftReplicaState, M, E>(hooks: RaftReplicaHooks<St, M, E>): RaftReplicaSteps<St, M, E> {
  const stepRaft = (state: St, input: RaftInput, out: RaftReplicaOutputs<M, E>): St => {
    const t = raft.step(state.raft, input);
    if (t.state === state.raft && t.outputs.length === 0) return state;
    return absorb(hooks, { ...state, raft: t.state }, t.outputs, out);
  };
  return {
    raft: stepRaft,
    propose(state, data, now, out) {
      const t = raft.step(state.raft, { type: 'propose', data, now });
      const refusal = t.outputs.find((o): o is RejectedOutput => o.type === 'rejected');
      if (refusal !== undefined) return { state, refused: refusal.reason };
      return { state: absorb(hooks, { ...state, raft: t.state }, t.outputs, out) };
    },
    compact(state, now, out) {
      const r = state.raft;
      if (r.applied !== state.appliedIndex || r.applied - r.log.snapshotIndex < state.snapshotEvery) return state;
      const data = hooks.snapshotData(state);
      // Raft refuses a snapshot beyond its payload limits: keep the log instead.
      if (plainDataProblem(data, 'data', r.options.payloadLimits) !== undefined) return state;
      return stepRaft(state, { type: 'compact', index: r.applied, data, now }, out);
    },
    finish(before, after, out) {
      const outputs: RaftReplicaOutput<M, E>[] = [];
      if (out.persists.length > 0) outputs.push({ type: 'persist', record: { raft: out.persists }, ...(out.onDurable === undefined ? {} : { onDurable: out.onDurable }) });
      outputs.push(...out.sends, ...out.events);
      const onlyRejected = outputs.length > 0 && outputs.every((o) => (o as { type?: unknown }).type === 'rejected');
      return transition(onlyRejected ? before : after, outputs);
    },
  };
}

/**
 * Builds the steps of a state machine replicated by Raft (Schneider 1990; Raft §2): every replica
 * applies the committed entries to its application in log order, installs the leader's snapshots
 * (§7), and compacts its log every `snapshotEvery` applied entries. A replica's machine handles
 * its own inputs and calls these steps; {@link replicatedStateMachine} is built on it, and so are
 * machines with their own client protocol (`raftCounter`, `raftChainMaster` in
 * distkit/replication).
 *
 * @example
 * ```ts
 * import { raft, raftReplica, type RaftReplicaState } from 'distkit/consensus';
 * type Sum = RaftReplicaState & { readonly total: number };
 * const steps = raftReplica.steps<Sum, never, never>({
 *   apply: (s, data) => (typeof data === 'number' ? { ...s, total: s.total + data } : s),
 *   restore: (s) => s,
 *   snapshotData: (s) => s.total,
 * });
 * let s: Sum = { raft: raft.init({ id: 'a', voters: ['a'], seed: 1 }), appliedIndex: 0, snapshotEvery: 100, total: 0 };
 * s = steps.raft(s, { type: 'campaign', now: 0 }, raftReplica.collect());
 * s = steps.propose(s, 5, 1, raftReplica.collect()).state;
 * s.total; //=> 5
 * ```
 */
export const raftReplica = Object.freeze({
  /** The steps of a replica whose application plugs in through `hooks`. */
  steps: stepsOf,
  /** An empty set of outputs for one input. */
  collect: <M, E>(): RaftReplicaOutputs<M, E> => ({ persists: [], sends: [], events: [] }),
  /**
   * The timer and durability members of a replica's machine: Raft's deadline, Raft's durable
   * image (all a replica persists: the application is rebuilt from the snapshot and the log), and
   * `recover` through `start(config, recoveredRaft)`.
   */
  durability: <C, St extends RaftReplicaState>(start: (config: C, r: RaftState) => St, raftConfig: (config: C) => RaftConfig): RaftReplicaDurability<C, St> => ({
    nextDeadline: (state) => raftNextDeadline(state.raft),
    durable: (state) => raft.durable(state.raft),
    recover: (config, durable) => start(config, raft.recover(raftConfig(config), durable)),
    applyPersist: applyReplicatedPersist,
  }),
});

/**
 * The timer and durability members {@link raftReplica}.durability gives a replica's machine.
 *
 * @example
 * ```ts
 * import type { RaftReplicaDurability, RaftReplicaState } from 'distkit/consensus';
 * declare const d: RaftReplicaDurability<{ raft: { id: string } }, RaftReplicaState>;
 * ```
 */
export interface RaftReplicaDurability<C, St extends RaftReplicaState> {
  /** Raft's next deadline (election or heartbeat). */
  nextDeadline(state: St): number | undefined;
  /** Raft's durable image: term, vote, snapshot and log. */
  durable(state: St): RaftDurable;
  /** The replica rebuilt from Raft's durable image. */
  recover(config: C, durable: RaftDurable): St;
  /** Folds a persist output into the durable image. */
  applyPersist(durable: RaftDurable, record: ReplicatedPersistRecord): RaftDurable;
}
