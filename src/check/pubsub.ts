/**
 * Checks of pub/sub histories against the final partition logs: every acknowledged publish is in
 * its partition exactly once, at the offset it was acknowledged with; retries of one
 * (producer, sequence) were stored once; a producer's records keep their sequence order within a
 * partition.
 *
 * @packageDocumentation
 */
import { ConfigError, canonicalJson, v } from '../core/index.js';
import type { History, Operation } from './history.js';
import { assertHistory } from './linearizability.js';

/**
 * A publish in a history: its topic and value (unique per publish attempt in the workload, so
 * that a value seen twice in a log is a duplicate), and the idempotent producer's id and
 * sequence if it had them (a retry repeats them).
 *
 * @example
 * ```ts
 * import { checkPubSub, type PubSubLogs } from 'distkit/check';
 * // A publish that timed out has no output and no ret: its outcome is unknown.
 * const publish = (id: number, value: string, output?: { partition: number; offset: number } | 'refused') => ({ id, client: `p${id}`, call: id * 2, input: { f: 'publish' as const, topic: 'orders', value, producer: 'p1', sequence: id }, ...(output === undefined ? {} : { output, ret: id * 2 + 1 }) });
 * const history = [publish(0, 'a', { partition: 0, offset: 0 }), publish(1, 'b', { partition: 0, offset: 1 }), publish(2, 'c')];
 * // The log lost the acknowledged b; c's publish timed out and c is not stored, which is allowed.
 * const logs: PubSubLogs = { orders: { partitions: [{ startOffset: 0, records: [{ offset: 0, value: 'a' }] }] } };
 * const r = checkPubSub(history, logs);
 * [r.valid, r.problems]; //=> [false, ['lost: "b" acknowledged at orders/0@1, which holds nothing']]
 * ```
 */
export interface PubSubHistoryInput {
  readonly f: 'publish';
  readonly topic: string;
  readonly value: unknown;
  readonly producer?: string;
  readonly sequence?: number;
}

/**
 * What a publish observed: the partition and offset it was acknowledged with, or `'refused'`
 * (certainly not stored). No output: unknown outcome.
 *
 * @example
 * ```ts
 * import { checkPubSub, type PubSubLogs } from 'distkit/check';
 * // A publish that timed out has no output and no ret: its outcome is unknown.
 * const publish = (id: number, value: string, output?: { partition: number; offset: number } | 'refused') => ({ id, client: `p${id}`, call: id * 2, input: { f: 'publish' as const, topic: 'orders', value, producer: 'p1', sequence: id }, ...(output === undefined ? {} : { output, ret: id * 2 + 1 }) });
 * const history = [publish(0, 'a', { partition: 0, offset: 0 }), publish(1, 'b', { partition: 0, offset: 1 }), publish(2, 'c')];
 * import type { PubSubHistoryOutput } from 'distkit/check';
 * // An acknowledgement names where the record went; the log must hold it exactly there.
 * const ack: PubSubHistoryOutput = { partition: 0, offset: 1 };
 * const logs: PubSubLogs = { orders: { partitions: [{ startOffset: 0, records: [{ offset: 0, value: 'a' }, { offset: 1, value: 'x' }, { offset: 2, value: 'b' }] }] } };
 * checkPubSub([publish(0, 'a', { partition: 0, offset: 0 }), publish(1, 'b', ack)], logs).problems; //=> ['misplaced: "b" acknowledged at orders/0@1, which holds "x"', 'unexpected: "x" stored but never published']
 * ```
 */
export type PubSubHistoryOutput = { readonly partition: number; readonly offset: number } | 'refused';

