import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, Random, checkedStep } from 'distkit/core';
import {
  chooseVictim,
  deadlockDetector,
  deadlockSite,
  edgeChasing,
  findDeadlocks,
  stronglyConnectedComponents,
  type DeadlockOutput,
  type EdgeChasingDeadlock,
  type WaitForGraph,
} from 'distkit/txn';
import { World } from './world.js';

/** The direct search: a node is deadlocked iff it can reach itself. */
function selfReachable(graph: WaitForGraph): string[] {
  const out: string[] = [];
  for (const start of Object.keys(graph)) {
    const seen = new Set<string>();
    const stack = [...(graph[start] ?? [])];
    let found = false;
    while (stack.length > 0) {
      const u = stack.pop()!;
      if (u === start) {
        found = true;
        break;
      }
      if (seen.has(u)) continue;
      seen.add(u);
      stack.push(...(graph[u] ?? []));
    }
    if (found) out.push(start);
  }
  return out.sort();
}

function randomGraph(seed: number, n: number, density: number): Record<string, string[]> {
  const rng = new Random(seed);
  const g: Record<string, string[]> = {};
  for (let i = 0; i < n; i++) {
    const outs: string[] = [];
    for (let j = 0; j < n; j++) if (rng.float() < density) outs.push(`t${j}`);
    if (outs.length > 0) g[`t${i}`] = outs;
  }
  return g;
}

const arbGraph = fc
  .tuple(fc.integer({ min: 1, max: 14 }), fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom(0.05, 0.1, 0.2, 0.35))
  .map(([n, seed, d]) => randomGraph(seed, n, d));

describe('wait-for graph search', () => {
  it('Tarjan components on a known graph', () => {
    expect(stronglyConnectedComponents({ a: ['b'], b: ['a'], c: ['a'] })).toEqual([['a', 'b'], ['c']]);
    expect(findDeadlocks({ t1: ['t2'], t2: ['t3'], t3: ['t1'], t4: ['t4'], t5: ['t1'] })).toEqual([
      { cycle: ['t1', 't2', 't3'], members: ['t1', 't2', 't3'] },
      { cycle: ['t4'], members: ['t4'] },
    ]);
  });
  it('deadlocked nodes = nodes that reach themselves, and each cycle is a real cycle', () => {
    fc.assert(
      fc.property(arbGraph, (g) => {
        const ds = findDeadlocks(g);
        expect(ds.flatMap((d) => d.members).sort()).toEqual(selfReachable(g));
        for (const d of ds) d.cycle.forEach((u, i) => expect(g[u]).toContain(d.cycle[(i + 1) % d.cycle.length]));
      }),
      { numRuns: 300 },
    );
  });
  it('handles deep graphs without recursion limits', () => {
    const g: Record<string, string[]> = {};
    for (let i = 0; i < 20_000; i++) g[`t${i}`] = [`t${(i + 1) % 20_000}`];
    expect(findDeadlocks(g)[0]!.members.length).toBe(20_000);
  });
});

describe('victim selection', () => {
  it('policies', () => {
    expect(chooseVictim(['t2', 't7', 't3'], 'highestId')).toBe('t7');
    expect(chooseVictim(['t2', 't7', 't3'], 'lowestId')).toBe('t2');
    const starts = { t2: 30, t7: 10, t3: 20 };
    expect(chooseVictim(['t2', 't7', 't3'], { priorities: starts, pick: 'max' })).toBe('t2'); // youngest
    expect(chooseVictim(['t2', 't7', 't3'], { priorities: starts, pick: 'min' })).toBe('t7'); // oldest
    expect(() => deadlockDetector.init({ id: 'd', nodes: ['s'], victim: { priorities: { a: Number.NaN }, pick: 'max' } })).toThrow(ConfigError);
  });
  it('is the same for every rotation of a cycle', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 }), fc.nat(), (cycle, r) => {
        const k = r % cycle.length;
        const rotated = [...cycle.slice(k), ...cycle.slice(0, k)];
        expect(chooseVictim(rotated, 'highestId')).toBe(chooseVictim(cycle, 'highestId'));
      }),
    );
  });
});

function runEdgeChasing(g: WaitForGraph, seed: number): { detected: string[]; cycles: EdgeChasingDeadlock[] } {
  const nodes = new Set<string>(Object.keys(g));
  for (const vs of Object.values(g)) for (const x of vs) nodes.add(x);
  const w = new World({ seed, minDelayMs: 1, maxDelayMs: 20, duplicate: 0.1 });
  w.traceEnabled = false;
  for (const id of [...nodes].sort()) w.add(id, edgeChasing, { id });
  for (const [id, on] of Object.entries(g)) w.input(id, { type: 'block', on });
  for (const id of [...nodes].sort()) w.input(id, { type: 'detect' });
  w.run();
  const cycles = w.outputs.filter((o) => o.output.type === 'deadlock').map((o) => o.output as EdgeChasingDeadlock);
  const detected = [...new Set(w.outputs.filter((o) => o.output.type === 'deadlock').map((o) => o.node))].sort();
  return { detected, cycles };
}

