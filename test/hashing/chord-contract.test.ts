import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, InvalidCommandError, checkedStep } from 'distkit/core';
import { chord, chordId, chordOwns, type ChordState } from 'distkit/hashing';
import { ChordDriver, ringProblem } from './chord-driver.js';

function active(addr: string, m = 16): ChordState {
  return chord.step(chord.init({ addr, m }), { type: 'create' }).state;
}

describe('Chord: identifiers (ToN §IV.A)', () => {
  it('chordId is an m-bit integer; chordOwns follows the half-open arc rule with wrap-around', () => {
    for (const m of [1, 8, 16, 31, 32]) {
      const id = chordId('node', m);
      expect(Number.isInteger(id) && id >= 0 && id < 2 ** m).toBe(true);
    }
    expect(chordOwns(5, 250, 10)).toBe(true);
    expect(chordOwns(10, 250, 10)).toBe(true);
    expect(chordOwns(250, 250, 10)).toBe(false);
    expect(chordOwns(7, 3, 3)).toBe(true);
  });
});

describe('Chord: create and join (ToN Fig. 6)', () => {
  it('a ring of one answers every lookup itself with 0 hops', () => {
    const a = active('a');
    const t = checkedStep(chord, a, { type: 'lookup', key: 'user:42', requestId: 'r1' });
    expect(t.outputs).toEqual([{ type: 'lookupDone', requestId: 'r1', key: 'user:42', keyId: chordId('user:42', 16), owner: a.self, hops: 0 }]);
  });
  it('a second node joins, and stabilize/notify link both ways (Fig. 7)', () => {
    const d = new ChordDriver({ seed: 5, checked: true });
    d.add({ addr: 'a', m: 16 });
    d.add({ addr: 'b', m: 16 });
    d.input('a', { type: 'create' });
    d.input('b', { type: 'join', via: 'a' });
    d.runUntil(200);
    expect(d.events.some((e) => e.node === 'b' && e.output.type === 'joined')).toBe(true);
    d.runUntil(5_000);
    const a = d.states.get('a')!;
    const b = d.states.get('b')!;
    expect(a.successors[0]!.addr).toBe('b');
    expect(b.successors[0]!.addr).toBe('a');
    expect(a.predecessor?.addr).toBe('b');
    expect(b.predecessor?.addr).toBe('a');
  });
  it('one ring after stabilization (property over seeds, sizes and join orders)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 2, max: 9 }), (seed, n) => {
        const d = new ChordDriver({ seed, checked: true, maxDelayMs: 40 });
        for (let i = 0; i < n; i++) d.add({ addr: `p${i}`, m: 12, id: (seed + i * 977) % 4096 });
        d.input('p0', { type: 'create' });
        for (let i = 1; i < n; i++) {
          d.runUntil(d.now + d.rng.int(0, 300));
          const live = d.live();
          d.input(`p${i}`, { type: 'join', via: live[d.rng.int(0, live.length)]!.self.addr });
        }
        d.runUntil(d.now + 40_000);
        return d.live().length === n && ringProblem(d.live()) === undefined && d.rejected === 0;
      }),
      { numRuns: 15 },
    );
  });
});

