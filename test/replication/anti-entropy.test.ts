// Delta-interval anti-entropy (Almeida, Shoker and Baquero, arXiv:1603.01529 §6, Algorithm 2).
import { describe, expect, it } from 'vitest';
import { deepFreeze, type Machine } from '../../src/core/index.js';
import { simulate, type ScheduledCommand, type ScheduledFault } from '../../src/sim/index.js';
import {
  AWORSet,
  CausalContext,
  DotMap,
  GCounter,
  ORMap,
  RWORSet,
  TwoPSet,
  antiEntropyConverged,
  antiEntropyInvariants,
  crdtValue,
  deltaAntiEntropy,
  emptyCrdt,
  joinCrdt,
  stableContext,
  type AntiEntropyInput,
  type AntiEntropyOutput,
  type CrdtSpec,
  type DeltaAntiEntropyState,
} from '../../src/replication/index.js';

const m = deltaAntiEntropy;
const cfg = (id: string, extra: object = {}) => ({ id, nodes: ['a', 'b', 'c'], crdt: 'aworset' as const, shipIntervalMs: 10, ...extra });
const sends = (outputs: readonly AntiEntropyOutput[]) => outputs.filter((o) => o.type === 'send');
const add = (s: DeltaAntiEntropyState, e: string, now: number) => m.step(deepFreeze(s), { type: 'update', delta: AWORSet.add(s.crdt as AWORSet, s.id, e), now }).state;

describe('Algorithm 2: delta buffer, acks and delta-intervals', () => {
  it('ships the join of unacknowledged deltas, then nothing once acknowledged', () => {
    let a = m.init(cfg('a'));
    a = add(a, 'x', 0);
    a = add(a, 'y', 1);
    const t = m.step(deepFreeze(a), { type: 'tick', now: 10 });
    const toB = sends(t.outputs).find((o) => o.to === 'b')!;
    expect(toB.message).toMatchObject({ type: 'delta', from: 0, to: 2 });
    expect(AWORSet.value((toB.message as { delta: AWORSet }).delta)).toEqual(['x', 'y']);
    let s = m.step(t.state, { type: 'message', from: 'b', message: { type: 'ack', seq: 2 }, now: 11 }).state;
    s = m.step(s, { type: 'message', from: 'c', message: { type: 'ack', seq: 1 }, now: 11 }).state;
    const t2 = m.step(deepFreeze(s), { type: 'tick', now: 20 });
    expect(sends(t2.outputs).map((o) => [o.to, (o.message as { from: number }).from])).toEqual([['c', 1]]);
    // Buffer garbage collection: deltas every neighbour acknowledged are dropped.
    expect(t2.state.buffer.map((b) => b.seq)).toEqual([1]);
  });

  it('sends the full state to a neighbour further behind than the buffer reaches', () => {
    let a = m.init(cfg('a', { maxBufferedDeltas: 2 }));
    for (const [i, e] of ['x', 'y', 'z'].entries()) a = add(a, e, i);
    const msg = sends(m.step(a, { type: 'tick', now: 10 }).outputs)[0]!.message as { from: number; to: number; delta: AWORSet };
    expect([msg.from, msg.to]).toEqual([0, 3]);
    expect(msg.delta).toBe(a.crdt);
  });

  it('causal delta-merging condition: an interval that skips deltas is not joined, and the gap is reported', () => {
    const b0 = m.init(cfg('b'));
    const delta = AWORSet.add(AWORSet.empty(), 'a', 'x');
    const t = m.step(deepFreeze(b0), { type: 'message', from: 'a', message: { type: 'delta', from: 3, to: 5, delta }, now: 0 });
    expect(t.state.crdt).toBe(b0.crdt);
    expect(sends(t.outputs)).toEqual([{ type: 'send', to: 'a', message: { type: 'ack', seq: 0, vv: {}, gap: true } }]);
    // The sender rewinds on a gap ack and ships from what the receiver has.
    let a = add(m.init(cfg('a')), 'x', 0);
    a = m.step(a, { type: 'message', from: 'b', message: { type: 'ack', seq: 1 }, now: 1 }).state;
    a = m.step(a, { type: 'message', from: 'b', message: { type: 'ack', seq: 0, gap: true }, now: 2 }).state;
    expect(a.acks['b']).toBe(0);
  });

  it('persists before acknowledging, and a restarted replica keeps its dots and positions', () => {
    const b0 = m.init(cfg('b'));
    const t = m.step(b0, { type: 'message', from: 'a', message: { type: 'delta', from: 0, to: 1, delta: AWORSet.add(AWORSet.empty(), 'a', 'x') }, now: 0 });
    expect(t.outputs.map((o) => o.type)).toEqual(['persist', 'send', 'merged']);
    const back = m.recover(cfg('b'), m.durable(t.state));
    expect(back.received['a']).toBe(1);
    expect(AWORSet.value(back.crdt as AWORSet)).toEqual(['x']);
  });

  it('refuses malformed deltas, strangers and impossible acks with a reason, state unchanged', () => {
    const a = add(m.init(cfg('a')), 'x', 0);
    const bad = [
      { from: 'b', message: { type: 'delta', from: 0, to: 1, delta: { store: DotMap.from({ x: [['b', 1]] }), cc: { vv: {}, cloud: [] } } } },
      { from: 'b', message: { type: 'delta', from: 2, to: 1, delta: AWORSet.empty() } },
      { from: 'b', message: { type: 'ack', seq: 9 } },
      { from: 'z', message: { type: 'ack', seq: 0 } },
      { from: '__proto__', message: { type: 'ack', seq: 0 } },
    ];
    for (const { from, message } of bad) {
      const t = m.step(deepFreeze(a), { type: 'message', from, message, now: 1 });
      expect(t.state).toBe(a);
      expect(t.outputs).toEqual([expect.objectContaining({ type: 'rejected', from })]);
    }
    expect(() => m.step(a, { type: 'update', delta: { nope: 1 }, now: 1 })).toThrow(/aworset/);
  });
});

