/**
 * Validation of untrusted Raft messages with the `v` combinators.
 *
 * @packageDocumentation
 */
import { MAX_COUNTER, MAX_ID_LENGTH, isCounter, isPlainObject, plainDataProblem, v, type Check, type DataLimits } from '../../core/index.js';
import type { RaftEntry, RaftMembership, RaftMessage, RaftSnapshot } from './types.js';

export { MAX_COUNTER, MAX_ID_LENGTH };
/** Most entries accepted in one AppendEntries. */
export const MAX_ENTRIES_PER_MESSAGE = 1 << 16;

const counter = v.int({ min: 0, max: MAX_COUNTER });
const nodeId = v.id();
/**
 * Opaque data (entry commands, snapshot state): the shape check only requires the field; the data
 * itself is checked against the node's configured limits in {@link messageProblem}.
 */
const opaque: Check<unknown> = ((value: unknown, path?: string) =>
  value === undefined ? `${path ?? 'data'}: missing` : undefined) as Check<unknown>;

const membership: Check<RaftMembership> = v.object({
  voters: v.array(nodeId, { maxLength: 4096 }),
  learners: v.array(nodeId, { maxLength: 4096 }),
});

const entry: Check<RaftEntry> = v.object({
  index: v.int({ min: 1, max: MAX_COUNTER }),
  term: counter,
  data: opaque,
  kind: v.optional(v.literal('noop', 'config')),
  membership: v.optional(membership),
}) as Check<RaftEntry>;

const snapshot: Check<RaftSnapshot> = v.object({
  index: counter,
  term: counter,
  membership,
  data: opaque,
}) as Check<RaftSnapshot>;

/** The shape check of every message (field ranges; cross-field rules are in {@link messageProblem}). */
export const messageShape: Check<RaftMessage> = v.tagged({
  vote: v.object({
    type: v.literal('vote'),
    term: counter,
    lastIndex: counter,
    lastTerm: counter,
    pre: v.boolean(),
    transfer: v.boolean(),
  }),
  voteResponse: v.object({ type: v.literal('voteResponse'), term: counter, granted: v.boolean(), pre: v.boolean() }),
  append: v.object({
    type: v.literal('append'),
    term: counter,
    prevIndex: counter,
    prevTerm: counter,
    entries: v.array(entry, { maxLength: MAX_ENTRIES_PER_MESSAGE }),
    commit: counter,
  }),
  appendResponse: v.object({
    type: v.literal('appendResponse'),
    term: counter,
    success: v.boolean(),
    index: counter,
    hintIndex: counter,
    hintTerm: counter,
  }),
  heartbeat: v.object({
    type: v.literal('heartbeat'),
    term: counter,
    commit: counter,
    seq: counter,
    sentAt: v.number({ min: -MAX_COUNTER, max: MAX_COUNTER }),
  }),
  heartbeatResponse: v.object({
    type: v.literal('heartbeatResponse'),
    term: counter,
    seq: counter,
    sentAt: v.number({ min: -MAX_COUNTER, max: MAX_COUNTER }),
  }),
  snapshot: v.object({ type: v.literal('snapshot'), term: counter, snapshot }),
  timeoutNow: v.object({ type: v.literal('timeoutNow'), term: counter }),
}) as Check<RaftMessage>;

function membershipProblem(m: RaftMembership, path: string): string | undefined {
  const all = [...m.voters, ...m.learners];
  if (new Set(all).size !== all.length) return `${path}: duplicate or overlapping members`;
  return undefined;
}

/**
 * Why `message` is not a well-formed Raft message, or `undefined`. Checks the shape, the opaque
 * data against `limits` (iteratively: no nesting depth can overflow the stack), then the rules a
 * correct peer always follows: entries consecutive after `prevIndex`, terms non-decreasing and
 * not beyond the message's term, config entries carrying a membership.
 */
export function messageProblem(message: unknown, limits: DataLimits): string | undefined {
  // The fast path accepts exactly what `messageShape` accepts for the hot messages (and checks
  // entry data against the limits); anything it does not recognize goes through the `v` checks,
  // which also phrase the reason.
  if (!fastShape(message, limits)) {
    const shape = messageShape(message);
    if (shape !== undefined) return shape;
    const m = message as RaftMessage;
    if (m.type === 'append') {
      for (let i = 0; i < m.entries.length; i++) {
        const p = plainDataProblem(m.entries[i]!.data, `entries[${i}].data`, limits);
        if (p !== undefined) return p;
      }
    } else if (m.type === 'snapshot') {
      const p = plainDataProblem(m.snapshot.data, 'snapshot.data', limits);
      if (p !== undefined) return p;
    }
  }
  const m = message as RaftMessage;
  switch (m.type) {
    case 'vote':
      if (m.term === 0) return 'term: a candidate term is at least 1';
      if (m.lastTerm > m.term) return 'lastTerm: beyond the candidate term';
      return undefined;
    case 'append': {
      if (m.prevTerm > m.term) return 'prevTerm: beyond the leader term';
      let prevTerm = m.prevTerm;
      for (let i = 0; i < m.entries.length; i++) {
        const e = m.entries[i] as RaftEntry;
        if (e.index !== m.prevIndex + 1 + i) return `entries[${i}].index: expected ${m.prevIndex + 1 + i}, got ${e.index}`;
        if (e.term < prevTerm) return `entries[${i}].term: terms in a log never decrease`;
        if (e.term > m.term) return `entries[${i}].term: beyond the leader term`;
        if (e.term === 0) return `entries[${i}].term: entries have a term of at least 1`;
        if (e.kind === 'config') {
          if (e.membership === undefined) return `entries[${i}].membership: missing on a config entry`;
          const p = membershipProblem(e.membership, `entries[${i}].membership`);
          if (p !== undefined) return p;
        }
        prevTerm = e.term;
      }
      if (m.prevIndex + m.entries.length > MAX_COUNTER) return 'entries: index overflow';
      return undefined;
    }
    case 'snapshot':
      if (m.snapshot.term > m.term) return 'snapshot.term: beyond the leader term';
      if (m.snapshot.index === 0) return 'snapshot.index: must be at least 1';
      return membershipProblem(m.snapshot.membership, 'snapshot.membership');
    default:
      return undefined;
  }
}

