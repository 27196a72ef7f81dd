/**
 * Two small protocols for trying the simulator: a correct ping/echo exchange with
 * retransmission, and a deliberately broken leader election that the simulator catches.
 *
 * @packageDocumentation
 */
import type { Invariant } from './types.js';
import { ConfigError, nextInt, reject, seedPrng, v, type Machine, type MessageInput, type NodeId, type PrngState, type RejectedOutput, type SendOutput, type TickInput } from '../core/index.js';

/**
 * Config of {@link echoMachine}.
 *
 * @example
 * ```ts
 * import type { EchoConfig } from 'distkit/sim';
 * const c: EchoConfig = { id: 'a', peers: ['a', 'b', 'c'], rounds: 3 };
 * ```
 */
export interface EchoConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** Every node in the group (this node may be listed; it does not ping itself). */
  readonly peers: readonly NodeId[];
  /** Rounds of pings to complete. */
  readonly rounds: number;
  /** Resend unanswered pings after this long, ms. Default 50. */
  readonly retryMs?: number;
}

/**
 * State of {@link echoMachine}.
 *
 * @example
 * ```ts
 * import { echoMachine } from 'distkit/sim';
 * echoMachine.init({ id: 'a', peers: ['a', 'b'], rounds: 1 }).round; //=> 0
 * ```
 */
export interface EchoState {
  /** This node's id. */
  readonly id: NodeId;
  /** The other nodes. */
  readonly peers: readonly NodeId[];
  /** Rounds to complete. */
  readonly rounds: number;
  /** Retransmission interval, ms. */
  readonly retryMs: number;
  /** The current round (0 before the first tick). */
  readonly round: number;
  /** Peers that have not answered the current round's ping. */
  readonly pending: readonly NodeId[];
  /** When to start or retransmit (local ms), or null when done. */
  readonly deadline: number | null;
}

/**
 * Messages of {@link echoMachine}.
 *
 * @example
 * ```ts
 * import type { EchoMessage } from 'distkit/sim';
 * const m: EchoMessage = { type: 'ping', round: 1 };
 * ```
 */
export type EchoMessage = { readonly type: 'ping'; readonly round: number } | { readonly type: 'pong'; readonly round: number };

/**
 * Outputs of {@link echoMachine}: sends, rejections and a `done` event after the last round.
 *
 * @example
 * ```ts
 * import type { EchoOutput } from 'distkit/sim';
 * const o: EchoOutput = { type: 'done', rounds: 3 };
 * ```
 */
export type EchoOutput = SendOutput<EchoMessage> | RejectedOutput | { readonly type: 'done'; readonly rounds: number };

const echoMessage = v.object({ type: v.literal('ping', 'pong'), round: v.int({ min: 1 }) });

function sendPings(s: EchoState, to: readonly NodeId[]): EchoOutput[] {
  return to.map((peer) => ({ type: 'send', to: peer, message: { type: 'ping', round: s.round } }));
}

/**
 * The type of {@link echoMachine}.
 *
 * @example
 * ```ts
 * import { echoMachine, type EchoMachine } from 'distkit/sim';
 * const m: EchoMachine = echoMachine;
 * ```
 */
export interface EchoMachine extends Machine<EchoConfig, EchoState, MessageInput | TickInput, EchoOutput> {
  /** Validates the config (throws `ConfigError` naming the field) and returns the initial state. */
  init(config: EchoConfig): EchoState;
  /** The local time of the next (re)transmission, or `undefined` once every round is done. */
  nextDeadline(state: EchoState): number | undefined;
}

/**
 * A ping/echo protocol: each node pings every peer, waits for all pongs (resending on a timer),
 * then starts the next round, `rounds` times. Correct under loss, duplication and crashes of
 * peers that come back; the simulator's smoke test and benchmark subject.
 *
 * @example
 * ```ts
 * import { simulate, echoMachine } from 'distkit/sim';
 * const peers = ['a', 'b'];
 * const r = simulate({ seed: 1, nodes: peers.map((id) => ({ id, machine: echoMachine, config: { id, peers, rounds: 2 } })) });
 * r.stopReason; //=> 'quiescent'
 * ```
 */
