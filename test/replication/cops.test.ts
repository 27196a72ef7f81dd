import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkedStep, checkInvariants } from '../../src/core/index.js';
import {
  compactContext, copsAfterGet, copsAfterPut, copsConvergence, copsInvariants, copsReplica, type CopsContext, type CopsInput, type CopsMessage, type CopsOutput, type CopsState,
  type CopsVersion,
} from '../../src/replication/index.js';
import { copsMachine } from '../../src/replication/cops.js';

type Unstamped = CopsInput extends infer I ? (I extends unknown ? Omit<I, 'now'> : never) : never;
const replicas = ['a', 'b', 'c'];
const init = (id: string, extra: object = {}) => copsReplica.init({ id, replicas, ...extra });
let now = 0;
const step = (s: CopsState, input: Unstamped) => checkedStep(copsReplica, s, { ...input, now: ++now } as CopsInput);
const put = (s: CopsState, key: string, value: unknown, deps: CopsContext = [], id = 1) => step(s, { type: 'put', id, key, value, deps });
const get = (s: CopsState, key: string, deps?: CopsContext) => {
  const out = step(s, deps === undefined ? { type: 'get', id: 9, key } : { type: 'get', id: 9, key, deps }).outputs[0] as Extract<CopsOutput, { type: 'get-ok' | 'get-failed' }>;
  return out;
};
const sends = (outputs: readonly CopsOutput[], to: string) => outputs.filter((o): o is Extract<CopsOutput, { type: 'send' }> => o.type === 'send' && o.to === to).map((o) => o.message);
const deliver = (s: CopsState, from: string, message: unknown) => step(s, { type: 'message', from, message });
const versionOf = (outputs: readonly CopsOutput[]): CopsVersion => (outputs.find((o) => o.type === 'put-ok') as { version: CopsVersion }).version;
const valueAt = (s: CopsState, key: string) => {
  const o = get(s, key);
  return o.type === 'get-ok' ? o.value : undefined;
};

describe('COPS §4: versions are Lamport timestamps with the replica id as tie-break', () => {
  it('a put gets a version greater than every dependency and every version seen', () => {
    const a = put(init('a'), 'x', 1);
    expect(versionOf(a.outputs)).toEqual({ time: 1, node: 'a' });
    const b = deliver(init('b'), 'a', sends(a.outputs, 'b')[0]);
    expect(b.state.clock).toBe(1);
    const y = put(b.state, 'y', 2, [{ key: 'x', version: { time: 1, node: 'a' } }]);
    expect(versionOf(y.outputs)).toEqual({ time: 2, node: 'b' });
  });

  it('last-writer-wins: concurrent writes of a key converge on the greater version at every replica (the "+")', () => {
    const a = put(init('a'), 'x', 'from-a');
    const b = put(init('b'), 'x', 'from-b');
    const a2 = deliver(a.state, 'b', sends(b.outputs, 'a')[0]);
    const b2 = deliver(b.state, 'a', sends(a.outputs, 'b')[0]);
    expect(valueAt(a2.state, 'x')).toBe('from-b');
    expect(valueAt(b2.state, 'x')).toBe('from-b');
    expect(checkInvariants([copsConvergence()], { a: a2.state, b: b2.state })).toBeUndefined();
    expect(a2.state.stats.overwritten).toBe(1);
  });
});

describe('COPS §4.1-4.2: the client library context', () => {
  it('get adds the version read, put collapses the context to its own version', () => {
    let ctx = copsAfterGet([], 'x', { time: 1, node: 'a' });
    ctx = copsAfterGet(ctx, 'x', null);
    ctx = copsAfterGet(ctx, 'y', { time: 3, node: 'b' });
    expect(ctx).toHaveLength(2);
    expect(copsAfterPut(ctx, 'z', { time: 4, node: 'c' })).toEqual([{ key: 'z', version: { time: 4, node: 'c' } }]);
  });

  it('property: the context stays within maxDeps and still covers, per origin, the newest version read', () => {
    const read = fc.record({ key: fc.constantFrom('x', 'y', 'z', '__proto__', 'w'), time: fc.integer({ min: 1, max: 50 }), node: fc.constantFrom('a', 'b', 'c') });
    fc.assert(
      fc.property(fc.array(read, { maxLength: 60 }), fc.integer({ min: 3, max: 8 }), (reads, maxDeps) => {
        let ctx: CopsContext = [];
        for (const r of reads) ctx = copsAfterGet(ctx, r.key, { time: r.time, node: r.node }, maxDeps);
        expect(ctx.length).toBeLessThanOrEqual(maxDeps);
        for (const node of ['a', 'b', 'c']) {
          const newest = Math.max(0, ...reads.filter((r) => r.node === node).map((r) => r.time));
          const covered = Math.max(0, ...ctx.filter((d) => d.version.node === node).map((d) => d.version.time));
          expect(covered).toBe(newest);
        }
      }),
    );
  });

  it('compactContext keeps the newest dependency per origin', () => {
    expect(compactContext([{ key: 'x', version: { time: 2, node: 'a' } }, { key: 'y', version: { time: 1, node: 'b' } }, { key: 'z', version: { time: 5, node: 'a' } }])).toEqual([
      { key: 'z', version: { time: 5, node: 'a' } },
      { key: 'y', version: { time: 1, node: 'b' } },
    ]);
  });
});

