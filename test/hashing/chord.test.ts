import { describe, expect, it } from 'vitest';
import { ChordDriver, misplacedKeys, ownerOf, ringProblem, sortedPeers, stabilizedRing } from './chord-driver.js';
import { chord, chordId, type ChordConfig } from 'distkit/hashing';
import { getOwn } from 'distkit/core';

const M = 32;

function growRing(n: number, seed: number, extra: Partial<ChordConfig> = {}): ChordDriver {
  const d = new ChordDriver({ seed, checked: n <= 16 });
  for (let i = 0; i < n; i++) d.add({ addr: `n${i}`, m: M, ...extra });
  d.input('n0', { type: 'create' });
  for (let i = 1; i < n; i++) {
    d.runUntil(d.now + 100);
    const active = d.live();
    d.input(`n${i}`, { type: 'join', via: active[d.rng.int(0, active.length)]!.self.addr });
  }
  return d;
}

describe('Chord: join, stabilize, notify, fixFingers (ToN §IV.D–E, Figs. 6–7)', () => {
  it('nodes joining one by one through random members converge to one ring with correct fingers', () => {
    for (const seed of [1, 2, 3]) {
      const d = growRing(32, seed);
      d.runUntil(d.now + 60_000);
      const live = d.live();
      expect(live).toHaveLength(32);
      expect(ringProblem(live)).toBeUndefined();
      // The fully stabilized state the big-N tests build directly is what the protocol reaches.
      const ideal = new Map(stabilizedRing(live.map((s) => ({ addr: s.self.addr, m: M }))).map((s) => [s.self.addr, s]));
      for (const s of live) {
        const want = ideal.get(s.self.addr)!;
        expect(s.successors).toEqual(want.successors);
        expect(s.predecessor).toEqual(want.predecessor);
        expect(s.fingers).toEqual(want.fingers);
      }
      expect(d.rejected).toBe(0);
    }
  });
});

const quiet = { stabilizeIntervalMs: 1e12, fixFingersIntervalMs: 1e12, checkPredecessorIntervalMs: 1e12, replicateIntervalMs: 1e12 };

describe('Chord: path length (ToN §V.B, Fig. 10: mean path length ≈ ½ log2 N)', () => {
  // The stabilized ring of each size is built directly (the state join + stabilize + fixFingers
  // converges to, checked above at N = 32); maintenance timers are off while measuring since the
  // ring is already stable. Path length counts the nodes a query visits after its origin: our
  // iterative `hops` (query messages up to the key's predecessor) plus the final hop to the key's
  // successor, which the paper's recursive lookups traverse.
  it('mean path length within 10% of ½ log2 N for N = 2^6 .. 2^12', () => {
    for (let k = 6; k <= 12; k++) {
      const n = 2 ** k;
      const states = stabilizedRing(Array.from({ length: n }, (_, i) => ({ addr: `n${i}`, m: M, ...quiet })));
      const d = new ChordDriver({ seed: k });
      for (const s of states) d.install(s);
      const peers = sortedPeers(states);
      const lookups = 1500;
      let total = 0;
      for (let q = 0; q < lookups; q++) {
        const o = d.request(`n${d.rng.int(0, n)}`, { type: 'lookup', key: `key-${k}-${q}`, requestId: `q${q}` });
        if (o?.type !== 'lookupDone') throw new Error(`lookup ${q} at N=${n} did not finish`);
        expect(o.owner.addr).toBe(ownerOf(o.keyId, peers).addr);
        total += o.hops + 1;
      }
      const mean = total / lookups;
      expect(Math.abs(mean - k / 2) / (k / 2)).toBeLessThan(0.1);
    }
  });
});

describe('Chord: successor lists survive massive failures (ToN §V.C, Theorem IV.5)', () => {
  it('with r = 2 log2 N, half the nodes failing at once, lookups return the correct live successor after re-stabilization', () => {
    for (const seed of [11, 12]) {
      const n = 128;
      const r = 2 * Math.log2(n);
      const states = stabilizedRing(Array.from({ length: n }, (_, i) => ({ addr: `n${i}`, m: M, successorListLength: r })));
      const d = new ChordDriver({ seed });
      for (const s of states) d.install(s);
      d.runUntil(2_000);
      const victims = d.rng.int(0, 2) === 0 ? states.slice() : states.slice().reverse();
      const order = victims.map((s) => ({ s, k: d.rng.float() })).sort((a, b) => a.k - b.k);
      for (const { s } of order.slice(0, n / 2)) d.crash(s.self.addr);
      d.runUntil(d.now + 40_000);
      const live = d.live();
      expect(live).toHaveLength(n / 2);
      expect(ringProblem(live)).toBeUndefined();
      const peers = sortedPeers(live);
      for (let q = 0; q < 300; q++) {
        const from = live[d.rng.int(0, live.length)]!.self.addr;
        const o = d.request(from, { type: 'lookup', key: `k${seed}-${q}`, requestId: `f${q}` });
        expect(o?.type).toBe('lookupDone');
        if (o?.type === 'lookupDone') expect(o.owner.addr).toBe(ownerOf(o.keyId, peers).addr);
      }
    }
  });
});

