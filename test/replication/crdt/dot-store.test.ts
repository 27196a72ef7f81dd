// The dot-store join (Almeida, Shoker and Baquero, arXiv:1603.01529, §5, Figure 4) against a
// literal transcription of its definition: the join skips keys a delta cannot touch and copies
// large maps specially, and neither shortcut may change a single result.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepFreeze, getOwn, setOwn } from '../../../src/core/index.js';
import {
  AWORSet,
  CausalContext,
  DotMap,
  MVRegister,
  ORMap,
  joinCausal,
  parseCrdt,
  type Causal,
  type DotEntry,
  type DotStore,
  type ElementDots,
} from '../../../src/replication/index.js';

/** A dot store with its dot maps as plain nested records (no buckets). */
type FlatStore = readonly DotEntry[] | { readonly [key: string]: FlatStore };

const mapValues = <A, B>(r: Readonly<Record<string, A>>, f: (a: A) => B): Record<string, B> => {
  const out: Record<string, B> = {};
  for (const k of Object.keys(r)) setOwn(out, k, f(r[k]!));
  return out;
};
const flat = (s: DotStore): FlatStore => (Array.isArray(s) ? (s as readonly DotEntry[]) : mapValues(DotMap.toObject(s as DotMap<DotStore>), flat));
const unflat = (s: FlatStore): DotStore => (Array.isArray(s) ? (s as readonly DotEntry[]) : DotMap.from(mapValues(s as Readonly<Record<string, FlatStore>>, unflat)));

/** §5 word for word: (s, c) ⊔ (s', c') = (s ∩ s') ∪ (s \ c') ∪ (s' \ c), recursively for dot maps. */
function referenceJoin(a: FlatStore, ca: CausalContext, b: FlatStore, cb: CausalContext): FlatStore {
  if (Array.isArray(a) || Array.isArray(b)) {
    const xs = (Array.isArray(a) ? a : []) as readonly DotEntry[];
    const ys = (Array.isArray(b) ? b : []) as readonly DotEntry[];
    const has = (es: readonly DotEntry[], e: DotEntry) => es.some((x) => x[0] === e[0] && x[1] === e[1]);
    const out = [...xs.filter((e) => has(ys, e) || !CausalContext.contains(cb, [e[0], e[1]])), ...ys.filter((e) => !has(xs, e) && !CausalContext.contains(ca, [e[0], e[1]]))];
    return out.sort((x, y) => (x[0] === y[0] ? x[1] - y[1] : x[0] < y[0] ? -1 : 1));
  }
  const am = a as Readonly<Record<string, FlatStore>>;
  const bm = b as Readonly<Record<string, FlatStore>>;
  const out: Record<string, FlatStore> = {};
  for (const k of new Set([...Object.keys(am), ...Object.keys(bm)])) {
    const x = getOwn(am, k);
    const y = getOwn(bm, k);
    const shape = (s: FlatStore | undefined): FlatStore => (Array.isArray(s) ? [] : {});
    const j = referenceJoin(x ?? shape(y), ca, y ?? shape(x), cb);
    if (Array.isArray(j) ? j.length > 0 : Object.keys(j).length > 0) setOwn(out, k, j);
  }
  return out;
}

/** The join of the definition, on flattened stores, with its result laid out in buckets again. */
const reference = <S extends DotStore>(a: Causal<S>, b: Causal<S>) => ({ store: unflat(referenceJoin(flat(a.store), a.cc, flat(b.store), b.cc)), cc: CausalContext.join(a.cc, b.cc) });

// Forty elements in one bucket (a long sorted bucket to merge and search), plus elements spread
// over other buckets.
const sameBucket = Array.from({ length: 4000 }, (_, i) => `e${i}`).filter((e) => DotMap.bucketOf(e) === DotMap.bucketOf('e0'));
const ELEMENTS = [...sameBucket.slice(0, 40), ...Array.from({ length: 10 }, (_, i) => `f${i}`), '__proto__', 'constructor'];
const REPLICAS = ['a', 'b', 'c'];
const opArb = fc.record({ replica: fc.nat({ max: 2 }), kind: fc.nat({ max: 3 }), element: fc.nat({ max: ELEMENTS.length - 1 }), sync: fc.nat({ max: 6 }) });
type Op = { replica: number; kind: number; element: number; sync: number };

/** Three replicas run `ops` on a state type; each joins `sync` earlier deltas first. Returns every delta and state. */
function run<T extends DotStore, S extends Causal<T>>(ops: readonly Op[], empty: S, mutate: (s: S, r: string, kind: number, e: string) => S): S[] {
  const states: S[] = REPLICAS.map(() => empty);
  const deltas: S[] = [];
  ops.forEach((op, step) => {
    for (let k = 0; k < Math.min(op.sync, deltas.length); k++) states[op.replica] = joinCausal<T>(states[op.replica]!, deltas[(step * 7 + k) % deltas.length]!) as S;
    const d = deepFreeze(mutate(deepFreeze(states[op.replica]!), REPLICAS[op.replica]!, op.kind, ELEMENTS[op.element]!));
    deltas.push(d);
    states[op.replica] = joinCausal<T>(states[op.replica]!, d) as S;
  });
  return [...deltas, ...states];
}

