import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClockError } from 'distkit/core';
import {
  parseVersionedStore,
  parseVersionedValue,
  VERSIONED_EMPTY,
  versionedGet,
  versionedPut,
  versionedStoreGet,
  versionedStorePut,
  versionedStoreSync,
  versionedSync,
  type Dot,
  type VersionedStore,
  type VersionedValue,
  type VersionVector,
} from 'distkit/clocks';

const dots = <V>(s: VersionedValue<V>) => s.siblings.map((x) => `${x.dot.node}:${x.dot.counter}`).sort();
const E = VERSIONED_EMPTY;

describe('version vectors with sibling detection', () => {
  it('Dynamo Fig. 3: D1..D5, a conflict between two replicas reconciled by the client', () => {
    // D1, D2 at Sx; the client reads each before writing
    let sx: VersionedValue<string> = versionedPut(E, 'Sx', {}, 'D1');
    sx = versionedPut(sx, 'Sx', versionedGet(sx).context, 'D2');
    expect(versionedGet(sx)).toEqual({ values: ['D2'], context: { Sx: 2 } });
    // D2 replicated to Sy and Sz; two clients update it there concurrently
    const sy = versionedPut(sx, 'Sy', versionedGet(sx).context, 'D3');
    const sz = versionedPut(sx, 'Sz', versionedGet(sx).context, 'D4');
    // a read sees both: D3 ([Sx,2],[Sy,1]) and D4 ([Sx,2],[Sz,1]) are concurrent
    const merged = versionedSync(sy, sz);
    const read = versionedGet(merged);
    expect(read.values.slice().sort()).toEqual(['D3', 'D4']);
    expect(read.context).toEqual({ Sx: 2, Sy: 1, Sz: 1 });
    // the client reconciles and writes D5 through Sx: ([Sx,3],[Sy,1],[Sz,1])
    const d5 = versionedPut(versionedSync(sx, merged), 'Sx', read.context, 'D5');
    expect(versionedGet(d5)).toEqual({ values: ['D5'], context: { Sx: 3, Sy: 1, Sz: 1 } });
  });

  it('two blind writes at the same replica stay siblings (no lost update)', () => {
    let s: VersionedValue<string> = versionedPut(E, 'r1', {}, 'a');
    s = versionedPut(s, 'r1', {}, 'b');
    expect(versionedGet(s)).toEqual({ values: ['a', 'b'], context: { r1: 2 } });
    // a write with a stale context supersedes only what that context saw
    s = versionedPut(s, 'r1', { r1: 1 }, 'c');
    expect(versionedGet(s).values).toEqual(['b', 'c']);
  });

  it('sync keeps what the other side has not superseded', () => {
    const a = versionedPut(E, 'r1', {}, 'x');
    const b = versionedPut(a, 'r2', versionedGet(a).context, 'y'); // supersedes x
    expect(versionedGet(versionedSync(a, b)).values).toEqual(['y']);
    expect(versionedGet(versionedSync(b, a)).values).toEqual(['y']);
    expect(versionedSync(a, a)).toEqual(a);
    // b has seen x: a sync from a replica that still holds x does not resurrect it
    expect(versionedGet(versionedSync(b, a)).context).toEqual({ r1: 1, r2: 1 });
  });

  it('refuses a bad node id', () => {
    expect(() => versionedPut(E, '__proto__', {}, 1)).toThrow(ClockError);
  });

  it('hostile versioned values are refused with a reason', () => {
    const sib = (node: unknown, counter: unknown, context: unknown = {}) => ({ value: 1, dot: { node, counter }, context });
    expect(parseVersionedValue({ siblings: [sib('r1', 1, { r2: 3 })], seen: { r1: 1, r2: 3 } }).ok).toBe(true);
    for (const bad of [
      [],
      { siblings: {}, seen: {} },
      { siblings: [], seen: { a: -1 } },
      { siblings: [sib('r1', 0)], seen: { r1: 1 } },
      { siblings: [sib('r1', -1)], seen: { r1: 1 } },
      { siblings: [sib('r1', 1.5)], seen: { r1: 2 } },
      { siblings: [sib('__proto__', 1)], seen: {} },
      { siblings: [sib('r1', 1, { r2: NaN })], seen: { r1: 1 } },
      { siblings: [sib('r1', 1, JSON.parse('{"__proto__": 1}'))], seen: { r1: 1 } },
      { siblings: [sib('r1', 2)], seen: { r1: 1 } },
      { siblings: [{ dot: { node: 'r1', counter: 1 }, context: {} }], seen: { r1: 1 } },
      { siblings: [sib('r1', 1), sib('r1', 1)], seen: { r1: 1 } },
      { siblings: Array.from({ length: 300 }, (_, i) => sib('r', i + 1)), seen: { r: 300 } },
    ]) {
      const r = parseVersionedValue(bad);
      expect(r.ok, JSON.stringify(bad).slice(0, 80)).toBe(false);
    }
    const typed = parseVersionedValue({ siblings: [{ value: 'x', dot: { node: 'r1', counter: 1 }, context: {} }], seen: { r1: 1 } }, {
      parseValue: (v) => (typeof v === 'number' ? { ok: true, value: v } : { ok: false, reason: 'expected a number' }),
    });
    expect(typed).toEqual({ ok: false, reason: 'siblings[0].value: expected a number' });
  });

  it('a hand-made context that omits a replica does not make it reuse a dot', () => {
    let s: VersionedValue<string> = versionedPut(E, 'r0', {}, 'a'); // (r0,1)
    s = versionedPut(s, 'r1', { r0: 1 }, 'b'); // (r1,1) supersedes a
    s = versionedPut(s, 'r2', { r1: 1 }, 'c'); // (r2,1) supersedes b; context forgets r0
    s = versionedPut(s, 'r0', {}, 'd');
    expect(s.siblings.map((x) => x.dot)).toEqual([
      { node: 'r2', counter: 1 },
      { node: 'r0', counter: 2 },
    ]);
  });

  it('a keyed store keeps siblings per key, any key included', () => {
    let r1: VersionedStore<string> = {};
    let r2: VersionedStore<string> = {};
    r1 = versionedStorePut(r1, 'cart', 'r1', {}, 'milk');
    r2 = versionedStorePut(r2, 'cart', 'r2', {}, 'eggs');
    r2 = versionedStorePut(r2, '__proto__', 'r2', {}, 'odd key');
    r1 = versionedStorePut(r1, 'constructor', 'r1', {}, 'another');
    const both = versionedStoreSync(r1, JSON.parse(JSON.stringify(r2)) as VersionedStore<string>);
    expect(versionedStoreGet(both, 'cart')).toEqual({ values: ['milk', 'eggs'], context: { r1: 1, r2: 1 } });
    expect(versionedStoreGet(both, '__proto__').values).toEqual(['odd key']);
    expect(versionedStoreGet(both, 'constructor').values).toEqual(['another']);
    expect(versionedStoreGet(both, 'toString')).toEqual({ values: [], context: {} });
    expect(Object.getPrototypeOf(both)).toBe(Object.prototype);
    expect(Object.keys(both).sort()).toEqual(['__proto__', 'cart', 'constructor']);
    const fixed = versionedStorePut(both, 'cart', 'r1', versionedStoreGet(both, 'cart').context, 'milk, eggs');
    expect(versionedStoreGet(fixed, 'cart').values).toEqual(['milk, eggs']);
    expect(versionedStoreGet(both, 'cart').values).toHaveLength(2); // stores are immutable
    // a store from the wire is validated key by key
    const parsed = parseVersionedStore<string>(JSON.parse(JSON.stringify(both)));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(versionedStoreGet(parsed.value, '__proto__').values).toEqual(['odd key']);
    expect(parseVersionedStore({ k: { siblings: [], seen: { r1: -1 } } })).toEqual({ ok: false, reason: '"k": seen: r1: expected an integer >= 0, got -1' });
    expect(parseVersionedStore([]).ok).toBe(false);
    expect(parseVersionedStore({ a: { siblings: [], seen: {} }, b: { siblings: [], seen: {} } }, { maxKeys: 1 }).ok).toBe(false);
  });

  // Random histories over three replicas: clients read at a replica (possibly long ago: stale
  // contexts) and write; replicas gossip pairwise. After everyone syncs, the surviving siblings are
  // exactly the writes that no later write's context had seen: no lost update, no false conflict.
  it('after full sync, siblings are exactly the writes no other write has seen', () => {
    const replicas = ['r0', 'r1', 'r2'];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('read' as const), r: fc.nat({ max: 2 }), client: fc.nat({ max: 2 }) }),
      fc.record({ kind: fc.constant('write' as const), r: fc.nat({ max: 2 }), client: fc.nat({ max: 2 }) }),
      fc.record({ kind: fc.constant('sync' as const), r: fc.nat({ max: 2 }), client: fc.nat({ max: 2 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const state: VersionedValue<number>[] = [E, E, E];
        const contexts: VersionVector[] = [{}, {}, {}];
        const writes: { dot: Dot; context: VersionVector }[] = [];
        let n = 0;
        for (const o of ops) {
          if (o.kind === 'read') contexts[o.client] = versionedGet(state[o.r]!).context;
          else if (o.kind === 'write') {
            const ctx = contexts[o.client]!;
            state[o.r] = versionedPut(state[o.r]!, replicas[o.r]!, ctx, n++);
            const w = state[o.r]!.siblings.at(-1)!;
            writes.push({ dot: w.dot, context: ctx });
          } else {
            const other = (o.r + 1 + o.client) % 3;
            const s = versionedSync(state[o.r]!, state[other]!);
            state[o.r] = s;
            state[other] = s;
          }
        }
        const all = versionedSync(versionedSync(state[0]!, state[1]!), state[2]!);
        const seen = (d: Dot) => writes.some((w) => (w.context[d.node] ?? 0) >= d.counter);
        const expected = writes.filter((w) => !seen(w.dot)).map((w) => `${w.dot.node}:${w.dot.counter}`).sort();
        expect(dots(all)).toEqual(expected);
        // sync is commutative and idempotent
        expect(dots(versionedSync(state[1]!, state[0]!))).toEqual(dots(versionedSync(state[0]!, state[1]!)));
        expect(dots(versionedSync(all, all))).toEqual(dots(all));
        // dots are unique
        const ds = writes.map((w) => `${w.dot.node}:${w.dot.counter}`);
        expect(new Set(ds).size).toBe(ds.length);
      }),
      { numRuns: 400 },
    );
  });
});