describe('two-phase set tombstones under anti-entropy', () => {
  it('a late add of a removed element does not inflate the state: acknowledged, not buffered, not forwarded', () => {
    const conf = (id: string) => ({ id, nodes: ['a', 'b', 'c'], crdt: 'twopset' as const, shipIntervalMs: 10 });
    let b = m.init(conf('b'));
    b = m.step(b, { type: 'update', delta: TwoPSet.add(b.crdt as TwoPSet, 'x'), now: 0 }).state;
    b = m.step(b, { type: 'update', delta: TwoPSet.remove(b.crdt as TwoPSet, 'x'), now: 1 }).state;
    expect(b.crdt).toEqual({ added: [], removed: ['x'] });
    const late = m.step(deepFreeze(b), { type: 'message', from: 'a', message: { type: 'delta', from: 0, to: 1, delta: { added: ['x'], removed: [] } }, now: 2 });
    expect(late.state.crdt).toBe(b.crdt);
    expect(late.state.buffer).toBe(b.buffer);
    expect(late.outputs.map((o) => o.type)).toEqual(['persist', 'send']); // the received position, then the ack
  });
});

describe('causal stability: tombstones collected by a shipped delta', () => {
  const pair = (collectTombstones: boolean) => {
    const conf = (id: string) => ({ id, nodes: ['a', 'b'], crdt: 'rworset' as const, shipIntervalMs: 10, collectTombstones });
    const st = { a: m.init(conf('a')), b: m.init(conf('b')) };
    const exchange = (now: number) => {
      for (const [from, to] of [['a', 'b'], ['b', 'a']] as const) {
        const t = m.step(deepFreeze(st[from]), { type: 'tick', now });
        st[from] = t.state;
        for (const o of sends(t.outputs)) {
          const r = m.step(deepFreeze(st[to]), { type: 'message', from, message: o.message, now });
          st[to] = r.state;
          for (const ack of sends(r.outputs)) st[from] = m.step(deepFreeze(st[from]), { type: 'message', from: to, message: ack.message, now }).state;
        }
      }
    };
    return { st, exchange };
  };

  it('a removal every replica has seen is collected at both replicas; the element can come back', () => {
    const { st, exchange } = pair(true);
    st.a = m.step(st.a, { type: 'update', delta: RWORSet.add(st.a.crdt as RWORSet, 'a', 'x'), now: 0 }).state;
    st.b = m.step(st.b, { type: 'update', delta: RWORSet.remove(st.b.crdt as RWORSet, 'b', 'x'), now: 0 }).state; // concurrent: remove wins
    for (let now = 10; now <= 60; now += 10) exchange(now);
    expect(stableContext(st.a)).toEqual({ vv: { a: 1, b: 1 }, cloud: [] });
    expect((st.a.crdt as RWORSet).store).toEqual({});
    expect((st.b.crdt as RWORSet).store).toEqual({});
    expect((st.a.crdt as RWORSet).cc).toEqual({ vv: { a: 1, b: 1 }, cloud: [] }); // the context keeps every dot
    st.a = m.step(st.a, { type: 'update', delta: RWORSet.add(st.a.crdt as RWORSet, 'a', 'x'), now: 61 }).state;
    for (let now = 70; now <= 100; now += 10) exchange(now);
    expect(RWORSet.value(st.b.crdt as RWORSet)).toEqual(['x']);
    expect(st.b.crdt).toEqual(st.a.crdt);
  });

  it('collectTombstones: false keeps the tokens', () => {
    const { st, exchange } = pair(false);
    st.b = m.step(st.b, { type: 'update', delta: RWORSet.remove(st.b.crdt as RWORSet, 'b', 'x'), now: 0 }).state;
    for (let now = 10; now <= 60; now += 10) exchange(now);
    expect(stableContext(st.b)).toEqual({ vv: { b: 1 }, cloud: [] });
    expect(DotMap.toObject((st.a.crdt as RWORSet).store)).toEqual({ x: [['b', 1, false]] });
  });
});

