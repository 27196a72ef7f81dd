import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, InvalidCommandError, MAX_COUNTER, checkedStep, getOwn } from 'distkit/core';
import { CHORD_MAX_SUSPECTS, chord, chordId, chordOwns, type ChordState } from 'distkit/hashing';
import { ChordDriver, ringProblem } from './chord-driver.js';

function active(addr: string, m = 16): ChordState {
  return chord.step(chord.init({ addr, m }), { type: 'create', now: 0 }).state;
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
    const t = checkedStep(chord, a, { type: 'lookup', key: 'user:42', requestId: 'r1', now: 1 });
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
    const t = checkedStep(chord, base, { type: 'message', from: 'mallory', message, now: 1 });
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
          const t = checkedStep(chord, base, { type: 'message', from: 'mallory', message, now: 1 });
          return t.outputs.every((o) => o.type !== 'rejected') || t.state === base;
        },
      ),
      { numRuns: 500 },
    );
  });
  it('idle and departed nodes reject peer messages', () => {
    const idle = chord.init({ addr: 'z', m: 16 });
    expect(checkedStep(chord, idle, { type: 'message', from: 'b', message: { type: 'ping', rid: 1 }, now: 1 }).outputs[0]!.type).toBe('rejected');
    const left = chord.step(base, { type: 'leave', now: 1 }).state;
    expect(left.status).toBe('left');
    expect(checkedStep(chord, left, { type: 'message', from: 'b', message: { type: 'ping', rid: 1 }, now: 2 }).outputs[0]!.type).toBe('rejected');
  });
  it('a store beyond maxKeys is refused', () => {
    let s = chord.step(chord.init({ addr: 'a', m: 16, maxKeys: 2 }), { type: 'create', now: 0 }).state;
    const acks: unknown[] = [];
    for (const key of ['k1', 'k2', 'k3']) {
      const t = checkedStep(chord, s, { type: 'message', from: 'b', message: { type: 'store', rid: 1, key, value: 1 }, now: 1 });
      s = t.state;
      acks.push(t.outputs[0]);
    }
    expect(Object.keys(s.store)).toHaveLength(2);
    expect(acks[2]).toMatchObject({ type: 'send', message: { type: 'storeAck', ok: false } });
  });
});

describe('Chord: time on every input (contract v2)', () => {
  it('a request issued long after the last tick times out rpcTimeoutMs after the command that sent it', () => {
    // Node a knows a successor b; its last tick was at 0; the host issues a lookup at 50 s.
    let a = chord.step(chord.init({ addr: 'a', m: 16, id: 100, rpcTimeoutMs: 1000, stabilizeIntervalMs: 1e9, fixFingersIntervalMs: 1e9, checkPredecessorIntervalMs: 1e9, replicateIntervalMs: 1e9 }), { type: 'create', now: 0 }).state;
    const b = { id: 200, addr: 'b' };
    const c = { id: 30000, addr: 'c' };
    a = { ...a, successors: [b, c], predecessor: c, fingers: a.fingers.map((_, i) => (i < 7 ? b : c)) };
    // A key owned by c, so a must ask b (the closest preceding node it knows).
    let key = 'k0';
    for (let i = 0; chordId(key, 16) <= 200 || chordId(key, 16) > 30000; i++) key = `k${i}`;
    const t = checkedStep(chord, a, { type: 'lookup', key, requestId: 'r', now: 50_000 });
    expect(t.outputs).toMatchObject([{ type: 'send', to: 'b', message: { type: 'findSuccessor' } }]);
    expect(chord.nextDeadline(t.state)).toBe(51_000);
    // a tick before that is not a timeout
    expect(checkedStep(chord, t.state, { type: 'tick', now: 50_999 }).outputs).toEqual([]);
  });

  it('a request sent on a peer message counts from that message\'s arrival', () => {
    let j = chord.init({ addr: 'j', m: 16, id: 5000, rpcTimeoutMs: 1000 });
    j = checkedStep(chord, j, { type: 'join', via: 'a', now: 10 }).state;
    expect(chord.nextDeadline(j)).toBe(1010);
    const rid = Number(Object.keys(j.pending)[0]);
    const t = checkedStep(chord, j, { type: 'message', from: 'a', message: { type: 'findSuccessorReply', rid, done: false, node: { id: 4000, addr: 'c' } }, now: 700 });
    expect(chord.nextDeadline(t.state)).toBe(1700);
  });

  it('an unknown command, or a bad now, throws InvalidCommandError', () => {
    for (const input of [{ type: 'explode', now: 1 }, { type: 'tick', now: NaN }, { type: 'create' }, { type: 'message', from: 'b', message: { type: 'ping', rid: 1 } }]) {
      expect(() => chord.step(active('a'), input as never)).toThrow(InvalidCommandError);
    }
  });
});

