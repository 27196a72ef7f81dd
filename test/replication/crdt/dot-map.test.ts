// The bucketed layout of dot maps: one layout per map (whatever the order keys arrived in), every
// key in the bucket its hash names, buckets sorted and never empty.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AWORSet, DOT_MAP_BUCKETS, DotMap, parseCrdt } from '../../../src/replication/index.js';

const keyArb = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'toString', ''));

describe('DotMap layout', () => {
  it('bucketOf is a fixed function of the key, in [0, DOT_MAP_BUCKETS)', () => {
    // Pinned values: a peer computes the same buckets, so the hash can never change silently.
    expect(['', 'a', 'milk', '__proto__', 'element-0'].map(DotMap.bucketOf)).toEqual(['21', '3', '26', '23', '8']);
    fc.assert(
      fc.property(keyArb, (k) => {
        const b = Number(DotMap.bucketOf(k));
        expect(Number.isInteger(b) && b >= 0 && b < DOT_MAP_BUCKETS).toBe(true);
      }),
    );
  });

  it('from and toObject are inverse; get and keys read what from stored', () => {
    fc.assert(
      fc.property(fc.dictionary(keyArb, fc.nat()), (record) => {
        const m = DotMap.from(record);
        expect(DotMap.toObject(m)).toEqual(record);
        expect(DotMap.keys(m).sort()).toEqual(Object.keys(record).sort());
        for (const k of Object.keys(record)) expect(DotMap.get(m, k)).toBe(record[k]);
        for (const b of Object.keys(m)) {
          const keys = m[b]!.map((p) => p[0]);
          expect(keys.length).toBeGreaterThan(0);
          expect(keys).toEqual([...keys].sort());
          for (const k of keys) expect(DotMap.bucketOf(k)).toBe(b);
        }
      }),
    );
  });

  it('a set reached by any order of adds and removes has one layout', () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { maxLength: 30 }), fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }), (elements, drop) => {
        let forward = AWORSet.empty();
        const deltas: AWORSet[] = [];
        for (const e of elements) {
          const d = AWORSet.add(forward, 'a', e);
          deltas.push(d);
          forward = AWORSet.join(forward, d);
        }
        // The same deltas, delivered to another replica in reverse order.
        const backward = [...deltas].reverse().reduce(AWORSet.join, AWORSet.empty());
        let removed = forward;
        elements.forEach((e, i) => {
          if (drop[i]) removed = AWORSet.join(removed, AWORSet.remove(removed, e));
        });
        expect(JSON.stringify(canonical(backward.store))).toBe(JSON.stringify(canonical(forward.store)));
        expect(backward.store).toEqual(forward.store);
        expect(AWORSet.value(removed)).toEqual(elements.filter((_, i) => !drop[i]).sort());
        expect(parseCrdt('aworset', JSON.parse(JSON.stringify(removed)))).toEqual({ ok: true, value: removed });
      }),
    );
  });
});

/** The store with its bucket table's keys in numeric order (JSON text then compares layouts). */
function canonical(store: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const b of Object.keys(store).sort((x, y) => Number(x) - Number(y))) out[b] = store[b];
  return out;
}