/**
 * The final logs, by topic then partition: each partition's log start offset and retained records.
 * A pub/sub state's `topics` fits as it is.
 *
 * @example
 * ```ts
 * import { checkPubSub, type PubSubLogs } from 'distkit/check';
 * // A publish that timed out has no output and no ret: its outcome is unknown.
 * const publish = (id: number, value: string, output?: { partition: number; offset: number } | 'refused') => ({ id, client: `p${id}`, call: id * 2, input: { f: 'publish' as const, topic: 'orders', value, producer: 'p1', sequence: id }, ...(output === undefined ? {} : { output, ret: id * 2 + 1 }) });
 * const history = [publish(0, 'a', { partition: 0, offset: 0 }), publish(1, 'b', { partition: 0, offset: 1 }), publish(2, 'c')];
 * // Every acknowledged record at its place, once: valid.
 * const logs: PubSubLogs = { orders: { partitions: [{ startOffset: 0, records: [{ offset: 0, value: 'a' }, { offset: 1, value: 'b' }] }] } };
 * checkPubSub(history, logs).valid; //=> true
 * ```
 */
export type PubSubLogs = Readonly<Record<string, { readonly partitions: readonly { readonly startOffset: number; readonly records: readonly { readonly offset: number; readonly value: unknown }[] }[] }>>;

/**
 * The verdict of {@link checkPubSub}, with counts (Jepsen style) and examples:
 *
 * - `lost`: acknowledged publishes whose partition holds no record at their offset (nor retention
 *   removed it); `misplaced`: the record at their offset is another value;
 * - `duplicated`: values stored more than once (a retry stored twice);
 * - `unexpected`: stored values no publish attempted;
 * - `reordered`: a producer's records in one partition out of sequence order;
 * - `inconsistent`: one (producer, sequence) acknowledged at two positions;
 * - `expired`: acknowledged records below the log start (removed by retention: not checkable);
 * - `recovered`: publishes of unknown outcome that are in the log.
 *
 * @example
 * ```ts
 * import { checkPubSub, type PubSubLogs } from 'distkit/check';
 * // A publish that timed out has no output and no ret: its outcome is unknown.
 * const publish = (id: number, value: string, output?: { partition: number; offset: number } | 'refused') => ({ id, client: `p${id}`, call: id * 2, input: { f: 'publish' as const, topic: 'orders', value, producer: 'p1', sequence: id }, ...(output === undefined ? {} : { output, ret: id * 2 + 1 }) });
 * const history = [publish(0, 'a', { partition: 0, offset: 0 }), publish(1, 'b', { partition: 0, offset: 1 }), publish(2, 'c')];
 * import type { PubSubCheckResult } from 'distkit/check';
 * // b stored twice: a duplicate the producer's sequence numbers should have prevented.
 * const logs: PubSubLogs = { orders: { partitions: [{ startOffset: 0, records: [{ offset: 0, value: 'a' }, { offset: 1, value: 'b' }, { offset: 2, value: 'b' }] }] } };
 * const r: PubSubCheckResult = checkPubSub(history.slice(0, 2), logs);
 * [r.valid, r.duplicatedCount, r.problems]; //=> [false, 1, ['duplicated: "b" stored 2 times (orders/0@1, orders/0@2)']]
 * ```
 */
export interface PubSubCheckResult {
  readonly valid: boolean;
  readonly acknowledgedCount: number;
  readonly storedCount: number;
  readonly lostCount: number;
  readonly misplacedCount: number;
  readonly duplicatedCount: number;
  readonly unexpectedCount: number;
  readonly reorderedCount: number;
  readonly inconsistentCount: number;
  readonly expiredCount: number;
  readonly recoveredCount: number;
  /** One line per problem (lost, misplaced, duplicated, unexpected, reordered, inconsistent). */
  readonly problems: readonly string[];
}

