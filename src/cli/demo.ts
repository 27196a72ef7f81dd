// The demo machines of the `distkit sim` command's `echo`, `naive-leader` and `stale-register`
// targets: a correct ping/echo exchange with retransmission, a deliberately broken leader election
// the simulator catches, and a lazily replicated register whose stale reads the linearizability
// checker catches. Private to the command; the library's own algorithms live in their modules.
import {
  ConfigError,
  InvalidCommandError,
  MAX_COUNTER,
  canIncrement,
  describeValue,
  isCounter,
  nextInt,
  randomTimer,
  reject,
  seedPrng,
  startTimer,
  stepByType,
  timerDeadline,
  timerDue,
  v,
  type Machine,
  type MessageInput,
  type NodeId,
  type PrngState,
  type RejectedOutput,
  type SendOutput,
  type TickInput,
  type Timer,
  type Invariant,
  type Transition,
} from '../core/index.js';

/**
 * Config of {@link echoMachine}.
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
  /**
   * When to start or retransmit (host ms), or `null` once every round is done (the node wants
   * no tick ever again). A fresh node's timer is due at time 0 of its host clock, so the first
   * tick starts round 1.
   */
  readonly deadline: Timer | null;
}

/**
 * Messages of {@link echoMachine}.
 */
export type EchoMessage = { readonly type: 'ping'; readonly round: number } | { readonly type: 'pong'; readonly round: number };

/**
 * Inputs of {@link echoMachine}: peer messages and ticks, each with the host's `now`.
 */
export type EchoInput = MessageInput | TickInput;

/**
 * Outputs of {@link echoMachine}: sends, rejections and a `done` event after the last round.
 */
export type EchoOutput = SendOutput<EchoMessage> | RejectedOutput | { readonly type: 'done'; readonly rounds: number };

const echoMessage = v.object({ type: v.literal('ping', 'pong'), round: v.int({ min: 1, max: MAX_COUNTER }) });

function sendPings(s: EchoState, to: readonly NodeId[]): EchoOutput[] {
  return to.map((peer) => ({ type: 'send', to: peer, message: { type: 'ping', round: s.round } }));
}

/**
 * The type of {@link echoMachine}.
 */
export interface EchoMachine extends Machine<EchoConfig, EchoState, EchoInput, EchoOutput> {
  /** Validates the config (throws `ConfigError` naming the field) and returns the initial state. */
  init(config: EchoConfig): EchoState;
  /** The host time of the next (re)transmission, or `undefined` once every round is done. */
  nextDeadline(state: EchoState): number | undefined;
}

function echoTick(s: EchoState, now: number): Transition<EchoState, EchoOutput> {
  if (s.deadline === null || !timerDue(s.deadline, now)) return { state: s, outputs: [] };
  if (s.round === 0) {
    const next: EchoState = { ...s, round: 1, pending: s.peers, deadline: startTimer(now, s.retryMs) };
    return { state: next, outputs: sendPings(next, next.pending) };
  }
  return { state: { ...s, deadline: startTimer(now, s.retryMs) }, outputs: sendPings(s, s.pending) };
}

function echoReceive(s: EchoState, input: MessageInput, now: number): Transition<EchoState, EchoOutput> {
  const from = input.from;
  if (!s.peers.includes(from)) return reject(s, typeof from === 'string' ? from : 'unknown', `unknown sender ${describeValue(from)}`);
  const problem = echoMessage(input.message, 'message');
  if (problem !== undefined) return reject(s, from, problem);
  const msg = input.message as EchoMessage;
  if (msg.type === 'ping') return { state: s, outputs: [{ type: 'send', to: from, message: { type: 'pong', round: msg.round } }] };
  if (msg.round !== s.round || !s.pending.includes(from)) return { state: s, outputs: [] }; // stale or duplicate pong
  const pending = s.pending.filter((p) => p !== from);
  if (pending.length > 0) return { state: { ...s, pending }, outputs: [] };
  if (s.round >= s.rounds) return { state: { ...s, pending, deadline: null }, outputs: [{ type: 'done', rounds: s.round }] };
  // The next round's retransmission counts from this pong's arrival.
  const next: EchoState = { ...s, round: s.round + 1, pending: s.peers, deadline: startTimer(now, s.retryMs) };
  return { state: next, outputs: sendPings(next, next.pending) };
}

