import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkedStep, compareNodeIds, ConfigError, InvalidCommandError, MAX_COUNTER, type Machine } from 'distkit/core';
import {
  centralizedMutex,
  gridQuorums,
  lamportMutex,
  maekawa,
  ricartAgrawala,
  tokenRing,
  type MutexInput,
} from 'distkit/mutex';
import { ids, runMutex, Sim } from '../support/event-sim.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type M = Machine<any, any, MutexInput, any>;
const msg = (from: string, message: unknown, now = 0): MutexInput => ({ type: 'message', from, message, now });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const sends = (outs: readonly { type: string }[]): any[] => outs.filter((o) => o.type === 'send');
const entered = (outs: readonly { type: string }[]) => outs.some((o) => o.type === 'enter');

/** Feeds a hostile input: it must be rejected, keep the very same state, and never grant entry. */
function expectRejected(m: M, state: unknown, input: MutexInput, reason?: RegExp): void {
  const t = checkedStep(m, state, input);
  expect(t.state).toBe(state);
  expect(t.outputs).toHaveLength(1);
  expect(t.outputs[0].type).toBe('rejected');
  if (reason) expect(t.outputs[0].reason).toMatch(reason);
  expect(entered(t.outputs)).toBe(false);
}

describe('compareNodeIds', () => {
  it('orders shorter ids first, then by code units (n9 < n10)', () => {
    expect(compareNodeIds('n9', 'n10')).toBe(-1);
    expect(compareNodeIds('b', 'a')).toBe(1);
    expect(compareNodeIds('x', 'x')).toBe(0);
  });
  it('is a total order: antisymmetric and transitive (fast-check)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => {
        expect(Math.sign(compareNodeIds(a, b)) + Math.sign(compareNodeIds(b, a))).toBe(0);
        if (compareNodeIds(a, b) <= 0 && compareNodeIds(b, c) <= 0) expect(compareNodeIds(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });
});

describe('Ricart–Agrawala (CACM 1981)', () => {
  const nodes = ['a', 'b', 'c'];
  it('§2: a request is broadcast; entry after N−1 replies', () => {
    let a = ricartAgrawala.init({ id: 'a', nodes });
    const t = checkedStep(ricartAgrawala, a, { type: 'request', now: 0 });
    expect(sends(t.outputs).map((o: { to: string }) => o.to)).toEqual(['b', 'c']);
    a = t.state;
    a = checkedStep(ricartAgrawala, a, msg('b', { type: 'reply', ts: 1 })).state;
    const last = checkedStep(ricartAgrawala, a, msg('c', { type: 'reply', ts: 1 }));
    expect(entered(last.outputs)).toBe(true);
    expect(last.state.phase).toBe('held');
  });

  it('concurrent requests with equal timestamps: the lower id wins, the other defers', () => {
    const a = checkedStep(ricartAgrawala, ricartAgrawala.init({ id: 'a', nodes }), { type: 'request', now: 0 }).state;
    const b = checkedStep(ricartAgrawala, ricartAgrawala.init({ id: 'b', nodes }), { type: 'request', now: 0 }).state;
    const atA = checkedStep(ricartAgrawala, a, msg('b', { type: 'request', ts: 1 }));
    expect(sends(atA.outputs)).toHaveLength(0); // a defers b
    expect(atA.state.deferred).toEqual([{ node: 'b', ts: 1 }]);
    const atB = checkedStep(ricartAgrawala, b, msg('a', { type: 'request', ts: 1 }));
    expect(sends(atB.outputs)).toEqual([{ type: 'send', to: 'a', message: { type: 'reply', ts: 1 } }]);
  });

  it('release sends the deferred replies', () => {
    let a = ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] });
    a = checkedStep(ricartAgrawala, a, { type: 'request', now: 0 }).state;
    a = checkedStep(ricartAgrawala, a, msg('b', { type: 'reply', ts: 1 })).state;
    a = checkedStep(ricartAgrawala, a, msg('b', { type: 'request', ts: 1 })).state;
    const t = checkedStep(ricartAgrawala, a, { type: 'release', now: 0 });
    expect(sends(t.outputs)).toEqual([{ type: 'send', to: 'b', message: { type: 'reply', ts: 1 } }]);
  });

  it('hostile: unknown sender, forged reply for a request never made, negative timestamps, wrong-request and duplicate replies', () => {
    const idle = ricartAgrawala.init({ id: 'a', nodes });
    expectRejected(ricartAgrawala, idle, msg('z', { type: 'reply', ts: 1 }), /unknown sender/);
    expectRejected(ricartAgrawala, idle, msg('b', { type: 'reply', ts: 1 }), /no request/);
    expectRejected(ricartAgrawala, idle, msg('b', { type: 'request', ts: -1 }), /ts/);
    expectRejected(ricartAgrawala, idle, msg('b', { type: 'request', ts: 1.5 }), /ts/);
    expectRejected(ricartAgrawala, idle, msg('b', null));
    expectRejected(ricartAgrawala, idle, msg('b', { type: 'grant' }));
    let w = checkedStep(ricartAgrawala, idle, { type: 'request', now: 0 }).state;
    expectRejected(ricartAgrawala, w, msg('b', { type: 'reply', ts: 7 }), /outstanding/);
    w = checkedStep(ricartAgrawala, w, msg('b', { type: 'reply', ts: 1 })).state;
    expectRejected(ricartAgrawala, w, msg('b', { type: 'reply', ts: 1 }), /duplicate/);
    expect(w.phase).toBe('wanting');
  });

  it('local misuse throws typed errors; bad config names the field', () => {
    const s = ricartAgrawala.init({ id: 'a', nodes });
    expect(() => ricartAgrawala.step(s, { type: 'release', now: 0 })).toThrow(InvalidCommandError);
    expect(() => ricartAgrawala.init({ id: 'a', nodes: ['b'] })).toThrow(ConfigError);
    expect(() => ricartAgrawala.init({ id: 'a', nodes: ['a', 'a'] })).toThrow(/duplicate/);
  });
});

