/**
 * The decided prefix of a Multi-Paxos log as an append-only chunked list: appending copies one
 * chunk and the chunk index, never the whole log, so states can share structure.
 *
 * @packageDocumentation
 */

/**
 * An append-only list in chunks of at most {@link MULTI_PAXOS_LOG_CHUNK} items. Plain data.
 *
 * @example
 * ```ts
 * import type { MultiPaxosLog } from 'distkit/consensus';
 * const empty: MultiPaxosLog<string> = { length: 0, chunks: [] };
 * ```
 */
export interface MultiPaxosLog<T> {
  /** Number of items. */
  readonly length: number;
  /** The items, in chunks; every chunk but the last is full. */
  readonly chunks: readonly (readonly T[])[];
}

/**
 * Items per chunk of a {@link MultiPaxosLog}.
 *
 * @example
 * ```ts
 * import { MULTI_PAXOS_LOG_CHUNK } from 'distkit/consensus';
 * MULTI_PAXOS_LOG_CHUNK; //=> 256
 * ```
 */
export const MULTI_PAXOS_LOG_CHUNK = 256;

export const emptyLog: MultiPaxosLog<never> = { length: 0, chunks: [] };

/** Item at 1-based position `slot`, or undefined. */
export function logAt<T>(log: MultiPaxosLog<T>, slot: number): T | undefined {
  if (slot < 1 || slot > log.length) return undefined;
  const i = slot - 1;
  return log.chunks[Math.floor(i / MULTI_PAXOS_LOG_CHUNK)]![i % MULTI_PAXOS_LOG_CHUNK];
}

export function logAppend<T>(log: MultiPaxosLog<T>, items: readonly T[]): MultiPaxosLog<T> {
  if (items.length === 0) return log;
  const chunks = log.chunks.slice();
  let last = chunks.length > 0 && chunks[chunks.length - 1]!.length < MULTI_PAXOS_LOG_CHUNK ? chunks.pop()!.slice() : [];
  for (const item of items) {
    if (last.length === MULTI_PAXOS_LOG_CHUNK) {
      chunks.push(last);
      last = [];
    }
    last.push(item);
  }
  chunks.push(last);
  return { length: log.length + items.length, chunks };
}

/** Items at slots [from, to] (1-based, inclusive, clamped). */
export function logSlice<T>(log: MultiPaxosLog<T>, from: number, to: number): T[] {
  const out: T[] = [];
  const hi = Math.min(to, log.length);
  for (let s = Math.max(1, from); s <= hi; s++) out.push(logAt(log, s)!);
  return out;
}

/**
 * Every item of a {@link MultiPaxosLog} as one array, in order.
 *
 * @example
 * ```ts
 * import { multiPaxosLogItems } from 'distkit/consensus';
 * multiPaxosLogItems({ length: 2, chunks: [['a', 'b']] }); //=> ['a', 'b']
 * ```
 */
export function multiPaxosLogItems<T>(log: MultiPaxosLog<T>): T[] {
  const out: T[] = [];
  for (const c of log.chunks) for (const x of c) out.push(x);
  return out;
}

export function logFrom<T>(items: readonly T[]): MultiPaxosLog<T> {
  return logAppend(emptyLog as MultiPaxosLog<T>, items);
}
