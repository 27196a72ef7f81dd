import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from 'distkit/core';
import { DataDistributor, DataPartitioner, HashRing, JumpHash, Maglev, Rendezvous } from 'distkit/hashing';
import { names, keys } from './keys.js';

function std(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
}

describe('HashRing: balance (Karger et al. 1997; ring with V virtual nodes)', () => {
  it.each([
    [10, 160],
    [100, 160],
    [10, 40],
  ])('load std/mean ≈ sqrt((N-1)/N)/sqrt(V) at N=%i, V=%i, averaged over 20 seeds', (n, vnodes) => {
    const ratios: number[] = [];
    for (let seed = 0; seed < 20; seed++) {
      const shares = Object.values(HashRing.create(names(n), { seed, vnodes }).shares());
      ratios.push(std(shares) / (1 / n));
    }
    const measured = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    const predicted = Math.sqrt((n - 1) / n) / Math.sqrt(vnodes);
    expect(Math.abs(measured - predicted) / predicted).toBeLessThan(0.15);
  });
  it('adding an (N+1)th node moves 1/(N+1) of the ring on average (N = 10, 20 seeds): within 10%', () => {
    let total = 0;
    for (let seed = 0; seed < 20; seed++) {
      const { ring, moved } = HashRing.create(names(10), { seed }).add('node-10');
      const arc = moved.reduce((a, r) => a + ((r.end - r.start + 4294967296) % 4294967296), 0) / 4294967296;
      expect(arc).toBeCloseTo(ring.shares()['node-10']!, 9);
      total += arc;
    }
    expect(Math.abs(total / 20 - 1 / 11) / (1 / 11)).toBeLessThan(0.1);
  });
  it('shares sum to 1 and keys follow the shares', () => {
    const ring = HashRing.create(names(5));
    const shares = ring.shares();
    expect(Object.values(shares).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    const counts: Record<string, number> = {};
    for (const k of keys(50000)) counts[ring.lookup(k)] = (counts[ring.lookup(k)] ?? 0) + 1;
    for (const id of ring.nodes) expect(Math.abs(counts[id]! / 50000 - shares[id]!)).toBeLessThan(0.01);
  });
  it('weights scale the share: a weight-2 node owns about twice as much', () => {
    const ring = HashRing.create([...names(8), { id: 'big', weight: 2 }]);
    const shares = ring.shares();
    const avg = (1 - shares['big']!) / 8;
    expect(shares['big']! / avg).toBeGreaterThan(1.6);
    expect(shares['big']! / avg).toBeLessThan(2.4);
  });
});

describe('HashRing: movement on membership change', () => {
  it('adding an 11th node moves about 1/11 of keys, all to the new node, exactly the reported ranges', () => {
    const ring = HashRing.create(names(10));
    const { ring: bigger, moved } = ring.add('node-10');
    const ks = keys(40000);
    let movedKeys = 0;
    for (const k of ks) {
      const before = ring.lookup(k);
      const after = bigger.lookup(k);
      const h = ring.keyHash(k);
      const inMoved = moved.some((r) => HashRing.inRange(h, r));
      expect(inMoved).toBe(before !== after);
      if (before !== after) {
        movedKeys++;
        expect(after).toBe('node-10');
      }
    }
    expect(moved.every((r) => r.to === 'node-10')).toBe(true);
    const frac = movedKeys / ks.length;
    expect(frac).toBeGreaterThan((1 / 11) * 0.7);
    expect(frac).toBeLessThan((1 / 11) * 1.3);
    const arc = moved.reduce((a, r) => a + ((r.end - r.start + 4294967296) % 4294967296), 0) / 4294967296;
    expect(arc).toBeCloseTo(bigger.shares()['node-10']!, 9);
  });
  it('removing a node moves only its keys, and the ranges report from the removed node', () => {
    const ring = HashRing.create(names(10));
    const { ring: smaller, moved } = ring.remove('node-3');
    expect(moved.every((r) => r.from === 'node-3' && r.to !== 'node-3')).toBe(true);
    for (const k of keys(5000)) {
      const before = ring.lookup(k);
      if (before !== 'node-3') expect(smaller.lookup(k)).toBe(before);
    }
  });
  it('minimal movement (property): add/remove only moves keys to/from the changed node', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 2, maxLength: 8 }), fc.array(fc.string(), { maxLength: 30 }), (ids, ks) => {
        const [extra, ...rest] = ids as [string, ...string[]];
        const ring = HashRing.create(rest, { vnodes: 16 });
        const { ring: added } = ring.add(extra);
        for (const k of ks) {
          const a = ring.lookup(k);
          const b = added.lookup(k);
          if (a !== b && b !== extra) return false;
        }
        return true;
      }),
      { numRuns: 100 },
    );
  });
  it('moved ranges are exact (property): a key is in a reported range iff its owner changed, with matching from/to', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 5 }), { minLength: 2, maxLength: 7 }),
        fc.boolean(),
        fc.array(fc.string(), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 1000 }),
        (ids, adding, ks, seed) => {
          const [changed, ...rest] = ids as [string, ...string[]];
          const small = HashRing.create(rest, { vnodes: 12, seed });
          const big = small.add(changed, 1.5).ring;
          const [before, after] = adding ? [small, big] : [big, small];
          const moved = HashRing.diff(before, after);
          return ks.every((k) => {
            const h = before.keyHash(k);
            const a = before.lookup(k);
            const b = after.lookup(k);
            const r = moved.find((m) => HashRing.inRange(h, m));
            return a === b ? r === undefined : r !== undefined && r.from === a && r.to === b;
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('HashRing: preference lists (Dynamo §4.3)', () => {
  const ring = HashRing.create(names(12), { vnodes: 32 });
  it('are distinct, start with the owner, and have min(n, size) entries', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 15 }), (k, n) => {
        const list = ring.preferenceList(k, n);
        return list.length === Math.min(n, 12) && new Set(list).size === list.length && (n === 0 || list[0] === ring.lookup(k));
      }),
      { numRuns: 300 },
    );
  });
  it('stable under unrelated membership changes: adding or removing a node not in the list leaves it unchanged', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 11 }), (k, n, victim) => {
        const list = ring.preferenceList(k, n);
        const added = ring.add('newcomer').ring.preferenceList(k, n);
        if (!added.includes('newcomer') && added.join() !== list.join()) return false;
        const id = `node-${victim}`;
        if (list.includes(id)) return true;
        return ring.remove(id).ring.preferenceList(k, n).join() === list.join();
      }),
      { numRuns: 200 },
    );
  });
});