describe('Lamport mutual exclusion (CACM 1978)', () => {
  const nodes = ['a', 'b', 'c'];
  it('rules 1-5: enter when own request heads the queue and every other node sent a later message', () => {
    let a = lamportMutex.init({ id: 'a', nodes });
    a = checkedStep(lamportMutex, a, { type: 'request', now: 0 }).state;
    a = checkedStep(lamportMutex, a, msg('b', { type: 'ack', ts: 3, n: 0 })).state;
    expect(a.phase).toBe('wanting');
    const t = checkedStep(lamportMutex, a, msg('c', { type: 'ack', ts: 3, n: 0 }));
    expect(entered(t.outputs)).toBe(true);
  });

  it('an earlier request from another node keeps us out until its release', () => {
    let a = lamportMutex.init({ id: 'a', nodes: ['a', 'b'] });
    a = checkedStep(lamportMutex, a, msg('b', { type: 'request', ts: 1, n: 0 })).state; // b first
    a = checkedStep(lamportMutex, a, { type: 'request', now: 0 }).state;
    a = checkedStep(lamportMutex, a, msg('b', { type: 'ack', ts: 9, n: 1 })).state;
    expect(a.phase).toBe('wanting');
    const t = checkedStep(lamportMutex, a, msg('b', { type: 'release', ts: 10, n: 2 }));
    expect(entered(t.outputs)).toBe(true);
  });

  it('messages overtaking each other are put back in FIFO order', () => {
    let a = lamportMutex.init({ id: 'a', nodes: ['a', 'b'] });
    a = checkedStep(lamportMutex, a, { type: 'request', now: 0 }).state; // ts 1
    // b's request (ts 1 > ... tie: a < b so a has priority) then release overtakes nothing; here b's
    // release (n=1) arrives before b's request (n=0): it is buffered.
    a = checkedStep(lamportMutex, a, msg('b', { type: 'release', ts: 5, n: 1 })).state;
    expect(a.pending.b).toHaveLength(1);
    a = checkedStep(lamportMutex, a, msg('b', { type: 'request', ts: 2, n: 0 })).state;
    expect(a.pending.b).toHaveLength(0);
    expect(a.queue.map((q: { node: string }) => q.node)).toEqual(['a']);
    expect(a.phase).toBe('held');
  });

  it('hostile: unknown sender, duplicates, far-future sequence numbers, negative timestamps', () => {
    const a = lamportMutex.init({ id: 'a', nodes });
    expectRejected(lamportMutex, a, msg('z', { type: 'ack', ts: 1, n: 0 }), /unknown sender/);
    expectRejected(lamportMutex, a, msg('b', { type: 'ack', ts: -1, n: 0 }), /ts/);
    expectRejected(lamportMutex, a, msg('b', { type: 'ack', ts: 1, n: 1_000_000 }), /too far/);
    const b = checkedStep(lamportMutex, a, msg('b', { type: 'ack', ts: 1, n: 0 })).state;
    expectRejected(lamportMutex, b, msg('b', { type: 'ack', ts: 1, n: 0 }), /duplicate/);
    // A forged ack never lets an idle node in.
    expect(b.phase).toBe('idle');
  });
});

