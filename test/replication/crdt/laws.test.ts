// Delta-state CRDT laws (Almeida, Shoker and Baquero, arXiv:1603.01529 §3): every state and delta
// lives in a join-semilattice, so join is idempotent, commutative and associative, and replicas that
// received the same deltas, in any order and with duplicates, are equal.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../../src/core/index.js';
import {
  AWORSet,
  EWFlag,
  GCounter,
  GSet,
  LWWRegister,
  MVRegister,
  ORMap,
  PNCounter,
  RWORSet,
  TwoPSet,
  crdtValue,
  emptyCrdt,
  joinCrdt,
  parseCrdt,
  type CrdtSpec,
} from '../../../src/replication/index.js';

const REPLICAS = ['a', 'b', 'c'];
const ELEMENTS = ['x', 'y', 'z', '__proto__'];

/** One operation: which replica, which mutator (by index), which element. */
interface Op {
  readonly replica: number;
  readonly kind: number;
  readonly element: number;
  readonly deliverBefore: number; // how many of the other replicas' deltas this replica saw first
}

interface TypeUnderTest {
  readonly spec: CrdtSpec;
  readonly kinds: number;
  mutate(state: unknown, replica: string, kind: number, element: string, step: number): unknown;
}

const types: TypeUnderTest[] = [
  { spec: 'gcounter', kinds: 1, mutate: (s, r, _k, _e, step) => GCounter.increment(s as GCounter, r, 1 + (step % 3)) },
  {
    spec: 'pncounter',
    kinds: 2,
    mutate: (s, r, k) => (k === 0 ? PNCounter.increment(s as PNCounter, r) : PNCounter.decrement(s as PNCounter, r, 2)),
  },
  { spec: 'lwwregister', kinds: 1, mutate: (s, r, _k, e, step) => LWWRegister.set(s as LWWRegister, r, e, step % 4) },
  { spec: 'gset', kinds: 1, mutate: (s, _r, _k, e) => GSet.add(s as GSet, e) },
  { spec: 'twopset', kinds: 2, mutate: (s, _r, k, e) => (k === 0 ? TwoPSet.add(s as TwoPSet, e) : TwoPSet.remove(s as TwoPSet, e)) },
  { spec: 'ewflag', kinds: 2, mutate: (s, r, k) => (k === 0 ? EWFlag.enable(s as EWFlag, r) : EWFlag.disable(s as EWFlag)) },
  {
    spec: 'mvregister',
    kinds: 2,
    mutate: (s, r, k, e) => (k === 0 ? MVRegister.write(s as MVRegister, r, { v: e }) : MVRegister.reset(s as MVRegister)),
  },
  {
    spec: 'aworset',
    kinds: 3,
    mutate: (s, r, k, e) => (k === 0 ? AWORSet.add(s as AWORSet, r, e) : k === 1 ? AWORSet.remove(s as AWORSet, e) : AWORSet.clear(s as AWORSet)),
  },
  {
    spec: 'rworset',
    kinds: 2,
    mutate: (s, r, k, e) => (k === 0 ? RWORSet.add(s as RWORSet, r, e) : RWORSet.remove(s as RWORSet, r, e)),
  },
  {
    spec: { ormap: 'aworset' },
    kinds: 3,
    mutate: (s, r, k, e) =>
      k === 2
        ? ORMap.remove(s as ORMap, e)
        : ORMap.update(s as ORMap<never>, e, (inner) => (k === 0 ? AWORSet.add(inner as AWORSet, r, 'v') : AWORSet.remove(inner as AWORSet, 'v')) as never, {} as never),
  },
  {
    spec: { ormap: { ormap: 'mvregister' } },
    kinds: 3,
    mutate: (s, r, k, e) =>
      k === 2
        ? ORMap.remove(s as ORMap, e)
        : ORMap.update(s as ORMap<never>, e, (inner) =>
            ORMap.update(inner as ORMap<never>, k === 0 ? 'p' : 'q', (reg) => MVRegister.write(reg as MVRegister, r, `${e}${k}`) as never, [] as never) as never,
          {} as never),
  },
];

const opArb = fc.record({
  replica: fc.nat({ max: REPLICAS.length - 1 }),
  kind: fc.nat({ max: 5 }),
  element: fc.nat({ max: ELEMENTS.length - 1 }),
  deliverBefore: fc.nat({ max: 8 }),
});

/**
 * Runs ops at three replicas: before each op, the replica joins some of the deltas produced so far
 * (so mutators see varied states); returns every delta produced and the replicas' final states.
 */
function run(t: TypeUnderTest, ops: readonly Op[]): { deltas: unknown[]; states: unknown[] } {
  const empty = emptyCrdt(t.spec);
  const states: unknown[] = REPLICAS.map(() => empty);
  const deltas: unknown[] = [];
  ops.forEach((op, step) => {
    const i = op.replica;
    for (let k = 0; k < Math.min(op.deliverBefore, deltas.length); k++) states[i] = joinCrdt(t.spec, states[i], deltas[(step + k) % deltas.length]);
    const d = deepFreeze(t.mutate(deepFreeze(states[i]), REPLICAS[i]!, op.kind % t.kinds, ELEMENTS[op.element]!, step));
    deltas.push(d);
    states[i] = joinCrdt(t.spec, states[i], d);
  });
  return { deltas, states };
}

const fold = (spec: CrdtSpec, xs: readonly unknown[], from: unknown) => xs.reduce((acc, d) => joinCrdt(spec, acc, d), from);
const name = (spec: CrdtSpec) => JSON.stringify(spec);

describe('delta-state CRDT laws (§3: join-semilattice)', () => {
  for (const t of types) {
    describe(name(t.spec), () => {
      const empty = () => emptyCrdt(t.spec);
      const stateArb = fc.array(opArb, { maxLength: 25 }).map((ops) => run(t, ops).states);

      it('join is idempotent, commutative and associative', () => {
        fc.assert(
          fc.property(stateArb, ([x, y, z]) => {
            expect(joinCrdt(t.spec, x, x)).toEqual(x);
            expect(joinCrdt(t.spec, x, y)).toEqual(joinCrdt(t.spec, y, x));
            expect(joinCrdt(t.spec, joinCrdt(t.spec, x, y), z)).toEqual(joinCrdt(t.spec, x, joinCrdt(t.spec, y, z)));
          }),
          { numRuns: 150 },
        );
      });

      it('replicas given the same deltas in any order, with duplicates, are equal', () => {
        fc.assert(
          fc.property(fc.array(opArb, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 60 }), (ops, picks) => {
            const { deltas } = run(t, ops);
            const inOrder = fold(t.spec, deltas, empty());
            // A shuffled delivery with duplicates: the picks order first, then every delta once more.
            const shuffled = picks.filter(() => deltas.length > 0).map((p) => deltas[p % deltas.length]);
            const other = fold(t.spec, [...shuffled, ...[...deltas].reverse()], empty());
            expect(other).toEqual(inOrder);
            expect(crdtValue(t.spec, other)).toEqual(crdtValue(t.spec, inOrder));
          }),
          { numRuns: 150 },
        );
      });

      it('every delta and state it produces passes its own validation, unchanged', () => {
        fc.assert(
          fc.property(fc.array(opArb, { maxLength: 20 }), (ops) => {
            const { deltas, states } = run(t, ops);
            for (const d of [...deltas, ...states]) {
              const parsed = parseCrdt(t.spec, JSON.parse(JSON.stringify(d)));
              expect(parsed).toEqual({ ok: true, value: d });
            }
          }),
          { numRuns: 100 },
        );
      });
    });
  }
});

