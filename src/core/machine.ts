/**
 * The machine contract: every protocol in distkit is a pure state machine.
 *
 * @packageDocumentation
 */

/** Identifies a node (a process, replica, participant...). Any non-empty string chosen by the host. */
export type NodeId = string;

/**
 * The result of one {@link Machine.step}: the next state and the effects the host must perform.
 *
 * @example
 * ```ts
 * import { centralizedMutex } from 'distkit/mutex';
 * const a = centralizedMutex.init({ id: 'a', nodes: ['a', 'b'], coordinator: 'a' });
 * const b = centralizedMutex.init({ id: 'b', nodes: ['a', 'b'], coordinator: 'a' });
 * import type { Transition } from 'distkit/core';
 * // One step: the new state and what to do (send, persist, report), nothing done yet.
 * const t: Transition<typeof b, unknown> = centralizedMutex.step(b, { type: 'request', now: 0 });
 * [t.state.phase, t.outputs.length]; //=> ['wanting', 1]
 * ```
 */
export interface Transition<S, O> {
  readonly state: S;
  readonly outputs: readonly O[];
}

/**
 * A pure, transport-agnostic protocol: input message → output messages + new state.
 *
 * Rules (checked by tests for every machine): `step` is pure (no I/O, clock or randomness; every
 * input carries the host's current time as `now`, and randomness comes from a PRNG kept in the
 * state), never mutates its input state, is total on untrusted input (a bad peer message yields a
 * `rejected` output and the same state object), and states/messages are plain JSON data. A `tick`
 * only says that a deadline the machine asked for (`nextDeadline`) is due.
 *
 * @typeParam Config - validated by `init`, which throws {@link ConfigError} naming the bad field.
 * @example
 * ```ts
 * import type { Machine, Transition, TickInput } from 'distkit/core';
 * type S = { count: number };
 * const counter: Machine<{ start: number }, S, TickInput, { type: 'count'; count: number }> = {
 *   name: 'counter',
 *   init: (c) => ({ count: c.start }),
 *   step: (s) => ({ state: { count: s.count + 1 }, outputs: [{ type: 'count', count: s.count + 1 }] }),
 * };
 * counter.step(counter.init({ start: 0 }), { type: 'tick', now: 0 }).state; //=> { count: 1 }
 * ```
 */
export interface Machine<Config, State, Input, Output> {
  /** A short name for traces and error messages, e.g. `'raft'`. */
  readonly name: string;
  /** Validates `config` and returns the initial state. Throws {@link ConfigError} on bad config. */
  init(config: Config): State;
  /** Applies one input. Pure; returns the same state object when the input is rejected or a no-op. */
  step(state: State, input: Input): Transition<State, Output>;
  /**
   * The earliest virtual time (ms, host monotonic clock) at which the machine wants a `tick`, or
   * `undefined` when it has no deadline. Hosts arm exactly one timer from it.
   */
  nextDeadline?(state: State): number | undefined;
}

/**
 * A machine whose safety depends on stable storage (Raft, Paxos acceptors, 2PC...).
 *
 * `durable(state)` is what must survive a crash; `recover(config, durable)` rebuilds a state from
 * it. Such a machine emits `{ type: 'persist' }` outputs before the sends of the same transition.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * import type { DurableMachine } from 'distkit/core';
 * const m: DurableMachine<any, any, any, any, any> = raft;
 * const config = { id: 'a', voters: ['a', 'b', 'c'], seed: 1, preVote: false };
 * // Campaigning raises the term: a fact that must survive a crash (Raft §5.1).
 * const campaigned = m.step(m.init(config), { type: 'campaign', now: 0 }).state;
 * const image = m.durable(campaigned);
 * // After a crash the node restarts from its durable image alone.
 * [image.term, m.recover(config, image).term, m.recover(config, image).role]; //=> [1, 1, 'follower']
 * ```
 */
export interface DurableMachine<Config, State, Input, Output, Durable>
  extends Machine<Config, State, Input, Output> {
  /** The part of `state` that must be on stable storage for the protocol to stay safe. */
  durable(state: State): Durable;
  /** Rebuilds a state after a crash from the last durable record (volatile parts reset). */
  recover(config: Config, durable: Durable): State;
  /**
   * Folds one `persist` record into the durable image that stable storage holds. Absent when each
   * record is the whole image (`record` replaces the previous one). Hosts, the simulator and the
   * model checker keep the image this way and restart a crashed node from `recover(config, image)`;
   * `checkedStep` asserts that `applyPersist(durable(before), record)` equals `durable(after)`.
   */
  applyPersist?(durable: Durable, record: unknown): Durable;
}

