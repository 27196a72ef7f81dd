/**
 * The inflight window of a follower in the replicate state (etcd-io/raft's `tracker.Inflights`):
 * the AppendEntries messages sent and not yet acknowledged, capped both in count (`maxInflight`,
 * etcd's `MaxInflightMsgs`) and in payload bytes (`maxInflightBytes`, etcd's `MaxInflightBytes`).
 * A window is plain data, three fields of {@link RaftProgress}; every function returns a new one.
 *
 * @packageDocumentation
 */
import { raftBug } from './assert.js';
import type { RaftOptions, RaftProgress } from './types.js';

/** The window's fields of a progress. */
export type InflightWindow = Pick<RaftProgress, 'inflight' | 'inflightSizes' | 'inflightBytes'>;

/** The limits that bound a window. */
export type InflightLimits = Pick<RaftOptions, 'maxInflight' | 'maxInflightBytes'>;

/** The `maxInflightBytes` that means no byte limit (the default): bytes are then not counted. */
export const UNLIMITED_BYTES = Number.MAX_SAFE_INTEGER;

/** The empty window (shared, and frozen: windows are never mutated, only replaced). */
export const NO_INFLIGHTS: InflightWindow = Object.freeze({ inflight: Object.freeze([]), inflightSizes: Object.freeze([]), inflightBytes: 0 });

/**
 * Whether no more messages may go out (etcd's `Full`): `maxInflight` messages are out, or the
 * bytes out reached `maxInflightBytes`. A window below the byte limit admits one more message of
 * any size, so an entry larger than the limit still goes out, alone.
 */
export function inflightsFull(w: InflightWindow, limits: InflightLimits): boolean {
  return w.inflight.length >= limits.maxInflight || w.inflightBytes >= limits.maxInflightBytes;
}

/**
 * The window with one more message, whose last entry is `last` and whose payload is `bytes` (etcd's
 * `Add`). Bytes are recorded only under a byte limit (`inflightSizes` stays empty otherwise).
 * Adding to a full window, or out of index order, is a bug of the caller.
 */
export function addInflight(w: InflightWindow, last: number, bytes: number, limits: InflightLimits): InflightWindow {
  if (inflightsFull(w, limits)) raftBug(`inflight window full (${w.inflight.length} messages, ${w.inflightBytes} bytes) on adding ${last}`);
  const n = w.inflight.length;
  if (n > 0 && (w.inflight[n - 1] as number) >= last) raftBug(`inflight index ${last} not above the last one in flight`);
  const inflight = n === 0 ? [last] : [...w.inflight, last];
  if (limits.maxInflightBytes >= UNLIMITED_BYTES) return { inflight, inflightSizes: NO_INFLIGHTS.inflightSizes, inflightBytes: 0 };
  return { inflight, inflightSizes: n === 0 ? [bytes] : [...w.inflightSizes, bytes], inflightBytes: w.inflightBytes + bytes };
}

/** The window without the messages whose last entry is at or below `index` (etcd's `FreeLE`). */
export function freeInflightsTo(w: InflightWindow, index: number): InflightWindow {
  const n = w.inflight.length;
  let k = 0;
  while (k < n && (w.inflight[k] as number) <= index) k++;
  if (k === 0) return w;
  if (k === n) return NO_INFLIGHTS;
  if (w.inflightSizes.length === 0) return { inflight: w.inflight.slice(k), inflightSizes: w.inflightSizes, inflightBytes: 0 };
  let freed = 0;
  for (let i = 0; i < k; i++) freed += w.inflightSizes[i] as number;
  return { inflight: w.inflight.slice(k), inflightSizes: w.inflightSizes.slice(k), inflightBytes: w.inflightBytes - freed };
}

/** The window without its oldest message (etcd's `FreeFirstOne`). */
export function freeFirstInflight(w: InflightWindow): InflightWindow {
  return w.inflight.length === 0 ? w : freeInflightsTo(w, w.inflight[0] as number);
}