/**
 * A ping/echo protocol: each node pings every peer, waits for all pongs (resending on a timer),
 * then starts the next round, `rounds` times. Correct under loss, duplication and crashes of
 * peers that come back; the simulator's smoke test and benchmark subject. Messages from nodes
 * outside `peers` are rejected.
 */
export const echoMachine: EchoMachine = {
  name: 'echo',
  init(config) {
    if (typeof config.id !== 'string' || config.id === '') throw new ConfigError('id', 'must be a non-empty string');
    if (!Array.isArray(config.peers)) throw new ConfigError('peers', 'must be an array of node ids');
    if (!isCounter(config.rounds)) throw new ConfigError('rounds', `must be an integer in [0, ${MAX_COUNTER}], got ${String(config.rounds)}`);
    const retryMs = config.retryMs ?? 50;
    if (typeof retryMs !== 'number' || !Number.isFinite(retryMs) || !(retryMs > 0)) throw new ConfigError('retryMs', `must be a finite number > 0, got ${String(retryMs)}`);
    const peers = config.peers.filter((p) => p !== config.id);
    const deadline = config.rounds > 0 && peers.length > 0 ? startTimer(0, 0) : null;
    return { id: config.id, peers, rounds: config.rounds, retryMs, round: 0, pending: [], deadline };
  },
  step: (s, input) => stepByType({ tick: (st, _tick, now) => echoTick(st, now), message: echoReceive }, s, input),
  nextDeadline: (s) => (s.deadline === null ? undefined : timerDeadline(s.deadline)),
};

/**
 * Config of {@link naiveLeaderMachine}.
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
 */
export interface NaiveLeaderState {
  /** This node's id. */
  readonly id: NodeId;
  /** The other nodes. */
  readonly peers: readonly NodeId[];
  /** Follower or leader. */
  readonly role: 'follower' | 'leader';
  /** The current term (at most {@link MAX_COUNTER} from a peer). */
  readonly term: number;
  /** Election timeout range, ms. */
  readonly electionTimeoutMs: readonly [number, number];
  /** Heartbeat interval, ms. */
  readonly heartbeatMs: number;
  /**
   * The follower's election timeout or the leader's next heartbeat (host ms). A fresh node's
   * first timeout counts from time 0 of its host clock; a heartbeat restarts it from its arrival.
   */
  readonly timer: Timer;
  /** PRNG for randomized timeouts. */
  readonly prng: PrngState;
}

/**
 * Inputs of {@link naiveLeaderMachine}: peer heartbeats and ticks, each with the host's `now`.
 */
export type NaiveLeaderInput = MessageInput | TickInput;

/**
 * Outputs of {@link naiveLeaderMachine}.
 */
export type NaiveLeaderOutput =
  | SendOutput<{ readonly type: 'heartbeat'; readonly term: number }>
  | RejectedOutput
  | { readonly type: 'leader'; readonly term: number };

const heartbeat = v.object({ type: v.literal('heartbeat'), term: v.int({ min: 0, max: MAX_COUNTER }) });

/**
 * The type of {@link naiveLeaderMachine}.
 */
export interface NaiveLeaderMachine extends Machine<NaiveLeaderConfig, NaiveLeaderState, NaiveLeaderInput, NaiveLeaderOutput> {
  /** Validates the config (throws `ConfigError` naming the field) and returns the initial state. */
  init(config: NaiveLeaderConfig): NaiveLeaderState;
  /** The host time of the next election timeout or heartbeat. */
  nextDeadline(state: NaiveLeaderState): number | undefined;
}

function electionTimer(s: NaiveLeaderState, now: number): { timer: Timer; prng: PrngState } {
  return randomTimer(now, s.electionTimeoutMs[0], s.electionTimeoutMs[1], s.prng);
}

function naiveTick(s: NaiveLeaderState, now: number): Transition<NaiveLeaderState, NaiveLeaderOutput> {
  if (!timerDue(s.timer, now)) return { state: s, outputs: [] };
  const beat = (term: number): NaiveLeaderOutput[] => s.peers.map((to) => ({ type: 'send', to, message: { type: 'heartbeat', term } }));
  if (s.role === 'leader') return { state: { ...s, timer: startTimer(now, s.heartbeatMs) }, outputs: beat(s.term) };
  // A term that cannot grow any more stays a follower's (terms from peers are <= MAX_COUNTER).
  if (!canIncrement(s.term)) return { state: { ...s, ...electionTimer(s, now) }, outputs: [] };
  // The bug: no RequestVote round, no majority (compare Raft §5.2).
  const term = s.term + 1;
  return { state: { ...s, role: 'leader', term, timer: startTimer(now, s.heartbeatMs) }, outputs: [{ type: 'leader', term }, ...beat(term)] };
}