describe('causal stability: the dots every replica has reported', () => {
  it('stableContext covers a dot once every replica acknowledged it, and not before', () => {
    const conf = (id: string) => ({ id, nodes: ['a', 'b'], crdt: 'rworset' as const, shipIntervalMs: 10 });
    let a = m.init(conf('a'));
    let b = m.init(conf('b'));
    const exchange = (now: number) => {
      for (const [from, to] of [['a', 'b'], ['b', 'a']] as const) {
        const src = from === 'a' ? a : b;
        const t = m.step(src, { type: 'tick', now });
        if (from === 'a') a = t.state;
        else b = t.state;
        for (const o of sends(t.outputs)) {
          const r = m.step(to === 'a' ? a : b, { type: 'message', from, message: o.message, now });
          if (to === 'a') a = r.state;
          else b = r.state;
          for (const ack of sends(r.outputs)) {
            const back = m.step(from === 'a' ? a : b, { type: 'message', from: to, message: ack.message, now });
            if (from === 'a') a = back.state;
            else b = back.state;
          }
        }
      }
    };
    a = m.step(a, { type: 'update', delta: RWORSet.add(a.crdt as RWORSet, 'a', 'x'), now: 0 }).state;
    exchange(10);
    expect(stableContext(a)).toEqual({ vv: { a: 1 }, cloud: [] }); // b acknowledged a1
    expect(stableContext(b)).toBeUndefined(); // a has not reported to b yet
    b = m.step(b, { type: 'update', delta: RWORSet.remove(b.crdt as RWORSet, 'b', 'x'), now: 11 }).state;
    exchange(20);
    exchange(30);
    expect(RWORSet.value(a.crdt as RWORSet)).toEqual([]);
    expect(stableContext(a)).toEqual({ vv: { a: 1, b: 1 }, cloud: [] });
    expect(stableContext(b)).toEqual({ vv: { a: 1, b: 1 }, cloud: [] });
    a = m.step(a, { type: 'update', delta: RWORSet.add(a.crdt as RWORSet, 'a', 'y'), now: 31 }).state;
    // a's new dot a2 is not stable until b reports it.
    expect(CausalContext.contains(stableContext(a)!, ['a', 2])).toBe(false);
    exchange(40);
    expect(CausalContext.contains(stableContext(a)!, ['a', 2])).toBe(true);
  });
});

/** A host around the machine: turns `{ type: 'op' }` commands into deltas of the current state. */
function withOps(spec: CrdtSpec, log: unknown[], collections: unknown[] = []): Machine<unknown, DeltaAntiEntropyState, unknown, AntiEntropyOutput> {
  return {
    ...m,
    step(s, input) {
      const i = input as { type: string; kind?: number; e?: string; now: number };
      if (i.type !== 'op') {
        const t = m.step(s, input as AntiEntropyInput);
        // A tick may issue a collection of stable tombstones: part of what every replica must join.
        if (i.type === 'tick') for (const b of t.state.buffer) if (b.seq >= s.seq && b.origin === s.id) {
            log.push(b.delta);
            collections.push(b.delta);
          }
        return t;
      }
      const delta = mutate(spec, s, i.kind!, i.e!);
      log.push(delta);
      return m.step(s, { type: 'update', delta, now: i.now });
    },
  } as Machine<unknown, DeltaAntiEntropyState, unknown, AntiEntropyOutput>;
}

