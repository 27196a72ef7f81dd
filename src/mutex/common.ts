import type { MessageInput, NodeId, RejectedOutput, SendOutput, TickInput, Transition } from '../core/index.js';
import { ConfigError, InvalidCommandError, MAX_COUNTER, assertNever, compareNodeIds, inputNow, isCounter, transition } from '../core/index.js';

/**
 * A local command: this node wants the critical section. The machine answers with an
 * {@link EnterOutput} once it may enter.
 *
 * @example
 * ```ts
 * import { ricartAgrawala } from 'distkit/mutex';
 * const a = ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] });
 * import type { RequestCommand } from 'distkit/mutex';
 * const cmd: RequestCommand = { type: 'request', now: 1000 };
 * // Ricart–Agrawala: a request asks every other node.
 * ricartAgrawala.step(a, cmd).outputs; //=> [{ type: 'send', to: 'b', message: { type: 'request', ts: 1 } }]
 * ```
 */
export interface RequestCommand {
  /** Discriminant. */
  readonly type: 'request';
  /** The host's current time (ms, monotonic clock), like on every input. */
  readonly now: number;
}

/**
 * A local command: this node leaves the critical section (or gives up a lease).
 *
 * @example
 * ```ts
 * import { ricartAgrawala } from 'distkit/mutex';
 * const a = ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] });
 * import type { ReleaseCommand } from 'distkit/mutex';
 * const wanting = ricartAgrawala.step(a, { type: 'request', now: 0 }).state;
 * const held = ricartAgrawala.step(wanting, { type: 'message', from: 'b', message: { type: 'reply', ts: 1 }, now: 1 }).state;
 * const cmd: ReleaseCommand = { type: 'release', now: 1200 };
 * [held.phase, ricartAgrawala.step(held, cmd).state.phase]; //=> ['held', 'idle']
 * ```
 */
export interface ReleaseCommand {
  /** Discriminant. */
  readonly type: 'release';
  /** The host's current time (ms, monotonic clock), like on every input. */
  readonly now: number;
}

/**
 * An event: this node may now enter the critical section. Lease locks add the fencing token the
 * protected resource must check (Kleppmann, "How to do distributed locking", 2016).
 *
 * @example
 * ```ts
 * import { ricartAgrawala } from 'distkit/mutex';
 * const a = ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] });
 * import type { EnterOutput } from 'distkit/mutex';
 * const wanting = ricartAgrawala.step(a, { type: 'request', now: 0 }).state;
 * // b's reply is the last permission: a enters (a lease-based lock also hands out a fencing token).
 * const outputs = ricartAgrawala.step(wanting, { type: 'message', from: 'b', message: { type: 'reply', ts: 1 }, now: 1 }).outputs;
 * outputs.filter((o): o is EnterOutput => o.type === 'enter'); //=> [{ type: 'enter' }]
 * ```
 */
export interface EnterOutput {
  /** Discriminant. */
  readonly type: 'enter';
  /** For lease locks: the token to present to the protected resource. */
  readonly fencingToken?: number;
}

/**
 * Every input a mutual-exclusion machine takes: peer messages (untrusted), ticks, and the local
 * `request` / `release` commands. Every input carries the host's current time `now`.
 *
 * @example
 * ```ts
 * import { ricartAgrawala } from 'distkit/mutex';
 * const a = ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] });
 * import type { MutexInput } from 'distkit/mutex';
 * const inputs: MutexInput[] = [{ type: 'request', now: 0 }, { type: 'message', from: 'b', message: { type: 'reply', ts: 1 }, now: 1 }, { type: 'release', now: 9 }];
 * inputs.reduce((s, i) => ricartAgrawala.step(s, i).state, a).phase; //=> 'idle'
 * ```
 */
export type MutexInput = MessageInput<unknown> | TickInput | RequestCommand | ReleaseCommand;