export const echoMachine: EchoMachine = {
  name: 'echo',
  init(config) {
    if (typeof config.id !== 'string' || config.id === '') throw new ConfigError('id', 'must be a non-empty string');
    if (!Array.isArray(config.peers)) throw new ConfigError('peers', 'must be an array of node ids');
    if (!Number.isInteger(config.rounds) || config.rounds < 0) throw new ConfigError('rounds', `must be an integer >= 0, got ${String(config.rounds)}`);
    const retryMs = config.retryMs ?? 50;
    if (!(retryMs > 0)) throw new ConfigError('retryMs', `must be > 0, got ${String(retryMs)}`);
    const peers = config.peers.filter((p) => p !== config.id);
    return { id: config.id, peers, rounds: config.rounds, retryMs, round: 0, pending: [], deadline: config.rounds > 0 && peers.length > 0 ? 0 : null };
  },
  step(s, input) {
    if (input.type === 'tick') {
      if (s.deadline === null || input.now < s.deadline) return { state: s, outputs: [] };
      if (s.round === 0) {
        const next: EchoState = { ...s, round: 1, pending: s.peers, deadline: input.now + s.retryMs };
        return { state: next, outputs: sendPings(next, next.pending) };
      }
      return { state: { ...s, deadline: input.now + s.retryMs }, outputs: sendPings(s, s.pending) };
    }
    const m = input.message;
    const problem = echoMessage(m, 'message');
    if (problem !== undefined) return reject(s, input.from, problem);
    const msg = m as EchoMessage;
    if (msg.type === 'ping') return { state: s, outputs: [{ type: 'send', to: input.from, message: { type: 'pong', round: msg.round } }] };
    if (msg.round !== s.round || !s.pending.includes(input.from)) return { state: s, outputs: [] }; // stale or duplicate pong
    const pending = s.pending.filter((p) => p !== input.from);
    if (pending.length > 0) return { state: { ...s, pending }, outputs: [] };
    if (s.round >= s.rounds) return { state: { ...s, pending, deadline: null }, outputs: [{ type: 'done', rounds: s.round }] };
    const next: EchoState = { ...s, round: s.round + 1, pending: s.peers };
    return { state: next, outputs: sendPings(next, next.pending) };
  },
  nextDeadline: (s) => (s.deadline === null ? undefined : s.deadline),
};

/**
 * Config of {@link naiveLeaderMachine}.
 *
 * @example
 * ```ts
 * import type { NaiveLeaderConfig } from 'distkit/sim';
 * const c: NaiveLeaderConfig = { id: 'a', peers: ['a', 'b', 'c'] };
 * ```
 */
export interface NaiveLeaderConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** Every node in the group. */
  readonly peers: readonly NodeId[];
  /** Election timeout range [min, max), ms. Default [150, 300). */
  readonly electionTimeoutMs?: readonly [number, number];
  /** Heartbeat interval, ms. Default 50. */
  readonly heartbeatMs?: number;
  /** Seeds the node's timeout PRNG (with the id). Default 0. */
  readonly seed?: number;
}

/**
 * State of {@link naiveLeaderMachine}.
 *
 * @example
 * ```ts
 * import { naiveLeaderMachine } from 'distkit/sim';
 * naiveLeaderMachine.init({ id: 'a', peers: ['a', 'b'] }).role; //=> 'follower'
 * ```
 */
export interface NaiveLeaderState {
  /** This node's id. */
  readonly id: NodeId;
  /** The other nodes. */
  readonly peers: readonly NodeId[];
  /** Follower or leader. */
  readonly role: 'follower' | 'leader';
  /** The current term. */
  readonly term: number;
  /** Election timeout range, ms. */
  readonly electionTimeoutMs: readonly [number, number];
  /** Heartbeat interval, ms. */
  readonly heartbeatMs: number;
  /** Next timeout or heartbeat (local ms). */
  readonly deadline: number;
  /** A heartbeat of the current term arrived since the last timeout. */
  readonly heard: boolean;
  /** PRNG for randomized timeouts. */
  readonly prng: PrngState;
}