describe('Chord: hostile messages are rejected and never stored', () => {
  const base = active('a');
  const bad: [string, unknown][] = [
    ['not an object', 42],
    ['unknown type', { type: 'steal' }],
    ['id outside the ring', { type: 'notify', node: { id: 2 ** 16, addr: 'x' } }],
    ['negative id', { type: 'notify', node: { id: -1, addr: 'x' } }],
    ['fractional id', { type: 'findSuccessor', rid: 1, target: 1.5, exclude: [] }],
    ['target outside the ring', { type: 'findSuccessor', rid: 1, target: 70000, exclude: [] }],
    ['wrong field type', { type: 'findSuccessor', rid: '1', target: 1, exclude: [] }],
    ['huge exclude list', { type: 'findSuccessor', rid: 1, target: 1, exclude: new Array(300).fill(1) }],
    ['notify for someone else', { type: 'notify', node: { id: 5, addr: 'mallory-friend' } }],
    ['reply to nothing', { type: 'findSuccessorReply', rid: 99, done: true, node: { id: 1, addr: 'x' } }],
    ['unsolicited pong', { type: 'pong', rid: 3 }],
    ['negative version', { type: 'transfer', items: [{ key: 'k', value: 1, version: -1 }] }],
    ['item without value', { type: 'transfer', items: [{ key: 'k', version: 1 }] }],
    ['non-JSON value', { type: 'store', rid: 1, key: 'k', value: new Map() }],
    ['leaving for someone else', { type: 'leaving', node: { id: 1, addr: 'b' }, predecessor: null, successors: [] }],
  ];
  it.each(bad)('%s', (_name, message) => {
    const t = checkedStep(chord, base, { type: 'message', from: 'mallory', message });
    expect(t.state).toBe(base);
    expect(t.outputs).toHaveLength(1);
    expect(t.outputs[0]!.type).toBe('rejected');
    expect(Object.keys(t.state.store)).toHaveLength(0);
  });
  it('any JSON from a peer: never throws; rejected inputs keep the same state (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ type: fc.constantFrom('findSuccessor', 'notify', 'transfer', 'store', 'getPredecessorReply', 'leaving'), rid: fc.jsonValue(), node: fc.jsonValue(), items: fc.jsonValue(), target: fc.jsonValue() }),
        ),
        (message) => {
          const t = checkedStep(chord, base, { type: 'message', from: 'mallory', message });
          return t.outputs.every((o) => o.type !== 'rejected') || t.state === base;
        },
      ),
      { numRuns: 500 },
    );
  });
  it('idle and departed nodes reject peer messages', () => {
    const idle = chord.init({ addr: 'z', m: 16 });
    expect(checkedStep(chord, idle, { type: 'message', from: 'b', message: { type: 'ping', rid: 1 } }).outputs[0]!.type).toBe('rejected');
    const left = chord.step(base, { type: 'leave' }).state;
    expect(left.status).toBe('left');
    expect(checkedStep(chord, left, { type: 'message', from: 'b', message: { type: 'ping', rid: 1 } }).outputs[0]!.type).toBe('rejected');
  });
  it('a store beyond maxKeys is refused', () => {
    let s = chord.step(chord.init({ addr: 'a', m: 16, maxKeys: 2 }), { type: 'create' }).state;
    const acks: unknown[] = [];
    for (const key of ['k1', 'k2', 'k3']) {
      const t = checkedStep(chord, s, { type: 'message', from: 'b', message: { type: 'store', rid: 1, key, value: 1 } });
      s = t.state;
      acks.push(t.outputs[0]);
    }
    expect(Object.keys(s.store)).toHaveLength(2);
    expect(acks[2]).toMatchObject({ type: 'send', message: { type: 'storeAck', ok: false } });
  });
});

describe('Chord: stale clocks (regression: the simulator example, seed 4, timed joins out at once)', () => {
  it('a request issued long after the last tick gets a full rpcTimeoutMs from the next tick', () => {
    // Node a knows a successor b; its last tick was at 0; the host issues a lookup at 50 s.
    let a = chord.step(chord.init({ addr: 'a', m: 16, id: 100, rpcTimeoutMs: 1000, stabilizeIntervalMs: 1e9, fixFingersIntervalMs: 1e9, checkPredecessorIntervalMs: 1e9, replicateIntervalMs: 1e9 }), { type: 'tick', now: 0 }).state;
    a = chord.step(a, { type: 'create' }).state;
    const b = { id: 200, addr: 'b' };
    const c = { id: 30000, addr: 'c' };
    a = { ...a, successors: [b, c], predecessor: c, fingers: a.fingers.map((_, i) => (i < 7 ? b : c)) };
    // A key owned by c, so a must ask b (the closest preceding node it knows).
    let key = 'k0';
    for (let i = 0; chordId(key, 16) <= 200 || chordId(key, 16) > 30000; i++) key = `k${i}`;
    const t = checkedStep(chord, a, { type: 'lookup', key, requestId: 'r' });
    const s1 = t.state;
    expect(t.outputs).toMatchObject([{ type: 'send', to: 'b', message: { type: 'findSuccessor' } }]);
    expect(chord.nextDeadline(s1)).toBe(-1);
    const t2 = checkedStep(chord, s1, { type: 'tick', now: 50_000 });
    expect(t2.outputs.filter((o) => o.type === 'requestFailed')).toEqual([]);
    expect(chord.nextDeadline(t2.state)).toBe(51_000);
  });
});