/**
 * The outputs every mutual-exclusion machine may emit, plus its own events `E`.
 *
 * @example
 * ```ts
 * import { ricartAgrawala } from 'distkit/mutex';
 * const a = ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] });
 * // While a holds the lock, b's request is deferred: no reply until a releases.
 * const wanting = ricartAgrawala.step(a, { type: 'request', now: 0 }).state;
 * const held = ricartAgrawala.step(wanting, { type: 'message', from: 'b', message: { type: 'reply', ts: 1 }, now: 1 }).state;
 * const asked = ricartAgrawala.step(held, { type: 'message', from: 'b', message: { type: 'request', ts: 5 }, now: 2 });
 * [asked.outputs, ricartAgrawala.step(asked.state, { type: 'release', now: 3 }).outputs]; //=> [[], [{ type: 'send', to: 'b', message: { type: 'reply', ts: 5 } }]]
 * ```
 */
export type MutexOutput<M, E = never> = SendOutput<M> | RejectedOutput | EnterOutput | E;

/**
 * The phase of a requester: `idle` (not interested), `wanting` (requested, not yet in), `held` (in
 * the critical section).
 *
 * @example
 * ```ts
 * import { ricartAgrawala } from 'distkit/mutex';
 * const a = ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] });
 * import type { MutexPhase } from 'distkit/mutex';
 * const phases: MutexPhase[] = [a.phase, ricartAgrawala.step(a, { type: 'request', now: 0 }).state.phase];
 * phases; //=> ['idle', 'wanting']
 * ```
 */
export type MutexPhase = 'idle' | 'wanting' | 'held';

/**
 * The requester part every timestamp-ordered mutual-exclusion state shares (Ricart–Agrawala,
 * Lamport, Maekawa): the node, its Lamport clock (Lamport 1978, IR1/IR2), its phase and the
 * timestamp of its own outstanding request.
 *
 * @example
 * ```ts
 * import { ricartAgrawala } from 'distkit/mutex';
 * const s = ricartAgrawala.step(ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] }), { type: 'request', now: 0 }).state;
 * [s.phase, s.requestTs]; //=> ['wanting', 1]
 * ```
 */
export interface TimestampedRequesterState {
  /** This node. */
  readonly id: NodeId;
  /** Lamport clock. */
  readonly clock: number;
  /** Requester phase. */
  readonly phase: MutexPhase;
  /** Timestamp of the own outstanding request, -1 when idle. */
  readonly requestTs: number;
}

/**
 * Lamport's total order on requests: by timestamp, then by node id (Lamport 1978, rule of the
 * total order `⇒`). Negative when `(ta, a)` comes first.
 *
 * @example
 * ```ts
 * import { compareRequests } from 'distkit/mutex';
 * compareRequests(3, 'a', 3, 'b') < 0; //=> true
 * ```
 */
export function compareRequests(ta: number, a: NodeId, tb: number, b: NodeId): number {
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareNodeIds(a, b); // shorter ids first, then code-unit order (distkit/core)
}

/**
 * @internal The Lamport clock after receiving timestamp `ts` (≤ MAX_COUNTER, validated): one past
 * the larger of both (Lamport 1978, IR2), but never past `MAX_COUNTER`, so `clock + 1` stays exact.
 * The clock stays monotonic, which is all the mutual-exclusion algorithms need for safety.
 */
export function receiveClock(clock: number, ts: number): number {
  return Math.min(Math.max(clock, ts) + 1, MAX_COUNTER);
}

/**
 * @internal The timestamp of a new local request, `clock + 1`; throws when that would pass
 * `MAX_COUNTER` (peers refuse larger timestamps, and `x + 1 === x` must stay unreachable).
 */
export function nextRequestTs(command: string, clock: number): number {
  if (clock >= MAX_COUNTER) throw new InvalidCommandError(command, `the Lamport clock is exhausted (${clock} >= MAX_COUNTER)`);
  return clock + 1;
}

