import { describe, expect, it } from 'vitest';
import { checkedStep } from 'distkit/core';
import { healthAfter, healthMonitor, type HealthMonitorState } from 'distkit/election';
import { simulate } from 'distkit/sim';
import { ids, Sim } from '../support/event-sim.js';

describe('heartbeat HealthMonitor (the notes, event-driven)', () => {
  it('healthy → suspected after one missed interval → failed after failureThreshold', () => {
    const t = healthMonitor.init({ id: 'a', peers: ['b'], heartbeatIntervalMs: 1000, failureThreshold: 3, jitterToleranceMs: 0 }).thresholds;
    expect(healthAfter(1000, t)).toBe('healthy');
    expect(healthAfter(1001, t)).toBe('suspected');
    expect(healthAfter(2999, t)).toBe('suspected');
    expect(healthAfter(3000, t)).toBe('failed');
  });

  it('a heartbeat brings a suspected peer back; hostile senders are rejected', () => {
    let s = healthMonitor.init({ id: 'a', peers: ['b'], heartbeatIntervalMs: 100 });
    s = checkedStep(healthMonitor, s, { type: 'tick', now: 0 }).state;
    // One interval plus the jitter tolerance (half an interval by default) without a heartbeat.
    expect(checkedStep(healthMonitor, s, { type: 'tick', now: 150 }).outputs).not.toContainEqual({ type: 'health', node: 'b', health: 'suspected' });
    const sus = checkedStep(healthMonitor, s, { type: 'tick', now: 151 });
    expect(sus.outputs).toContainEqual({ type: 'health', node: 'b', health: 'suspected' });
    const back = checkedStep(healthMonitor, sus.state, { type: 'message', from: 'b', message: { type: 'heartbeat' }, now: 160 });
    expect(back.outputs).toEqual([{ type: 'health', node: 'b', health: 'healthy' }]);
    const evil = checkedStep(healthMonitor, back.state, { type: 'message', from: 'x', message: { type: 'heartbeat' }, now: 170 });
    expect(evil.state).toBe(back.state);
    expect(evil.outputs[0]?.type).toBe('rejected');
  });

  it('a fresh node asks for a tick at once: under simulate it sends heartbeats with no command (0 messages in 10 s before)', () => {
    const nodes = ['a', 'b', 'c'];
    const r = simulate({ seed: 1, nodes: nodes.map((id) => ({ id, machine: healthMonitor, config: { id, peers: nodes.filter((p) => p !== id), heartbeatIntervalMs: 1000 } })), maxTimeMs: 10_000 });
    expect(r.stats.messages.sent).toBe(3 * 2 * 11); // rounds at 0, 1000, ..., 10 000 ms
  });

  it('live peers with 1–10 ms network delays are never suspected (regression: suspected about once per interval)', () => {
    // Before, a heartbeat was recorded at the last tick's time instead of its arrival, and an
    // arrival a few ms later than one interval after the previous one counted as a miss.
    const nodes = ids(5);
    const events: unknown[] = [];
    const r = simulate({
      seed: 3,
      nodes: nodes.map((id) => ({ id, machine: healthMonitor, config: { id, peers: nodes.filter((p) => p !== id), heartbeatIntervalMs: 100 } })),
      network: { delay: { type: 'uniform', minMs: 1, maxMs: 10 } },
      commands: nodes.map((node) => ({ at: 0, node, input: { type: 'tick' } })),
      maxTimeMs: 20_000,
      onOutput: (e) => {
        if ((e.output as { type: string }).type === 'health') events.push(e);
      },
    });
    expect(r.stats.messages.sent).toBeGreaterThan(5 * 4 * 190);
    expect(events).toEqual([]);
  });

  it('peer ids named like Object.prototype members are kept as own keys', () => {
    let s = healthMonitor.init({ id: 'a', peers: ['__proto__', 'constructor'], heartbeatIntervalMs: 100 });
    s = checkedStep(healthMonitor, s, { type: 'tick', now: 0 }).state;
    const t = checkedStep(healthMonitor, s, { type: 'tick', now: 400 });
    expect(t.outputs.filter((o) => o.type === 'health')).toEqual([
      { type: 'health', node: '__proto__', health: 'failed' },
      { type: 'health', node: 'constructor', health: 'failed' },
    ]);
    const evil = checkedStep(healthMonitor, t.state, { type: 'message', from: 'toString', message: { type: 'heartbeat' }, now: 401 });
    expect(evil.state).toBe(t.state);
  });

  it('in the simulator: a crashed node is seen failed by every live node, live nodes stay healthy', () => {
    const nodes = ids(5);
    const sim = new Sim({ seed: 8 });
    for (const id of nodes) {
      sim.add(id, healthMonitor, healthMonitor.init({ id, peers: nodes.filter((p) => p !== id), heartbeatIntervalMs: 100, failureThreshold: 3 }));
    }
    sim.run(1000);
    sim.crash('n3');
    sim.run(2000);
    for (const id of nodes.filter((x) => x !== 'n3')) {
      const h = Object.fromEntries(Object.entries((sim.states[id] as HealthMonitorState).nodes).map(([p, n]) => [p, n.status]));
      expect(h.n3).toBe('failed');
      for (const p of nodes) if (p !== 'n3' && p !== id) expect(h[p]).toBe('healthy');
    }
  });
});