interface Stored {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** Where each stored value is, by canonical JSON. */
function indexLogs(logs: PubSubLogs): Map<string, Stored[]> {
  const where = new Map<string, Stored[]>();
  for (const [topic, t] of Object.entries(logs)) {
    t.partitions.forEach((p, partition) => {
      for (const r of p.records) {
        const key = canonicalJson(r.value);
        const list = where.get(key) ?? [];
        if (list.length === 0) where.set(key, list);
        list.push({ topic, partition, offset: r.offset });
      }
    });
  }
  return where;
}

function recordAt(logs: PubSubLogs, topic: string, partition: number, offset: number): { readonly value: unknown } | 'expired' | undefined {
  const p = Object.prototype.hasOwnProperty.call(logs, topic) ? logs[topic]!.partitions[partition] : undefined;
  if (p === undefined) return undefined;
  if (offset < p.startOffset) return 'expired';
  return p.records[offset - p.startOffset];
}

/**
 * Checks a pub/sub history against the final logs: every acknowledged publish appears exactly
 * once, in its partition, at its acknowledged offset; retries with the same (producer, sequence)
 * stored once and acknowledged at one position; each producer's records in offset order by
 * sequence within a partition. O(n). Publish values must be unique per publish (a retry repeats
 * its value). The logs must be complete up to the end of the history (read after the last
 * publish returned).
 *
 * @example
 * ```ts
 * import { checkPubSub } from 'distkit/check';
 * const logs = { t: { partitions: [{ startOffset: 0, records: [{ offset: 0, value: 'a' }, { offset: 1, value: 'a' }] }] } };
 * const r = checkPubSub([
 *   { id: 0, client: 'p', input: { f: 'publish', topic: 't', value: 'a', producer: 'p', sequence: 0 }, call: 0, output: { partition: 0, offset: 0 }, ret: 1 },
 *   { id: 1, client: 'p', input: { f: 'publish', topic: 't', value: 'b' }, call: 2, output: { partition: 0, offset: 2 }, ret: 3 },
 * ], logs);
 * [r.valid, r.lostCount, r.duplicatedCount]; //=> [false, 1, 1]
 * ```
 */
export function checkPubSub(history: History<PubSubHistoryInput, PubSubHistoryOutput>, logs: PubSubLogs): PubSubCheckResult {
  assertHistory(history, publishProblem);
  const logsProblem = logsCheck(logs, 'logs') ?? gapInLogs(logs);
  if (logsProblem !== undefined) throw new ConfigError('logs', logsProblem);
  const where = indexLogs(logs);
  const problems: string[] = [];
  const attempted = new Set<string>();
  const acked = new Set<string>();
  const bySequence = new Map<string, string>();
  const counts = { lost: 0, misplaced: 0, duplicated: 0, unexpected: 0, reordered: 0, inconsistent: 0, expired: 0, recovered: 0 };
  const ordered = [...history].sort((a, b) => a.call - b.call || a.id - b.id);
  for (const op of ordered) {
    const key = canonicalJson(op.input.value);
    attempted.add(key);
    const out = op.output;
    if (out === undefined) continue;
    if (out === 'refused') continue;
    const pos = `${op.input.topic}/${out.partition}@${out.offset}`;
    if (op.input.producer !== undefined && op.input.sequence !== undefined) {
      const seqKey = `${op.input.producer}#${op.input.sequence}`;
      const first = bySequence.get(seqKey);
      if (first !== undefined && first !== pos) {
        counts.inconsistent++;
        problems.push(`inconsistent: ${op.input.producer} sequence ${op.input.sequence} acknowledged at ${first} and at ${pos}`);
      }
      bySequence.set(seqKey, first ?? pos);
    }
    if (acked.has(key)) continue;
    acked.add(key);
    const r = recordAt(logs, op.input.topic, out.partition, out.offset);
    if (r === 'expired') counts.expired++;
    else if (r === undefined) {
      counts.lost++;
      problems.push(`lost: ${key} acknowledged at ${pos}, which holds nothing`);
    } else if (canonicalJson(r.value) !== key) {
      counts.misplaced++;
      problems.push(`misplaced: ${key} acknowledged at ${pos}, which holds ${canonicalJson(r.value)}`);
    }
  }
  let stored = 0;
  for (const [key, places] of where) {
    stored += places.length;
    if (places.length > 1) {
      counts.duplicated += places.length - 1;
      problems.push(`duplicated: ${key} stored ${places.length} times (${places.map((p) => `${p.topic}/${p.partition}@${p.offset}`).join(', ')})`);
    }
    if (!attempted.has(key)) {
      counts.unexpected++;
      problems.push(`unexpected: ${key} stored but never published`);
    } else if (!acked.has(key)) counts.recovered++;
  }
  counts.reordered = reorderings(ordered, where, problems);
  const valid = counts.lost + counts.misplaced + counts.duplicated + counts.unexpected + counts.reordered + counts.inconsistent === 0;
  return {
    valid,
    acknowledgedCount: acked.size,
    storedCount: stored,
    lostCount: counts.lost,
    misplacedCount: counts.misplaced,
    duplicatedCount: counts.duplicated,
    unexpectedCount: counts.unexpected,
    reorderedCount: counts.reordered,
    inconsistentCount: counts.inconsistent,
    expiredCount: counts.expired,
    recoveredCount: counts.recovered,
    problems,
  };
}

/** Per producer and partition, stored records must appear in sequence order. */
function reorderings(history: History<PubSubHistoryInput, PubSubHistoryOutput>, where: Map<string, Stored[]>, problems: string[]): number {
  const seqOf = new Map<string, { producer: string; sequence: number }>();
  for (const op of history) if (op.input.producer !== undefined && op.input.sequence !== undefined) seqOf.set(canonicalJson(op.input.value), { producer: op.input.producer, sequence: op.input.sequence });
  const lanes = new Map<string, { sequence: number; offset: number }[]>();
  for (const [key, places] of where) {
    const s = seqOf.get(key);
    if (s === undefined) continue;
    for (const p of places) {
      const lane = `${s.producer} in ${p.topic}/${p.partition}`;
      const list = lanes.get(lane) ?? [];
      if (list.length === 0) lanes.set(lane, list);
      list.push({ sequence: s.sequence, offset: p.offset });
    }
  }
  let n = 0;
  for (const [lane, list] of lanes) {
    list.sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < list.length; i++) {
      if (list[i]!.sequence < list[i - 1]!.sequence) {
        n++;
        problems.push(`reordered: ${lane}: sequence ${list[i]!.sequence} at offset ${list[i]!.offset} after sequence ${list[i - 1]!.sequence}`);
      }
    }
  }
  return n;
}

