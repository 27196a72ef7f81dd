import type { NodeId } from '../core/index.js';
import { v, ConfigError } from '../core/index.js';

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

/** Returns a copy of `rec` with `key` set to `value`. */
export function withKey<T>(rec: Readonly<Record<string, T>>, key: string, value: T): Record<string, T> {
  return { ...rec, [key]: value };
}

/** Returns a copy of `rec` without `key`. */
export function withoutKey<T>(rec: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(rec)) if (k !== key) out[k] = rec[k]!;
  return out;
}

export function has(rec: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(rec, key);
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

/**
 * Deadlines set while handling a message or a command are computed from the `now` of the latest
 * tick, which is stale when the machine had no deadline for a while (a host arms a timer only
 * from `nextDeadline`). Such transactions are listed for rebasing: `nextDeadline` then asks for a
 * tick at once, and that tick moves their deadlines forward by the time elapsed since the
 * previous tick, as if they had been set at it.
 */
export function withRebase(list: readonly string[], txId: string): readonly string[] {
  return list.includes(txId) ? list : [...list, txId];
}
