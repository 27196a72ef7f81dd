import type { DataLimits, NodeId, Timer, Transition } from '../core/index.js';
import { ConfigError, PAYLOAD_LIMITS, canIncrement, getOwn, hasOwn, v, withOwn, withoutOwn } from '../core/index.js';

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

/** Bounds on untrusted identifiers carried in messages. */
export const MAX_ID_LENGTH = 256;
/** Bound on the participant list a message may carry. */
export const MAX_PARTICIPANTS = 4096;

export const txIdCheck = v.string({ minLength: 1, maxLength: MAX_ID_LENGTH });
export const nodeIdCheck = v.string({ minLength: 1, maxLength: MAX_ID_LENGTH });
export const nodeListCheck = v.array(nodeIdCheck, { minLength: 1, maxLength: MAX_PARTICIPANTS });

/** Returns a copy of `rec` with own property `key` set to `value` (safe for peer-chosen keys). */
export function withKey<T>(rec: Readonly<Record<string, T>>, key: string, value: T): Record<string, T> {
  return withOwn(rec, key, value);
}

/** Returns a copy of `rec` without own property `key`. */
export function withoutKey<T>(rec: Readonly<Record<string, T>>, key: string): Readonly<Record<string, T>> {
  return withoutOwn(rec, key);
}

/** Whether `rec` has an own property `key` (never an inherited one such as `constructor`). */
export function has(rec: object, key: string): boolean {
  return hasOwn(rec, key);
}

/** The own property `key` of `rec`, or undefined (never an inherited one such as `__proto__`). */
export function get<T>(rec: Readonly<Record<string, T>>, key: string): T | undefined {
  return getOwn(rec, key);
}

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

/** Validates a table limit from the config. */
export function tableLimit(field: string, value: number | undefined, fallback: number): number {
  const x = value ?? fallback;
  if (!Number.isSafeInteger(x) || x < 1) throw new ConfigError(field, `must be an integer >= 1, got ${String(x)}`);
  return x;
}

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

export function positiveMs(field: string, value: number | undefined, fallback: number): number {
  const x = value ?? fallback;
  if (!Number.isFinite(x) || x <= 0) throw new ConfigError(field, `must be a positive number of milliseconds, got ${String(x)}`);
  return x;
}

export function requireId(field: string, id: unknown): NodeId {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new ConfigError(field, `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  return id;
}

export function distinct(list: readonly string[]): boolean {
  return new Set(list).size === list.length;
}
