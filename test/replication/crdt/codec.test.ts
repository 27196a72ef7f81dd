// The binary form of CRDT states and deltas: every state and delta of every type reads back
// exactly, and bytes from a peer — random, truncated, forged — are refused with a reason, never thrown.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AWORSet,
  EWFlag,
  GCounter,
  LWWRegister,
  MVRegister,
  ORMap,
  PNCounter,
  RWORSet,
  TwoPSet,
  GSet,
  decodeCrdt,
  emptyCrdt,
  encodeCrdt,
  joinCrdt,
  type CrdtSpec,
} from '../../../src/replication/index.js';

const REPLICAS = ['a', 'b', '__proto__'];
const ELEMENTS = ['x', 'y', '', 'ü', '\ud800', 'constructor'];
const VALUES: unknown[] = [0, -1, 7, 1000, 2 ** 40, 0.5, null, 'text', { deep: [1, { two: true }] }];

interface Type {
  readonly spec: CrdtSpec;
  mutate(state: unknown, replica: string, kind: number, element: string, value: unknown, step: number): unknown;
}

const types: Type[] = [
  { spec: 'gcounter', mutate: (s, r, _k, _e, _v, step) => GCounter.increment(s as GCounter, r, 1 + (step % 3)) },
  { spec: 'pncounter', mutate: (s, r, k) => (k % 2 === 0 ? PNCounter.increment(s as PNCounter, r) : PNCounter.decrement(s as PNCounter, r, 2)) },
  { spec: 'lwwregister', mutate: (s, r, _k, _e, v, step) => LWWRegister.set(s as LWWRegister, r, v, step) },
  { spec: 'gset', mutate: (s, _r, _k, e) => GSet.add(s as GSet, e) },
  { spec: 'twopset', mutate: (s, _r, k, e) => (k % 2 === 0 ? TwoPSet.add(s as TwoPSet, e) : TwoPSet.remove(s as TwoPSet, e)) },
  { spec: 'ewflag', mutate: (s, r, k) => (k % 2 === 0 ? EWFlag.enable(s as EWFlag, r) : EWFlag.disable(s as EWFlag)) },
  { spec: 'mvregister', mutate: (s, r, k, _e, v) => (k % 3 < 2 ? MVRegister.write(s as MVRegister, r, v) : MVRegister.reset(s as MVRegister)) },
  { spec: 'aworset', mutate: (s, r, k, e) => (k % 3 === 0 ? AWORSet.remove(s as AWORSet, e) : k % 3 === 1 ? AWORSet.add(s as AWORSet, r, e) : AWORSet.clear(s as AWORSet)) },
  { spec: 'rworset', mutate: (s, r, k, e) => (k % 2 === 0 ? RWORSet.add(s as RWORSet, r, e) : RWORSet.remove(s as RWORSet, r, e)) },
  {
    spec: { ormap: { ormap: 'mvregister' } },
    mutate: (s, r, k, e, v) =>
      k % 3 === 2
        ? ORMap.remove(s as ORMap, e)
        : ORMap.update(s as ORMap<never>, e, (inner) => ORMap.update(inner as ORMap<never>, k % 3 === 0 ? 'p' : 'q', (reg) => MVRegister.write(reg as MVRegister, r, v) as never, [] as never) as never, {} as never),
  },
];

const opArb = fc.record({ replica: fc.nat({ max: 2 }), kind: fc.nat({ max: 5 }), element: fc.nat({ max: ELEMENTS.length - 1 }), value: fc.nat({ max: VALUES.length - 1 }), sync: fc.nat({ max: 4 }) });

/** Three replicas run the ops, each joining a few earlier deltas first; every delta and final state. */
type Op = { replica: number; kind: number; element: number; value: number; sync: number };

