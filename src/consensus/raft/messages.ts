/**
 * Validation of untrusted Raft messages with the `v` combinators.
 *
 * @packageDocumentation
 */
import { isPlainObject, plainDataProblem, v, type Check } from '../../core/index.js';
import type { RaftEntry, RaftMembership, RaftMessage, RaftSnapshot } from './types.js';

/** Terms and indexes stay below this so that `+ 1` is still a safe integer. */
export const MAX_COUNTER = Number.MAX_SAFE_INTEGER - 1;
/** Longest node id accepted. */
export const MAX_ID_LENGTH = 256;
/** Most entries accepted in one AppendEntries. */
export const MAX_ENTRIES_PER_MESSAGE = 1 << 16;

const counter = v.int({ min: 0, max: MAX_COUNTER });
const nodeId = v.string({ minLength: 1, maxLength: MAX_ID_LENGTH });

const membership: Check<RaftMembership> = v.object({
  voters: v.array(nodeId, { maxLength: 4096 }),
  learners: v.array(nodeId, { maxLength: 4096 }),
});

const entry: Check<RaftEntry> = v.object({
  index: v.int({ min: 1, max: MAX_COUNTER }),
  term: counter,
  data: v.json(),
  kind: v.optional(v.literal('noop', 'config')),
  membership: v.optional(membership),
}) as Check<RaftEntry>;

const snapshot: Check<RaftSnapshot> = v.object({
  index: counter,
  term: counter,
  membership,
  data: v.json(),
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
 * Why `message` is not a well-formed Raft message, or `undefined`. Checks the shape, then the rules
 * a correct peer always follows: entries consecutive after `prevIndex`, terms non-decreasing and
 * not beyond the message's term, config entries carrying a membership.
 */
export function messageProblem(message: unknown): string | undefined {
  // The fast path accepts exactly what `messageShape` accepts for the hot messages; anything it
  // does not recognize goes through the `v` checks, which also phrase the reason.
  if (!fastShape(message)) {
    const shape = messageShape(message);
    if (shape !== undefined) return shape;
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

const isCounter = (x: unknown): boolean => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 && x <= MAX_COUNTER;
const isTime = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= -MAX_COUNTER && x <= MAX_COUNTER;
const isJson = (x: unknown): boolean =>
  typeof x === 'string' || typeof x === 'boolean' || x === null || (typeof x === 'number' ? Number.isFinite(x) : plainDataProblem(x) === undefined);

function isEntry(e: unknown): boolean {
  if (!isPlainObject(e)) return false;
  const index = e.index;
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 1 || index > MAX_COUNTER) return false;
  if (!isCounter(e.term) || !('data' in e) || !Object.prototype.hasOwnProperty.call(e, 'data') || !isJson(e.data)) return false;
  const kind = e.kind;
  if (kind !== undefined && kind !== 'noop' && kind !== 'config') return false;
  return e.membership === undefined || membership(e.membership) === undefined;
}

/** True when `m` is a well-shaped append / appendResponse / heartbeat / heartbeatResponse. */
function fastShape(m: unknown): boolean {
  if (!isPlainObject(m)) return false;
  switch (m.type) {
    case 'append': {
      if (!isCounter(m.term) || !isCounter(m.prevIndex) || !isCounter(m.prevTerm) || !isCounter(m.commit)) return false;
      const entries = m.entries;
      if (!Array.isArray(entries) || entries.length > MAX_ENTRIES_PER_MESSAGE) return false;
      for (let i = 0; i < entries.length; i++) if (!(i in entries) || !isEntry(entries[i])) return false;
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
