// Multi-Paxos's chunked log: a persistent list, 1-based slots, against a plain array as the model.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MULTI_PAXOS_LOG_CHUNK, emptyLog, logAppend, logAt, logFrom, logSlice, multiPaxosLogItems, type MultiPaxosLog } from '../../../src/consensus/paxos/log.js';
import { deepFreeze } from '../../../src/core/index.js';

describe('MultiPaxosLog', () => {
  it('slots are 1-based; out of range reads undefined', () => {
    const log = logFrom(['a', 'b']);
    expect([logAt(log, 0), logAt(log, 1), logAt(log, 2), logAt(log, 3)]).toEqual([undefined, 'a', 'b', undefined]);
  });

  it('every chunk but the last is full', () => {
    const log = logFrom(Array.from({ length: 2 * MULTI_PAXOS_LOG_CHUNK + 3 }, (_, i) => i));
    expect(log.chunks.map((c) => c.length)).toEqual([MULTI_PAXOS_LOG_CHUNK, MULTI_PAXOS_LOG_CHUNK, 3]);
  });

  it('property: appends in batches agree with a plain array, and never change an earlier version', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer(), { maxLength: 300 }), { maxLength: 6 }), (batches) => {
        let log: MultiPaxosLog<number> = emptyLog;
        const model: number[] = [];
        for (const batch of batches) {
          const before = deepFreeze(log);
          const beforeItems = multiPaxosLogItems(before);
          log = logAppend(before, batch);
          model.push(...batch);
          expect(multiPaxosLogItems(before)).toEqual(beforeItems);
        }
        expect(log.length).toBe(model.length);
        expect(multiPaxosLogItems(log)).toEqual(model);
        for (let s = 1; s <= model.length; s += 37) expect(logAt(log, s)).toBe(model[s - 1]);
        expect(logSlice(log, 2, 10)).toEqual(model.slice(1, 10));
        expect(logSlice(log, -5, model.length + 5)).toEqual(model);
      }),
      { numRuns: 60 },
    );
  });

  it('appending nothing returns the same log', () => {
    const log = logFrom([1]);
    expect(logAppend(log, [])).toBe(log);
  });
});