/**
 * @internal What a mutual-exclusion machine does on each input once {@link stepMutex} has checked
 * it: `request` is called only on an idle node, `release` only in the critical section; `tick`
 * defaults to doing nothing (for machines without timers).
 */
export interface MutexHandlers<S, O> {
  /** A due deadline. */
  tick?(state: S, now: number): Transition<S, O>;
  /** An idle node requests the critical section. */
  request(state: S, now: number): Transition<S, O>;
  /** The node leaves the critical section. */
  release(state: S, now: number): Transition<S, O>;
  /** A peer's message (untrusted). */
  message(state: S, from: NodeId, message: unknown, now: number): Transition<S, O>;
}

/**
 * @internal The step shared by the mutual-exclusion machines: only an idle node may request and
 * only the holder may release (both local programming errors otherwise).
 */
export function stepMutex<S extends { readonly phase: MutexPhase }, O>(handlers: MutexHandlers<S, O>, state: S, input: MutexInput): Transition<S, O> {
  const now = inputNow(input);
  switch (input.type) {
    case 'tick':
      return handlers.tick === undefined ? transition(state) : handlers.tick(state, now);
    case 'request':
      if (state.phase !== 'idle') throw new InvalidCommandError('request', `already ${state.phase}`);
      return handlers.request(state, now);
    case 'release':
      if (state.phase !== 'held') throw new InvalidCommandError('release', 'this node is not in the critical section');
      return handlers.release(state, now);
    case 'message':
      return handlers.message(state, input.from, input.message, now);
    default:
      return assertNever(input, 'input');
  }
}

/**
 * @internal What a timestamp-ordered mutual-exclusion machine (Ricart–Agrawala, Lamport, Maekawa)
 * does on each input once {@link stepTimestamped} has checked it: `request` gets the new request's
 * timestamp, `release` is called only in the critical section. These machines keep no timers.
 */
export interface TimestampedMutex<S, O> {
  /** An idle node requests the critical section with timestamp `ts` (the clock is not yet set to it). */
  request(state: S, ts: number): Transition<S, O>;
  /** The node leaves the critical section. */
  release(state: S): Transition<S, O>;
  /** A peer's message (untrusted). */
  message(state: S, from: NodeId, message: unknown): Transition<S, O>;
}

/**
 * @internal The step shared by the timestamp-ordered machines ({@link stepMutex}): a request takes
 * the next Lamport timestamp (Lamport 1978, IR1).
 */
export function stepTimestamped<S extends TimestampedRequesterState, O>(
  handlers: TimestampedMutex<S, O>,
  state: S,
  input: MutexInput,
): Transition<S, O> {
  return stepMutex<S, O>(
    {
      request: (s) => handlers.request(s, nextRequestTs('request', s.clock)),
      release: (s) => handlers.release(s),
      message: (s, from, message) => handlers.message(s, from, message),
    },
    state,
    input,
  );
}

/**
 * @internal What a lease lock keeps on stable storage, for {@link leaseLockService} and
 * {@link leaseLockServer} alike: the largest fencing token issued (Kleppmann, "How to do
 * distributed locking", 2016: tokens must never go back, crash or not).
 */
export function leaseDurable(state: { readonly lastToken: number }): { lastToken: number } {
  return { lastToken: state.lastToken };
}

/**
 * @internal Rebuilds a lease lock after a crash: the durable fencing counter is checked first
 * (a bad record throws `ConfigError` naming `durable.lastToken`), then `fresh()` builds the
 * initial state, which resumes from that counter and starts `recovering`: it grants no lease
 * before a quiet period of its longest lease has passed, since one granted before the crash may
 * still run.
 */
export function recoverLease<S extends { readonly lastToken: number; readonly recovering: boolean }>(durable: unknown, fresh: () => S): S {
  const lastToken = (durable as { lastToken?: unknown } | null)?.lastToken;
  if (!isCounter(lastToken)) throw new ConfigError('durable.lastToken', 'must be an integer in [0, MAX_COUNTER]');
  return { ...fresh(), lastToken, recovering: true };
}
