// Epidemic dissemination (Demers et al., PODC 1987): anti-entropy, rumor mongering, death
// certificates, and the seen-cache.
import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../src/core/index.js';
import { simulate, type ScheduledCommand } from '../../src/sim/index.js';
import { gossip, type GossipConfig, type GossipOutput, type GossipState } from '../../src/replication/index.js';

const step = (s: GossipState, input: Parameters<typeof gossip.step>[1]) => gossip.step(deepFreeze(s), input);
const sendsOf = (outputs: readonly GossipOutput[]) => outputs.filter((o) => o.type === 'send');

/**
 * A round-based driver (Demers §1.4's model): every round each node runs one cycle, the messages of
 * the round are delivered, then the replies they cause. Returns the states and message counts.
 */
function rounds(n: number, config: (id: string, i: number) => GossipConfig, maxRounds: number, write = true) {
  const ids = Array.from({ length: n }, (_, i) => `n${i}`);
  const index = new Map(ids.map((id, i) => [id, i]));
  const states = ids.map((id, i) => gossip.init(config(id, i)));
  const periodMs = states[0]!.periodMs;
  if (write) states[0] = gossip.step(states[0]!, { type: 'set', key: 'rumor', value: 'hot', now: 0 }).state;
  let messages = 0;
  let done = 0;
  for (let round = 0; round < maxRounds; round++) {
    done = round + 1;
    const now = (round + 1) * periodMs;
    let queue: { from: string; to: string; message: unknown }[] = [];
    for (let i = 0; i < n; i++) {
      const t = gossip.step(states[i]!, { type: 'tick', now });
      states[i] = t.state;
      for (const o of sendsOf(t.outputs)) queue.push({ from: ids[i]!, to: o.to, message: o.message });
    }
    // Deliver this round's messages and the replies they cause (feedback, updates).
    for (let hop = 0; hop < 3 && queue.length > 0; hop++) {
      messages += queue.length;
      const next: typeof queue = [];
      for (const q of queue) {
        const j = index.get(q.to)!;
        const t = gossip.step(states[j]!, { type: 'message', from: q.from, message: q.message, now });
        states[j] = t.state;
        for (const o of sendsOf(t.outputs)) next.push({ from: q.to, to: o.to, message: o.message });
      }
      queue = next;
    }
    if (write && states.every((s) => Object.keys(s.hot).length === 0) && config('n0', 0).antiEntropy === 'off') break;
  }
  return { states, messages, rounds: done };
}

/** The residue s solving s = e^{−(k+1)(1−s)} in (0, 1) (Demers §1.4, feedback and coin). */
function residue(k: number): number {
  let lo = 1e-9;
  let hi = 0.999;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (mid - Math.exp(-(k + 1) * (1 - mid)) > 0) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}

describe('rumor mongering, feedback and coin (Demers §1.4): residue s = e^{−(k+1)(1−s)}', () => {
  const n = 1000;
  const seeds = 6;
  for (const k of [1, 2, 3, 4, 5]) {
    it(`k = ${k}: over ${seeds} seeded runs with n = ${n}, the fraction never reached is within tolerance of ${residue(k).toFixed(4)}`, () => {
      let missed = 0;
      for (let run = 0; run < seeds; run++) {
        const { states } = rounds(n, (id, i) => ({ id, nodes: ids(n), antiEntropy: 'off', rumor: { feedback: true, stop: 'coin', k }, seed: run * 100_003 + i }), 500);
        missed += states.filter((s) => s.store['rumor'] === undefined).length;
      }
      const s = missed / (n * seeds);
      // Tolerance: the formula is the deterministic limit of the model; a discrete push round and a
      // finite n add a few per cent of the residue plus sampling noise of ~sqrt(s/(n·runs)).
      const tol = 0.25 * residue(k) + 3 * Math.sqrt(residue(k) / (n * seeds)) + 0.002;
      expect(Math.abs(s - residue(k))).toBeLessThanOrEqual(tol);
    }, 120_000);
  }
});

const idCache = new Map<number, string[]>();
function ids(n: number): string[] {
  let v = idCache.get(n);
  if (!v) idCache.set(n, (v = Array.from({ length: n }, (_, i) => `n${i}`)));
  return v;
}

