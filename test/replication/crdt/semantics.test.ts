// The conflict rules of each type (arXiv:1603.01529 §4-§7) and hostile deltas from peers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AWORSet,
  CRDT_LIMITS,
  CausalContext,
  DOT_MAP_BUCKETS,
  DotMap,
  GCounter,
  LWWRegister,
  MVRegister,
  ORMap,
  RWORSet,
  checkCrdtSpec,
  parseCrdt,
  type CrdtSpec,
  type Dot,
} from '../../../src/replication/index.js';

const cc = (vv: Record<string, number>, cloud: Dot[] = []) => ({ vv, cloud });

describe('causal context (§5: compact version vector plus dot cloud)', () => {
  it('compacts contiguous dots into the version vector and keeps gaps in the cloud', () => {
    expect(CausalContext.fromDots([['a', 3], ['a', 1], ['b', 2], ['a', 2], ['a', 5]])).toEqual(cc({ a: 3 }, [['a', 5], ['b', 2]]));
  });
  it('join is the union of dot sets', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 1, max: 12 }))), fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 1, max: 12 }))), (xs, ys) => {
        const j = CausalContext.join(CausalContext.fromDots(xs), CausalContext.fromDots(ys));
        expect(j).toEqual(CausalContext.fromDots([...xs, ...ys]));
        for (const d of [...xs, ...ys]) expect(CausalContext.contains(j, d)).toBe(true);
        expect(CausalContext.leq(CausalContext.fromDots(xs), j)).toBe(true);
      }),
    );
  });
});

describe('AWORSet (§5, Figure 6): add wins, no acknowledged add lost', () => {
  it('an element is present after all deltas exactly when one of its add dots was observed by no other operation', () => {
    const ops = fc.array(fc.record({ r: fc.constantFrom('a', 'b', 'c'), kind: fc.constantFrom('add', 'add', 'remove', 'clear'), e: fc.constantFrom('x', 'y'), sync: fc.boolean() }), { maxLength: 30 });
    fc.assert(
      fc.property(ops, (script) => {
        const states: Record<string, AWORSet> = { a: AWORSet.empty(), b: AWORSet.empty(), c: AWORSet.empty() };
        const deltas: AWORSet[] = [];
        const adds: { e: string; dot: Dot; delta: AWORSet }[] = [];
        for (const op of script) {
          if (op.sync) for (const d of deltas.slice(-3)) states[op.r] = AWORSet.join(states[op.r]!, d);
          const s = states[op.r]!;
          const d = op.kind === 'add' ? AWORSet.add(s, op.r, op.e) : op.kind === 'remove' ? AWORSet.remove(s, op.e) : AWORSet.clear(s);
          if (op.kind === 'add') adds.push({ e: op.e, dot: DotMap.get(d.store, op.e)![0] as unknown as Dot, delta: d });
          deltas.push(d);
          states[op.r] = AWORSet.join(s, d);
        }
        const all = deltas.reduce(AWORSet.join, AWORSet.empty());
        for (const e of ['x', 'y']) {
          const survives = adds.some((a) => a.e === e && deltas.every((d) => d === a.delta || !CausalContext.contains(d.cc, a.dot)));
          expect(AWORSet.has(all, e)).toBe(survives);
        }
      }),
      { numRuns: 300 },
    );
  });
  it('a concurrent add and remove: the add wins', () => {
    const base = AWORSet.join(AWORSet.empty(), AWORSet.add(AWORSet.empty(), 'a', 'x'));
    const merged = AWORSet.join(AWORSet.join(base, AWORSet.remove(base, 'x')), AWORSet.add(base, 'b', 'x'));
    expect(AWORSet.value(merged)).toEqual(['x']);
  });
});

