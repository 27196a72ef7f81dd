import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, InvalidCommandError, deepFreeze, Random } from 'distkit/core';
import {
  LoadBalancer,
  NoNodeAvailableError,
  loadBalancerCore as lb,
  ServiceRegistry,
  type BalancerState,
  type BalancingStrategy,
} from 'distkit/resilience';

/** The core's pick as `{ node, state }`, throwing NoNodeAvailableError like the wrapper. */
function pickOf(s: BalancerState, key?: string): { node: string; state: BalancerState } {
  const t = lb.step(s, key === undefined ? { type: 'pick', now: 0 } : { type: 'pick', now: 0, key });
  const o = t.outputs[0]!;
  if (o.type !== 'picked') throw new NoNodeAvailableError(o.type === 'no-node' ? o.reason : o.type);
  return { node: o.node, state: t.state };
}

const ids = (n: number): { id: string }[] => Array.from({ length: n }, (_, i) => ({ id: `n${i}` }));

function counts(picks: string[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const p of picks) c[p] = (c[p] ?? 0) + 1;
  return c;
}

describe('LoadBalancer strategies', () => {
  it('round robin cycles through eligible nodes and skips unhealthy and draining ones', () => {
    const b = new LoadBalancer({ strategy: 'round-robin', nodes: ids(4) });
    expect([b.pick(), b.pick(), b.pick(), b.pick(), b.pick()]).toEqual(['n0', 'n1', 'n2', 'n3', 'n0']);
    b.setHealthy('n1', false);
    b.setDraining('n2', true);
    expect([b.pick(), b.pick(), b.pick()]).toEqual(['n3', 'n0', 'n3']);
  });

  it('smooth weighted round robin interleaves: weights 5,1,1 give a a b a c a a (nginx)', () => {
    const b = new LoadBalancer({ strategy: 'weighted-round-robin', nodes: [{ id: 'a', weight: 5 }, { id: 'b', weight: 1 }, { id: 'c', weight: 1 }] });
    expect(Array.from({ length: 7 }, () => b.pick())).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('least connections prefers the node with the fewest active requests', () => {
    const b = new LoadBalancer({ strategy: 'least-connections', nodes: ids(3) });
    expect([b.pick(), b.pick(), b.pick()]).toEqual(['n0', 'n1', 'n2']);
    b.release('n1');
    expect(b.pick()).toBe('n1');
  });

  it("resource score: 0.4 cpu + 0.4 memory + 0.2 network headroom (the notes' weights), configurable", () => {
    const nodes = [
      { id: 'busy-cpu', cpu: 0.9, memory: 0.1, network: 0.1 },
      { id: 'busy-net', cpu: 0.2, memory: 0.2, network: 0.9 },
    ];
    // default: busy-cpu 0.4·0.1 + 0.4·0.9 + 0.2·0.9 = 0.58; busy-net 0.32 + 0.32 + 0.02 = 0.66
    expect(new LoadBalancer({ strategy: 'resource', nodes }).pick()).toBe('busy-net');
    expect(new LoadBalancer({ strategy: 'resource', nodes, resourceWeights: { cpu: 0, memory: 0, network: 1 } }).pick()).toBe('busy-cpu');
    const b = new LoadBalancer({ strategy: 'resource', nodes });
    b.report('busy-net', { network: 1, cpu: 1 });
    expect(b.pick()).toBe('busy-cpu');
  });

  it('consistent hash: the same key sticks to its node; an unhealthy owner hands its keys on, and gets them back', () => {
    const b = new LoadBalancer({ strategy: 'consistent-hash', nodes: ids(5) });
    const keys = Array.from({ length: 200 }, (_, i) => `user:${i}`);
    const owners = keys.map((k) => b.pick(k));
    expect(keys.map((k) => b.pick(k))).toEqual(owners);
    b.setHealthy('n2', false);
    const moved = keys.map((k) => b.pick(k));
    keys.forEach((_, i) => {
      if (owners[i] !== 'n2') expect(moved[i]).toBe(owners[i]); // only n2's keys move
      else expect(moved[i]).not.toBe('n2');
    });
    b.setHealthy('n2', true);
    expect(keys.map((k) => b.pick(k))).toEqual(owners);
    expect(() => b.pick()).toThrow(InvalidCommandError);
  });

  it('execute releases the node when the call settles', async () => {
    const b = new LoadBalancer({ strategy: 'least-connections', nodes: ids(2) });
    expect(await b.execute(async ({ node }) => node)).toBe('n0');
    await b.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    expect(lb.activeByNode(b.snapshot)).toEqual({ n0: 0, n1: 0 });
    const ring = new LoadBalancer({ strategy: 'consistent-hash', nodes: ids(4) });
    const owner = ring.pick('user:1');
    ring.release(owner);
    expect(await ring.forKey('user:1').execute(({ node }) => node)).toBe(owner);
    await expect(ring.execute(() => 1)).rejects.toThrow(InvalidCommandError);
  });

  for (const strategy of ['round-robin', 'weighted-round-robin', 'random', 'least-connections', 'p2c', 'resource', 'consistent-hash'] as BalancingStrategy[]) {
    it(`${strategy}: a clear error when no node is available`, () => {
      const b = new LoadBalancer({ strategy, nodes: [{ id: 'a', healthy: false }, { id: 'b', draining: true }] });
      let e: unknown;
      try {
        b.pick('k');
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(NoNodeAvailableError);
      expect((e as Error).message).toContain('2 node(s): 1 unhealthy, 1 draining');
      expect(() => new LoadBalancer({ strategy, nodes: [] }).pick('k')).toThrow(/no nodes/);
    });
  }

  it('hostile options throw ConfigError naming the option', () => {
    const cases: [string, () => unknown][] = [
      ['strategy', () => new LoadBalancer({ strategy: 'fastest' as never, nodes: [] })],
      ['nodes[1].id', () => new LoadBalancer({ strategy: 'random', nodes: [{ id: 'a' }, { id: 'a' }] })],
      ['nodes[0].weight', () => new LoadBalancer({ strategy: 'random', nodes: [{ id: 'a', weight: Number.NaN }] })],
      ['nodes[0].cpu', () => new LoadBalancer({ strategy: 'resource', nodes: [{ id: 'a', cpu: 1.5 }] })],
      ['resourceWeights.cpu', () => new LoadBalancer({ strategy: 'resource', nodes: [], resourceWeights: { cpu: -1, memory: 0, network: 0 } })],
      ['vnodes', () => new LoadBalancer({ strategy: 'consistent-hash', nodes: [], vnodes: 0 })],
    ];
    expect(() => new LoadBalancer({ strategy: 'random', nodes: [] }).setHealthy('ghost', false)).toThrow(/set-healthy: node: unknown node "ghost"/);
    expect(() => new LoadBalancer({ strategy: 'random', nodes: [] }).setHealthy('ghost', false)).toThrow(InvalidCommandError);
    for (const [field, make] of cases) {
      let err: unknown;
      try {
        make();
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe(field);
    }
  });
});

const healthArb = (n: number) => fc.array(fc.boolean(), { minLength: n, maxLength: n });

describe('LoadBalancer: properties', () => {
  it('round robin is fair to within one over a long random sequence among eligible nodes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 1000 }), (n, picks, seed) => {
        const rng = new Random(seed);
        const nodes = ids(n).map((x) => ({ ...x, healthy: rng.float() < 0.8 }));
        if (!nodes.some((x) => x.healthy)) nodes[0] = { ...nodes[0]!, healthy: true };
        let s = lb.init({ strategy: 'round-robin', nodes });
        const got: string[] = [];
        for (let i = 0; i < picks; i++) {
          const p = pickOf(deepFreeze(s));
          got.push(p.node);
          s = p.state;
        }
        const c = counts(got);
        const healthy = nodes.filter((x) => x.healthy).map((x) => x.id);
        const values = healthy.map((id) => c[id] ?? 0);
        expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
        expect(Object.keys(c).every((id) => healthy.includes(id))).toBe(true);
      }),
    );
  });

  it('smooth weighted round robin matches the weights: within one of w_i/Σw·k after every pick k, and exact per cycle', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 400 }), (weights, picks) => {
        if (!weights.some((w) => w > 0)) weights[0] = 1;
        const nodes = weights.map((weight, i) => ({ id: `n${i}`, weight }));
        let s: BalancerState = lb.init({ strategy: 'weighted-round-robin', nodes });
        const total = weights.reduce((a, b) => a + b, 0);
        const c = new Array<number>(weights.length).fill(0);
        for (let k = 1; k <= picks; k++) {
          const p = pickOf(s);
          s = p.state;
          c[Number(p.node.slice(1))]!++;
          // After k picks a node's current weight is k·w_i − Σw·n_i: within one means it stays inside [−Σw, Σw].
          // The bound is reached: weights [6,1,6,1,6,1] after 14 picks (fast-check seed 226232691).
          weights.forEach((w, i) => expect(Math.abs(c[i]! - (w / total) * k)).toBeLessThanOrEqual(1 + 1e-9));
        }
        if (picks % total === 0) weights.forEach((w, i) => expect(c[i]).toBe((w * picks) / total));
      }),
    );
  });

  it('smooth weighted round robin reaches the bound of one exactly: weights [6,1,6,1,6,1], 14 picks (fast-check seed 226232691)', () => {
    const weights = [6, 1, 6, 1, 6, 1];
    let s: BalancerState = lb.init({ strategy: 'weighted-round-robin', nodes: weights.map((weight, i) => ({ id: `n${i}`, weight })) });
    const c = new Array<number>(weights.length).fill(0);
    for (let k = 1; k <= 14; k++) {
      const p = pickOf(s);
      s = p.state;
      c[Number(p.node.slice(1))]!++;
    }
    // n4 is due 6/21 · 14 = 4 picks and has had 3: its current weight is exactly Σw = 21.
    expect(c).toEqual([4, 1, 4, 1, 3, 1]);
  });

  it("resource: the pick maximizes the notes' score 0.4(1−cpu) + 0.4(1−memory) + 0.2(1−network) among eligible nodes", () => {
    const util = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(fc.array(fc.record({ cpu: util, memory: util, network: util, healthy: fc.boolean() }), { minLength: 1, maxLength: 10 }), (ms) => {
        if (!ms.some((m) => m.healthy)) ms[0] = { ...ms[0]!, healthy: true };
        const nodes = ms.map((m, i) => ({ id: `n${i}`, ...m }));
        const p = pickOf(lb.init({ strategy: 'resource', nodes }));
        const score = (m: (typeof nodes)[number]): number => 0.4 * (1 - m.cpu) + 0.4 * (1 - m.memory) + 0.2 * (1 - m.network);
        const best = Math.max(...nodes.filter((m) => m.healthy).map(score));
        const picked = nodes.find((m) => m.id === p.node)!;
        expect(picked.healthy).toBe(true);
        expect(score(picked)).toBeCloseTo(best, 12);
      }),
    );
  });

  it('power of two choices beats random on maximum load (balls into bins, no releases)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), (seed) => {
        const n = 50;
        const m = 2000;
        const maxLoad = (strategy: BalancingStrategy): number => {
          let s = lb.init({ strategy, nodes: ids(n), seed });
          const load = new Array<number>(n).fill(0);
          for (let i = 0; i < m; i++) {
            const p = pickOf(s);
            s = p.state;
            load[Number(p.node.slice(1))]!++;
          }
          return Math.max(...load);
        };
        expect(maxLoad('p2c')).toBeLessThan(maxLoad('random'));
      }),
      { numRuns: 20 },
    );
  });

  it('every strategy only ever picks eligible nodes and the core never mutates its input', () => {
    const strategies: BalancingStrategy[] = ['round-robin', 'weighted-round-robin', 'random', 'least-connections', 'p2c', 'resource', 'consistent-hash'];
    fc.assert(
      fc.property(fc.constantFrom(...strategies), healthArb(6), fc.array(fc.tuple(fc.constantFrom('pick', 'release', 'flip'), fc.integer({ min: 0, max: 5 })), { maxLength: 60 }), (strategy, health, ops) => {
        let s = lb.init({ strategy, nodes: ids(6).map((x, i) => ({ ...x, healthy: health[i]!, cpu: i / 10 })), vnodes: 8 });
        for (const [op, i] of ops) {
          deepFreeze(s);
          if (op === 'flip') s = lb.step(s, { type: 'set-healthy', now: 0, node: `n${i}`, healthy: !s.nodes[i]!.healthy }).state;
          else if (op === 'release') s = lb.step(s, { type: 'release', now: 0, node: `n${i}` }).state;
          else if (s.nodes.some((x) => x.healthy)) {
            const p = pickOf(s, `key-${i}`);
            expect(p.state.nodes.find((x) => x.id === p.node)!.healthy).toBe(true);
            s = p.state;
          } else expect(() => pickOf(s, 'k')).toThrow(NoNodeAvailableError);
          expect(Object.values(lb.activeByNode(s)).every((a) => a >= 0)).toBe(true);
          expect(JSON.parse(JSON.stringify(s))).toEqual(s);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('hash ring: an unhealthy node passes only the keys it owned', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 10 }), fc.integer({ min: 0, max: 9 }), (n, drop) => {
        const names = ids(n).map((x) => x.id);
        const gone = names[drop % n]!;
        let s = lb.init({ strategy: 'consistent-hash', nodes: ids(n), vnodes: 20 });
        const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
        const before = keys.map((k) => pickOf(s, k).node);
        s = lb.step(s, { type: 'set-healthy', now: 0, node: gone, healthy: false }).state;
        keys.forEach((k, i) => {
          const after = pickOf(s, k).node;
          if (before[i] !== gone) expect(after).toBe(before[i]);
          else expect(after).not.toBe(gone);
        });
      }),
    );
  });
});