describe('centralized coordinator (Tanenbaum & van Steen §6.3.2)', () => {
  const nodes = ['coord', 'b', 'c', 'd'];
  const init = (id: string) => centralizedMutex.init({ id, nodes, coordinator: 'coord', timeoutMs: 100 });

  it('grants in FIFO order', () => {
    let co = init('coord');
    const grants: string[] = [];
    const feed = (from: string, m: unknown) => {
      const t = checkedStep(centralizedMutex, co, msg(from, m));
      co = t.state;
      for (const o of sends(t.outputs) as { to: string; message: { type: string } }[]) if (o.message.type === 'grant') grants.push(o.to);
    };
    feed('b', { type: 'request', seq: 1 });
    feed('d', { type: 'request', seq: 1 });
    feed('c', { type: 'request', seq: 1 });
    feed('b', { type: 'release', seq: 1 });
    feed('d', { type: 'release', seq: 1 });
    expect(grants).toEqual(['b', 'd', 'c']);
  });

  it('a coordinator crash is detected by the waiting clients and reported', () => {
    const nodes5 = ['coord', ...ids(4)];
    const sim = new Sim({ seed: 3 });
    for (const id of nodes5) sim.add(id, centralizedMutex, centralizedMutex.init({ id, nodes: nodes5, coordinator: 'coord', timeoutMs: 200 }));
    const failed: string[] = [];
    sim.onEvent = (node, o) => {
      if (o.type === 'coordinator-failed') failed.push(node);
    };
    sim.input('n1', { type: 'request', now: 0 });
    sim.run(50);
    sim.crash('coord');
    for (const c of ['n2', 'n3', 'n4']) sim.input(c, { type: 'request', now: 0 });
    sim.run(2000);
    expect(failed.sort()).toEqual(['n2', 'n3', 'n4']);
  });

  it('a waiting client probes after the timeout and keeps waiting while the coordinator answers', () => {
    const r = runMutex({
      seed: 9,
      clients: ids(3),
      entriesPerClient: 3,
      holdMaxMs: 300, // longer than timeoutMs: waiting clients probe
      setup: (sim) => {
        const ns = ['coord', ...ids(3)];
        for (const id of ns) sim.add(id, centralizedMutex, centralizedMutex.init({ id, nodes: ns, coordinator: 'coord', timeoutMs: 100 }));
      },
    });
    expect(r.entries).toBe(9);
    expect(r.sent.probe ?? 0).toBeGreaterThan(0);
    expect(r.sent.queued ?? 0).toBeGreaterThan(0);
    expect(r.sent.queued).toBeLessThanOrEqual(r.sent.probe!);
  });

  it('hostile: grants from a non-coordinator, grants for requests never made, releases from non-holders', () => {
    const b = init('b');
    expectRejected(centralizedMutex, b, msg('c', { type: 'grant', seq: 1 }), /not the coordinator/);
    expectRejected(centralizedMutex, b, msg('coord', { type: 'grant', seq: 5 }), /never made/);
    expectRejected(centralizedMutex, b, msg('evil', { type: 'grant', seq: 1 }), /unknown sender/);
    expectRejected(centralizedMutex, b, msg('coord', { type: 'grant', seq: -1 }), /seq/);
    const co = init('coord');
    expectRejected(centralizedMutex, co, msg('b', { type: 'release', seq: 1 }), /does not hold/);
    expectRejected(centralizedMutex, b, msg('coord', { type: 'request', seq: 1 }), /not the coordinator/);
  });
});