const isTime = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= -MAX_COUNTER && x <= MAX_COUNTER;
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function isJson(x: unknown, limits: DataLimits): boolean {
  if (typeof x === 'string') return x.length + 2 <= limits.maxBytes;
  if (typeof x === 'boolean' || x === null) return true;
  if (typeof x === 'number') return Number.isFinite(x);
  return plainDataProblem(x, '', limits) === undefined;
}

function isEntry(e: unknown, limits: DataLimits): boolean {
  if (!isPlainObject(e)) return false;
  const index = own(e, 'index') ? e.index : undefined;
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 1 || index > MAX_COUNTER) return false;
  if (!own(e, 'term') || !isCounter(e.term) || !own(e, 'data') || !isJson(e.data, limits)) return false;
  const kind = own(e, 'kind') ? e.kind : undefined;
  if (kind !== undefined && kind !== 'noop' && kind !== 'config') return false;
  const m = own(e, 'membership') ? e.membership : undefined;
  return m === undefined || membership(m) === undefined;
}

/** True when `m` is a well-shaped append / appendResponse / heartbeat / heartbeatResponse. */
function fastShape(m: unknown, limits: DataLimits): boolean {
  if (!isPlainObject(m) || !own(m, 'type')) return false;
  switch (m.type) {
    case 'append': {
      if (!isCounter(m.term) || !isCounter(m.prevIndex) || !isCounter(m.prevTerm) || !isCounter(m.commit)) return false;
      const entries = own(m, 'entries') ? m.entries : undefined;
      if (!Array.isArray(entries) || entries.length > MAX_ENTRIES_PER_MESSAGE) return false;
      for (let i = 0; i < entries.length; i++) if (!(i in entries) || !isEntry(entries[i], limits)) return false;
      return true;
    }
    case 'appendResponse':
      return (
        isCounter(m.term) && typeof m.success === 'boolean' && isCounter(m.index) && isCounter(m.hintIndex) && isCounter(m.hintTerm)
      );
    case 'heartbeat':
      return isCounter(m.term) && isCounter(m.commit) && isCounter(m.seq) && isTime(m.sentAt);
    case 'heartbeatResponse':
      return isCounter(m.term) && isCounter(m.seq) && isTime(m.sentAt);
    default:
      return false;
  }
}

function copyMembership(m: RaftMembership): RaftMembership {
  return { voters: m.voters.slice(), learners: m.learners.slice() };
}

/** `-0` becomes `0`: a state holds only numbers that survive a JSON round trip. */
const num = (x: number): number => x + 0;

/**
 * A copy of validated opaque data: scalars as they are (`-0` as `0`), objects and arrays
 * deep-copied through JSON, so nothing JSON would not carry (a named property on an array, say)
 * is stored.
 */
function copyData(x: unknown): unknown {
  if (x === null || typeof x !== 'object') return typeof x === 'number' ? x + 0 : x;
  return JSON.parse(JSON.stringify(x)) as unknown;
}

function copyEntry(e: RaftEntry): RaftEntry {
  // Only the declared fields: a peer's extra fields are never stored. `data` passed the limits.
  const index = num(e.index);
  const term = num(e.term);
  const data = copyData(e.data);
  if (e.kind === undefined) return { index, term, data };
  if (e.kind === 'config' && e.membership !== undefined) return { index, term, data, kind: 'config', membership: copyMembership(e.membership) };
  return { index, term, data, kind: e.kind };
}

/**
 * A copy of a message that passed {@link messageProblem}, holding only the fields Raft declares
 * (the machine stores and forwards this, never the object it received).
 */
export function cleanMessage(m: RaftMessage): RaftMessage {
  switch (m.type) {
    case 'vote':
      return { type: 'vote', term: num(m.term), lastIndex: num(m.lastIndex), lastTerm: num(m.lastTerm), pre: m.pre, transfer: m.transfer };
    case 'voteResponse':
      return { type: 'voteResponse', term: num(m.term), granted: m.granted, pre: m.pre };
    case 'append':
      return { type: 'append', term: num(m.term), prevIndex: num(m.prevIndex), prevTerm: num(m.prevTerm), entries: m.entries.map(copyEntry), commit: num(m.commit) };
    case 'appendResponse':
      return { type: 'appendResponse', term: num(m.term), success: m.success, index: num(m.index), hintIndex: num(m.hintIndex), hintTerm: num(m.hintTerm) };
    case 'heartbeat':
      return { type: 'heartbeat', term: num(m.term), commit: num(m.commit), seq: num(m.seq), sentAt: num(m.sentAt) };
    case 'heartbeatResponse':
      return { type: 'heartbeatResponse', term: num(m.term), seq: num(m.seq), sentAt: num(m.sentAt) };
    case 'snapshot': {
      const s = m.snapshot;
      return { type: 'snapshot', term: num(m.term), snapshot: { index: num(s.index), term: num(s.term), membership: copyMembership(s.membership), data: copyData(s.data) } };
    }
    case 'timeoutNow':
      return { type: 'timeoutNow', term: num(m.term) };
  }
}