/**
 * A message from a peer, as delivered by the host's transport. `message` is untrusted data.
 *
 * @example
 * ```ts
 * import { centralizedMutex } from 'distkit/mutex';
 * const a = centralizedMutex.init({ id: 'a', nodes: ['a', 'b'], coordinator: 'a' });
 * const b = centralizedMutex.init({ id: 'b', nodes: ['a', 'b'], coordinator: 'a' });
 * import type { MessageInput } from 'distkit/core';
 * // A message from a peer: the coordinator grants b's request.
 * const input: MessageInput = { type: 'message', from: 'b', message: { type: 'request', seq: 1 }, now: 5 };
 * centralizedMutex.step(a, input).outputs; //=> [{ type: 'send', to: 'b', message: { type: 'grant', seq: 1 } }]
 * ```
 */
export interface MessageInput<M = unknown> {
  readonly type: 'message';
  /** The sender, as the host's transport identified it. */
  readonly from: NodeId;
  /** The peer's message: untrusted data. */
  readonly message: M;
  /** The host's current time (ms, monotonic clock) when the message is stepped. */
  readonly now: number;
}

/**
 * A deadline the machine asked for (through `nextDeadline`) is due. `now` is the host's current
 * time in milliseconds from its monotonic clock, like on every other input.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * import type { TickInput } from 'distkit/core';
 * const s = raft.init({ id: 'a', voters: ['a', 'b', 'c'], seed: 1, preVote: false });
 * // A tick is time passing: the first arms the election timer; past the timeout, a follower campaigns.
 * const armed = raft.step(s, { type: 'tick', now: 0 }).state;
 * const tick: TickInput = { type: 'tick', now: 5000 };
 * [armed.role, raft.step(armed, tick).state.role]; //=> ['follower', 'candidate']
 * ```
 */
export interface TickInput {
  readonly type: 'tick';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
}

/**
 * What every input has: a discriminant and the host's current time in milliseconds (monotonic,
 * never decreasing for one node). Local commands carry `now` like messages and ticks do.
 *
 * @example
 * ```ts
 * import { centralizedMutex } from 'distkit/mutex';
 * const a = centralizedMutex.init({ id: 'a', nodes: ['a', 'b'], coordinator: 'a' });
 * const b = centralizedMutex.init({ id: 'b', nodes: ['a', 'b'], coordinator: 'a' });
 * import type { TimedInput } from 'distkit/core';
 * // A local command carries the time too.
 * const request: TimedInput = { type: 'request', now: 20 };
 * centralizedMutex.step(b, request as never).outputs; //=> [{ type: 'send', to: 'a', message: { type: 'request', seq: 1 } }]
 * ```
 */
export interface TimedInput {
  readonly type: string;
  readonly now: number;
}

/**
 * An input without its `now`: what a caller of `createNode`'s `input` passes; the node stamps
 * the time from its clock. Distributes over unions.
 *
 * @example
 * ```ts
 * import type { Unstamped } from 'distkit/core';
 * import { simulate } from 'distkit/sim';
 * import { centralizedMutex, type MutexInput } from 'distkit/mutex';
 * // Hosts stamp `now` themselves: a scheduled command is given without it.
 * const request: Unstamped<MutexInput> = { type: 'request' };
 * const nodes = ['a', 'b'].map((id) => ({ id, machine: centralizedMutex, config: { id, nodes: ['a', 'b'], coordinator: 'a' } }));
 * const r = simulate({ seed: 1, nodes, commands: [{ at: 10, node: 'b', input: request }], maxTimeMs: 100 });
 * (r.states['b'] as { phase: string }).phase; //=> 'held'
 * ```
 */
export type Unstamped<I> = I extends unknown ? Omit<I, 'now'> : never;

