// The job model: key order, partitioners, task bodies, and a distributed run equal to a
// sequential one for arbitrary inputs (fast-check).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson } from '../../../src/core/index.js';
import { murmur3 } from '../../../src/hashing/index.js';
import {
  compareKeys,
  hashPartitioner,
  rangePartitioner,
  runMapReduce,
  runMapTask,
  runReduceTask,
  runSequential,
  sampleBoundaries,
  type MapReduceFunctions,
} from '../../../src/dataflow/index.js';

const wc: MapReduceFunctions<string, string, number, number> = {
  map: (l) => l.split(' ').filter(Boolean).map((w): [string, number] => [w, 1]),
  reduce: (_w, c) => c.reduce((a, b) => a + b, 0),
};

describe('key order (§4.2)', () => {
  it('is a total order: antisymmetric and transitive over mixed JSON keys', () => {
    const key = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 2 }), fc.integer(), { maxKeys: 2 }));
    fc.assert(
      fc.property(key, key, key, (a, b, c) => {
        expect(Math.sign(compareKeys(a, b))).toBe(-Math.sign(compareKeys(b, a)) || 0);
        if (compareKeys(a, b) <= 0 && compareKeys(b, c) <= 0) expect(compareKeys(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });
});

describe('partitioners (§4.1)', () => {
  it('hash: in range and equal for equal keys whatever their object key order', () => {
    fc.assert(fc.property(fc.string(), fc.integer({ min: 1, max: 50 }), (k, r) => {
      const p = hashPartitioner(k, r);
      expect(Number.isInteger(p) && p >= 0 && p < r).toBe(true);
    }));
    expect(hashPartitioner({ a: 1, b: 2 }, 97)).toBe(hashPartitioner({ b: 2, a: 1 }, 97));
  });

  it('hash: a string key lands where murmur3 of its canonical JSON says, short ASCII keys (hashed without building the JSON) included', () => {
    const ascii = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 70 });
    fc.assert(
      fc.property(fc.oneof(ascii, fc.string({ unit: 'binary', maxLength: 70 })), fc.integer({ min: 1, max: 1000 }), (k, r) => {
        expect(hashPartitioner(k, r)).toBe(murmur3(canonicalJson(k)) % r);
      }),
      { numRuns: 2000 },
    );
    for (const k of ['', 'a', '"', '\\', 'tab\there', 'x'.repeat(62), 'x'.repeat(63), '\u007f', 'é']) expect(hashPartitioner(k, 1 << 30)).toBe(murmur3(canonicalJson(k)) % (1 << 30));
  });

  it('range: partitions read in order are sorted (a total order over the output)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 6 }), (words, r) => {
        const partition = rangePartitioner(sampleBoundaries(words, r));
        const whole: MapReduceFunctions<string, string, number, number> = { map: (w) => [[w, 1]], reduce: wc.reduce, partition };
        const res = runMapReduce(whole, words, { workers: 3, partitions: r });
        const keys = res.partitions.flat().map(([k]) => k);
        expect(keys).toEqual([...keys].sort(compareKeys));
        expect(keys.length).toBe(new Set(words).size);
      }),
      { numRuns: 30 },
    );
  });

  it('a partitioner that returns an out-of-range partition fails the task with that error', () => {
    const r = runMapTask({ ...wc, partition: () => 5 }, ['a'], 2);
    expect(r).toEqual({ ok: false, error: 'RangeError: partitioner returned 5 for key "a", not an integer in [0, 2)', record: 0 });
  });
});

describe('task bodies', () => {
  it('map: regions sorted by key, combined with a combiner, counters counted', () => {
    const fns = { ...wc, combine: (_k: string, v: readonly number[]) => v.reduce((a, b) => a + b, 0), partition: (k: string) => (k < 'm' ? 0 : 1) };
    const r = runMapTask({ ...fns, map: (l: string, ctx) => (ctx.count('lines'), wc.map(l, ctx)) }, ['z a', 'a q'], 2);
    expect(r).toEqual({ ok: true, output: [[['a', 2]], [['q', 1], ['z', 1]]], counters: { lines: 2 } });
  });

  it('reduce: a throwing reducer fails with the key group sequence number, which skip then leaves out', () => {
    const fns = { ...wc, reduce: (k: string, c: readonly number[]) => { if (k === 'b') throw new TypeError('no b'); return c.length; } };
    expect(runReduceTask(fns, [[['a', 1], ['b', 1]], [['c', 1]]])).toEqual({ ok: false, error: 'TypeError: no b', record: 1 });
    expect(runReduceTask(fns, [[['a', 1], ['b', 1]], [['c', 1]]], [1])).toEqual({ ok: true, output: [['a', 1], ['c', 1]], counters: { 'mapreduce.skippedRecords': 1 } });
  });
});

describe('a distributed run equals a sequential run', () => {
  it('for arbitrary lines, worker counts, M and R, with and without a combiner', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'dd', 'e', '__proto__', 'constructor'), { maxLength: 8 }).map((ws) => ws.join(' ')), { maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        (lines, workers, splits, partitions, combine) => {
          const fns = combine ? { ...wc, combine: wc.reduce } : wc;
          const got = runMapReduce(fns, lines, { workers, splits, partitions });
          const want = runSequential(wc, lines);
          expect(new Map([...got.output].sort())).toEqual(new Map([...want].sort()));
          // Without faults every split is mapped exactly once and every partition reduced once.
          expect(got.attempts).toEqual({ map: splits, reduce: partitions });
        },
      ),
      { numRuns: 60 },
    );
  });
});
