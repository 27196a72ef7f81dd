/**
 * Retention of decided transactions as tombstones (transaction id → outcome) that expire together
 * in buckets, shared by the two-phase and three-phase commit participants. A decided transaction is
 * kept long enough to answer every duplicate the network may still deliver, then forgotten, like
 * TCP's TIME-WAIT (RFC 9293 §3.6, 2·MSL).
 *
 * @packageDocumentation
 */
import { ConfigError, getOwn, hasOwn, withOwn } from '../core/index.js';
import { DUE_AT_ONCE } from './common.js';

/**
 * A group of tombstones (transaction id → outcome) that expire together.
 *
 * @example
 * ```ts
 * import type { TombstoneBucket } from 'distkit/txn';
 * const b: TombstoneBucket<'commit' | 'abort'> = { openedAt: 0, expiresAt: 60_000, size: 1, txs: { t1: 'commit' } };
 * ```
 */
export interface TombstoneBucket<V> {
  /** When the bucket was opened; it takes new tombstones for 1/16 of the window after it. */
  readonly openedAt: number;
  /** When every tombstone in the bucket may be dropped; `null` keeps them forever (or, after a recovery, until the retention restarts). */
  readonly expiresAt: number | null;
  /** How many tombstones the bucket holds. */
  readonly size: number;
  /** Outcome by transaction id. */
  readonly txs: Readonly<Record<string, V>>;
}

/**
 * The decided transactions a machine still remembers, as compact tombstones, apart from its
 * live transactions so that a step copies neither. Retention works like TCP's TIME_WAIT
 * (RFC 9293 §3.6, 2·MSL): a tombstone is kept at least `retainDecidedMs` from its decision, then
 * dropped.
 *
 * @example
 * ```ts
 * import type { Tombstones } from 'distkit/txn';
 * const t: Tombstones<'commit' | 'abort'> = { buckets: [{ openedAt: 0, expiresAt: 60_000, size: 1, txs: { t1: 'commit' } }], restart: false };
 * ```
 */
export interface Tombstones<V> {
  /** Tombstones, oldest first; `expiresAt` never decreases along the list. */
  readonly buckets: readonly TombstoneBucket<V>[];
  /**
   * After a recovery the first bucket holds the recovered tombstones with no expiry: the downtime
   * is unknown, so their whole retention window restarts at the first tick, asked for at once.
   */
  readonly restart: boolean;
}

/**
 * Default of `retainDecidedMs`: twice a generous one-minute bound on how long the network may hold
 * a message (the 2·MSL of TCP's TIME_WAIT, RFC 9293 §3.6).
 *
 * @example
 * ```ts
 * import { DEFAULT_RETAIN_DECIDED_MS } from 'distkit/txn';
 * DEFAULT_RETAIN_DECIDED_MS; //=> 120000
 * ```
 */
export const DEFAULT_RETAIN_DECIDED_MS = 120_000;

/**
 * A bucket takes new tombstones while it holds fewer than this many, so adding one copies at most
 * this many entries and a lookup visits about (retained / this) buckets.
 * @internal
 */
export const TOMBSTONE_BUCKET_SIZE = 256;

/** @internal */
export const NO_TOMBSTONES: Tombstones<never> = { buckets: [], restart: false };

/** Validates `retainDecidedMs`: a finite number of milliseconds >= 0, or null for "forever". @internal */
export function retainMs(value: number | null | undefined): number | null {
  if (value === null) return null;
  const x = value ?? DEFAULT_RETAIN_DECIDED_MS;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) {
    throw new ConfigError('retainDecidedMs', `must be a finite number of milliseconds >= 0 (or null to keep decided transactions forever), got ${String(x)}`);
  }
  return x;
}

/** The tombstone of `txId`, if still retained. @internal */
export function tombstoneOf<V>(t: Tombstones<V>, txId: string): V | undefined {
  for (let i = t.buckets.length - 1; i >= 0; i--) {
    const b = t.buckets[i]!;
    if (hasOwn(b.txs, txId)) return getOwn(b.txs, txId);
  }
  return undefined;
}

/**
 * Adds a tombstone decided at `now`: it joins the newest bucket when that one is small and was
 * opened less than 1/16 of the window ago (so a tombstone lives between `retain` and 17/16
 * `retain`), else opens a bucket. Only the newest bucket is copied. @internal
 */
export function addTombstone<V>(t: Tombstones<V>, txId: string, value: V, now: number, retain: number | null): Tombstones<V> {
  const expiresAt = retain === null ? null : now + retain;
  const last = t.buckets[t.buckets.length - 1];
  const joinable =
    last !== undefined &&
    !(t.restart && t.buckets.length === 1) &&
    last.size < TOMBSTONE_BUCKET_SIZE &&
    (retain === null || now - last.openedAt <= retain / 16);
  if (joinable) {
    const size = hasOwn(last.txs, txId) ? last.size : last.size + 1;
    const bucket: TombstoneBucket<V> = { openedAt: last.openedAt, expiresAt: last.expiresAt === null || expiresAt === null ? expiresAt : Math.max(last.expiresAt, expiresAt), size, txs: withOwn(last.txs, txId, value) };
    return { buckets: [...t.buckets.slice(0, -1), bucket], restart: t.restart };
  }
  return { buckets: [...t.buckets, { openedAt: now, expiresAt, size: 1, txs: withOwn({}, txId, value) }], restart: t.restart };
}

/** Number of retained tombstones. @internal */
export function tombstoneCount(t: Tombstones<unknown>): number {
  let n = 0;
  for (const b of t.buckets) n += b.size;
  return n;
}

/** Every retained tombstone, oldest first. @internal */
export function tombstoneEntries<V>(t: Tombstones<V>): [string, V][] {
  const out: [string, V][] = [];
  for (const b of t.buckets) for (const k of Object.keys(b.txs)) out.push([k, getOwn(b.txs, k)!]);
  return out;
}

/** Tombstones rebuilt by `recover`: kept until the first tick restarts their window. @internal */
export function recoveredTombstones<V>(txs: Readonly<Record<string, V>>): Tombstones<V> {
  const size = Object.keys(txs).length;
  if (size === 0) return NO_TOMBSTONES;
  return { buckets: [{ openedAt: 0, expiresAt: null, size, txs }], restart: true };
}

/** When the oldest bucket expires (buckets expire in order), at once after a recovery, or undefined. @internal */
export function tombstoneDeadline(t: Tombstones<unknown>): number | undefined {
  if (t.restart) return DUE_AT_ONCE.at!;
  return t.buckets[0]?.expiresAt ?? undefined;
}

/**
 * At a tick: restarts the window of recovered tombstones at `now`, then drops the buckets whose
 * time is up (TIME_WAIT-style forgetting, RFC 9293 §3.6).
 * @internal
 */
export function tickTombstones<V>(t0: Tombstones<V>, now: number, retain: number | null): { tombstones: Tombstones<V>; dropped: [string, V][] } {
  let t = t0;
  if (t.restart) {
    const [first, ...rest] = t.buckets;
    t = { buckets: first === undefined ? [] : [{ ...first, openedAt: now, expiresAt: retain === null ? null : now + retain }, ...rest], restart: false };
  }
  const dropped: [string, V][] = [];
  let first = 0;
  while (first < t.buckets.length) {
    const b = t.buckets[first]!;
    if (b.expiresAt === null || now < b.expiresAt) break;
    for (const k of Object.keys(b.txs)) dropped.push([k, getOwn(b.txs, k)!]);
    first++;
  }
  if (first === 0) return { tombstones: t, dropped };
  return { tombstones: { buckets: t.buckets.slice(first), restart: false }, dropped };
}