describe('HashRing: determinism, immutability, serialization', () => {
  it('determinism across instances: member order does not matter', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 10 }), fc.array(fc.string(), { maxLength: 20 }), (ids, ks) => {
        const a = HashRing.create(ids, { vnodes: 8 });
        const b = HashRing.create(ids.slice().reverse(), { vnodes: 8 });
        return ks.every((k) => a.lookup(k) === b.lookup(k));
      }),
      { numRuns: 100 },
    );
  });
  it('values are frozen', () => {
    for (const value of [HashRing.create(['a']), Rendezvous.create(['a']), Maglev.create(['a'], { tableSize: 7 }), JumpHash.create(3), DataPartitioner.create(['a']), DataDistributor.create(['a'], 1)]) {
      expect(Object.isFrozen(value)).toBe(true);
    }
  });
  it('determinism across instances for rendezvous and Maglev too: member order does not matter', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 8 }), fc.array(fc.string(), { maxLength: 20 }), (ids, ks) => {
        const r1 = Rendezvous.create(ids);
        const r2 = Rendezvous.create(ids.slice().reverse());
        const m1 = Maglev.create(ids, { tableSize: 251 });
        const m2 = Maglev.create(ids.slice().reverse(), { tableSize: 251 });
        return ks.every((k) => r1.lookup(k) === r2.lookup(k) && m1.lookup(k) === m2.lookup(k));
      }),
      { numRuns: 100 },
    );
  });
  it('long preference lists (more than 8) are distinct too', () => {
    const ring = HashRing.create(names(30), { vnodes: 8 });
    for (const k of keys(50)) {
      const list = ring.preferenceList(k, 20);
      expect(new Set(list).size).toBe(20);
      expect(list.slice(0, 5)).toEqual(ring.preferenceList(k, 5));
    }
  });
  it('add and remove leave the original ring unchanged', () => {
    const ring = HashRing.create(names(4));
    const before = keys(500).map((k) => ring.lookup(k));
    ring.add('x');
    ring.remove('node-1');
    expect(keys(500).map((k) => ring.lookup(k))).toEqual(before);
    expect(ring.nodes).toEqual(names(4));
  });
  it('toJSON/fromJSON round-trips through JSON text', () => {
    const ring = HashRing.create(['a', { id: 'b', weight: 1.5 }], { vnodes: 40, hash: 'xxh32', seed: 9 });
    const copy = HashRing.fromJSON(JSON.parse(JSON.stringify(ring)));
    expect(copy.toJSON()).toEqual(ring.toJSON());
    for (const k of keys(300)) expect(copy.lookup(k)).toBe(ring.lookup(k));
  });
  it('fromJSON rejects hostile input with a ConfigError naming the field', () => {
    const ok = HashRing.create(['a', 'b']).toJSON();
    const cases: [unknown, string][] = [
      [null, 'value'],
      [{ ...ok, kind: 'maglev' }, 'kind'],
      [{ ...ok, vnodes: -1 }, 'vnodes'],
      [{ ...ok, vnodes: 1e9 }, 'vnodes'],
      [{ ...ok, hash: 'md5' }, 'hash'],
      [{ ...ok, nodes: [{ id: 'a', weight: 'x' }] }, 'nodes[0].weight'],
      [{ ...ok, nodes: [{ id: 'a', weight: 0 }] }, 'nodes[0].weight'],
      [{ ...ok, nodes: [{ id: 'a', weight: 1 }, { id: 'a', weight: 1 }] }, 'nodes[1].id'],
      [{ ...ok, nodes: [{ id: '', weight: 1 }] }, 'nodes[0].id'],
      [{ ...ok, nodes: 'a,b' }, 'nodes'],
    ];
    for (const [data, field] of cases) {
      let err: unknown;
      try {
        HashRing.fromJSON(data);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe(field);
    }
  });
  it('create validates options and members', () => {
    expect(() => HashRing.create(['a', 'a'])).toThrow(ConfigError);
    expect(() => HashRing.create(['a'], { vnodes: 0 })).toThrow(/vnodes/);
    expect(() => HashRing.create([{ id: 'a', weight: -1 }])).toThrow(/weight/);
    expect(() => HashRing.create([]).lookup('k')).toThrow(/empty/);
    expect(() => HashRing.create(['a']).add('a')).toThrow(/already/);
    expect(HashRing.create([]).preferenceList('k', 3)).toEqual([]);
  });
});
