// Raft's persistent log window over a shared backing array: indexes, terms, truncation, compaction,
// and that an older version never sees a newer version's appends (structure sharing must be safe).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { appendOne, appendToLog, compactLog, emptyLog, entryAt, lastTerm, raftEntries, raftLastIndex, termAt, truncateLog } from '../../../src/consensus/raft/log.js';
import type { RaftEntry, RaftLog, RaftSnapshot } from '../../../src/consensus/raft/types.js';

const boot: RaftSnapshot = { index: 0, term: 0, membership: { voters: ['a', 'b', 'c'], learners: [] }, data: null };
const entry = (index: number, term: number): RaftEntry => ({ index, term, data: `e${index}` });
const terms = (log: RaftLog): number[] => raftEntries(log).map((e) => e.term);

describe('Raft log (Raft §5.3, §7)', () => {
  it('an empty log starts at the snapshot', () => {
    const log = emptyLog(boot);
    expect([raftLastIndex(log), lastTerm(log), termAt(log, 0), termAt(log, 1)]).toEqual([0, 0, 0, -1]);
  });

  it('appends, reads terms by index and slices entries', () => {
    const log = appendToLog(emptyLog(boot), [entry(1, 1), entry(2, 1), entry(3, 2)]);
    expect(raftLastIndex(log)).toBe(3);
    expect(lastTerm(log)).toBe(2);
    expect([termAt(log, 1), termAt(log, 3), termAt(log, 4)]).toEqual([1, 2, -1]);
    expect(entryAt(log, 2)).toEqual(entry(2, 1));
    expect(raftEntries(log, 2, 3).map((e) => e.index)).toEqual([2, 3]);
    expect(raftEntries(log, 3, 2)).toEqual([]);
  });

  it('truncation drops the suffix from an index on (§5.3: a conflicting entry and all that follow)', () => {
    const log = appendToLog(emptyLog(boot), [entry(1, 1), entry(2, 1), entry(3, 2)]);
    const cut = truncateLog(log, 2);
    expect(raftLastIndex(cut)).toBe(1);
    expect(truncateLog(log, 10)).toBe(log);
  });

  it('compaction keeps the suffix past the snapshot, or drops everything (§7)', () => {
    const log = appendToLog(emptyLog(boot), [entry(1, 1), entry(2, 1), entry(3, 2)]);
    const snap: RaftSnapshot = { ...boot, index: 2, term: 1, data: 'state@2' };
    const kept = compactLog(log, snap, true);
    expect([kept.snapshotIndex, kept.snapshotTerm, raftLastIndex(kept), termAt(kept, 2), termAt(kept, 1)]).toEqual([2, 1, 3, 1, -1]);
    expect(raftEntries(kept).map((e) => e.index)).toEqual([3]);
    const dropped = compactLog(log, snap, false);
    expect([raftLastIndex(dropped), dropped.length]).toEqual([2, 0]);
  });

  it('an older version is not changed by appends to it or to a newer version (the backing array is shared)', () => {
    const v1 = appendOne(emptyLog(boot), entry(1, 1));
    const v2 = appendOne(v1, entry(2, 1));
    const v2b = appendOne(v1, entry(2, 5)); // a diverging branch from v1
    expect(terms(v1)).toEqual([1]);
    expect(terms(v2)).toEqual([1, 1]);
    expect(terms(v2b)).toEqual([1, 5]);
    const v3 = appendToLog(truncateLog(v2, 2), [entry(2, 7)]);
    expect(terms(v2)).toEqual([1, 1]);
    expect(terms(v3)).toEqual([1, 7]);
  });

  it('property: any sequence of appends, truncations and compactions agrees with an array model', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('append' as const), n: fc.integer({ min: 1, max: 5 }), term: fc.integer({ min: 1, max: 9 }) }),
      fc.record({ k: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ k: fc.constant('compact' as const), at: fc.integer({ min: 0, max: 40 }), keep: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        let log = emptyLog(boot);
        let base = 0; // snapshot index
        let baseTerm = 0;
        let model: RaftEntry[] = [];
        const versions: { log: RaftLog; terms: number[] }[] = [];
        for (const o of ops) {
          if (o.k === 'append') {
            const added = Array.from({ length: o.n }, (_, i) => entry(base + model.length + 1 + i, o.term));
            log = o.n === 1 ? appendOne(log, added[0]!) : appendToLog(log, added);
            model = [...model, ...added];
          } else if (o.k === 'truncate') {
            if (o.at <= base) continue;
            log = truncateLog(log, o.at);
            model = model.slice(0, Math.max(0, o.at - base - 1));
          } else {
            const last = base + model.length;
            if (o.at <= base || o.at > last) continue;
            const t = model[o.at - base - 1]!.term;
            log = compactLog(log, { ...boot, index: o.at, term: t }, o.keep);
            model = o.keep ? model.slice(o.at - base) : [];
            base = o.at;
            baseTerm = t;
          }
          versions.push({ log, terms: model.map((e) => e.term) });
        }
        expect(raftLastIndex(log)).toBe(base + model.length);
        expect(lastTerm(log)).toBe(model.length === 0 ? baseTerm : model[model.length - 1]!.term);
        expect(raftEntries(log)).toEqual(model);
        for (const v of versions) expect(terms(v.log)).toEqual(v.terms);
      }),
      { numRuns: 200 },
    );
  });
});