/**
 * Outputs of {@link naiveLeaderMachine}.
 *
 * @example
 * ```ts
 * import type { NaiveLeaderOutput } from 'distkit/sim';
 * const o: NaiveLeaderOutput = { type: 'leader', term: 3 };
 * ```
 */
export type NaiveLeaderOutput =
  | SendOutput<{ readonly type: 'heartbeat'; readonly term: number }>
  | RejectedOutput
  | { readonly type: 'leader'; readonly term: number };

const heartbeat = v.object({ type: v.literal('heartbeat'), term: v.int({ min: 0 }) });

/**
 * The type of {@link naiveLeaderMachine}.
 *
 * @example
 * ```ts
 * import { naiveLeaderMachine, type NaiveLeaderMachine } from 'distkit/sim';
 * const m: NaiveLeaderMachine = naiveLeaderMachine;
 * ```
 */
export interface NaiveLeaderMachine extends Machine<NaiveLeaderConfig, NaiveLeaderState, MessageInput | TickInput, NaiveLeaderOutput> {
  /** Validates the config (throws `ConfigError` naming the field) and returns the initial state. */
  init(config: NaiveLeaderConfig): NaiveLeaderState;
  /** The local time of the next election timeout or heartbeat. */
  nextDeadline(state: NaiveLeaderState): number;
}

/**
 * A deliberately broken leader election, for demonstrating the simulator: a follower whose
 * timeout expires simply declares itself leader of the next term, without collecting votes (the
 * step Raft §5.2 requires). Two nodes that time out together, or a partition, give two leaders of
 * the same term; the invariant "at most one leader per term" catches it within a few seeds.
 *
 * @example
 * ```ts
 * import { simulate, naiveLeaderMachine, oneLeaderPerTerm } from 'distkit/sim';
 * const peers = ['a', 'b', 'c'];
 * const r = simulate({
 *   seed: 3,
 *   nodes: peers.map((id) => ({ id, machine: naiveLeaderMachine, config: { id, peers } })),
 *   network: { loss: 0.3 },
 *   invariants: [oneLeaderPerTerm],
 *   maxTimeMs: 10_000,
 * });
 * r.violation?.invariant; // 'at most one leader per term' (for most seeds)
 * ```
 */
export const naiveLeaderMachine: NaiveLeaderMachine = {
  name: 'naive-leader',
  init(config) {
    if (typeof config.id !== 'string' || config.id === '') throw new ConfigError('id', 'must be a non-empty string');
    if (!Array.isArray(config.peers)) throw new ConfigError('peers', 'must be an array of node ids');
    const range = config.electionTimeoutMs ?? [150, 300];
    if (!Number.isInteger(range[0]) || !Number.isInteger(range[1]) || range[0] < 1 || range[1] <= range[0]) {
      throw new ConfigError('electionTimeoutMs', 'must be integers [min, max) with 1 <= min < max');
    }
    const heartbeatMs = config.heartbeatMs ?? 50;
    if (!(heartbeatMs > 0)) throw new ConfigError('heartbeatMs', `must be > 0, got ${String(heartbeatMs)}`);
    const d = nextInt(seedPrng(`${config.id}/${config.seed ?? 0}`), range[0], range[1]);
    return {
      id: config.id,
      peers: config.peers.filter((p) => p !== config.id),
      role: 'follower',
      term: 0,
      electionTimeoutMs: range,
      heartbeatMs,
      deadline: d.value,
      heard: false,
      prng: d.state,
    };
  },
  step(s, input) {
    if (input.type === 'tick') {
      if (input.now < s.deadline) return { state: s, outputs: [] };
      const beat = (term: number): NaiveLeaderOutput[] => s.peers.map((to) => ({ type: 'send', to, message: { type: 'heartbeat', term } }));
      if (s.role === 'leader') return { state: { ...s, deadline: input.now + s.heartbeatMs }, outputs: beat(s.term) };
      if (s.heard) {
        const d = nextInt(s.prng, s.electionTimeoutMs[0], s.electionTimeoutMs[1]);
        return { state: { ...s, heard: false, deadline: input.now + d.value, prng: d.state }, outputs: [] };
      }
      // The bug: no RequestVote round, no majority (compare Raft §5.2).
      const term = s.term + 1;
      return { state: { ...s, role: 'leader', term, heard: false, deadline: input.now + s.heartbeatMs }, outputs: [{ type: 'leader', term }, ...beat(term)] };
    }
    const problem = heartbeat(input.message, 'message');
    if (problem !== undefined) return reject(s, input.from, problem);
    const m = input.message as { term: number };
    if (m.term < s.term || (m.term === s.term && s.role === 'leader')) return { state: s, outputs: [] };
    if (s.role === 'follower' && s.heard && m.term === s.term) return { state: s, outputs: [] };
    // Time arrives only with ticks: mark the heartbeat; the next timeout tick re-arms instead of electing.
    return { state: { ...s, role: 'follower', term: m.term, heard: true }, outputs: [] };
  },
  nextDeadline: (s) => s.deadline,
};