describe('Chandy–Misra–Haas edge chasing (TOCS 1983 §3, AND model)', () => {
  it('reports exactly the deadlocked processes a direct graph search finds, on random stable graphs', () => {
    fc.assert(
      fc.property(arbGraph, fc.integer({ min: 1, max: 1000 }), (g, seed) => {
        const { detected, cycles } = runEdgeChasing(g, seed);
        expect(detected).toEqual(selfReachable(g));
        for (const c of cycles) c.cycle.forEach((u, i) => expect(g[u]).toContain(c.cycle[(i + 1) % c.cycle.length]));
      }),
      { numRuns: 200 },
    );
  });
  it('every process of a cycle picks the same victim', () => {
    const { cycles } = runEdgeChasing({ p1: ['p2'], p2: ['p3'], p3: ['p1'], p4: ['p1'] }, 3);
    expect(cycles.map((c) => c.victim)).toEqual(['p3', 'p3', 'p3']);
  });
  it('probes reaching an active process die; a stale detection is ignored', () => {
    let s = edgeChasing.init({ id: 'p2' });
    const probe = { type: 'probe', initiator: 'p1', seq: 1, path: ['p1'] };
    expect(checkedStep(edgeChasing, s, { type: 'message', from: 'p1', message: probe, now: 0 }).outputs).toEqual([]);
    s = edgeChasing.step(edgeChasing.init({ id: 'p1' }), { type: 'block', on: ['p2'], now: 0 }).state;
    s = edgeChasing.step(s, { type: 'detect', now: 0 }).state;
    s = edgeChasing.step(s, { type: 'detect', now: 0 }).state; // seq 2
    expect(edgeChasing.step(s, { type: 'message', from: 'p2', message: { type: 'probe', initiator: 'p1', seq: 1, path: ['p1', 'p2'] }, now: 0 }).outputs).toEqual([]);
  });
  it('rejects malformed and forged probes', () => {
    const s = edgeChasing.step(edgeChasing.init({ id: 'p2' }), { type: 'block', on: ['p3'], now: 0 }).state;
    for (const [from, m] of [
      ['p1', { type: 'probe', initiator: 'p1', seq: 0, path: ['p1'] }],
      ['p1', { type: 'probe', initiator: 'p1', seq: 1, path: [] }],
      ['p1', { type: 'probe', initiator: 'p9', seq: 1, path: ['p1'] }],
      ['p1', { type: 'probe', initiator: 'p1', seq: 1, path: ['p1', 'p7'] }],
      ['p1', 'probe'],
    ] as [string, unknown][]) {
      const t = checkedStep(edgeChasing, s, { type: 'message', from, message: m, now: 0 });
      expect(t.state).toBe(s);
      expect(t.outputs.map((o) => o.type)).toEqual(['rejected']);
    }
  });
});

function runCentral(g: WaitForGraph, siteCount: number, seed: number, confirmRounds: 1 | 2): DeadlockOutput[] {
  const w = new World({ seed, minDelayMs: 1, maxDelayMs: 5 });
  w.traceEnabled = false;
  const sites = Array.from({ length: siteCount }, (_, i) => `s${i}`);
  w.add('d', deadlockDetector, { id: 'd', nodes: sites, intervalMs: 100, roundTimeoutMs: 50, confirmRounds });
  for (const s of sites) w.add(s, deadlockSite, { id: s, detector: 'd' });
  const rng = new Random(seed);
  for (const [waiter, holders] of Object.entries(g)) for (const holder of holders) w.input(sites[rng.int(0, siteCount)]!, { type: 'wait', waiter, holder });
  w.run(350); // rounds at 0, 100+, 200+: two complete rounds at least
  const rounds = w.outputs.filter((o) => o.output.type === 'deadlock').map((o) => o.output as DeadlockOutput);
  return rounds;
}

