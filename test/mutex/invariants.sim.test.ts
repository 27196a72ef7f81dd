import { describe, expect, it } from 'vitest';
import { simulate, type SimNode } from 'distkit/sim';
import { centralizedMutex, lamportMutex, maekawa, mutexInvariants, ricartAgrawala, tokenRing } from 'distkit/mutex';

const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
const machines: [string, SimNode[]][] = [
  ['ricart-agrawala', nodes.map((id) => ({ id, machine: ricartAgrawala, config: { id, nodes } }))],
  ['lamport', nodes.map((id) => ({ id, machine: lamportMutex, config: { id, nodes } }))],
  ['maekawa', nodes.map((id) => ({ id, machine: maekawa, config: { id, nodes } }))],
  ['token-ring', nodes.map((id) => ({ id, machine: tokenRing, config: { id, nodes, tokenTimeoutMs: 60_000 } }))],
  ['centralized', nodes.map((id) => ({ id, machine: centralizedMutex, config: { id, nodes, coordinator: 'n1', timeoutMs: 60_000 } }))],
];

// distkit/sim: uniform 1-20 ms delays with reordering, every node cycling request → enter → release.
describe('distkit/sim: mutual exclusion checked after every step, 5 nodes, reordering network', () => {
  for (const [name, simNodes] of machines) {
    it(`${name}: 30 seeds, no violation, every node keeps entering`, () => {
      for (let seed = 1; seed <= 30; seed++) {
        const entries: Record<string, number> = {};
        const r = simulate({
          seed,
          nodes: simNodes,
          network: { delay: { type: 'uniform', minMs: 1, maxMs: 20 }, reorder: 0.3 },
          commands: nodes.map((node, i) => ({ at: i, node, input: { type: 'request' } })),
          invariants: mutexInvariants(),
          maxTimeMs: 3_000,
          trace: false,
          onOutput(ev, sim) {
            const out = ev.output as { type: string };
            if (out.type !== 'enter') return;
            entries[ev.node] = (entries[ev.node] ?? 0) + 1;
            sim.inject(ev.node, { type: 'release' }, 2);
            sim.inject(ev.node, { type: 'request' }, 10);
          },
        });
        expect(r.violation, `seed ${seed}`).toBeUndefined();
        for (const n of nodes) expect(entries[n] ?? 0, `seed ${seed} ${n}`).toBeGreaterThan(3);
      }
    });
  }
});