describe('Chord: lookups route around silent hops (ToN §V.C)', () => {
  it('a joining node whose next hop times out asks the previous hop again, excluding the silent node', () => {
    let j = chord.step(chord.init({ addr: 'j', m: 16, id: 5000 }), { type: 'tick', now: 0 }).state;
    let t = checkedStep(chord, j, { type: 'join', via: 'a' });
    expect(t.outputs).toMatchObject([{ type: 'send', to: 'a', message: { type: 'findSuccessor', target: 5000, exclude: [] } }]);
    j = checkedStep(chord, t.state, { type: 'tick', now: 1 }).state;
    const rid1 = Number(Object.keys(j.pending)[0]);
    t = checkedStep(chord, j, { type: 'message', from: 'a', message: { type: 'findSuccessorReply', rid: rid1, done: false, node: { id: 4000, addr: 'c' } } });
    expect(t.outputs).toMatchObject([{ type: 'send', to: 'c', message: { type: 'findSuccessor', target: 5000 } }]);
    j = checkedStep(chord, t.state, { type: 'tick', now: 2 }).state;
    t = checkedStep(chord, j, { type: 'tick', now: 5_000 });
    expect(t.outputs).toMatchObject([{ type: 'send', to: 'a', message: { type: 'findSuccessor', target: 5000, exclude: [4000] } }]);
    expect(t.state.status).toBe('joining');
  });
});

describe('Chord: configuration and local commands', () => {
  it.each([
    [{ addr: '' }, 'addr'],
    [{ addr: 'a', m: 33 }, 'm'],
    [{ addr: 'a', m: 8, id: 256 }, 'id'],
    [{ addr: 'a', successorListLength: 0 }, 'successorListLength'],
    [{ addr: 'a', successorListLength: 2, replicas: 4 }, 'replicas'],
    [{ addr: 'a', rpcTimeoutMs: 0 }, 'rpcTimeoutMs'],
  ])('init(%j) throws ConfigError naming %s', (config, field) => {
    let err: unknown;
    try {
      chord.init(config);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
  });
  it('commands outside their status throw InvalidCommandError', () => {
    const idle = chord.init({ addr: 'a' });
    expect(() => chord.step(idle, { type: 'lookup', key: 'k', requestId: 'r' })).toThrow(InvalidCommandError);
    expect(() => chord.step(active('a'), { type: 'join', via: 'b' })).toThrow(InvalidCommandError);
    expect(() => chord.step(active('a'), { type: 'create' })).toThrow(InvalidCommandError);
  });
  it('nextDeadline: none while idle, the earliest timer or request deadline when active', () => {
    expect(chord.nextDeadline(chord.init({ addr: 'a' }))).toBeUndefined();
    const s = chord.step(chord.step(chord.init({ addr: 'a', stabilizeIntervalMs: 300 }), { type: 'tick', now: 1000 }).state, { type: 'create' }).state;
    expect(chord.nextDeadline(s)).toBe(1300);
    const joining = chord.step(chord.step(chord.init({ addr: 'b', rpcTimeoutMs: 700 }), { type: 'tick', now: 50 }).state, { type: 'join', via: 'a' }).state;
    // Commands carry no time: a new request asks for a tick at once, which arms its deadline.
    expect(chord.nextDeadline(joining)).toBe(-1);
    const armed = chord.step(joining, { type: 'tick', now: 60 }).state;
    expect(chord.nextDeadline(armed)).toBe(760);
  });
});