describe('centralized detector fed by site graphs', () => {
  it('on random stable graphs it reports exactly the deadlocked components a direct search finds', () => {
    fc.assert(
      fc.property(arbGraph, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 1000 }), (g, sites, seed) => {
        for (const confirm of [1, 2] as const) {
          const reported = runCentral(g, sites, seed, confirm);
          const members = [...new Set(reported.flatMap((d) => d.members))].sort();
          expect(members).toEqual(selfReachable(g));
          const expected = findDeadlocks(g).map((d) => d.members.join(','));
          for (const d of reported) expect(expected).toContain(d.members.join(','));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('phantom deadlock: reports taken at different moments make a cycle that never existed', () => {
    // t1 (at s1) waits for t2 and t2 (at s2) waits for t1, but never at the same time: the detector sees s1's report before the release and s2's after the new wait.
    const race = (confirmRounds: 1 | 2): DeadlockOutput[] => {
      let d = deadlockDetector.init({ id: 'd', nodes: ['s1', 's2'], confirmRounds });
      const outs: DeadlockOutput[] = [];
      const feed = (from: string, round: number, edges: { waiter: string; holder: string; id: string }[]): void => {
        const t = checkedStep(deadlockDetector, d, { type: 'message', from, message: { type: 'graphReport', round, edges }, now: 0 });
        d = t.state;
        for (const o of t.outputs) if (o.type === 'deadlock') outs.push(o);
      };
      d = deadlockDetector.step(d, { type: 'tick', now: 0 }).state; // round 1
      feed('s1', 1, [{ waiter: 't1', holder: 't2', id: 's1:0' }]); // ...then t1 is granted its lock
      feed('s2', 1, [{ waiter: 't2', holder: 't1', id: 's2:0' }]); // t2 waits for t1 only now
      d = deadlockDetector.step(d, { type: 'tick', now: 1000 }).state; // round 2: the real state
      feed('s1', 2, []);
      feed('s2', 2, [{ waiter: 't2', holder: 't1', id: 's2:0' }]);
      return outs;
    };
    expect(race(1).map((o) => o.members)).toEqual([['t1', 't2']]); // the phantom
    expect(race(2)).toEqual([]); // double collection filters it out
  });

  it('a real deadlock is confirmed at the second round', () => {
    let d = deadlockDetector.init({ id: 'd', nodes: ['s1', 's2'], victim: 'lowestId' });
    const edges1 = [{ waiter: 't1', holder: 't2', id: 's1:0' }];
    const edges2 = [{ waiter: 't2', holder: 't1', id: 's2:0' }];
    const outs: string[] = [];
    for (const [now, round] of [[0, 1], [1000, 2]] as const) {
      d = deadlockDetector.step(d, { type: 'tick', now }).state;
      d = deadlockDetector.step(d, { type: 'message', from: 's1', message: { type: 'graphReport', round, edges: edges1 }, now: 0 }).state;
      const t = deadlockDetector.step(d, { type: 'message', from: 's2', message: { type: 'graphReport', round, edges: edges2 }, now: 0 });
      d = t.state;
      for (const o of t.outputs) if (o.type === 'deadlock') outs.push(`${round}:${o.victim}`);
    }
    expect(outs).toEqual(['2:t1']);
  });

  it('a missing site times the round out and names it', () => {
    let d = deadlockDetector.init({ id: 'd', nodes: ['s1', 's2'], roundTimeoutMs: 50 });
    d = deadlockDetector.step(d, { type: 'tick', now: 0 }).state;
    d = deadlockDetector.step(d, { type: 'message', from: 's1', message: { type: 'graphReport', round: 1, edges: [] }, now: 0 }).state;
    const t = deadlockDetector.step(d, { type: 'tick', now: 50 });
    expect(t.outputs[0]).toEqual({ type: 'roundTimedOut', round: 1, missing: ['s2'] });
  });

  it('rejects reports from strangers, stale rounds, duplicates and garbage', () => {
    let d = deadlockDetector.init({ id: 'd', nodes: ['s1', 's2'] });
    d = deadlockDetector.step(d, { type: 'tick', now: 0 }).state;
    d = deadlockDetector.step(d, { type: 'message', from: 's1', message: { type: 'graphReport', round: 1, edges: [] }, now: 0 }).state;
    for (const [from, m] of [
      ['x', { type: 'graphReport', round: 1, edges: [] }],
      ['s2', { type: 'graphReport', round: 7, edges: [] }],
      ['s1', { type: 'graphReport', round: 1, edges: [] }],
      ['s2', { type: 'graphReport', round: 1, edges: [{ waiter: '', holder: 't', id: 'x' }] }],
      ['s2', { type: 'graphRequest', round: 1 }],
    ] as [string, unknown][]) {
      const t = checkedStep(deadlockDetector, d, { type: 'message', from, message: m, now: 0 });
      expect(t.state).toBe(d);
    }
    const site = deadlockSite.init({ id: 's1', detector: 'd' });
    expect(checkedStep(deadlockSite, site, { type: 'message', from: 'x', message: { type: 'graphRequest', round: 1 }, now: 0 }).outputs[0]).toMatchObject({ type: 'rejected' });
  });
});