/**
 * An effect: deliver `message` to node `to`. Hosts may drop, delay or reorder it; protocols cope.
 *
 * @example
 * ```ts
 * import { centralizedMutex } from 'distkit/mutex';
 * const a = centralizedMutex.init({ id: 'a', nodes: ['a', 'b'], coordinator: 'a' });
 * const b = centralizedMutex.init({ id: 'b', nodes: ['a', 'b'], coordinator: 'a' });
 * import type { SendOutput } from 'distkit/core';
 * import type { CentralizedMutexMessage } from 'distkit/mutex';
 * const sends = centralizedMutex.step(b, { type: 'request', now: 0 }).outputs.filter((o): o is SendOutput<CentralizedMutexMessage> => o.type === 'send');
 * sends; //=> [{ type: 'send', to: 'a', message: { type: 'request', seq: 1 } }]
 * ```
 */
export interface SendOutput<M = unknown> {
  readonly type: 'send';
  readonly to: NodeId;
  readonly message: M;
  /**
   * The machine does not rely on this node's pending `persist` records for this send: a host may
   * deliver it before they are durable, provided it keeps the order of the node's sends (a Raft
   * leader replicating while it writes its own log, thesis §10.2.1). Absent: wait, as usual.
   */
  readonly beforePersist?: true;
}

/**
 * An effect: make `record` durable before delivering any `send` that follows it in the same transition.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * import type { PersistOutput } from 'distkit/core';
 * import type { RaftPersistRecord } from 'distkit/consensus';
 * const s = raft.init({ id: 'a', voters: ['a', 'b', 'c'], seed: 1, preVote: false });
 * // The host must write a persist record durably before it sends what follows it.
 * const t = raft.step(s, { type: 'campaign', now: 0 });
 * const persist = t.outputs.find((o): o is PersistOutput<RaftPersistRecord> => o.type === 'persist');
 * [t.outputs.indexOf(persist!), t.outputs.length]; //=> [0, 4]
 * persist?.record; //=> { term: 1, vote: 'a' }
 * ```
 */
export interface PersistOutput<R = unknown> {
  readonly type: 'persist';
  readonly record: R;
  /**
   * An input for the host to step on this node once `record` (and every earlier record) is
   * durable, e.g. Raft's `persisted` acknowledgement of its own log write. Stamped with `now` like
   * any local input.
   */
  readonly onDurable?: unknown;
}

/**
 * Reports an input the machine refused (malformed, stale, from an unknown node...). State is unchanged.
 *
 * @example
 * ```ts
 * import { centralizedMutex } from 'distkit/mutex';
 * const a = centralizedMutex.init({ id: 'a', nodes: ['a', 'b'], coordinator: 'a' });
 * const b = centralizedMutex.init({ id: 'b', nodes: ['a', 'b'], coordinator: 'a' });
 * import type { RejectedOutput } from 'distkit/core';
 * // A malformed message from a peer: the state is unchanged and the output names the problem.
 * const t = centralizedMutex.step(a, { type: 'message', from: 'b', message: { type: 'request', seq: -1 }, now: 0 });
 * [t.state === a, t.outputs.filter((o): o is RejectedOutput => o.type === 'rejected').map((o) => o.reason)]; //=> [true, ['message.seq: expected an integer in [1, 9007199254740990], got -1']]
 * ```
 */
export interface RejectedOutput {
  readonly type: 'rejected';
  /** The sender of the rejected message, or `'local'` for a rejected local command. */
  readonly from: NodeId;
  readonly reason: string;
}

/**
 * Shorthand for building a transition.
 *
 * @example
 * ```ts
 * import { transition } from 'distkit/core';
 * transition({ n: 1 }, [{ type: 'send', to: 'b', message: 'hi' }]).outputs.length; //=> 1
 * ```
 */
export function transition<S, O>(state: S, outputs: readonly O[] = []): Transition<S, O> {
  return { state, outputs };
}

/**
 * The transition for a refused input: the same state object and one `rejected` output.
 *
 * @example
 * ```ts
 * import { reject } from 'distkit/core';
 * const s = { n: 1 };
 * const t = reject(s, 'b', 'unknown sender');
 * t.state === s; //=> true
 * ```
 */
export function reject<S>(state: S, from: NodeId, reason: string): Transition<S, RejectedOutput> {
  return { state, outputs: [{ type: 'rejected', from, reason }] };
}