describe('token ring (Le Lann 1977) with generation-numbered regeneration', () => {
  const ring = ['a', 'b', 'c'];
  it('the token is passed on at once when not wanted, and kept for the critical section when wanted', () => {
    const a = tokenRing.init({ id: 'a', nodes: ring });
    expect(checkedStep(tokenRing, a, { type: 'request', now: 0 }).outputs).toEqual([{ type: 'enter' }]);
    let b = tokenRing.init({ id: 'b', nodes: ring });
    const t = checkedStep(tokenRing, b, msg('a', { type: 'token', gen: 0, seq: 1 }));
    expect(t.outputs).toEqual([{ type: 'send', to: 'c', message: { type: 'token', gen: 0, seq: 2 } }]);
    b = checkedStep(tokenRing, b, { type: 'request', now: 0 }).state;
    expect(checkedStep(tokenRing, b, msg('a', { type: 'token', gen: 0, seq: 1 })).outputs).toEqual([{ type: 'enter' }]);
  });

  it('a node in the critical section holds a regeneration probe back until it releases, then destroys its old token', () => {
    let b = tokenRing.init({ id: 'b', nodes: ring });
    b = checkedStep(tokenRing, b, { type: 'request', now: 0 }).state;
    b = checkedStep(tokenRing, b, msg('a', { type: 'token', gen: 0, seq: 1 })).state;
    const held = checkedStep(tokenRing, b, msg('a', { type: 'probe', gen: 1, origin: 'a' }));
    expect(held.outputs).toEqual([]);
    const rel = checkedStep(tokenRing, held.state, { type: 'release', now: 0 });
    expect(rel.outputs).toEqual([
      { type: 'token-discarded', gen: 0 },
      { type: 'send', to: 'c', message: { type: 'probe', gen: 1, origin: 'a' } },
    ]);
  });

  it('hostile: tokens from a non-predecessor, tokens of unannounced generations, probes from outside the ring', () => {
    const b = tokenRing.init({ id: 'b', nodes: ring });
    expectRejected(tokenRing, b, msg('c', { type: 'token', gen: 0, seq: 1 }), /predecessor/);
    expectRejected(tokenRing, b, msg('a', { type: 'token', gen: 7, seq: 1 }), /no probe announced/);
    expectRejected(tokenRing, b, msg('a', { type: 'token', gen: -1, seq: 1 }), /gen/);
    expectRejected(tokenRing, b, msg('a', { type: 'token', gen: 0 }), /seq/);
    expectRejected(tokenRing, b, msg('a', { type: 'probe', gen: 2, origin: 'zz' }), /not in the ring/);
  });
});

