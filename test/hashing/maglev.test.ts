import { describe, expect, it } from 'vitest';
import { Maglev, maglevPopulate } from 'distkit/hashing';
import { names } from './keys.js';

describe('Maglev (Eisenbud et al. 2016 §3.4)', () => {
  it('reproduces Table 1 (M = 7): lookup table before and after B1 is removed', () => {
    const b0 = { offset: 3, skip: 4 };
    const b1 = { offset: 0, skip: 2 };
    const b2 = { offset: 3, skip: 1 };
    expect(Array.from(maglevPopulate(7, [b0, b1, b2]))).toEqual([1, 0, 1, 0, 2, 2, 0]);
    // After B1 is removed (indices now B0 = 0, B2 = 1): B0 B0 B0 B0 B2 B2 B2... per Pseudocode 1
    const after = Array.from(maglevPopulate(7, [b0, b2]), (i) => (i === 0 ? 'B0' : 'B2'));
    expect(after).toEqual(['B0', 'B0', 'B0', 'B0', 'B2', 'B2', 'B2']);
  });
  it('each backend gets floor(M/N) or ceil(M/N) entries', () => {
    for (const n of [3, 7, 100]) {
      const lb = Maglev.create(names(n), { tableSize: 65537 });
      const counts: Record<string, number> = {};
      for (const e of lb.entries()) counts[e] = (counts[e] ?? 0) + 1;
      for (const id of lb.backends) {
        expect(counts[id]! >= Math.floor(65537 / n) && counts[id]! <= Math.ceil(65537 / n)).toBe(true);
      }
    }
  });
  it('removing 1 of 100 backends changes few entries beyond the unavoidable 1%', () => {
    const lb = Maglev.create(names(100), { tableSize: 65537 });
    const smaller = lb.remove('node-42');
    const a = lb.entries();
    const b = smaller.entries();
    let changed = 0;
    let unavoidable = 0;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === 'node-42') unavoidable++;
      else if (a[i] !== b[i]) changed++;
    }
    expect(unavoidable / a.length).toBeCloseTo(0.01, 3);
    expect(changed / a.length).toBeLessThan(0.02);
  });
  it('weights: a weight-2 backend gets about twice the entries', () => {
    const lb = Maglev.create([...names(4), { id: 'big', weight: 2 }], { tableSize: 6007 });
    const counts: Record<string, number> = {};
    for (const e of lb.entries()) counts[e] = (counts[e] ?? 0) + 1;
    expect(counts['big']! / counts['node-0']!).toBeCloseTo(2, 1);
  });
  it('round-trip, validation and hostile JSON', () => {
    const lb = Maglev.create(['a', 'b', 'c'], { tableSize: 251 });
    const copy = Maglev.fromJSON(JSON.parse(JSON.stringify(lb)));
    expect(copy.entries()).toEqual(lb.entries());
    expect(() => Maglev.create(['a'], { tableSize: 100 })).toThrow(/tableSize/);
    expect(() => Maglev.fromJSON({ ...lb.toJSON(), tableSize: 91 })).toThrow(/tableSize/);
    expect(() => Maglev.fromJSON({ ...lb.toJSON(), backends: [{ id: 'a' }] })).toThrow(/backends\[0\]\.weight/);
    expect(() => maglevPopulate(7, [{ offset: 7, skip: 1 }])).toThrow(/offset/);
  });
});