function run(t: Type, ops: readonly Op[]): unknown[] {
  const states: unknown[] = REPLICAS.map(() => emptyCrdt(t.spec));
  const deltas: unknown[] = [];
  ops.forEach((op, step) => {
    for (let k = 0; k < Math.min(op.sync, deltas.length); k++) states[op.replica] = joinCrdt(t.spec, states[op.replica], deltas[(step * 3 + k) % deltas.length]);
    const d = t.mutate(states[op.replica], REPLICAS[op.replica]!, op.kind, ELEMENTS[op.element]!, VALUES[op.value], step);
    deltas.push(d);
    states[op.replica] = joinCrdt(t.spec, states[op.replica], d);
  });
  return [...deltas, ...states];
}

describe('encodeCrdt / decodeCrdt', () => {
  for (const t of types) {
    it(`${JSON.stringify(t.spec)}: every delta and state reads back exactly`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 25 }), (ops) => {
          for (const x of run(t, ops)) {
            const plain = JSON.parse(JSON.stringify(x)) as unknown; // what a peer would hold
            expect(decodeCrdt(t.spec, encodeCrdt(t.spec, plain))).toEqual({ ok: true, value: plain });
          }
        }),
        { numRuns: 60 },
      );
    });
  }

  it('bytes from a peer never throw: random bytes and every truncation are refused or read', () => {
    const specs = types.map((t) => t.spec);
    fc.assert(
      fc.property(fc.constantFrom(...specs), fc.uint8Array({ maxLength: 64 }), (spec, bytes) => {
        const r = decodeCrdt(spec, bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
    const spec: CrdtSpec = { ormap: 'aworset' };
    let m = ORMap.empty<never>();
    for (const e of ['x', 'y', 'z']) m = ORMap.join(m, ORMap.update(m, e, (s) => AWORSet.add(s as never, 'a', e) as never, {} as never));
    const bytes = encodeCrdt(spec, m);
    for (let n = 0; n < bytes.length; n++) {
      const r = decodeCrdt(spec, bytes.subarray(0, n));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problem).toMatch(/^bytes: |^delta/);
    }
    expect(decodeCrdt(spec, Uint8Array.from([...bytes, 0]))).toEqual({ ok: false, problem: 'bytes: 1 bytes left over' });
  });

  it('a forged message is refused: a replica index out of range, a counter of 0, a value beyond the limits', () => {
    // One replica 'a', an empty context, one entry [replica 5, counter 1].
    const outOfRange = Uint8Array.of(1, 1, 97, 0, 1, 5, 1);
    expect(decodeCrdt('ewflag', outOfRange)).toEqual({ ok: false, problem: 'bytes: replica index 5 out of range' });
    const zeroCounter = Uint8Array.of(1, 1, 97, 0, 1, 0, 0);
    expect(decodeCrdt('ewflag', zeroCounter).ok).toBe(false);
    const big = MVRegister.write(MVRegister.empty(), 'a', 'x'.repeat(100));
    expect(decodeCrdt('mvregister', encodeCrdt('mvregister', big), { maxItems: 100, maxValueBytes: 50, maxValueDepth: 4 }).ok).toBe(false);
  });

  it('is smaller than JSON text: 1,000 concurrent writes of one key, and their merged state', () => {
    const spec: CrdtSpec = { ormap: 'mvregister' };
    let merged = ORMap.empty<never>();
    let bytes = 0;
    let json = 0;
    for (let i = 0; i < 1000; i++) {
      const d = ORMap.update(ORMap.empty<never>(), 'v', (r) => MVRegister.write(r as never, `c${i}`, i) as never, [] as never);
      bytes += encodeCrdt(spec, d).length;
      json += JSON.stringify(d).length;
      merged = ORMap.join(merged, d);
    }
    expect(bytes / 1000).toBeLessThan(16);
    expect(bytes * 3).toBeLessThan(json);
    expect(encodeCrdt(spec, merged).length).toBeLessThan(12_000);
    expect(decodeCrdt(spec, encodeCrdt(spec, merged))).toEqual({ ok: true, value: merged });
  });
});