describe('Maekawa (ACM TOCS 1985) with grid quorums', () => {
  it('§3 grid: any two voting sets intersect, and each has at most 2⌈√N⌉ − 1 members (fast-check, N = 1..60)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), (n) => {
        const q = gridQuorums(ids(n));
        const sets = Object.values(q);
        for (const x of sets) {
          expect(x.length).toBeLessThanOrEqual(2 * Math.ceil(Math.sqrt(n)) - 1);
          for (const y of sets) if (!x.some((e) => y.includes(e))) throw new Error(`disjoint sets for N=${n}`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('config: voting sets that do not intersect are refused', () => {
    expect(() => maekawa.init({ id: 'a', nodes: ['a', 'b'], quorums: { a: ['a'], b: ['b'] } })).toThrow(/do not intersect/);
  });

  it('deadlock avoidance: an earlier request makes the voter INQUIRE; a requester told FAILED RELINQUISHes', () => {
    // Voter v is locked for (5, x); (3, y) arrives: v answers INQUIRE to x (y precedes x).
    const nodes = ['v', 'x', 'y'];
    const quorums = { v: ['v', 'x', 'y'], x: ['v', 'x'], y: ['v', 'y'] };
    let v = maekawa.init({ id: 'v', nodes, quorums });
    v = checkedStep(maekawa, v, msg('x', { type: 'request', ts: 5, owner: 'x' })).state;
    const t = checkedStep(maekawa, v, msg('y', { type: 'request', ts: 3, owner: 'y' }));
    expect(sends(t.outputs)).toEqual([{ type: 'send', to: 'x', message: { type: 'inquire', ts: 5, owner: 'x' } }]);
    // x holds v's vote, then is told FAILED by its other voter: it relinquishes v.
    let x = maekawa.init({ id: 'x', nodes, quorums });
    x = checkedStep(maekawa, x, { type: 'request', now: 0 }).state; // ts 1, self vote is local
    const ts = x.requestTs;
    x = checkedStep(maekawa, x, msg('v', { type: 'locked', ts, owner: 'x' })).state;
    expect(x.phase).toBe('held'); // quorum {v, x}: both votes, enters
    let x2 = maekawa.init({ id: 'x', nodes, quorums: { v: ['v', 'x', 'y'], x: ['v', 'x', 'y'], y: ['v', 'y'] } });
    x2 = checkedStep(maekawa, x2, { type: 'request', now: 0 }).state;
    x2 = checkedStep(maekawa, x2, msg('v', { type: 'locked', ts: x2.requestTs, owner: 'x' })).state;
    const inq = checkedStep(maekawa, x2, msg('v', { type: 'inquire', ts: x2.requestTs, owner: 'x' }));
    expect(sends(inq.outputs)).toEqual([]); // no FAILED yet: keeps the vote
    const fail = checkedStep(maekawa, inq.state, msg('y', { type: 'failed', ts: x2.requestTs, owner: 'x' }));
    expect(sends(fail.outputs)).toEqual([{ type: 'send', to: 'v', message: { type: 'relinquish', ts: x2.requestTs, owner: 'x' } }]);
  });

  it('hostile: votes for requests never made, votes from outside the voting set, releases of foreign requests', () => {
    const nodes = ids(9);
    const a = maekawa.init({ id: 'n1', nodes });
    expectRejected(maekawa, a, msg('n2', { type: 'locked', ts: 1, owner: 'n1' }), /did not make/);
    expectRejected(maekawa, a, msg('evil', { type: 'locked', ts: 1, owner: 'n1' }), /unknown sender/);
    const w = checkedStep(maekawa, a, { type: 'request', now: 0 }).state;
    expectRejected(maekawa, w, msg('n9', { type: 'locked', ts: w.requestTs, owner: 'n1' }), /not in the voting set/);
    expectRejected(maekawa, w, msg('n2', { type: 'locked', ts: w.requestTs + 1, owner: 'n1' }), /did not make/);
    expectRejected(maekawa, w, msg('n2', { type: 'release', ts: 4, owner: 'n2' }), /not locked/);
    expectRejected(maekawa, w, msg('n2', { type: 'request', ts: 4, owner: 'n3' }), /sent by/);
    expectRejected(maekawa, w, msg('n2', { type: 'request', ts: 0, owner: 'n2' }), /ts/);
  });
});

describe('every machine: forged messages never grant entry (fast-check over arbitrary payloads)', () => {
  const machines: [string, M, unknown][] = [
    ['ricart-agrawala', ricartAgrawala, ricartAgrawala.init({ id: 'n1', nodes: ids(3) })],
    ['lamport', lamportMutex, lamportMutex.init({ id: 'n1', nodes: ids(3) })],
    ['maekawa', maekawa, maekawa.init({ id: 'n1', nodes: ids(4) })],
    ['token-ring', tokenRing, tokenRing.init({ id: 'n2', nodes: ids(3) })],
    ['centralized', centralizedMutex, centralizedMutex.init({ id: 'n1', nodes: ['c', ...ids(3)], coordinator: 'c' })],
  ];
  for (const [name, m, idle] of machines) {
    it(`${name}: an idle node never enters, whatever arrives`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.constantFrom('n1', 'n2', 'n3', 'n4', 'c', 'evil'), fc.anything()), { maxLength: 8 }), (inputs) => {
          let s = idle;
          for (const [from, payload] of inputs) {
            const t = checkedStep(m, s, msg(from, payload));
            expect(entered(t.outputs)).toBe(false);
            s = t.state;
          }
        }),
        { numRuns: 200 },
      );
    });
  }
});

