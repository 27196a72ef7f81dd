import { describe, expect, it } from 'vitest';
import { deepFreeze, type Invariant } from 'distkit/core';
import { leaseClient, leaseLockServer, type LeaseClientState, type LeaseLockServerState, type LeaseLockServiceOutput } from 'distkit/mutex';
import { simulate } from 'distkit/sim';

const cfg = { id: 'locks', maxTtlMs: 1000, offerTimeoutMs: 100 };
const msg = (from: string, message: object, now: number) => ({ type: 'message' as const, from, message, now });
const sent = (outputs: readonly LeaseLockServiceOutput[]) => outputs.flatMap((o) => (o.type === 'send' ? [{ to: o.to, ...o.message }] : []));

function run(s: LeaseLockServerState, ...inputs: Parameters<typeof leaseLockServer.step>[1][]) {
  const outputs: LeaseLockServiceOutput[] = [];
  for (const i of inputs) {
    const t = leaseLockServer.step(deepFreeze(s), i);
    s = t.state;
    outputs.push(...t.outputs);
  }
  return { s, outputs };
}

describe('leaseLockServer', () => {
  it('grants different resources independently and queues a second client on the same one', () => {
    const { s, outputs } = run(
      leaseLockServer.init(cfg),
      msg('c1', { type: 'acquire', req: 1, ttlMs: 500, resource: 'payment:user_123' }, 0),
      msg('c2', { type: 'acquire', req: 1, ttlMs: 500, resource: 'payment:user_456' }, 1),
      msg('c3', { type: 'acquire', req: 1, ttlMs: 500, resource: 'payment:user_123' }, 2),
    );
    expect(sent(outputs)).toEqual([
      { to: 'c1', type: 'granted', req: 1, token: 1, ttlMs: 500, resource: 'payment:user_123' },
      { to: 'c2', type: 'granted', req: 1, token: 2, ttlMs: 500, resource: 'payment:user_456' },
      { to: 'c3', type: 'queued', req: 1, resource: 'payment:user_123' },
    ]);
    expect(Object.keys(s.locks).sort()).toEqual(['payment:user_123', 'payment:user_456']);
  });

  it('drops an idle lock, and tokens of a resource keep growing after it was dropped', () => {
    let { s, outputs } = run(leaseLockServer.init(cfg), msg('c1', { type: 'acquire', req: 1, ttlMs: 500, resource: 'r1' }, 0), msg('c1', { type: 'release', token: 1, resource: 'r1' }, 5));
    expect(s.locks).toEqual({});
    ({ s, outputs } = run(s, msg('c2', { type: 'acquire', req: 1, ttlMs: 500, resource: 'r2' }, 6), msg('c1', { type: 'acquire', req: 2, ttlMs: 500, resource: 'r1' }, 7)));
    expect(sent(outputs).map((m) => [m.resource, (m as { token?: number }).token])).toEqual([
      ['r2', 2],
      ['r1', 3],
    ]);
    expect(leaseLockServer.durable(s)).toEqual({ lastToken: 3 });
  });

  it('a message without a resource is about the default lock, so a plain client works', () => {
    const { outputs } = run(leaseLockServer.init(cfg), msg('c1', { type: 'acquire', req: 1, ttlMs: 500 }, 0));
    expect(sent(outputs)).toEqual([{ to: 'c1', type: 'granted', req: 1, token: 1, ttlMs: 500 }]);
  });

  it('bounds the lock table and names the limit; the same state comes back', () => {
    const s0 = run(leaseLockServer.init({ ...cfg, maxResources: 2 }), msg('a', { type: 'acquire', req: 1, ttlMs: 500, resource: 'x' }, 0), msg('b', { type: 'acquire', req: 1, ttlMs: 500, resource: 'y' }, 0)).s;
    const t = leaseLockServer.step(s0, msg('c', { type: 'acquire', req: 1, ttlMs: 500, resource: 'z' }, 1));
    expect(t.state).toBe(s0);
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'c', reason: 'too many locks in use (maxResources = 2)' }]);
    for (const bad of [{ resource: '' }, { resource: 7 }, { resource: 'x'.repeat(1000) }]) {
      const r = leaseLockServer.step(s0, msg('c', { type: 'acquire', req: 1, ttlMs: 500, ...bad }, 1));
      expect(r.state).toBe(s0);
      expect(r.outputs[0]).toMatchObject({ type: 'rejected', from: 'c' });
    }
  });

  it('after a crash, grants nothing until the longest lease could have run out, on every lock', () => {
    const s = leaseLockServer.recover(cfg, { lastToken: 9 });
    let r = run(s, msg('c1', { type: 'acquire', req: 1, ttlMs: 500, resource: 'r1' }, 100));
    expect(sent(r.outputs)).toEqual([{ to: 'c1', type: 'queued', req: 1, resource: 'r1' }]);
    expect(leaseLockServer.nextDeadline!(r.s)).toBe(1100);
    r = run(r.s, { type: 'tick', now: 1100 }, msg('c1', { type: 'acquire', req: 2, ttlMs: 500, resource: 'r1' }, 1101));
    expect(sent(r.outputs)).toEqual([
      { to: 'c1', type: 'offer', resource: 'r1' },
      { to: 'c1', type: 'granted', req: 2, token: 10, ttlMs: 500, resource: 'r1' },
    ]);
  });

  it('a client holding a named lock ignores messages about another lock', () => {
    const c = leaseClient.init({ id: 'c1', service: 'locks', resource: 'r1' });
    const asked = leaseClient.step(c, { type: 'request', now: 0 });
    expect(asked.outputs).toEqual([{ type: 'send', to: 'locks', message: { type: 'acquire', req: 1, ttlMs: 10_000, resource: 'r1' } }]);
    const wrong = leaseClient.step(asked.state, msg('locks', { type: 'granted', req: 1, token: 1, ttlMs: 500, resource: 'r2' }, 1));
    expect(wrong.state).toBe(asked.state);
    expect(wrong.outputs[0]).toMatchObject({ type: 'rejected' });
    expect(leaseClient.step(asked.state, msg('locks', { type: 'granted', req: 1, token: 1, ttlMs: 500, resource: 'r1' }, 1)).outputs).toEqual([{ type: 'enter', fencingToken: 1 }]);
  });

  it('in the simulator, at most one client holds each lock, with a server crash, loss and duplication', () => {
    const clients = ['c1', 'c2', 'c3', 'c4'];
    const resourceOf = (c: string) => (c === 'c1' || c === 'c2' ? 'r1' : 'r2');
    const onePerLock: Invariant<LeaseClientState | LeaseLockServerState> = {
      name: 'at most one holder per lock',
      check: (states) => {
        const held = new Map<string, string>();
        for (const [id, s] of Object.entries(states)) {
          if (!('phase' in s) || s.phase !== 'held') continue;
          const r = s.resource ?? 'default';
          if (held.has(r)) return `${held.get(r)} and ${id} both hold ${r}`;
          held.set(r, id);
        }
        return undefined;
      },
    };
    let entries = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const r = simulate({
        seed,
        nodes: [
          { id: 'locks', machine: leaseLockServer, config: { id: 'locks', maxTtlMs: 300, offerTimeoutMs: 50 } },
          ...clients.map((id) => ({ id, machine: leaseClient, config: { id, service: 'locks', resource: resourceOf(id), ttlMs: 300, marginMs: 30, retryMs: 60 } })),
        ],
        commands: clients.map((node) => ({ at: 0, node, input: { type: 'request' } })),
        onOutput: (e, sim) => {
          const o = e.output as { type: string };
          if (o.type === 'enter') {
            entries++;
            sim.inject(e.node, { type: 'release' }, 20);
          }
          if (o.type === 'enter' || o.type === 'lease-lost') sim.inject(e.node, { type: 'request' }, 40);
        },
        network: { delay: { type: 'uniform', minMs: 1, maxMs: 15 }, loss: 0.05, duplicate: 0.05 },
        faults: [{ at: 700, fault: { type: 'crash', node: 'locks' } }, { at: 800, fault: { type: 'restart', node: 'locks' } }],
        invariants: [onePerLock],
        maxTimeMs: 3000,
      });
      expect(r.ok, r.violation?.message).toBe(true);
    }
    expect(entries).toBeGreaterThan(100);
  });
});
