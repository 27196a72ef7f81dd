// The nemesis's fault schedule, drawn from the seed: deterministic, within its bounds (maxDown,
// the node list, the time window), and every fault undone before `untilMs`.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { drawNemesis } from '../../src/sim/nemesis.js';
import type { NemesisOptions, ScheduledFault } from '../../src/sim/index.js';

const nodes = ['a', 'b', 'c', 'd', 'e'];
const busy: NemesisOptions = { crashRate: 2, partitionRate: 1, oneWayRate: 1, pauseRate: 2, slowRate: 1, clockJumpRate: 1, untilMs: 5000 };

/** Replays a schedule: the most nodes down (crashed or paused) at once, and what is still broken at the end. */
function replay(faults: readonly ScheduledFault[]) {
  const down = new Set<string>();
  let maxDown = 0;
  let cut = false;
  let slow = false;
  for (const { fault: f } of faults) {
    if (f.type === 'crash' || f.type === 'pause') down.add(f.node);
    if (f.type === 'restart' || f.type === 'resume') down.delete(f.node);
    if (f.type === 'partition' || f.type === 'oneWay') cut = true;
    if (f.type === 'heal') cut = false;
    if (f.type === 'link') slow = true;
    if (f.type === 'linkReset') slow = false;
    maxDown = Math.max(maxDown, down.size);
  }
  return { maxDown, downAtEnd: [...down], cutAtEnd: cut, slowAtEnd: slow };
}

describe('drawNemesis', () => {
  it('the same seed gives the same schedule; another seed another', () => {
    expect(drawNemesis(busy, nodes, 10_000, 7)).toEqual(drawNemesis(busy, nodes, 10_000, 7));
    expect(drawNemesis(busy, nodes, 10_000, 7)).not.toEqual(drawNemesis(busy, nodes, 10_000, 8));
  });

  it('no rates, no faults', () => {
    expect(drawNemesis({}, nodes, 10_000, 1)).toEqual([]);
  });

  it('property: sorted by time, within [fromMs, untilMs], at most maxDown down, everything undone by untilMs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 2 }), (seed, maxDown) => {
        const faults = drawNemesis({ ...busy, maxDown, fromMs: 500 }, nodes, 10_000, seed);
        for (let i = 1; i < faults.length; i++) expect(faults[i]!.at).toBeGreaterThanOrEqual(faults[i - 1]!.at);
        for (const f of faults) {
          expect(f.at).toBeGreaterThanOrEqual(500);
          expect(f.at).toBeLessThanOrEqual(5000);
        }
        const r = replay(faults);
        expect(r.maxDown).toBeLessThanOrEqual(maxDown);
        expect(r).toMatchObject({ downAtEnd: [], cutAtEnd: false, slowAtEnd: false });
      }),
      { numRuns: 50 },
    );
  });

  it('crashes, pauses and clock jumps hit only the listed nodes', () => {
    const faults = drawNemesis({ crashRate: 3, pauseRate: 3, clockJumpRate: 3, nodes: ['b', 'c'], untilMs: 5000 }, nodes, 10_000, 3);
    expect(faults.length).toBeGreaterThan(0);
    for (const { fault: f } of faults) if ('node' in f) expect(['b', 'c']).toContain(f.node);
  });
});