function mutate(spec: CrdtSpec, s: DeltaAntiEntropyState, kind: number, e: string): unknown {
  if (spec === 'aworset') return kind === 0 ? AWORSet.add(s.crdt as AWORSet, s.id, e) : AWORSet.remove(s.crdt as AWORSet, e);
  if (spec === 'gcounter') return GCounter.increment(s.crdt as GCounter, s.id, 1);
  if (spec === 'twopset') return kind === 0 ? TwoPSet.add(s.crdt as TwoPSet, e) : TwoPSet.remove(s.crdt as TwoPSet, e);
  if (spec === 'rworset') return kind === 0 ? RWORSet.add(s.crdt as RWORSet, s.id, e) : RWORSet.remove(s.crdt as RWORSet, s.id, e);
  // { ormap: 'rworset' }: carts of items, remove-wins items and key removal.
  const map = s.crdt as ORMap<never>;
  if (kind === 2) return ORMap.remove(map, e);
  return ORMap.update(map, e, (inner) => (kind === 0 ? RWORSet.add(inner as RWORSet, s.id, 'i') : RWORSet.remove(inner as RWORSet, s.id, 'i')) as never, {} as never);
}

function simRun(spec: CrdtSpec, seed: number) {
  const ids = ['a', 'b', 'c', 'd'];
  const log: unknown[] = [];
  const collections: unknown[] = [];
  const machine = withOps(spec, log, collections);
  const commands: ScheduledCommand[] = [];
  let r = seed;
  const rnd = (k: number) => {
    r = (Math.imul(r ^ (r >>> 15), 2246822519) + 0x9e3779b9) >>> 0;
    return r % k;
  };
  for (let i = 0; i < 60; i++) commands.push({ at: 5 + i * 40 + rnd(30), node: ids[rnd(4)]!, input: { type: 'op', kind: rnd(3), e: ['x', 'y', 'z'][rnd(3)] } });
  const faults: ScheduledFault[] = [
    { at: 300, fault: { type: 'partition', groups: [['a', 'b'], ['c', 'd']] } },
    { at: 900, fault: { type: 'crash', node: 'c' } },
    { at: 1300, fault: { type: 'restart', node: 'c' } },
    { at: 1600, fault: { type: 'heal' } },
    { at: 1800, fault: { type: 'oneWay', from: 'a', to: 'd' } },
    { at: 2200, fault: { type: 'heal' } },
  ];
  const result = simulate({
    seed,
    nodes: ids.map((id) => ({ id, machine, config: { id, nodes: ids, crdt: spec, shipIntervalMs: 25 } })),
    commands,
    faults,
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 40 }, loss: 0.2, duplicate: 0.15, reorder: 0.3 },
    invariants: antiEntropyInvariants,
    maxTimeMs: 8_000,
    trace: false,
  });
  return { result, log, collections };
}

describe('anti-entropy in the simulator: loss, duplication, reordering, partitions, a crash', () => {
  const specs: CrdtSpec[] = ['aworset', 'gcounter', 'twopset', 'rworset', { ormap: 'rworset' }];
  for (const spec of specs) {
    it.each([1, 2, 3, 4, 5, 6])(`${JSON.stringify(spec)}, seed %i: every replica converges to the join of every delta`, (seed) => {
      const { result, log, collections } = simRun(spec, seed);
      expect(result.violation).toBeUndefined();
      const states = result.states as Record<string, DeltaAntiEntropyState>;
      expect(Object.keys(states)).toHaveLength(4);
      expect(antiEntropyConverged.check(states, { time: 0, nodes: Object.keys(states), isUp: () => true })).toBeUndefined();
      const truth = log.reduce((acc, d) => joinCrdt(spec, acc, d), emptyCrdt(spec));
      for (const s of Object.values(states)) expect(crdtValue(spec, s.crdt)).toEqual(crdtValue(spec, truth));
      expect(log.length).toBeGreaterThan(40);
      if (spec === 'rworset' || typeof spec === 'object') {
        // Causal stability: tombstones were collected, and the collections are part of the truth.
        expect(collections.length).toBeGreaterThan(0);
        const withoutCollections = log.filter((d) => !collections.includes(d)).reduce((acc, d) => joinCrdt(spec, acc, d), emptyCrdt(spec));
        expect(JSON.stringify(Object.values(states)[0]!.crdt).length).toBeLessThan(JSON.stringify(withoutCollections).length);
      }
      if (spec === 'twopset') {
        // Tombstones only: no replica keeps a removed element among its adds.
        for (const s of Object.values(states)) expect((s.crdt as TwoPSet).added.filter((e) => TwoPSet.value(s.crdt as TwoPSet).includes(e))).toEqual((s.crdt as TwoPSet).added);
        expect((truth as TwoPSet).removed.length).toBeGreaterThan(0);
      }
    });
  }
});