function naiveReceive(s: NaiveLeaderState, input: MessageInput, now: number): Transition<NaiveLeaderState, NaiveLeaderOutput> {
  const from = input.from;
  if (!s.peers.includes(from)) return reject(s, typeof from === 'string' ? from : 'unknown', `unknown sender ${describeValue(from)}`);
  const problem = heartbeat(input.message, 'message');
  if (problem !== undefined) return reject(s, from, problem);
  const m = input.message as { term: number };
  if (m.term < s.term || (m.term === s.term && s.role === 'leader')) return { state: s, outputs: [] };
  // A live leader: follow it, and count the election timeout from this heartbeat's arrival.
  return { state: { ...s, role: 'follower', term: m.term, ...electionTimer(s, now) }, outputs: [] };
}

/**
 * A deliberately broken leader election, for demonstrating the simulator: a follower whose
 * timeout expires simply declares itself leader of the next term, without collecting votes (the
 * step Raft §5.2 requires). Two nodes that time out together, or a partition, give two leaders of
 * the same term; the invariant "at most one leader per term" catches it within a few seeds.
 * (Apart from that bug it keeps the machine contract: messages from outside `peers` and
 * malformed heartbeats are rejected, and terms are bounded by {@link MAX_COUNTER}.)
 */
export const naiveLeaderMachine: NaiveLeaderMachine = {
  name: 'naive-leader',
  init(config) {
    if (typeof config.id !== 'string' || config.id === '') throw new ConfigError('id', 'must be a non-empty string');
    if (!Array.isArray(config.peers)) throw new ConfigError('peers', 'must be an array of node ids');
    const range = config.electionTimeoutMs ?? [150, 300];
    if (!Array.isArray(range) || !Number.isSafeInteger(range[0]) || !Number.isSafeInteger(range[1]) || range[0] < 1 || range[1] <= range[0]) {
      throw new ConfigError('electionTimeoutMs', 'must be integers [min, max) with 1 <= min < max');
    }
    const heartbeatMs = config.heartbeatMs ?? 50;
    if (typeof heartbeatMs !== 'number' || !Number.isFinite(heartbeatMs) || !(heartbeatMs > 0)) throw new ConfigError('heartbeatMs', `must be a finite number > 0, got ${String(heartbeatMs)}`);
    const d = nextInt(seedPrng(`${config.id}/${config.seed ?? 0}`), range[0], range[1]);
    return {
      id: config.id,
      peers: config.peers.filter((p) => p !== config.id),
      role: 'follower',
      term: 0,
      electionTimeoutMs: [range[0], range[1]],
      heartbeatMs,
      timer: startTimer(0, d.value),
      prng: d.state,
    };
  },
  step: (s, input) => stepByType({ tick: (st, _tick, now) => naiveTick(st, now), message: naiveReceive }, s, input),
  nextDeadline: (s) => timerDeadline(s.timer),
};

/**
 * The invariant {@link naiveLeaderMachine} breaks: at most one node is leader in any term (Raft's
 * Election Safety, §5.2). Works for any state with `role` and `term` fields.
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
 * A client request to {@link lazyRegisterMachine}: read, or write an integer; a local command,
 * stamped with the host's `now` like every input.
 */
export interface LazyRegisterRequest {
  /** The discriminant. */
  readonly type: 'request';
  /** Echoed in the reply (a safe integer). */
  readonly id: number;
  /** The operation. */
  readonly op: { readonly f: 'read' } | { readonly f: 'write'; readonly value: number };
  /** The host's current time (ms). */
  readonly now: number;
}

/**
 * Inputs of {@link lazyRegisterMachine}: replication messages from the primary and client requests.
 */
export type LazyRegisterInput = MessageInput | LazyRegisterRequest;

