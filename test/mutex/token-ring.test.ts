import { describe, expect, it } from 'vitest';
import { tokenRing, type TokenRingState } from 'distkit/mutex';
import { ids, runMutex } from './harness.js';

describe('token ring: loss detected by timeout, regenerated without ever two tokens', () => {
  it('10% message loss, 150 seeds, N = 3..6: at most one token held at every step, generations increase, every entry served', () => {
    let regenerations = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const n = 3 + (seed % 4);
      const nodes = ids(n);
      const gens: number[] = [];
      const r = runMutex({
        seed,
        clients: nodes,
        entriesPerClient: 3,
        lossRate: 0.1,
        checked: seed <= 5,
        setup: (sim) => {
          for (const id of nodes) sim.add(id, tokenRing, tokenRing.init({ id, ring: nodes, tokenTimeoutMs: 150 }));
          sim.invariant = () => {
            let held = 0;
            for (const id of nodes) if ((sim.states[id] as TokenRingState).token >= 0) held++;
            if (held > 1) throw new Error(`seed ${seed}: ${held} tokens held at t=${sim.now}`);
          };
        },
        onEvent: (_sim, _node, out) => {
          if (out.type === 'token-regenerated') gens.push(out.gen as number);
        },
      });
      expect(r.maxConcurrent).toBe(1);
      expect(r.entries, `seed ${seed}`).toBe(r.wanted);
      for (let i = 1; i < gens.length; i++) expect(gens[i]!).toBeGreaterThan(gens[i - 1]!);
      regenerations += gens.length;
    }
    expect(regenerations).toBeGreaterThan(50); // the loss path really ran
  });

  it('regression (seed 1, no loss): the initial token circulates and nobody regenerates with a generous timeout', () => {
    const nodes = ids(5);
    let regen = 0;
    const r = runMutex({
      seed: 1,
      clients: nodes,
      entriesPerClient: 4,
      setup: (sim) => {
        for (const id of nodes) sim.add(id, tokenRing, tokenRing.init({ id, ring: nodes, tokenTimeoutMs: 10_000 }));
      },
      onEvent: (_s, _n, o) => {
        if (o.type === 'token-regenerated') regen++;
      },
    });
    expect(r.entries).toBe(20);
    expect(regen).toBe(0);
  });
});