/**
 * The invariant {@link naiveLeaderMachine} breaks: at most one node is leader in any term (Raft's
 * Election Safety, §5.2). Works for any state with `role` and `term` fields.
 *
 * @example
 * ```ts
 * import { oneLeaderPerTerm } from 'distkit/sim';
 * oneLeaderPerTerm.check({ a: { role: 'leader', term: 1 }, b: { role: 'leader', term: 1 } }, undefined as never);
 * //=> 'a and b are both leaders of term 1'
 * ```
 */
export const oneLeaderPerTerm: Invariant<{ readonly role?: unknown; readonly term?: unknown }> = {
  name: 'at most one leader per term',
  check(states) {
    const leaders = new Map<unknown, NodeId>();
    for (const id of Object.keys(states)) {
      const s = states[id]!;
      if (s.role !== 'leader') continue;
      const other = leaders.get(s.term);
      if (other !== undefined) return `${other} and ${id} are both leaders of term ${String(s.term)}`;
      leaders.set(s.term, id);
    }
    return undefined;
  },
};

/**
 * Config of {@link lazyRegisterMachine}.
 *
 * @example
 * ```ts
 * import type { LazyRegisterConfig } from 'distkit/sim';
 * const c: LazyRegisterConfig = { id: 'b', primary: 'a', peers: ['a', 'b', 'c'] };
 * ```
 */
export interface LazyRegisterConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** The node that accepts writes. */
  readonly primary: NodeId;
  /** Every replica, the primary included. */
  readonly peers: readonly NodeId[];
}

/**
 * State of {@link lazyRegisterMachine}.
 *
 * @example
 * ```ts
 * import { lazyRegisterMachine } from 'distkit/sim';
 * lazyRegisterMachine.init({ id: 'a', primary: 'a', peers: ['a'] }).value; //=> null
 * ```
 */
export interface LazyRegisterState {
  /** This node's id. */
  readonly id: NodeId;
  /** The primary. */
  readonly primary: NodeId;
  /** The other replicas. */
  readonly peers: readonly NodeId[];
  /** This replica's copy of the register. */
  readonly value: number | null;
  /** How many writes the copy reflects. */
  readonly version: number;
}

/**
 * A client request to {@link lazyRegisterMachine}: read, or write an integer.
 *
 * @example
 * ```ts
 * import type { LazyRegisterRequest } from 'distkit/sim';
 * const r: LazyRegisterRequest = { type: 'request', id: 7, op: { f: 'write', value: 3 } };
 * ```
 */