/** a writes x; b reads it and writes y depending on it; c receives y first. */
function photoScenario() {
  const a = put(init('a'), 'photo', 'p.jpg');
  const xv = versionOf(a.outputs);
  const b1 = deliver(init('b'), 'a', sends(a.outputs, 'b')[0]);
  const ctx = copsAfterGet([], 'photo', xv);
  const b2 = put(b1.state, 'album', ['photo'], ctx);
  return { a, b2, toC: { x: sends(a.outputs, 'c')[0], y: sends(b2.outputs, 'c')[0] } };
}

describe('COPS §4.3: a replicated write becomes visible only after its dependencies (dep_check)', () => {
  it('the album arriving before the photo waits, then both become visible together', () => {
    const { toC } = photoScenario();
    const c1 = deliver(init('c'), 'b', toC.y);
    expect(valueAt(c1.state, 'album')).toBeNull();
    expect(c1.state.pending).toHaveLength(1);
    expect(c1.state.stats.waited).toBe(1);
    expect(sends(c1.outputs, 'b')).toEqual([{ type: 'cops-ack', received: 0 }]);
    const c2 = deliver(c1.state, 'a', toC.x);
    expect(valueAt(c2.state, 'photo')).toBe('p.jpg');
    expect(valueAt(c2.state, 'album')).toEqual(['photo']);
    expect(c2.state.pending).toEqual([]);
    // One persist record with both applications, photo first, before the acknowledgement.
    expect(c2.outputs[0]).toMatchObject({ type: 'persist', record: { changes: [{ type: 'apply', write: { key: 'photo' } }, { type: 'apply', write: { key: 'album' } }] } });
    expect(checkInvariants(copsInvariants(), { c: c2.state })).toBeUndefined();
  });

  it('control: without dep_check the album is visible while the photo is not, and the invariant says so', () => {
    const { toC } = photoScenario();
    const unsafe = copsMachine({ dependencyCheck: false });
    const c1 = unsafe.step(init('c'), { type: 'message', from: 'b', message: toC.y, now: 1 });
    expect(c1.state.store.album).toBeDefined();
    expect(checkInvariants(copsInvariants(), { c: c1.state })?.invariant).toBe('a visible write has its dependencies visible');
  });

  it('a put whose context this replica has not seen fails instead of ordering the write wrongly; a get with such a context too', () => {
    const { b2 } = photoScenario();
    const ctx = copsAfterPut([], 'album', versionOf(b2.outputs));
    expect(step(init('c'), { type: 'put', id: 4, key: 'k', value: 1, deps: ctx }).outputs).toEqual([
      { type: 'put-failed', id: 4, key: 'k', reason: 'this replica has not yet seen everything the context depends on' },
    ]);
    expect(get(init('c'), 'album', ctx).type).toBe('get-failed');
  });

  it('each origin applies in order: a gap is not taken, a duplicate is ignored, the acknowledgement names what is applied', () => {
    let a = init('a');
    const msgs: unknown[] = [];
    for (let i = 1; i <= 3; i++) {
      const t = put(a, `k${i}`, i);
      a = t.state;
      msgs.push(sends(t.outputs, 'b')[0]);
    }
    let b = deliver(init('b'), 'a', msgs[1]).state;
    expect(b.received).toEqual({});
    b = deliver(b, 'a', msgs[0]).state;
    b = deliver(b, 'a', msgs[0]).state;
    const t = deliver(b, 'a', msgs[1]);
    expect(t.state.applied).toEqual({ a: { seq: 2, time: 2 } });
    expect(sends(t.outputs, 'a')).toEqual([{ type: 'cops-ack', received: 2 }]);
    // The ack trims the sender's outbox; the timer resends the rest.
    const a2 = deliver(a, 'b', { type: 'cops-ack', received: 2 }).state;
    expect(a2.outbox.map((w) => w.seq)).toEqual([1, 2, 3]);
    const a3 = deliver(a2, 'c', { type: 'cops-ack', received: 3 }).state;
    expect(a3.outbox.map((w) => w.seq)).toEqual([3]);
    const tick = checkedStep(copsReplica, a3, { type: 'tick', now: (a3.timer.at ?? 0) + 1 });
    expect(sends(tick.outputs, 'b')).toEqual([{ type: 'cops-replicate', writes: [a3.outbox[0]] }]);
    expect(sends(tick.outputs, 'c')).toEqual([]);
  });
});

