import { describe, expect, it } from 'vitest';
import { simulate, type ScheduledCommand, type ScheduledFault } from 'distkit/sim';
import { chord, type ChordState } from 'distkit/hashing';
import { misplacedKeys, ringProblem } from './chord-driver.js';

const M = 24;

/** A Chord run in distkit/sim: 16 nodes join, keys are put, two nodes crash, the ring heals. */
function run(seed: number) {
  const n = 16;
  const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, machine: chord, config: { addr: `n${i}`, m: M, successorListLength: 6, replicas: 3 } }));
  const commands: ScheduledCommand[] = [{ at: 0, node: 'n0', input: { type: 'create' } }];
  for (let i = 1; i < n; i++) commands.push({ at: i * 250, node: `n${i}`, input: { type: 'join', via: 'n0' } });
  const keys = Array.from({ length: 60 }, (_, i) => `doc:${seed}:${i}`);
  keys.forEach((key, i) => commands.push({ at: 15_000 + i * 20, node: `n${1 + (i % (n - 1))}`, input: { type: 'put', key, value: i, requestId: key } }));
  const faults: ScheduledFault[] = [
    { at: 25_000, fault: { type: 'crash', node: 'n5' } },
    { at: 25_000, fault: { type: 'crash', node: 'n11' } },
  ];
  const stored = new Set<string>();
  const result = simulate({
    seed,
    nodes,
    commands,
    faults,
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 30 }, loss: 0.02, duplicate: 0.01 },
    maxTimeMs: 60_000,
    trace: false,
    invariants: [
      {
        name: 'successor lists are duplicate-free and never hold the node itself beside others',
        check: (states: Readonly<Record<string, ChordState>>) => {
          for (const s of Object.values(states)) {
            const addrs = s.successors.map((p) => p.addr);
            if (new Set(addrs).size !== addrs.length) return `${s.self.addr}: duplicate successors`;
            if (addrs.length > 1 && addrs.includes(s.self.addr)) return `${s.self.addr}: itself in its successor list`;
          }
          return undefined;
        },
      },
    ],
    onOutput: (event, sim) => {
      const o = event.output as { type: string; requestId?: string; key?: string };
      if (o.type === 'putDone' && o.key !== undefined) stored.add(o.key);
      // A host retries a join that lost a message, and a put that timed out.
      if (o.type === 'requestFailed' && o.requestId === 'join') sim.inject(event.node, { type: 'join', via: 'n0' }, 500);
      if (o.type === 'requestFailed' && o.key !== undefined && o.requestId === o.key && !stored.has(o.key)) {
        sim.inject(event.node, { type: 'put', key: o.key, value: keys.indexOf(o.key), requestId: o.key }, 200);
      }
    },
  });
  return { result, keys, stored };
}

// More seeds: CHORD_SIM_SEEDS=200 npx vitest run test/hashing/chord.sim.test.ts
const extra = Number(process.env['CHORD_SIM_SEEDS'] ?? 0);
const seeds = extra > 0 ? Array.from({ length: extra }, (_, i) => 1000 + i) : [1, 2, 3, 4, 5];

describe('Chord in distkit/sim (loss, duplication, crashes)', () => {
  it.each(seeds)('seed %i: one ring after stabilization and every stored key held by its successor', (seed) => {
    const { result, keys, stored } = run(seed);
    expect(result.ok).toBe(true);
    const live = Object.values(result.states as Record<string, ChordState>).filter((s) => s.status === 'active');
    expect(live).toHaveLength(14);
    expect(ringProblem(live)).toBeUndefined();
    expect(stored.size).toBe(keys.length);
    expect(misplacedKeys(live, [...stored], M)).toEqual([]);
  });
});