describe('LoadBalancer: reported connections, the notes\' API and following a registry', () => {
  it('least-connections ranks nodes by the connections they report', () => {
    const balancer = new LoadBalancer({ strategy: 'least-connections', nodes: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] });
    balancer.report('a', { activeConnections: 40 });
    balancer.report('b', { activeConnections: 3 });
    balancer.report('c', { activeConnections: 9 });
    expect(balancer.pick()).toBe('b');
    // b's in-flight picks count once they exceed what it reported
    for (let i = 0; i < 6; i++) balancer.pick();
    expect(lb.activeByNode(balancer.snapshot)).toMatchObject({ a: 0 });
    expect(balancer.pick()).not.toBe('a');
  });

  it('refuses an unknown metric instead of dropping it', () => {
    const balancer = new LoadBalancer({ strategy: 'least-connections', nodes: [{ id: 'a' }] });
    expect(() => balancer.report('a', { connections: 5 } as never)).toThrow(/load\.connections.*unknown metric; known: cpu, memory, network, activeConnections/);
    expect(() => balancer.report('a', { activeConnections: -1 })).toThrow(/activeConnections/);
  });

  it('the notes\' register_node / update_metrics / get_next_node', () => {
    const balancer = new LoadBalancer({ strategy: 'resource', nodes: [] });
    balancer.registerNode('n1', { cpu: 0.9, memory: 0.9, network: 0.9 });
    balancer.registerNode('n2', { cpu: 0.1, memory: 0.2, network: 0.1 });
    expect(balancer.getNextNode()).toBe('n2');
    balancer.updateMetrics('n2', { cpu: 1, memory: 1, network: 1 });
    expect(balancer.getNextNode()).toBe('n1');
    expect(() => balancer.registerNode('n1')).toThrow(/duplicate node id "n1"/);
  });

  it('follows a service registry: registrations, health and deregistration reach the balancer', () => {
    let now = 0;
    const registry = new ServiceRegistry({ clock: { now: () => now, wallNow: () => now } });
    const balancer = new LoadBalancer({ strategy: 'round-robin', nodes: [] });
    const stop = balancer.follow(registry, 'api');
    expect(() => balancer.pick()).toThrow(NoNodeAvailableError);
    registry.register({ service: 'api', id: 'api-1', address: 'h1:80' });
    registry.register({ service: 'api', id: 'api-2', address: 'h2:80' });
    registry.register({ service: 'db', id: 'db-1', address: 'h3:5432' });
    balancer.report('api-1', { cpu: 0.5 });
    expect(new Set([balancer.pick(), balancer.pick()])).toEqual(new Set(['api-1', 'api-2']));
    registry.deregister('api', 'api-2');
    expect([balancer.pick(), balancer.pick()]).toEqual(['api-1', 'api-1']);
    expect(balancer.snapshot.nodes.find((n) => n.id === 'api-1')?.cpu).toBe(0.5);
    stop();
    registry.register({ service: 'api', id: 'api-3', address: 'h4:80' });
    expect(balancer.snapshot.nodes.map((n) => n.id)).toEqual(['api-1']);
  });
});
