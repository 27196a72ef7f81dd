/**
 * How a distkit message sits in a Redis Stream entry, and the checks that turn a reply of
 * `XREADGROUP` (data from whoever can write to the stream) into messages or reasons to reject.
 *
 * @packageDocumentation
 */
import { MAX_ID_LENGTH, type NodeId } from '../core/index.js';

/** The entry field that names the sending node. */
const FROM_FIELD = 'from';
/** The entry field that holds the message as JSON. */
const DATA_FIELD = 'data';

/**
 * One entry read from a stream: its id and either the message it carries or why it was refused.
 *
 * @example
 * ```ts
 * import type { StreamEntry } from 'distkit/redis';
 * const ok: StreamEntry = { id: '1700000000000-0', from: 'a', message: { hello: 1 } };
 * const bad: StreamEntry = { id: '1700000000000-1', reason: 'field "data" is not JSON' };
 * ```
 */
export type StreamEntry =
  | { readonly id: string; readonly from: NodeId; readonly message: unknown }
  | { readonly id: string; readonly reason: string; readonly from?: NodeId };

/**
 * The fields of an entry as `XADD` takes them: `from <id> data <json>`.
 *
 * @example
 * ```ts
 * import { entryFields } from 'distkit/redis';
 * entryFields('a', '{"n":1}'); //=> ['from', 'a', 'data', '{"n":1}']
 * ```
 */
export function entryFields(from: NodeId, json: string): string[] {
  return [FROM_FIELD, from, DATA_FIELD, json];
}

/** The value of `name` in a flat `[field, value, ...]` list; the first occurrence wins. */
function field(fields: readonly unknown[], name: string): unknown {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/**
 * Reads one entry `[id, [field, value, ...]]` of a stream reply. Never throws: an entry whose
 * content was trimmed away while it was pending (`[id, null]`), that lacks a field, names no valid
 * sender, holds more than `maxMessageBytes` or is not JSON comes back with the reason.
 *
 * @example
 * ```ts
 * import { parseEntry } from 'distkit/redis';
 * parseEntry(['1-0', ['from', 'a', 'data', '{"n":1}']], 1024); //=> { id: '1-0', from: 'a', message: { n: 1 } }
 * parseEntry(['1-1', ['from', 'a', 'data', '{']], 1024); //=> { id: '1-1', from: 'a', reason: 'field "data" is not JSON' }
 * ```
 */
export function parseEntry(raw: unknown, maxMessageBytes: number): StreamEntry {
  if (!Array.isArray(raw) || typeof raw[0] !== 'string') return { id: '?', reason: 'not a stream entry [id, fields]' };
  const id = raw[0];
  const fields: unknown = raw[1];
  if (fields === null) return { id, reason: 'entry was trimmed from the stream (MAXLEN) before it was acknowledged' };
  if (!Array.isArray(fields)) return { id, reason: 'entry fields are not a list' };
  const from = field(fields, FROM_FIELD);
  if (typeof from !== 'string' || from.length === 0 || from.length > MAX_ID_LENGTH) {
    return { id, reason: `field "${FROM_FIELD}" must name the sender (1..${MAX_ID_LENGTH} characters)` };
  }
  const data = field(fields, DATA_FIELD);
  if (typeof data !== 'string') return { id, from, reason: `field "${DATA_FIELD}" is missing` };
  // A UTF-8 string has at least as many bytes as UTF-16 units: the cheap test first.
  const bytes = data.length > maxMessageBytes ? data.length : Buffer.byteLength(data, 'utf8');
  if (bytes > maxMessageBytes) return { id, from, reason: `message exceeds maxMessageBytes (${maxMessageBytes}): at least ${bytes} bytes` };
  try {
    return { id, from, message: JSON.parse(data) as unknown };
  } catch {
    return { id, from, reason: `field "${DATA_FIELD}" is not JSON` };
  }
}

/**
 * The entries of an `XREADGROUP`/`XREAD` reply for one stream, `[[key, [entry, ...]]]` (or `null`
 * when a blocking read timed out). A reply of another shape gives `undefined`.
 *
 * @example
 * ```ts
 * import { replyEntries } from 'distkit/redis';
 * replyEntries(null); //=> []
 * replyEntries([['distkit:b', [['1-0', ['from', 'a', 'data', '1']]]]]); //=> [['1-0', ['from', 'a', 'data', '1']]]
 * replyEntries('OK'); //=> undefined
 * ```
 */
export function replyEntries(reply: unknown): unknown[] | undefined {
  if (reply === null) return [];
  if (!Array.isArray(reply)) return undefined;
  const out: unknown[] = [];
  for (const stream of reply) {
    if (!Array.isArray(stream) || !Array.isArray(stream[1])) return undefined;
    out.push(...(stream[1] as unknown[]));
  }
  return out;
}
