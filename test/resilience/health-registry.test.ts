import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, InvalidCommandError, checkedStep } from 'distkit/core';
import {
  HealthMonitor,
  LoadBalancer,
  ServiceRegistry,
  healthMonitorCore as hm,
  serviceRegistryCore as reg,
  type HealthInput,
  type HealthState,
  type RegistryChange,
} from 'distkit/resilience';
import { FakeTime } from './fake-time.js';

const machine = { name: hm.name, init: hm.init, step: hm.step };

describe('HealthMonitor', () => {
  it('heartbeats → healthy; silence → suspected, then failed; a heartbeat recovers the node', async () => {
    const time = new FakeTime();
    const m = new HealthMonitor({ suspectAfterMs: 1000, failAfterMs: 3000, clock: time, timers: time });
    const changes: string[] = [];
    m.onChange((c) => changes.push(`${c.node}:${c.from}->${c.to}@${c.now}`));
    m.heartbeat('a');
    m.watch('b');
    await time.advance(999);
    expect(m.status('a')).toBe('healthy');
    m.heartbeat('b');
    await time.advance(1);
    expect(m.status('a')).toBe('suspected');
    await time.advance(2000);
    expect(m.status('a')).toBe('failed');
    m.heartbeat('a');
    expect(m.statuses()).toEqual({ a: 'healthy', b: 'suspected' });
    m.stop();
    expect(changes).toEqual(['a:healthy->suspected@1000', 'b:healthy->suspected@1999', 'a:suspected->failed@3000', 'a:failed->healthy@3000']);
    expect(m.status('ghost')).toBeUndefined();
  });

  it('hostile config and heartbeats', () => {
    expect(() => new HealthMonitor({ suspectAfterMs: Number.NaN, failAfterMs: 1 })).toThrow(ConfigError);
    expect(() => new HealthMonitor({ suspectAfterMs: 10, failAfterMs: 5 })).toThrow(/failAfterMs/);
    const s = hm.init({ suspectAfterMs: 10, failAfterMs: 20, autoRegister: false });
    const t = checkedStep(machine, s, { type: 'heartbeat', from: 'x', now: 1 });
    expect(t.outputs[0]).toMatchObject({ type: 'rejected', from: 'x' });
    const bad = checkedStep(machine, s, { type: 'heartbeat', from: 42 as never, now: 1 });
    expect(bad.state).toBe(s);
    // The time comes from the local host: a bad one is a programming error, not peer input.
    expect(() => machine.step(hm.init({ suspectAfterMs: 10, failAfterMs: 20 }), { type: 'heartbeat', from: 'a', now: Number.NaN })).toThrow(InvalidCommandError);
    expect(() => machine.step(s, { type: 'nope', now: 1 } as never)).toThrow(InvalidCommandError);
  });

  it('autoRegister: false never registers a node named like an Object.prototype member (regression: toString was watched)', () => {
    const s = hm.init({ suspectAfterMs: 10, failAfterMs: 20, autoRegister: false });
    for (const from of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const t = checkedStep(machine, s, { type: 'heartbeat', from, now: 1 });
      expect(t.state).toBe(s);
      expect(t.outputs[0]).toMatchObject({ type: 'rejected', from, reason: 'heartbeat from a node that is not watched' });
    }
    // Watched by name, `__proto__` is an own key like any other.
    let w = checkedStep(machine, s, { type: 'watch', node: '__proto__', now: 0 }).state;
    w = checkedStep(machine, w, { type: 'heartbeat', from: '__proto__', now: 5 }).state;
    expect(Object.keys(w.nodes)).toEqual(['__proto__']);
    expect(hm.statusAt(w, '__proto__', 5)).toBe('healthy');
    expect(hm.statusAt(w, 'toString', 5)).toBeUndefined();
  });

  it('the table of nodes is bounded (maxNodes): heartbeats from one id too many are rejected, naming the limit', () => {
    let s = hm.init({ suspectAfterMs: 10, failAfterMs: 20, maxNodes: 3 });
    for (const id of ['a', 'b', 'c']) s = checkedStep(machine, s, { type: 'heartbeat', from: id, now: 1 }).state;
    const t = checkedStep(machine, s, { type: 'heartbeat', from: 'd', now: 2 });
    expect(t.state).toBe(s);
    expect(t.outputs[0]).toMatchObject({ type: 'rejected', reason: expect.stringMatching(/maxNodes/) });
  });

  it('property: the status is a function of the silence, and nextDeadline is the next change', () => {
    const inputArb: fc.Arbitrary<{ kind: 'hb' | 'tick' | 'watch' | 'unwatch'; node: string; dt: number }> = fc.record({
      kind: fc.constantFrom('hb', 'tick', 'watch', 'unwatch', 'hb', 'tick'),
      node: fc.constantFrom('a', 'b', 'c'),
      dt: fc.integer({ min: 0, max: 50 }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 60 }), fc.array(inputArb, { maxLength: 60 }), (suspect, extra, ops) => {
        let s: HealthState = hm.init({ suspectAfterMs: suspect, failAfterMs: suspect + extra });
        let now = 0;
        for (const op of ops) {
          now += op.dt;
          const input: HealthInput =
            op.kind === 'hb' ? { type: 'heartbeat', from: op.node, now } : op.kind === 'tick' ? { type: 'tick', now } : op.kind === 'watch' ? { type: 'watch', node: op.node, now } : { type: 'unwatch', node: op.node, now };
          s = checkedStep(machine, s, input).state;
          if (op.kind === 'tick') {
            for (const n of Object.values(s.nodes)) {
              const silent = now - n.lastHeartbeat;
              expect(n.status).toBe(silent >= suspect + extra ? 'failed' : silent >= suspect ? 'suspected' : 'healthy');
            }
            const d = hm.nextDeadline(s);
            if (d !== undefined) {
              expect(d).toBeGreaterThan(now);
              expect(hm.step(s, { type: 'tick', now: d - 0.5 }).outputs).toEqual([]);
              expect(hm.step(s, { type: 'tick', now: d }).outputs.length).toBeGreaterThan(0);
            }
          }
        }
      }),
    );
  });
});