describe('messages per node per round do not grow with n (Demers §1: each node contacts one peer per cycle)', () => {
  it('n = 100, 1,000 and 10,000: push-pull anti-entropy every cycle; rumor mongering at 100 and 1,000', () => {
    const antiEntropy: number[] = [];
    const mongering: number[] = [];
    for (const n of [100, 1000, 10_000]) {
      const ae = rounds(n, (id, i) => ({ id, nodes: ids(n), antiEntropy: 'push-pull', antiEntropyEvery: 1, rumor: false, seed: i }), 2);
      antiEntropy.push(ae.messages / (n * ae.rounds));
      if (n > 1000) continue;
      const rm = rounds(n, (id, i) => ({ id, nodes: ids(n), antiEntropy: 'off', rumor: { feedback: true, stop: 'counter', k: 2 }, seed: i }), 3);
      mongering.push(rm.messages / (n * rm.rounds));
    }
    // One digest per node per cycle, at most one reply to it and one answer back: in [1, 3].
    for (const x of antiEntropy) {
      expect(x).toBeGreaterThanOrEqual(1);
      expect(x).toBeLessThanOrEqual(3);
    }
    expect(Math.max(...antiEntropy) / Math.min(...antiEntropy)).toBeLessThan(1.5);
    // At most one push per node per cycle plus its feedback.
    for (const x of mongering) expect(x).toBeLessThanOrEqual(2);
  }, 400_000);
});

describe('anti-entropy (Demers §1.3): push, pull and push-pull reach every node', () => {
  for (const mode of ['push', 'pull', 'push-pull'] as const) {
    it(`${mode}: with rumor mongering off, every node ends with the update`, () => {
      const n = 64;
      const { states } = rounds(n, (id, i) => ({ id, nodes: ids(n), antiEntropy: mode, antiEntropyEvery: 1, rumor: false, seed: i }), 60);
      expect(states.filter((s) => s.store['rumor']?.value !== 'hot').length).toBe(0);
    });
  }
});