describe('RWORSet: remove wins; stable tokens are collected', () => {
  it('a concurrent add and remove: the remove wins, a later add restores', () => {
    const base = RWORSet.join(RWORSet.empty(), RWORSet.add(RWORSet.empty(), 'a', 'x'));
    let merged = RWORSet.join(RWORSet.join(base, RWORSet.add(base, 'a', 'x')), RWORSet.remove(base, 'b', 'x'));
    expect(RWORSet.has(merged, 'x')).toBe(false);
    merged = RWORSet.join(merged, RWORSet.add(merged, 'c', 'x'));
    expect(RWORSet.value(merged)).toEqual(['x']);
  });
  it('a remove token is covered only by an add that saw it: a replica without the token cannot cancel it', () => {
    const added = RWORSet.join(RWORSet.empty(), RWORSet.add(RWORSet.empty(), 'a', 'x'));
    const removed = RWORSet.join(added, RWORSet.remove(added, 'b', 'x'));
    const blindAdd = RWORSet.add(added, 'c', 'x'); // c never saw the remove
    expect(RWORSet.has(RWORSet.join(removed, blindAdd), 'x')).toBe(false);
    const seeingAdd = RWORSet.add(removed, 'c', 'x');
    expect(RWORSet.has(RWORSet.join(removed, seeingAdd), 'x')).toBe(true);
  });
});

describe('registers', () => {
  it('MVRegister keeps concurrent writes and a write overwrites what it saw', () => {
    const a = MVRegister.write(MVRegister.empty(), 'a', 1);
    const b = MVRegister.write(MVRegister.empty(), 'b', 2);
    const both = MVRegister.join(a, b);
    expect(MVRegister.value(both)).toEqual([1, 2]);
    expect(MVRegister.value(MVRegister.join(both, MVRegister.write(a, 'a', 3)))).toEqual([3, 2]); // dot order: a2, b1
  });
  it('LWWRegister: a write supersedes what the writer saw even with a clock behind', () => {
    const r = LWWRegister.set(LWWRegister.empty(), 'a', 'new', 100);
    const later = LWWRegister.set(r, 'b', 'newer', 5);
    expect(later.ts).toBe(101);
    expect(LWWRegister.value(LWWRegister.join(r, later))).toBe('newer');
  });
});

describe('ORMap (§7.2): embedded CRDTs share the map context', () => {
  it('a removal of a key keeps an update concurrent with it', () => {
    const m0 = ORMap.empty<never>();
    const m1 = ORMap.join(m0, ORMap.update(m0, 'cart', (s) => AWORSet.add(s as never, 'a', 'milk') as never, {} as never));
    const removal = ORMap.remove(m1, 'cart');
    const concurrent = ORMap.update(m1, 'cart', (s) => AWORSet.add(s as never, 'b', 'eggs') as never, {} as never);
    const merged = ORMap.join(ORMap.join(m1, removal), concurrent);
    expect(ORMap.value(merged, (s) => AWORSet.value(s as never))).toEqual({ cart: ['eggs'] });
  });
});