describe('ServiceRegistry', () => {
  it('register / heartbeat / deregister with TTL, filters, health and change events', () => {
    const time = new FakeTime();
    const r = new ServiceRegistry({ defaultTtlMs: 1000, clock: time });
    const events: string[] = [];
    r.onChange((c: RegistryChange) => events.push(`${c.type}:${c.instance.id}`));
    r.register({ service: 'api', id: 'a', address: '10.0.0.1:80', metadata: { zone: 'eu' } });
    r.register({ service: 'api', id: 'b', address: '10.0.0.2:80', metadata: { zone: 'us' }, ttlMs: 5000 });
    r.register({ service: 'db', id: 'p', address: '10.0.1.1:5432' });
    expect(r.discover('api').map((i) => i.id)).toEqual(['a', 'b']);
    expect(r.discover('api', { metadata: { zone: 'us' } }).map((i) => i.id)).toEqual(['b']);
    time.t = 900;
    r.heartbeat('api', 'a');
    time.t = 1500;
    expect(r.discover('api').map((i) => i.id)).toEqual(['a', 'b']);
    expect(r.services()).toEqual(['api']); // db expired
    r.setHealth('api', 'b', 'critical');
    expect(r.discover('api').map((i) => i.id)).toEqual(['a']);
    expect(r.discover('api', { includeUnhealthy: true }).map((i) => i.id)).toEqual(['a', 'b']);
    r.setHealth('api', 'a', 'passing', true);
    expect(r.discover('api')).toEqual([]);
    r.deregister('api', 'a');
    r.deregister('api', 'a');
    time.t = 10_000;
    r.expire();
    expect(() => r.heartbeat('api', 'b')).toThrow(InvalidCommandError);
    expect(events).toEqual(['registered:a', 'registered:b', 'registered:p', 'expired:p', 'health:b', 'health:a', 'deregistered:a', 'expired:b']);
  });

  it('pairs with LoadBalancer: a balancer over registry.discover(name) follows the registry', () => {
    const time = new FakeTime();
    const r = new ServiceRegistry({ clock: time });
    for (const id of ['x', 'y', 'z']) r.register({ service: 'api', id, address: `${id}:80`, weight: id === 'x' ? 2 : 1 });
    const lb = new LoadBalancer({ strategy: 'weighted-round-robin', nodes: r.discover('api') });
    r.onChange(() => lb.setNodes(r.discover('api')));
    expect(Array.from({ length: 4 }, () => lb.pick())).toEqual(['x', 'y', 'z', 'x']);
    r.setHealth('api', 'y', 'critical');
    expect(Array.from({ length: 6 }, () => lb.pick()).includes('y')).toBe(false);
  });

  it('hostile registrations throw ConfigError naming the option', () => {
    const r = new ServiceRegistry({ clock: new FakeTime() });
    const cases: [string, () => unknown][] = [
      ['service', () => r.register({ service: '', id: 'a', address: '' })],
      ['ttlMs', () => r.register({ service: 's', id: 'a', address: '', ttlMs: -1 })],
      ['ttlMs', () => r.register({ service: 's', id: 'a', address: '', ttlMs: Number.NaN })],
      ['weight', () => r.register({ service: 's', id: 'a', address: '', weight: -2 })],
      ['metadata.zone', () => r.register({ service: 's', id: 'a', address: '', metadata: { zone: 1 as never } })],
      ['defaultTtlMs', () => new ServiceRegistry({ defaultTtlMs: 0 })],
    ];
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

  it('property: discover returns exactly the live instances that pass the filter', () => {
    const opArb = fc.record({
      op: fc.constantFrom('register', 'heartbeat', 'deregister', 'critical', 'passing'),
      id: fc.constantFrom('a', 'b', 'c', 'd'),
      zone: fc.constantFrom('eu', 'us'),
      ttl: fc.integer({ min: 1, max: 100 }),
      dt: fc.integer({ min: 0, max: 60 }),
    });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 50 }), (ops) => {
        let s = reg.init({ defaultTtlMs: 50 });
        let now = 0;
        const model = new Map<string, { expiresAt: number; ttl: number; zone: string; healthy: boolean }>();
        for (const o of ops) {
          now += o.dt;
          for (const [k, v] of model) if (v.expiresAt <= now) model.delete(k);
          s = reg.step(s, { type: 'tick', now }).state;
          const m = model.get(o.id);
          if (o.op === 'register') {
            s = reg.step(s, { type: 'register', now, registration: { service: 'svc', id: o.id, address: '', ttlMs: o.ttl, metadata: { zone: o.zone } } }).state;
            model.set(o.id, { expiresAt: now + o.ttl, ttl: o.ttl, zone: o.zone, healthy: m?.healthy ?? true });
          } else if (o.op === 'deregister') {
            s = reg.step(s, { type: 'deregister', now, service: 'svc', id: o.id }).state;
            model.delete(o.id);
          } else if (m !== undefined) {
            if (o.op === 'heartbeat') {
              s = reg.step(s, { type: 'heartbeat', now, service: 'svc', id: o.id }).state;
              m.expiresAt = now + m.ttl;
            } else {
              s = reg.step(s, { type: 'set-health', now, service: 'svc', id: o.id, health: o.op }).state;
              m.healthy = o.op === 'passing';
            }
          }
          const expected = [...model].filter(([, v]) => v.healthy && v.zone === 'eu').map(([k]) => k).sort();
          expect(reg.discover(s, 'svc', now, { metadata: { zone: 'eu' } }).map((i) => i.id)).toEqual(expected);
          expect(JSON.parse(JSON.stringify(s))).toEqual(s);
        }
      }),
    );
  });
});