const setOp = (s: AWORSet, r: string, kind: number, e: string): AWORSet => (kind < 2 ? AWORSet.add(s, r, e) : kind === 2 ? AWORSet.remove(s, e) : AWORSet.clear(s));
type MapOfSets = ORMap<ElementDots>;
const mapOp = (m: MapOfSets, r: string, kind: number, e: string): MapOfSets =>
  kind === 3 ? ORMap.remove(m, e) : ORMap.update(m, e, (s) => (kind === 2 ? AWORSet.remove(s, 'v') : AWORSet.add(s, r, kind === 0 ? 'v' : 'w')), {});

describe('§5 dot-store join: the fast paths agree with the definition', () => {
  it('AWORSet: every pair of states and deltas joins as the definition says', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), fc.nat(), fc.nat(), (ops, i, j) => {
        const xs = run(ops, AWORSet.empty(), setOp);
        const a = xs[i % xs.length]!;
        const b = xs[j % xs.length]!;
        expect(joinCausal(a, b)).toEqual(reference(a, b));
      }),
      { numRuns: 200 },
    );
  });

  it('ORMap of AWORSets: every pair joins as the definition says, embedded removals included', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), fc.nat(), fc.nat(), (ops, i, j) => {
        const xs = run(ops, ORMap.empty<ElementDots>(), mapOp);
        const a = xs[i % xs.length]!;
        const b = xs[j % xs.length]!;
        expect(joinCausal(a, b)).toEqual(reference(a, b));
      }),
      { numRuns: 200 },
    );
  });

  it('regression (laws seed -379684343): a removal inside an embedded set reaches a key the delta does not name', () => {
    let x: MapOfSets = ORMap.empty();
    const atA = ORMap.update(x, 'z', (s) => AWORSet.add(s, 'a', 'v'), {});
    const atB = ORMap.update(x, 'z', (s) => AWORSet.add(s, 'b', 'v'), {});
    x = joinCausal(joinCausal(x, atA), atB);
    const y = joinCausal(ORMap.empty<ElementDots>(), atA);
    const removal = ORMap.update(y, 'z', (s) => AWORSet.remove(s, 'v'), {}); // sees a's dot only
    expect(removal.store).toEqual({});
    expect(ORMap.value(joinCausal(x, removal), AWORSet.value)).toEqual({ z: ['v'] }); // b's add survives
    expect(joinCausal(x, removal).store).toEqual(DotMap.from({ z: DotMap.from({ v: [['b', 1]] }) }));
  });

  it('regression (laws seed -1760555730): a reset of a nested register empties its key', () => {
    type Nested = ORMap<ORMap<readonly DotEntry[]>['store']>;
    let m: Nested = ORMap.empty();
    const write = (n: Nested, v: string) => ORMap.update(n, 'k', (inner) => ORMap.update(inner, 'p', (r) => MVRegister.write(r, 'a', v), []), {});
    m = joinCausal(m, write(m, 'one'));
    m = joinCausal(m, write(m, 'two'));
    const reset = ORMap.update(m, 'k', (inner) => ORMap.update(inner, 'p', (r) => MVRegister.reset(r), []), {});
    expect(joinCausal(m, reset).store).toEqual({});
  });

  it('a state holding one dot under two keys is refused (a dot names one event)', () => {
    const forged = { store: DotMap.from({ x: [['a', 1]], y: [['a', 1]] }), cc: { vv: { a: 1 }, cloud: [] } };
    const parsed = parseCrdt('aworset', forged);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problem).toMatch(/under two keys/);
    const nested = DotMap.from({ m: DotMap.from({ x: [['a', 1]] }), n: DotMap.from({ x: [['a', 1]] }) });
    expect(parseCrdt({ ormap: 'aworset' }, { store: nested, cc: { vv: { a: 1 }, cloud: [] } }).ok).toBe(false);
  });

  it('a large map copied for a join is a plain object whose __proto__ key stays a key', () => {
    let s = AWORSet.empty();
    for (const e of ELEMENTS) s = joinCausal(s, AWORSet.add(s, 'a', e));
    s = joinCausal(s, AWORSet.remove(s, ELEMENTS[3]!));
    expect(Object.getPrototypeOf(s.store)).toBe(Object.prototype);
    expect(s.store[DotMap.bucketOf('e0')]!.length).toBeGreaterThan(32); // one large bucket
    expect(AWORSet.has(s, '__proto__')).toBe(true);
    expect(AWORSet.value(s)).toHaveLength(ELEMENTS.length - 1);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