describe('hostile deltas are refused with a reason, never stored or thrown', () => {
  const spec: CrdtSpec = { ormap: 'aworset' };
  const cases: [string, unknown, RegExp][] = [
    ['not an object', 42, /expected an object/],
    ['dot outside its context', { store: DotMap.from({ k: DotMap.from({ x: [['a', 2]] }) }), cc: cc({ a: 1 }) }, /dot missing from the causal context/],
    ['unsorted dots', { store: DotMap.from({ k: DotMap.from({ x: [['b', 1], ['a', 1]] }) }), cc: cc({ a: 1, b: 1 }) }, /sorted/],
    ['duplicate dots', { store: DotMap.from({ k: DotMap.from({ x: [['a', 1], ['a', 1]] }) }), cc: cc({ a: 1 }) }, /sorted/],
    ['non-compact cloud', { store: {}, cc: cc({ a: 1 }, [['a', 2]]) }, /not compact/],
    ['counter past MAX_COUNTER', { store: {}, cc: cc({ a: 2 ** 53 }) }, /expected an integer/],
    ['zero counter', { store: {}, cc: cc({ a: 0 }) }, /expected an integer/],
    ['empty nested entry', { store: DotMap.from({ k: {} }), cc: cc({}) }, /empty entries/],
    ['empty bucket', { store: { [DotMap.bucketOf('k')]: [] }, cc: cc({}) }, /empty buckets/],
    ['unsorted keys', { store: { [DotMap.bucketOf('k')]: [['k', DotMap.from({ x: [['a', 1]] })], ['k', DotMap.from({ y: [['a', 2]] })]] }, cc: cc({ a: 2 }) }, /sorted/],
    ['a key in the wrong bucket', { store: { [String((Number(DotMap.bucketOf('k')) + 1) % DOT_MAP_BUCKETS)]: [['k', DotMap.from({ x: [['a', 1]] })]] }, cc: cc({ a: 1 }) }, /belongs in bucket/],
    ['a bucket name out of range', { store: { [String(DOT_MAP_BUCKETS)]: [['k', DotMap.from({ x: [['a', 1]] })]] }, cc: cc({ a: 1 }) }, /bucket name/],
    ['a flat map (no buckets)', { store: { k: { x: [['a', 1]] } }, cc: cc({ a: 1 }) }, /bucket name/],
    ['wrong store shape', { store: DotMap.from({ k: [['a', 1]] }), cc: cc({ a: 1 }) }, /expected an object/],
    ['missing context', { store: {} }, /delta.cc: missing/],
    ['too many dots', { store: {}, cc: cc({}, Array.from({ length: CRDT_LIMITS.maxItems + 1 }, (_, i) => ['a', i + 2] as Dot)) }, /more than 100000 items/],
  ];
  for (const [what, delta, reason] of cases) {
    it(`refuses ${what}`, () => {
      const r = parseCrdt(spec, delta);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problem).toMatch(reason);
    });
  }
  it('keeps __proto__ keys as own data and drops unchecked fields', () => {
    const [b, bx] = [DotMap.bucketOf('__proto__'), DotMap.bucketOf('x')];
    const raw = JSON.parse(`{"store":{"${b}":[["__proto__",{"${bx}":[["x",[["a",1]]]]}]]},"cc":{"vv":{"a":1},"cloud":[]},"junk":1}`) as unknown;
    const r = parseCrdt(spec, raw);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.value as ORMap<ORMap['store']>;
    expect(Object.getPrototypeOf(v.store)).toBe(Object.prototype);
    expect(Object.keys(v.store)).toEqual([b]);
    expect(DotMap.keys(v.store)).toEqual(['__proto__']);
    expect(DotMap.toObject(DotMap.get(v.store, '__proto__')!)).toEqual({ x: [['a', 1]] });
    expect(Object.keys(v)).toEqual(['store', 'cc']);
  });
  it('refuses register values deeper or larger than the limits', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(parseCrdt('mvregister', { store: [['a', 1, deep]], cc: cc({ a: 1 }) }).ok).toBe(false);
    expect(parseCrdt('lwwregister', { ts: 1, replica: 'a', value: 'x'.repeat(1 << 17) }).ok).toBe(false);
  });
  it('never throws on arbitrary data, for every type', () => {
    const specs: CrdtSpec[] = ['gcounter', 'pncounter', 'lwwregister', 'gset', 'twopset', 'ewflag', 'mvregister', 'aworset', 'rworset', { ormap: { ormap: 'mvregister' } }];
    fc.assert(
      fc.property(fc.constantFrom(...specs), fc.anything({ withNullPrototype: true, withObjectString: true }), (s, x) => {
        const r = parseCrdt(s, x);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
  it('GCounter refuses negative counts; the local mutator refuses a bad amount', () => {
    expect(GCounter.parse({ a: -1 }).ok).toBe(false);
    expect(() => GCounter.increment({}, 'a', -1)).toThrow(/non-negative/);
  });
  it('checkCrdtSpec refuses unknown types and too-deep nesting', () => {
    expect(() => checkCrdtSpec('crdt', 'nope')).toThrow(/crdt/);
    expect(() => checkCrdtSpec('crdt', { ormap: 'gcounter' })).toThrow(/crdt/);
    let deep: unknown = 'aworset';
    for (let i = 0; i < 10; i++) deep = { ormap: deep };
    expect(() => checkCrdtSpec('crdt', deep)).toThrow(/crdt/);
  });
});