describe('Chord: key storage, migration on join, graceful leave, re-replication', () => {
  const keys = Array.from({ length: 200 }, (_, i) => `item:${i}`);

  function putAll(d: ChordDriver, from: string): void {
    for (const k of keys) {
      const o = d.request(from, { type: 'put', key: k, value: { k }, requestId: `put-${k}` });
      expect(o?.type).toBe('putDone');
    }
  }

  it('put/get route to the key successor; after joins, migration quiesces with every key held by its successor', () => {
    const d = growRing(8, 21);
    d.runUntil(d.now + 30_000);
    expect(ringProblem(d.live())).toBeUndefined();
    putAll(d, 'n3');
    expect(misplacedKeys(d.live(), keys, M)).toEqual([]);
    // Eight more nodes join: keys in their ranges migrate to them (ToN §IV.E).
    for (let i = 8; i < 16; i++) d.add({ addr: `n${i}`, m: M });
    for (let i = 8; i < 16; i++) {
      d.input(`n${i}`, { type: 'join', via: 'n0' });
      d.runUntil(d.now + 300);
    }
    d.runUntil(d.now + 30_000);
    expect(ringProblem(d.live())).toBeUndefined();
    expect(misplacedKeys(d.live(), keys, M)).toEqual([]);
    for (const k of keys.slice(0, 40)) {
      const o = d.request('n12', { type: 'get', key: k, requestId: `get-${k}` });
      expect(o).toMatchObject({ type: 'getDone', found: true, value: { k } });
    }
  });

  it('graceful leave hands keys to the successor and splices the ring', () => {
    const d = growRing(10, 22);
    d.runUntil(d.now + 30_000);
    putAll(d, 'n1');
    for (const addr of ['n4', 'n7']) {
      d.input(addr, { type: 'leave' });
      d.runUntil(d.now + 100);
      expect(d.states.get(addr)!.status).toBe('left');
    }
    d.runUntil(d.now + 20_000);
    const live = d.live();
    expect(live).toHaveLength(8);
    expect(ringProblem(live)).toBeUndefined();
    expect(misplacedKeys(live, keys, M)).toEqual([]);
  });

  it('re-replication: after owners crash, their successors hold and serve the keys', () => {
    const d = growRing(12, 23, { replicas: 3, successorListLength: 6 });
    d.runUntil(d.now + 30_000);
    putAll(d, 'n2');
    d.runUntil(d.now + 5_000); // replication rounds
    // Two non-adjacent nodes crash; each key has 3 copies so none is lost.
    const peers = sortedPeers(d.live());
    d.crash(peers[1]!.addr);
    d.crash(peers[6]!.addr);
    d.runUntil(d.now + 30_000);
    const live = d.live();
    expect(ringProblem(live)).toBeUndefined();
    expect(misplacedKeys(live, keys, M)).toEqual([]);
    // ... and the copies were re-created: each key is on its owner and the next successor.
    const sorted = sortedPeers(live);
    const byAddr = new Map(live.map((s) => [s.self.addr, s]));
    for (const k of keys) {
      const o = ownerOf(chordId(k, M), sorted);
      const i = sorted.findIndex((p) => p.addr === o.addr);
      expect(getOwn(byAddr.get(sorted[(i + 1) % sorted.length]!.addr)!.store, k)).toBeDefined();
    }
  });
});

describe('Chord: simulated seeds with message loss', () => {
  // Seed 106 once isolated a node: two lost replies emptied its successor list (regression).
  // Seed 313 of a longer sweep ended with a predecessor cleared by lost pings (hence the healing).
  it('one ring after stabilization despite 5% message loss (10 seeds)', () => {
    for (const seed of [100, 101, 102, 103, 104, 105, 106, 107, 108, 313]) {
      const d = new ChordDriver({ seed, lossRate: 0.05, maxDelayMs: 50 });
      for (let i = 0; i < 12; i++) d.add({ addr: `n${i}`, m: 16 });
      d.input('n0', { type: 'create' });
      for (let i = 1; i < 12; i++) {
        d.runUntil(d.now + 200);
        d.input(`n${i}`, { type: 'join', via: 'n0' });
      }
      // Joins that lost a message are retried by the host, as a real one would.
      for (let round = 0; round < 10; round++) {
        d.runUntil(d.now + 3_000);
        for (const s of d.states.values()) if (s.status === 'idle') d.input(s.self.addr, { type: 'join', via: 'n0' });
      }
      d.runUntil(d.now + 30_000);
      // Then the loss stops: a predecessor cleared by two lost pings is restored by the next notify.
      d.loss = 0;
      d.runUntil(d.now + 5_000);
      const live = d.live();
      expect(live).toHaveLength(12);
      expect(ringProblem(live)).toBeUndefined();
    }
  });
});
