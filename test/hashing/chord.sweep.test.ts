// Seed sweep over a whole lifecycle: joins through random members, puts, a graceful leave and a
// crash at once, re-stabilization. More seeds: CHORD_SWEEP_SEEDS=200 npx vitest run test/hashing/chord.sweep.test.ts
import { describe, expect, it } from 'vitest';
import { ChordDriver, misplacedKeys, ringProblem, sortedPeers, stabilizedRing } from './chord-driver.js';

const M = 32;
const extra = Number(process.env['CHORD_SWEEP_SEEDS'] ?? 0);
const seeds = extra > 0 ? Array.from({ length: extra }, (_, i) => 500 + i) : [500, 501, 502];

describe('Chord lifecycle sweep: join, put, leave + crash, re-stabilize', () => {
  it.each(seeds)('seed %i: correct fingers after joins; one ring and every key at its successor after leave + crash', (seed) => {
    const d = new ChordDriver({ seed });
    const n = 24;
    for (let i = 0; i < n; i++) d.add({ addr: `n${i}`, m: M, replicas: 3, successorListLength: 6 });
    d.input('n0', { type: 'create' });
    for (let i = 1; i < n; i++) {
      d.runUntil(d.now + 100);
      const live = d.live();
      d.input(`n${i}`, { type: 'join', via: live[d.rng.int(0, live.length)]!.self.addr });
    }
    d.runUntil(d.now + 40_000);
    expect(ringProblem(d.live())).toBeUndefined();
    const ideal = new Map(stabilizedRing(d.live().map((s) => ({ addr: s.self.addr, m: M, successorListLength: 6 }))).map((s) => [s.self.addr, s]));
    for (const s of d.live()) expect(s.fingers).toEqual(ideal.get(s.self.addr)!.fingers);
    const keys = Array.from({ length: 100 }, (_, i) => `item:${seed}:${i}`);
    for (const k of keys) expect(d.request('n1', { type: 'put', key: k, value: k, requestId: k })?.type).toBe('putDone');
    d.runUntil(d.now + 5_000);
    const peers = sortedPeers(d.live());
    d.input(peers[3]!.addr, { type: 'leave' });
    d.crash(peers[10]!.addr);
    d.runUntil(d.now + 30_000);
    expect(d.live()).toHaveLength(n - 2);
    expect(ringProblem(d.live())).toBeUndefined();
    expect(misplacedKeys(d.live(), keys, M)).toEqual([]);
  });
});
