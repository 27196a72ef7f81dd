import type { DataLimits, MessageInput, NodeId, Parsed, RejectedOutput, Timer, Transition } from '../core/index.js';
import { ConfigError, MAX_ID_LENGTH, PAYLOAD_LIMITS, canIncrement, nodeIdCheck, reject, v } from '../core/index.js';

/**
 * A participant's vote in an atomic commit protocol: `yes` (prepared, can commit), `no` (must
 * abort) or `readonly` (did no updates; needs no second phase — Mohan, Lindsay & Obermarck 1986 §3).
 *
 * @example
 * ```ts
 * import type { Vote } from 'distkit/txn';
 * const vote: Vote = 'readonly';
 * ```
 */
export type Vote = 'yes' | 'no' | 'readonly';

/**
 * The outcome of an atomic commit: every participant applies the same one.
 *
 * @example
 * ```ts
 * import type { Decision } from 'distkit/txn';
 * const d: Decision = 'commit';
 * ```
 */
export type Decision = 'commit' | 'abort';

/** Bound on the participant list a message may carry. */
export const MAX_PARTICIPANTS = 4096;

/** A transaction id carried in a message. */
export const txIdCheck = v.string({ minLength: 1, maxLength: MAX_ID_LENGTH });
/** A participant list carried in a message. */
export const nodeListCheck = v.array(nodeIdCheck, { minLength: 1, maxLength: MAX_PARTICIPANTS });

/**
 * Default bound on the transactions a participant tracks at once, live and retained decided ones
 * together: a peer that floods `prepare`s with fresh ids is refused past it.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_TRANSACTIONS } from 'distkit/txn';
 * DEFAULT_MAX_TRANSACTIONS; //=> 65536
 * ```
 */
export const DEFAULT_MAX_TRANSACTIONS = 65_536;

/** Validates `payloadLimits` from the config: finite positive integers, defaults {@link PAYLOAD_LIMITS}. */
export function payloadLimits(value: Partial<DataLimits> | undefined): DataLimits {
  if (value === undefined) return PAYLOAD_LIMITS;
  const full = { ...PAYLOAD_LIMITS, ...(value ?? {}) };
  for (const k of ['maxDepth', 'maxBytes'] as const) {
    if (!Number.isSafeInteger(full[k]) || full[k] < 0) throw new ConfigError(`payloadLimits.${k}`, `must be an integer >= 0, got ${String(full[k])}`);
  }
  return { maxDepth: full.maxDepth, maxBytes: full.maxBytes };
}

/**
 * Gathers the `persist` outputs of a transition into one, placed first (the runtime allows one
 * persist per transition, before every send): its record is the list of the log records in order.
 */
export function onePersist<S, O extends { readonly type: string }>(state: S, outputs: readonly O[]): Transition<S, O> {
  let records: unknown[] | undefined;
  const rest: O[] = [];
  for (const o of outputs) {
    if (o.type !== 'persist') rest.push(o);
    else {
      const r = (o as unknown as { record: unknown }).record;
      if (Array.isArray(r)) (records ??= []).push(...(r as unknown[]));
      else (records ??= []).push(r);
    }
  }
  if (records === undefined) return { state, outputs };
  return { state, outputs: [{ type: 'persist', record: records } as unknown as O, ...rest] };
}

/**
 * A timer that is due at once, whatever the host's clock reads: a recovered machine asks for a
 * tick right away (e.g. an in-doubt participant queries at once after a restart).
 */
export const DUE_AT_ONCE: Timer = Object.freeze({ at: Number.MIN_SAFE_INTEGER, attempt: 0 });

/** Adds one to a counter without passing {@link MAX_COUNTER}. */
export function bump(x: number): number {
  return canIncrement(x) ? x + 1 : x;
}

/** Whether a list has no repeated entry. */
export function distinct(list: readonly string[]): boolean {
  return new Set(list).size === list.length;
}

/**
 * The prelude of every commit-protocol message handler: a peer's message is validated by
 * `parseMessage`; a malformed one is rejected (same state, a `rejected` output naming the problem),
 * a valid copy goes to `handle` with its sender.
 */
export function onPeerMessage<S, O, M>(
  s: S,
  input: MessageInput,
  parseMessage: (raw: unknown) => Parsed<M>,
  handle: (m: M, from: NodeId) => Transition<S, O>,
): Transition<S, O | RejectedOutput> {
  const parsed = parseMessage(input.message);
  if (!parsed.ok) return reject(s, input.from, parsed.problem);
  return handle(parsed.value, input.from);
}
