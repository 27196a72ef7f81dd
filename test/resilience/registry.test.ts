import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, InvalidCommandError } from 'distkit/core';
import { LoadBalancer, ServiceRegistry, serviceRegistryCore as reg, type RegistryChange } from 'distkit/resilience';
import { FakeTime } from './fake-time.js';

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