describe('death certificates, seen-cache TTL and hostile input', () => {
  const cfg = (id: string, extra: Partial<GossipConfig> = {}): GossipConfig => ({ id, nodes: ['a', 'b', 'c'], periodMs: 10, seenTtlMs: 100, deathCertificateTtlMs: 1000, ...extra });
  it('a delete spreads as a death certificate that beats the older value, and is dropped after its TTL', () => {
    let b = gossip.init(cfg('b'));
    b = step(b, { type: 'message', from: 'a', message: { type: 'rumor', updates: [{ key: 'k', value: 1, ts: 5, origin: 'a' }] }, now: 1 }).state;
    b = step(b, { type: 'message', from: 'c', message: { type: 'rumor', updates: [{ key: 'k', value: null, ts: 6, origin: 'c', deleted: true }] }, now: 2 }).state;
    expect(b.store['k']).toMatchObject({ deleted: true, expiresAt: 1002 });
    const stale = step(b, { type: 'message', from: 'a', message: { type: 'updates', updates: [{ key: 'k', value: 1, ts: 5, origin: 'a' }], want: [] }, now: 3 });
    expect(stale.state.store['k']).toMatchObject({ deleted: true });
    expect(stale.outputs.filter((o) => o.type === 'delivered')).toEqual([]);
    const later = step(b, { type: 'tick', now: 1100 }).state;
    expect(later.store['k']).toBeUndefined();
  });
  it('a rumor re-delivered after the seen-cache TTL changes nothing and is reported known', () => {
    const u = { key: 'k', value: 1, ts: 5, origin: 'a' };
    let b = gossip.init(cfg('b'));
    b = step(b, { type: 'message', from: 'a', message: { type: 'rumor', updates: [u] }, now: 1 }).state;
    b = step(b, { type: 'tick', now: 500 }).state; // expires the seen entry
    expect(Object.keys(b.seen)).toEqual([]);
    const again = step(b, { type: 'message', from: 'c', message: { type: 'rumor', updates: [u] }, now: 501 });
    expect(again.state.store).toEqual(b.store);
    expect(again.outputs).toEqual([{ type: 'send', to: 'c', message: { type: 'feedback', known: [`5\u00000\u0000k`.replace('0\u0000k', 'a\u0000k')] } }]);
  });
  it('counter with feedback: a rumor stops being hot after k peers already knew it', () => {
    let a = gossip.init(cfg('a', { rumor: { feedback: true, stop: 'counter', k: 2 } }));
    a = step(a, { type: 'set', key: 'k', value: 1, now: 1 }).state;
    const id = Object.keys(a.hot)[0]!;
    a = step(a, { type: 'message', from: 'b', message: { type: 'feedback', known: [id] }, now: 2 }).state;
    expect(a.hot[id]?.count).toBe(1);
    a = step(a, { type: 'message', from: 'c', message: { type: 'feedback', known: [id] }, now: 3 }).state;
    expect(a.hot).toEqual({});
  });
  it('blind counter: a rumor is pushed k times, whatever the peers knew', () => {
    let a = gossip.init(cfg('a', { rumor: { feedback: false, stop: 'counter', k: 3 }, antiEntropy: 'off' }));
    a = step(a, { type: 'set', key: 'k', value: 1, now: 1 }).state;
    let pushes = 0;
    for (let t = 10; t < 100; t += 10) {
      const r = step(a, { type: 'tick', now: t });
      pushes += sendsOf(r.outputs).length;
      a = r.state;
    }
    expect(pushes).toBe(3);
  });
  it('refuses strangers and malformed messages, state unchanged', () => {
    const b = gossip.init(cfg('b'));
    const bad = [
      { from: 'z', message: { type: 'feedback', known: [] } },
      { from: 'b', message: { type: 'feedback', known: [] } },
      { from: 'a', message: { type: 'rumor', updates: [{ key: 'k', value: 1, ts: 0, origin: 'a' }] } },
      { from: 'a', message: { type: 'digest', mode: 'push', digest: { k: ['x', 'a'] } } },
      { from: 'a', message: { type: 'digest', mode: 'sideways', digest: {} } },
      { from: 'a', message: { type: 'rumor', updates: Array.from({ length: 1001 }, (_, i) => ({ key: `k${i}`, value: 1, ts: 1, origin: 'a' })) } },
    ];
    for (const { from, message } of bad) {
      const t = step(b, { type: 'message', from, message, now: 1 });
      expect(t.state).toBe(b);
      expect(t.outputs).toEqual([expect.objectContaining({ type: 'rejected' })]);
    }
  });
});

describe('gossip in the simulator: loss, duplication and a partition', () => {
  it.each([1, 2, 3])('seed %i: every write and delete reaches every node', (seed) => {
    const nodes = ['a', 'b', 'c', 'd', 'e', 'f'];
    const commands: ScheduledCommand[] = nodes.flatMap((id, i) => [
      { at: 10 + i * 7, node: id, input: { type: 'set', key: `k${i}`, value: i } },
      { at: 400 + i * 5, node: id, input: { type: 'set', key: 'shared', value: id } },
    ]);
    commands.push({ at: 900, node: 'c', input: { type: 'delete', key: 'k0' } });
    const result = simulate({
      seed,
      nodes: nodes.map((id, i) => ({ id, machine: gossip, config: { id, nodes, periodMs: 20, antiEntropyEvery: 3, seed: seed * 10 + i } })),
      commands,
      faults: [
        { at: 100, fault: { type: 'partition', groups: [['a', 'b', 'c'], ['d', 'e', 'f']] } },
        { at: 1200, fault: { type: 'heal' } },
      ],
      network: { delay: { type: 'uniform', minMs: 1, maxMs: 15 }, loss: 0.2, duplicate: 0.1 },
      maxTimeMs: 4000,
      trace: false,
    });
    const states = result.states as Record<string, GossipState>;
    const view = (s: GossipState) => Object.fromEntries(Object.entries(s.store).map(([k, e]) => [k, e.deleted ? 'deleted' : e.value]));
    const first = view(states['a']!);
    for (const id of nodes) expect(view(states[id]!)).toEqual(first);
    expect(first['k0']).toBe('deleted');
    expect(Object.keys(first)).toHaveLength(7);
  });
});