describe('availability: a replica cut off from the others still takes writes (COPS §3)', () => {
  it('puts succeed with no message delivered, and the outbox bounds what waits', () => {
    let a = init('a', { limits: { maxOutbox: 3 } });
    for (let i = 0; i < 3; i++) {
      const t = put(a, 'x', i, [], i);
      expect(t.outputs.at(-1)?.type).toBe('put-ok');
      a = t.state;
    }
    expect(put(a, 'x', 9).outputs).toEqual([{ type: 'put-failed', id: 1, key: 'x', reason: '3 writes are not yet at every replica (limits.maxOutbox)' }]);
  });
});

describe('durability: a replica never issues a version twice', () => {
  it('recover from the folded persist records continues the clock and resends the outbox', () => {
    let s = init('a');
    let image = copsReplica.durable(s);
    for (let i = 0; i < 3; i++) {
      const t = put(s, `k${i}`, i);
      s = t.state;
      const p = t.outputs.find((o) => o.type === 'persist') as { record: unknown };
      image = copsReplica.applyPersist!(image, p.record);
    }
    expect(image).toEqual(copsReplica.durable(s));
    const back = copsReplica.recover({ id: 'a', replicas }, JSON.parse(JSON.stringify(image)));
    expect(versionOf(put(back, 'k0', 'again').outputs)).toEqual({ time: 4, node: 'a' });
    const resent = checkedStep(copsReplica, back, { type: 'tick', now: 0 });
    expect(sends(resent.outputs, 'b')[0]).toMatchObject({ type: 'cops-replicate', writes: [{ seq: 1 }, { seq: 2 }, { seq: 3 }] });
  });

  it('a receiver that restarts takes the writes it lost again (it acknowledged only applied ones)', () => {
    const { toC } = photoScenario();
    const c1 = deliver(init('c'), 'b', toC.y);
    const back = copsReplica.recover({ id: 'c', replicas }, copsReplica.durable(c1.state));
    expect(back.pending).toEqual([]);
    const c2 = deliver(deliver(back, 'a', toC.x).state, 'b', toC.y);
    expect(valueAt(c2.state, 'album')).toEqual(['photo']);
  });
});

describe('hostile peers: total on untrusted input', () => {
  const w = (over: object = {}) => ({ seq: 1, key: 'x', value: 1, version: { time: 1, node: 'a' }, deps: [], ...over });
  const cases: [string, string, unknown][] = [
    ['a write of another origin', 'a', { type: 'cops-replicate', writes: [w({ version: { time: 1, node: 'b' } })] }],
    ['a dependency not older than the write', 'a', { type: 'cops-replicate', writes: [w({ deps: [{ key: 'y', version: { time: 1, node: 'b' } }] })] }],
    ['a dependency on an unknown replica', 'a', { type: 'cops-replicate', writes: [w({ version: { time: 5, node: 'a' }, deps: [{ key: 'y', version: { time: 1, node: 'zz' } }] })] }],
    ['a dependency on a version this replica never issued', 'a', { type: 'cops-replicate', writes: [w({ version: { time: 5, node: 'a' }, deps: [{ key: 'y', version: { time: 2, node: 'b' } }] })] }],
    ['time going backwards', 'a', { type: 'cops-replicate', writes: [w({ version: { time: 3, node: 'a' } }), w({ seq: 2, version: { time: 3, node: 'a' } })] }],
    ['an ack of writes never sent', 'a', { type: 'cops-ack', received: 7 }],
    ['a stranger', 'zz', { type: 'cops-replicate', writes: [w({ version: { time: 1, node: 'zz' } })] }],
    ['malformed', 'a', { type: 'cops-replicate', writes: [{ seq: 0 }] }],
    ['a value too large', 'a', { type: 'cops-replicate', writes: [w({ value: 'x'.repeat(70_000) })] }],
  ];
  for (const [name, from, message] of cases) {
    it(`rejects ${name} and keeps the same state`, () => {
      const s = init('b');
      const t = deliver(s, from, message);
      expect(t.state).toBe(s);
      expect(t.outputs).toEqual([{ type: 'rejected', from, reason: expect.any(String) }]);
    });
  }

  it('a key named __proto__ is an own property of the store', () => {
    const t = deliver(init('b'), 'a', { type: 'cops-replicate', writes: [w({ key: '__proto__', value: { polluted: true } })] });
    expect(Object.hasOwn(t.state.store, '__proto__')).toBe(true);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(valueAt(t.state, '__proto__')).toEqual({ polluted: true });
  });

  it('one origin cannot fill the pending table: each origin has its share, so the writes others wait for still get in', () => {
    // b's writes all depend on a write of a that has not arrived.
    let s = init('c', { limits: { maxPending: 4 } });
    const writes = Array.from({ length: 10 }, (_, i) => ({ seq: i + 1, key: `k${i}`, value: i, version: { time: 10 + i, node: 'b' }, deps: [{ key: 'x', version: { time: 1, node: 'a' } }] }));
    s = deliver(s, 'b', { type: 'cops-replicate', writes } satisfies CopsMessage).state;
    expect(s.pending).toHaveLength(2);
    s = deliver(s, 'a', { type: 'cops-replicate', writes: [w()] }).state;
    expect(s.applied).toEqual({ a: { seq: 1, time: 1 }, b: { seq: 2, time: 11 } });
  });
});

