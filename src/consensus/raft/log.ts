/**
 * The persistent-structure log: a window over an append-only array shared between states.
 *
 * @packageDocumentation
 */
import type { RaftEntry, RaftLog, RaftSnapshot } from './types.js';

/**
 * Index of the last entry (the snapshot's index when the log is empty).
 *
 * @example
 * ```ts
 * import { raft, raftLastIndex } from 'distkit/consensus';
 * raftLastIndex(raft.init({ id: 'a', voters: ['a'], seed: 1 }).log); //=> 0
 * ```
 */
export function raftLastIndex(log: RaftLog): number {
  return log.snapshotIndex + log.length;
}

/** Term of the last entry. */
export function lastTerm(log: RaftLog): number {
  return log.length === 0 ? log.snapshotTerm : (log.entries[log.start + log.length - 1] as RaftEntry).term;
}

/** Term of entry `index`, or -1 when it is compacted away or beyond the end. */
export function termAt(log: RaftLog, index: number): number {
  if (index === log.snapshotIndex) return log.snapshotTerm;
  if (index < log.snapshotIndex || index > log.snapshotIndex + log.length) return -1;
  return (log.entries[log.start + index - log.snapshotIndex - 1] as RaftEntry).term;
}

/** Entry `index` (must be in the live window). */
export function entryAt(log: RaftLog, index: number): RaftEntry {
  return log.entries[log.start + index - log.snapshotIndex - 1] as RaftEntry;
}

/**
 * The live entries with index in `[from, to]` (clamped to the window), as a fresh array.
 *
 * @example
 * ```ts
 * import { raft, raftEntries } from 'distkit/consensus';
 * raftEntries(raft.init({ id: 'a', voters: ['a'], seed: 1 }).log); //=> []
 * ```
 */
export function raftEntries(log: RaftLog, from = log.snapshotIndex + 1, to = log.snapshotIndex + log.length): RaftEntry[] {
  const lo = Math.max(from, log.snapshotIndex + 1);
  const hi = Math.min(to, log.snapshotIndex + log.length);
  if (hi < lo) return [];
  if (hi === lo) return [log.entries[log.start + lo - log.snapshotIndex - 1] as RaftEntry];
  return log.entries.slice(log.start + lo - log.snapshotIndex - 1, log.start + hi - log.snapshotIndex) as RaftEntry[];
}

/** An empty log after `snapshot`. */
export function emptyLog(snapshot: RaftSnapshot): RaftLog {
  return {
    snapshotIndex: snapshot.index,
    snapshotTerm: snapshot.term,
    snapshot,
    entries: [],
    start: 0,
    length: 0,
  };
}

/**
 * Appends entries after the last one. Pushes onto the shared array when this log's window ends
 * at the array's end (no other state can see the new slots); copies otherwise, and when the array
 * is frozen (tests freeze states).
 */
export function appendToLog(log: RaftLog, added: readonly RaftEntry[]): RaftLog {
  if (added.length === 0) return log;
  const end = log.start + log.length;
  const base = log.entries as RaftEntry[];
  if (end === base.length && !Object.isFrozen(base)) {
    for (let i = 0; i < added.length; i++) base.push(added[i] as RaftEntry);
    return { ...log, length: log.length + added.length };
  }
  const fresh = base.slice(log.start, end);
  for (let i = 0; i < added.length; i++) fresh.push(added[i] as RaftEntry);
  return { ...log, entries: fresh, start: 0, length: fresh.length };
}

/** Appends one entry (the proposal fast path). */
export function appendOne(log: RaftLog, entry: RaftEntry): RaftLog {
  const end = log.start + log.length;
  const base = log.entries as RaftEntry[];
  if (end === base.length && !Object.isFrozen(base)) {
    base.push(entry);
    return {
      snapshotIndex: log.snapshotIndex,
      snapshotTerm: log.snapshotTerm,
      snapshot: log.snapshot,
      entries: base,
      start: log.start,
      length: log.length + 1,
    };
  }
  return appendToLog(log, [entry]);
}

/** Drops every entry with index >= `from` (only shrinks the window: older states are unaffected). */
export function truncateLog(log: RaftLog, from: number): RaftLog {
  const keep = Math.max(0, from - log.snapshotIndex - 1);
  if (keep >= log.length) return log;
  return { ...log, length: keep };
}

/**
 * Installs `snapshot`: drops entries up to its index. Keeps the following entries when
 * `keepSuffix` (the log holds the snapshot's last entry, §7), else empties the log. Re-packs the
 * backing array once the dead prefix dominates, so memory stays bounded.
 */
export function compactLog(log: RaftLog, snapshot: RaftSnapshot, keepSuffix: boolean): RaftLog {
  const last = log.snapshotIndex + log.length;
  if (!keepSuffix || snapshot.index >= last) {
    return emptyLog(snapshot);
  }
  const drop = snapshot.index - log.snapshotIndex;
  let start = log.start + drop;
  let entries = log.entries;
  const length = log.length - drop;
  if (start > length && start > 64) {
    entries = entries.slice(start, start + length);
    start = 0;
  }
  return { snapshotIndex: snapshot.index, snapshotTerm: snapshot.term, snapshot, entries, start, length };
}
