import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from 'distkit/core';
import { Rendezvous } from 'distkit/hashing';
import { names, keys } from './keys.js';

describe('Rendezvous (HRW, Thaler & Ravishankar 1998; weighted, Schindelhauer & Schomaker 2005)', () => {
  it('balanced and weighted: a weight-3 node gets about 3x the keys of a weight-1 node', () => {
    const r = Rendezvous.create([...names(4), { id: 'heavy', weight: 3 }]);
    const counts: Record<string, number> = {};
    for (const k of keys(70000)) counts[r.lookup(k)] = (counts[r.lookup(k)] ?? 0) + 1;
    const light = names(4).map((n) => counts[n]!);
    for (const c of light) expect(Math.abs(c / 10000 - 1)).toBeLessThan(0.06);
    expect(counts['heavy']! / 30000).toBeGreaterThan(0.94);
    expect(counts['heavy']! / 30000).toBeLessThan(1.06);
  });
  it('minimal movement: removing a node moves only its keys; adding moves keys only to the newcomer (about 1/(N+1))', () => {
    const r = Rendezvous.create(names(10));
    const smaller = r.remove('node-4');
    const bigger = r.add('node-10');
    let movedToNew = 0;
    const ks = keys(20000);
    for (const k of ks) {
      const a = r.lookup(k);
      if (a !== 'node-4') expect(smaller.lookup(k)).toBe(a);
      const b = bigger.lookup(k);
      if (b !== a) {
        expect(b).toBe('node-10');
        movedToNew++;
      }
    }
    expect(movedToNew / ks.length).toBeGreaterThan((1 / 11) * 0.85);
    expect(movedToNew / ks.length).toBeLessThan((1 / 11) * 1.15);
  });
  it('topN is distinct, starts with lookup, and is stable when an unrelated node leaves', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 7 }), (k, n, victim) => {
        const r = Rendezvous.create(names(8), { seed: 3 });
        const top = r.topN(k, n);
        if (top[0] !== r.lookup(k) || new Set(top).size !== n) return false;
        const id = `node-${victim}`;
        return top.includes(id) || r.remove(id).topN(k, n).join() === top.join();
      }),
      { numRuns: 200 },
    );
  });
  it('round-trip and hostile JSON', () => {
    const r = Rendezvous.create(['a', { id: 'b', weight: 2 }], { seed: 4 });
    const copy = Rendezvous.fromJSON(JSON.parse(JSON.stringify(r)));
    for (const k of keys(200)) expect(copy.lookup(k)).toBe(r.lookup(k));
    expect(() => Rendezvous.fromJSON({ kind: 'rendezvous', seed: -1, nodes: [] })).toThrow(/seed/);
    expect(() => Rendezvous.create([]).lookup('k')).toThrow(ConfigError);
  });
});