/**
 * Outputs of {@link lazyRegisterMachine}: replication sends, rejections, and replies (`ok: false`
 * for a write sent to a backup, which certainly did not happen).
 */
export type LazyRegisterOutput =
  | SendOutput<{ readonly type: 'replicate'; readonly value: number; readonly version: number }>
  | RejectedOutput
  | { readonly type: 'reply'; readonly id: number; readonly ok: boolean; readonly value: number | null };

/**
 * The type of {@link lazyRegisterMachine}.
 */
export interface LazyRegisterMachine extends Machine<LazyRegisterConfig, LazyRegisterState, LazyRegisterInput, LazyRegisterOutput> {
  /** Validates the config (throws `ConfigError` naming the field) and returns the initial state. */
  init(config: LazyRegisterConfig): LazyRegisterState;
}

const replicate = v.object({ type: v.literal('replicate'), value: v.int(), version: v.int({ min: 1, max: MAX_COUNTER }) });

function registerReceive(s: LazyRegisterState, input: MessageInput): Transition<LazyRegisterState, LazyRegisterOutput> {
  const from = input.from;
  if (from !== s.primary || s.id === s.primary) return reject(s, typeof from === 'string' ? from : 'unknown', `replication from ${describeValue(from)}, who is not the primary`);
  const problem = replicate(input.message, 'message');
  if (problem !== undefined) return reject(s, from, problem);
  const m = input.message as { value: number; version: number };
  if (m.version <= s.version) return { state: s, outputs: [] };
  return { state: { ...s, value: m.value, version: m.version }, outputs: [] };
}

function registerRequest(s: LazyRegisterState, input: LazyRegisterRequest): Transition<LazyRegisterState, LazyRegisterOutput> {
  if (!Number.isSafeInteger(input.id)) throw new InvalidCommandError('request', `id must be a safe integer, got ${describeValue(input.id)}`);
  const op = input.op as { readonly f?: unknown; readonly value?: unknown } | null;
  if (op === null || typeof op !== 'object') throw new InvalidCommandError('request', `op must be { f: 'read' } or { f: 'write', value }, got ${describeValue(op)}`);
  if (op.f === 'read') return { state: s, outputs: [{ type: 'reply', id: input.id, ok: true, value: s.value }] };
  if (op.f !== 'write') throw new InvalidCommandError('request', `op.f must be 'read' or 'write', got ${describeValue(op.f)}`);
  if (typeof op.value !== 'number' || !Number.isSafeInteger(op.value)) throw new InvalidCommandError('request', `op.value must be a safe integer, got ${describeValue(op.value)}`);
  // A backup, or a version that cannot grow any more: the write certainly did not happen.
  if (s.id !== s.primary || s.version >= MAX_COUNTER) return { state: s, outputs: [{ type: 'reply', id: input.id, ok: false, value: null }] };
  const next = { ...s, value: op.value, version: s.version + 1 };
  const sends: LazyRegisterOutput[] = s.peers.map((to) => ({ type: 'send', to, message: { type: 'replicate', value: op.value as number, version: next.version } }));
  // The bug: acknowledge before any backup has the write.
  return { state: next, outputs: [...sends, { type: 'reply', id: input.id, ok: true, value: null }] };
}

/**
 * A deliberately non-linearizable register, for demonstrating workloads and the linearizability
 * checker: the primary applies a write and acknowledges it at once, replicating it lazily; every
 * replica answers reads from its own copy. A read from a backup that has not heard of an
 * acknowledged write returns the old value — a stale read (Herlihy & Wing's linearizability
 * forbids it: the write finished before the read began). Replication from anyone but the
 * primary is rejected; versions are bounded by {@link MAX_COUNTER}.
 */
export const lazyRegisterMachine: LazyRegisterMachine = {
  name: 'lazy-register',
  init(config) {
    if (typeof config.id !== 'string' || config.id === '') throw new ConfigError('id', 'must be a non-empty string');
    if (typeof config.primary !== 'string' || config.primary === '') throw new ConfigError('primary', 'must be a non-empty string');
    if (!Array.isArray(config.peers)) throw new ConfigError('peers', 'must be an array of node ids');
    return { id: config.id, primary: config.primary, peers: config.peers.filter((p) => p !== config.id), value: null, version: 0 };
  },
  step: (s, input) => stepByType({ message: registerReceive, request: registerRequest }, s, input),
};