describe('v2 contract: counters, stored copies, unknown commands (regressions)', () => {
  const BIG = 2 ** 53 - 1;
  const clockOf = (s: unknown) => (s as { clock: number }).clock;
  const cases: [string, M, unknown, unknown, unknown][] = [
    ['ricart-agrawala', ricartAgrawala, ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] }), { type: 'request', ts: BIG }, { type: 'request', ts: MAX_COUNTER }],
    ['lamport', lamportMutex, lamportMutex.init({ id: 'a', nodes: ['a', 'b'] }), { type: 'request', ts: BIG, n: 0 }, { type: 'request', ts: MAX_COUNTER, n: 0 }],
    ['maekawa', maekawa, maekawa.init({ id: 'a', nodes: ['a', 'b'] }), { type: 'request', ts: BIG, owner: 'b' }, { type: 'request', ts: MAX_COUNTER, owner: 'b' }],
  ];
  for (const [name, m, idle, huge, max] of cases) {
    it(`${name}: a timestamp of 2^53 − 1 is rejected; at MAX_COUNTER the clock stays exact and a further request is refused locally`, () => {
      expectRejected(m, idle, msg('b', huge), /ts/);
      const t = checkedStep(m, idle, msg('b', max));
      expect(t.outputs.some((o: { type: string }) => o.type === 'rejected')).toBe(false);
      const clock = clockOf(t.state);
      expect(clock).toBeLessThanOrEqual(MAX_COUNTER);
      expect(clock + 1).not.toBe(clock);
      expect(() => m.step(t.state, { type: 'request', now: 1 })).toThrow(InvalidCommandError);
    });
  }

  it('lamport: a message buffered out of order is stored as its validated copy, without extra fields', () => {
    const a = lamportMutex.init({ id: 'a', nodes: ['a', 'b'] });
    const t = checkedStep(lamportMutex, a, msg('b', { type: 'ack', ts: 4, n: 2, junk: 'x'.repeat(10_000) }));
    expect(t.state.pending.b).toEqual([{ type: 'ack', ts: 4, n: 2 }]);
    expect(JSON.stringify(t.state).length).toBeLessThan(1000);
  });

  it('lamport: peers named like Object.prototype members are ordinary keys', () => {
    const nodes = ['__proto__', 'constructor', 'a'];
    let a = lamportMutex.init({ id: 'a', nodes });
    a = checkedStep(lamportMutex, a, { type: 'request', now: 0 }).state;
    a = checkedStep(lamportMutex, a, msg('__proto__', { type: 'ack', ts: 5, n: 0 })).state;
    const t = checkedStep(lamportMutex, a, msg('constructor', { type: 'ack', ts: 5, n: 0 }));
    expect(entered(t.outputs)).toBe(true);
    expect(Object.getPrototypeOf(t.state.lastTs)).toBe(Object.prototype);
    expect(Object.keys(t.state.lastTs).sort()).toEqual(['__proto__', 'constructor']);
  });

  const machines: [string, M, unknown][] = [
    ['centralized', centralizedMutex, centralizedMutex.init({ id: 'a', nodes: ['a', 'b'], coordinator: 'a' })],
    ['token-ring', tokenRing, tokenRing.init({ id: 'a', nodes: ['a', 'b'] })],
    ['ricart-agrawala', ricartAgrawala, ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] })],
    ['lamport', lamportMutex, lamportMutex.init({ id: 'a', nodes: ['a', 'b'] })],
    ['maekawa', maekawa, maekawa.init({ id: 'a', nodes: ['a', 'b'] })],
  ];
  for (const [name, m, s] of machines) {
    it(`${name}: an unknown command or a bad now throws InvalidCommandError (it used to return undefined)`, () => {
      expect(() => m.step(s, { type: 'no-such-command', now: 1 } as never)).toThrow(InvalidCommandError);
      expect(() => m.step(s, { type: 'tick', now: NaN })).toThrow(InvalidCommandError);
      expect(() => m.step(s, { type: 'request' } as never)).toThrow(InvalidCommandError);
    });
  }
});
