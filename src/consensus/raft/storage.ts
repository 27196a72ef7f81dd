/**
 * What a host does with `persist` outputs, as a pure function (for tests, simulators and as the
 * reference for real stores).
 *
 * @packageDocumentation
 */
import type { RaftDurable, RaftPersistRecord } from './types.js';

/**
 * Applies a `persist` record to a durable record, exactly as a host's disk must: install the
 * snapshot (dropping entries it covers), truncate, append, then store term and vote.
 *
 * @example
 * ```ts
 * import { raft, applyRaftPersist } from 'distkit/consensus';
 * const config = { id: 'a', voters: ['a'], seed: 1 };
 * let disk = raft.durable(raft.init(config));
 * disk = applyRaftPersist(disk, { term: 1, vote: 'a' });
 * disk.term; //=> 1
 * ```
 */
export function applyRaftPersist(saved: RaftDurable, record: RaftPersistRecord): RaftDurable {
  let { term, vote, snapshot, entries } = saved;
  if (record.snapshot !== undefined) {
    const at = record.snapshot.index;
    snapshot = record.snapshot;
    entries = entries.filter((e) => e.index > at);
    // An entry right after the snapshot must follow it; otherwise the suffix is not ours to keep.
    if (entries.length > 0 && entries[0]!.index !== at + 1) entries = [];
  }
  if (record.truncateFrom !== undefined) {
    const from = record.truncateFrom;
    entries = entries.filter((e) => e.index < from);
  }
  if (record.entries !== undefined && record.entries.length > 0) {
    const first = record.entries[0]!.index;
    entries = entries.filter((e) => e.index < first).concat(record.entries);
  }
  if (record.term !== undefined) term = record.term;
  if (record.vote !== undefined) vote = record.vote;
  return { term, vote, snapshot, entries };
}
