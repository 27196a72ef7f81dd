import { describe, expect, it } from 'vitest';
import { ChordDriver, misplacedKeys, ownerOf, ringProblem, sortedPeers, stabilizedRing } from './chord-driver.js';
import { chord, chordId, type ChordConfig } from 'distkit/hashing';

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