export interface LazyRegisterRequest {
  /** The discriminant. */
  readonly type: 'request';
  /** Echoed in the reply. */
  readonly id: number;
  /** The operation. */
  readonly op: { readonly f: 'read' } | { readonly f: 'write'; readonly value: number };
}

/**
 * Outputs of {@link lazyRegisterMachine}: replication sends, rejections, and replies (`ok: false`
 * for a write sent to a backup, which certainly did not happen).
 *
 * @example
 * ```ts
 * import type { LazyRegisterOutput } from 'distkit/sim';
 * const o: LazyRegisterOutput = { type: 'reply', id: 7, ok: true, value: null };
 * ```
 */
export type LazyRegisterOutput =
  | SendOutput<{ readonly type: 'replicate'; readonly value: number; readonly version: number }>
  | RejectedOutput
  | { readonly type: 'reply'; readonly id: number; readonly ok: boolean; readonly value: number | null };

/**
 * The type of {@link lazyRegisterMachine}.
 *
 * @example
 * ```ts
 * import { lazyRegisterMachine, type LazyRegisterMachine } from 'distkit/sim';
 * const m: LazyRegisterMachine = lazyRegisterMachine;
 * ```
 */
export interface LazyRegisterMachine extends Machine<LazyRegisterConfig, LazyRegisterState, MessageInput | LazyRegisterRequest, LazyRegisterOutput> {
  /** Validates the config (throws `ConfigError` naming the field) and returns the initial state. */
  init(config: LazyRegisterConfig): LazyRegisterState;
}

const replicate = v.object({ type: v.literal('replicate'), value: v.int(), version: v.int({ min: 1 }) });

/**
 * A deliberately non-linearizable register, for demonstrating workloads and the linearizability
 * checker: the primary applies a write and acknowledges it at once, replicating it lazily; every
 * replica answers reads from its own copy. A read from a backup that has not heard of an
 * acknowledged write returns the old value — a stale read (Herlihy & Wing's linearizability
 * forbids it: the write finished before the read began).
 *
 * @example
 * ```ts
 * import { lazyRegisterMachine } from 'distkit/sim';
 * const s = lazyRegisterMachine.init({ id: 'a', primary: 'a', peers: ['a', 'b'] });
 * lazyRegisterMachine.step(s, { type: 'request', id: 1, op: { f: 'write', value: 5 } }).outputs.length; //=> 2
 * ```
 */
export const lazyRegisterMachine: LazyRegisterMachine = {
  name: 'lazy-register',
  init(config) {
    if (typeof config.id !== 'string' || config.id === '') throw new ConfigError('id', 'must be a non-empty string');
    if (typeof config.primary !== 'string' || config.primary === '') throw new ConfigError('primary', 'must be a non-empty string');
    if (!Array.isArray(config.peers)) throw new ConfigError('peers', 'must be an array of node ids');
    return { id: config.id, primary: config.primary, peers: config.peers.filter((p) => p !== config.id), value: null, version: 0 };
  },
  step(s, input) {
    if (input.type === 'message') {
      const problem = replicate(input.message, 'message');
      if (problem !== undefined) return reject(s, input.from, problem);
      const m = input.message as { value: number; version: number };
      if (m.version <= s.version) return { state: s, outputs: [] };
      return { state: { ...s, value: m.value, version: m.version }, outputs: [] };
    }
    if (input.op.f === 'read') return { state: s, outputs: [{ type: 'reply', id: input.id, ok: true, value: s.value }] };
    if (s.id !== s.primary) return { state: s, outputs: [{ type: 'reply', id: input.id, ok: false, value: null }] };
    const next = { ...s, value: input.op.value, version: s.version + 1 };
    const sends: LazyRegisterOutput[] = s.peers.map((to) => ({ type: 'send', to, message: { type: 'replicate', value: next.value, version: next.version } }));
    // The bug: acknowledge before any backup has the write.
    return { state: next, outputs: [...sends, { type: 'reply', id: input.id, ok: true, value: null }] };
  },
};