describe('Chord: lookups route around silent hops (ToN §V.C)', () => {
  it('a joining node whose next hop times out asks the previous hop again, excluding the silent node', () => {
    const j = chord.init({ addr: 'j', m: 16, id: 5000 });
    let t = checkedStep(chord, j, { type: 'join', via: 'a', now: 0 });
    expect(t.outputs).toMatchObject([{ type: 'send', to: 'a', message: { type: 'findSuccessor', target: 5000, exclude: [] } }]);
    const rid1 = Number(Object.keys(t.state.pending)[0]);
    t = checkedStep(chord, t.state, { type: 'message', from: 'a', message: { type: 'findSuccessorReply', rid: rid1, done: false, node: { id: 4000, addr: 'c' } }, now: 1 });
    expect(t.outputs).toMatchObject([{ type: 'send', to: 'c', message: { type: 'findSuccessor', target: 5000 } }]);
    t = checkedStep(chord, t.state, { type: 'tick', now: 5_000 });
    expect(t.outputs).toMatchObject([{ type: 'send', to: 'a', message: { type: 'findSuccessor', target: 5000, exclude: [4000] } }]);
    expect(t.state.status).toBe('joining');
  });
});

describe('Chord: keys and ids a peer chooses (issue: prototype-named keys, deep values, bounded tables)', () => {
  it('a transfer of key __proto__ is stored as an own key; the store keeps its prototype', () => {
    const t = checkedStep(chord, active('a'), { type: 'message', from: 'b', message: JSON.parse('{"type":"transfer","items":[{"key":"__proto__","value":{"polluted":1},"version":1}]}'), now: 1 });
    const store = t.state.store;
    expect(Object.getPrototypeOf(store)).toBe(Object.prototype);
    expect(Object.keys(store)).toEqual(['__proto__']);
    expect(getOwn(store, '__proto__')).toEqual({ value: { polluted: 1 }, version: 1 });
    expect(JSON.parse(JSON.stringify(t.state)).store).toEqual(JSON.parse('{"__proto__":{"value":{"polluted":1},"version":1}}'));
    // and the key can be fetched back
    const f = checkedStep(chord, t.state, { type: 'message', from: 'b', message: { type: 'fetch', rid: 1, key: '__proto__' }, now: 2 });
    expect(f.outputs).toEqual([{ type: 'send', to: 'b', message: { type: 'fetchReply', rid: 1, found: true, value: { polluted: 1 } } }]);
  });

  it('a fetch of constructor, toString or hasOwnProperty is not found in an empty store', () => {
    for (const key of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) {
      const t = checkedStep(chord, active('a'), { type: 'message', from: 'b', message: { type: 'fetch', rid: 1, key }, now: 1 });
      expect(t.outputs).toEqual([{ type: 'send', to: 'b', message: { type: 'fetchReply', rid: 1, found: false, value: null } }]);
    }
    // a local get of such a key, too
    const g = checkedStep(chord, active('a'), { type: 'get', key: 'constructor', requestId: 'g', now: 1 });
    expect(g.outputs).toMatchObject([{ type: 'getDone', found: false, value: null }]);
  });

  it('a put of key constructor stores and versions it like any other key', () => {
    let s = active('a');
    s = checkedStep(chord, s, { type: 'put', key: 'constructor', value: 1, requestId: 'p1', now: 1 }).state;
    s = checkedStep(chord, s, { type: 'put', key: 'constructor', value: 2, requestId: 'p2', now: 2 }).state;
    expect(getOwn(s.store, 'constructor')).toEqual({ value: 2, version: 2 });
  });

  it('transfer values nested 6,000 deep are rejected, not thrown; the depth limit is configurable', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 6000; i++) deep = [deep];
    const base0 = active('a');
    const t = checkedStep(chord, base0, { type: 'message', from: 'b', message: { type: 'transfer', items: [{ key: 'k', value: deep, version: 1 }] }, now: 1 });
    expect(t.state).toBe(base0);
    expect(t.outputs).toMatchObject([{ type: 'rejected', reason: expect.stringMatching(/items\[0\]\.value.*deeper than 64/) }]);
    const store = checkedStep(chord, base0, { type: 'message', from: 'b', message: { type: 'store', rid: 1, key: 'k', value: deep }, now: 1 });
    expect(store.state).toBe(base0);
    const shallow = chord.step(chord.init({ addr: 'a', m: 16, payloadLimits: { maxDepth: 2 } }), { type: 'create', now: 0 }).state;
    const r = checkedStep(chord, shallow, { type: 'message', from: 'b', message: { type: 'transfer', items: [{ key: 'k', value: [[[1]]], version: 1 }] }, now: 1 });
    expect(r.outputs[0]).toMatchObject({ type: 'rejected', reason: expect.stringMatching(/deeper than 2/) });
    const ok = checkedStep(chord, shallow, { type: 'message', from: 'b', message: { type: 'transfer', items: [{ key: 'k', value: [[1]], version: 1 }] }, now: 1 });
    expect(getOwn(ok.state.store, 'k')).toEqual({ value: [[1]], version: 1 });
    expect(() => chord.step(shallow, { type: 'put', key: 'k', value: [[[1]]], requestId: 'p', now: 2 })).toThrow(InvalidCommandError);
    expect(() => chord.init({ addr: 'a', payloadLimits: { maxDepth: -1 } })).toThrow(ConfigError);
  });

  it('only validated fields are stored: extra fields of a peer and of a value holder are dropped', () => {
    const t = checkedStep(chord, active('a'), { type: 'message', from: 'b', message: { type: 'notify', node: { id: 7, addr: 'b', junk: 'x'.repeat(10_000) }, extra: 1 }, now: 1 });
    expect(t.state.predecessor).toEqual({ id: 7, addr: 'b' });
    const u = checkedStep(chord, active('a'), { type: 'message', from: 'b', message: { type: 'transfer', items: [{ key: 'k', value: 1, version: 1, junk: 'y'.repeat(10_000) }] }, now: 1 });
    expect(JSON.stringify(u.state.store)).toBe('{"k":{"value":1,"version":1}}');
  });

  it('counters are bounded: versions and request ids above MAX_COUNTER are rejected', () => {
    const s = active('a');
    expect(checkedStep(chord, s, { type: 'message', from: 'b', message: { type: 'transfer', items: [{ key: 'k', value: 1, version: MAX_COUNTER + 1 }] }, now: 1 }).state).toBe(s);
    expect(checkedStep(chord, s, { type: 'message', from: 'b', message: { type: 'ping', rid: MAX_COUNTER + 1 }, now: 1 }).outputs[0]!.type).toBe('rejected');
    const top = checkedStep(chord, s, { type: 'message', from: 'b', message: { type: 'transfer', items: [{ key: 'k', value: 1, version: MAX_COUNTER }] }, now: 1 }).state;
    // a put on top of it can still count one more, never past Number.MAX_SAFE_INTEGER
    const p1 = checkedStep(chord, top, { type: 'put', key: 'k', value: 2, requestId: 'p', now: 2 });
    expect(p1.outputs).toMatchObject([{ type: 'requestFailed', reason: expect.stringMatching(/MAX_COUNTER/) }]);
    expect(getOwn(p1.state.store, 'k')!.version).toBe(MAX_COUNTER);
  });

  it('user requests in flight are bounded by maxPendingRequests; a request beyond fails naming the limit', () => {
    let a = chord.step(chord.init({ addr: 'a', m: 16, id: 100, maxPendingRequests: 2 }), { type: 'create', now: 0 }).state;
    const b = { id: 200, addr: 'b' };
    const c = { id: 30000, addr: 'c' };
    a = { ...a, successors: [b, c], predecessor: c, fingers: a.fingers.map((_, i) => (i < 7 ? b : c)) };
    const keys: string[] = [];
    for (let i = 0; keys.length < 3; i++) if (chordId(`k${i}`, 16) > 200 && chordId(`k${i}`, 16) <= 30000) keys.push(`k${i}`);
    const outs = keys.map((key, i) => {
      const t = checkedStep(chord, a, { type: 'lookup', key, requestId: `r${i}`, now: 1 + i });
      a = t.state;
      return t.outputs;
    });
    expect(outs[0]![0]!.type).toBe('send');
    expect(outs[1]![0]!.type).toBe('send');
    expect(outs[2]).toMatchObject([{ type: 'requestFailed', requestId: 'r2', reason: expect.stringMatching(/maxPendingRequests/) }]);
    expect(Object.keys(a.pending)).toHaveLength(2);
  });

  it('suspect counts are bounded by CHORD_MAX_SUSPECTS', () => {
    expect(CHORD_MAX_SUSPECTS).toBeGreaterThan(0);
    // a peer named like a prototype member is counted as an own key
    let j = chord.init({ addr: 'j', m: 16, id: 5000, rpcTimeoutMs: 10, suspectAfterTimeouts: 3 });
    j = chord.step(chord.step(j, { type: 'create', now: 0 }).state, { type: 'tick', now: 0 }).state;
    j = { ...j, predecessor: { id: 10, addr: 'constructor' } };
    const t = checkedStep(chord, { ...j, timers: { ...j.timers, checkPredecessor: { at: 1, attempt: 0 } } }, { type: 'tick', now: 1 });
    const timedOut = checkedStep(chord, t.state, { type: 'tick', now: 100 });
    expect(getOwn(timedOut.state.suspects, 'constructor')).toBe(1);
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
    expect(() => chord.step(idle, { type: 'lookup', key: 'k', requestId: 'r', now: 0 })).toThrow(InvalidCommandError);
    expect(() => chord.step(active('a'), { type: 'join', via: 'b', now: 0 })).toThrow(InvalidCommandError);
    expect(() => chord.step(active('a'), { type: 'create', now: 0 })).toThrow(InvalidCommandError);
  });
  it('nextDeadline: none while idle, the earliest timer or request deadline when active', () => {
    expect(chord.nextDeadline(chord.init({ addr: 'a' }))).toBeUndefined();
    const s = chord.step(chord.init({ addr: 'a', stabilizeIntervalMs: 300 }), { type: 'create', now: 1000 }).state;
    expect(chord.nextDeadline(s)).toBe(1300);
    const joining = chord.step(chord.init({ addr: 'b', rpcTimeoutMs: 700 }), { type: 'join', via: 'a', now: 60 }).state;
    expect(chord.nextDeadline(joining)).toBe(760);
  });
});