const publishInput = v.object({ f: v.literal('publish'), topic: v.string(), producer: v.optional(v.string()), sequence: v.optional(v.int({ min: 0 })) });
const position = v.object({ partition: v.int({ min: 0 }), offset: v.int({ min: 0 }) });
const logsCheck = v.record(
  v.object({ partitions: v.array(v.object({ startOffset: v.int({ min: 0 }), records: v.array(v.object({ offset: v.int({ min: 0 }) }), { maxLength: Number.MAX_SAFE_INTEGER }) })) }),
  { maxKeys: Number.MAX_SAFE_INTEGER },
);

/** A publish to a topic; a known output is `'refused'` or the position it was stored at. */
function publishProblem(op: Operation): string | undefined {
  return publishInput(op.input, 'input') ?? (op.output === undefined || op.output === 'refused' ? undefined : position(op.output, 'output'));
}

/** A partition's records are read by position: their offsets must run on from `startOffset`. */
function gapInLogs(logs: PubSubLogs): string | undefined {
  for (const [topic, t] of Object.entries(logs)) {
    for (const [i, p] of t.partitions.entries()) {
      const at = p.records.findIndex((r, j) => r.offset !== p.startOffset + j);
      if (at !== -1) return `${topic}.partitions[${i}].records[${at}].offset: expected ${p.startOffset + at} (offsets run on from startOffset), got ${p.records[at]!.offset}`;
    }
  }
  return undefined;
}
