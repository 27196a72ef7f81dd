// applyRaftPersist: the one definition of how a persist record changes Raft's durable state
// (Figure 2's persistent state: currentTerm, votedFor, log[]; §7's snapshot).
import { describe, expect, it } from 'vitest';
import { applyRaftPersist } from '../../../src/consensus/raft/storage.js';
import type { RaftDurable, RaftEntry, RaftSnapshot } from '../../../src/consensus/raft/types.js';
import { deepFreeze } from '../../../src/core/index.js';

const boot: RaftSnapshot = { index: 0, term: 0, membership: { voters: ['a', 'b', 'c'], learners: [] }, data: null };
const e = (index: number, term: number): RaftEntry => ({ index, term, data: `e${index}` });
const saved = (entries: RaftEntry[], term = 1): RaftDurable => deepFreeze({ term, vote: null, snapshot: boot, entries });
const indexes = (d: RaftDurable) => d.entries.map((x) => `${x.index}@${x.term}`);

describe('applyRaftPersist', () => {
  it('stores term and vote when present and keeps them otherwise', () => {
    const d = applyRaftPersist(saved([]), { term: 3, vote: 'b' });
    expect([d.term, d.vote]).toEqual([3, 'b']);
    expect(applyRaftPersist(d, { entries: [e(1, 3)] })).toMatchObject({ term: 3, vote: 'b' });
  });

  it('appending entries that overlap replaces the overlapped suffix (§5.3)', () => {
    const d = applyRaftPersist(saved([e(1, 1), e(2, 1), e(3, 1)]), { entries: [e(2, 2)] });
    expect(indexes(d)).toEqual(['1@1', '2@2']);
  });

  it('truncateFrom drops entries from that index on, before the append', () => {
    const d = applyRaftPersist(saved([e(1, 1), e(2, 1), e(3, 1)]), { truncateFrom: 2, entries: [e(2, 4), e(3, 4)] });
    expect(indexes(d)).toEqual(['1@1', '2@4', '3@4']);
    expect(indexes(applyRaftPersist(saved([e(1, 1), e(2, 1)]), { truncateFrom: 1 }))).toEqual([]);
  });

  it('a snapshot drops the entries it covers and keeps a contiguous suffix (§7)', () => {
    const snap = { ...boot, index: 2, term: 1, data: 's' };
    const d = applyRaftPersist(saved([e(1, 1), e(2, 1), e(3, 1)]), { snapshot: snap });
    expect(d.snapshot).toBe(snap);
    expect(indexes(d)).toEqual(['3@1']);
  });

  it('a snapshot past the log, or one the suffix does not follow, leaves no entries', () => {
    expect(indexes(applyRaftPersist(saved([e(1, 1)]), { snapshot: { ...boot, index: 5, term: 2 } }))).toEqual([]);
    expect(indexes(applyRaftPersist(saved([e(4, 1), e(5, 1)]), { snapshot: { ...boot, index: 2, term: 1 } }))).toEqual([]);
  });

  it('never changes the saved state it is given', () => {
    const before = saved([e(1, 1)]);
    const copy = JSON.parse(JSON.stringify(before)) as RaftDurable;
    applyRaftPersist(before, { term: 9, vote: 'c', truncateFrom: 1, entries: [e(1, 9)] });
    expect(before).toEqual(copy);
  });
});