describe('property: dependency tracking under any delivery order, loss and duplication', () => {
  type Action = { kind: 'put'; at: number; key: number; read: number } | { kind: 'deliver'; pick: number; dup: boolean } | { kind: 'drop'; pick: number } | { kind: 'tick' };
  const action = fc.oneof(
    fc.record({ kind: fc.constant('put' as const), at: fc.nat(2), key: fc.nat(3), read: fc.nat(3) }),
    fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat(), dup: fc.boolean() }),
    fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }),
    fc.constant({ kind: 'tick' as const }),
  );

  it('every visible write has its dependencies visible at every step, and once messages flow the replicas converge', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), (actions: Action[]) => {
        const states: Record<string, CopsState> = Object.fromEntries(replicas.map((id) => [id, init(id, { replicateIntervalMs: 5 })]));
        // One client per replica: it reads a key, then writes another with the context the read gave it.
        const contexts: Record<string, CopsContext> = { a: [], b: [], c: [] };
        let flight: { from: string; to: string; message: unknown }[] = [];
        let t = 0;
        let id = 0;
        const apply = (node: string, input: Unstamped) => {
          const r = checkedStep(copsReplica, states[node]!, { ...input, now: ++t } as CopsInput);
          states[node] = r.state;
          for (const o of r.outputs) if (o.type === 'send') flight.push({ from: node, to: o.to, message: o.message });
          return r.outputs;
        };
        const keys = ['x', 'y', 'z', 'w'];
        for (const a of actions) {
          if (a.kind === 'put') {
            const node = replicas[a.at]!;
            const got = apply(node, { type: 'get', id: ++id, key: keys[a.read]! })[0];
            if (got?.type === 'get-ok') contexts[node] = copsAfterGet(contexts[node]!, got.key, got.version);
            const put = apply(node, { type: 'put', id: ++id, key: keys[a.key]!, value: `${node}${id}`, deps: contexts[node]! }).at(-1);
            expect(put?.type).toBe('put-ok');
            if (put?.type === 'put-ok') contexts[node] = copsAfterPut(contexts[node]!, put.key, put.version);
          } else if (a.kind === 'deliver' && flight.length > 0) {
            const i = a.pick % flight.length;
            const m = flight[i]!;
            if (!a.dup) flight = flight.filter((_, j) => j !== i);
            apply(m.to, { type: 'message', from: m.from, message: m.message });
          } else if (a.kind === 'drop' && flight.length > 0) {
            flight = flight.filter((_, j) => j !== a.pick % flight.length);
          } else if (a.kind === 'tick') {
            for (const n of replicas) if (states[n]!.timer.at !== null) apply(n, { type: 'tick' });
          }
          expect(checkInvariants(copsInvariants(), states)).toBeUndefined();
        }
        // Heal: resend and deliver everything until nothing is in flight and every outbox is empty.
        for (let round = 0; round < 50 && (flight.length > 0 || replicas.some((n) => states[n]!.outbox.length > 0)); round++) {
          t += 10;
          for (const n of replicas) if (states[n]!.timer.at !== null) apply(n, { type: 'tick' });
          while (flight.length > 0) {
            const m = flight.shift()!;
            apply(m.to, { type: 'message', from: m.from, message: m.message });
          }
        }
        expect(checkInvariants([...copsInvariants(), copsConvergence()], states)).toBeUndefined();
        for (const n of replicas) expect(states[n]!.pending).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
