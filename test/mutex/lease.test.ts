import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkedStep, ConfigError } from 'distkit/core';
import {
  checkFencingToken,
  leaseClient,
  leaseInvariants,
  leaseLockService,
  mutexInvariants,
  type LeaseLockServiceState,
  type MutexInput,
} from 'distkit/mutex';
import { simulate } from 'distkit/sim';
import { ids, runMutex, Sim } from '../support/event-sim.js';

const msg = (from: string, message: unknown, now = 0) => ({ type: 'message' as const, from, message, now });
const tick = (now: number) => ({ type: 'tick' as const, now });

function service(maxTtlMs = 1000): LeaseLockServiceState {
  const s = leaseLockService.init({ id: 'lock', maxTtlMs, offerTimeoutMs: 100 });
  return checkedStep(leaseLockService, s, tick(0)).state;
}

describe('checkFencingToken (Kleppmann 2016; Chubby §2.4 sequencers)', () => {
  it('accepts equal or larger tokens, refuses smaller ones and garbage', () => {
    expect(checkFencingToken(-1, 1)).toEqual({ ok: true, highest: 1 });
    expect(checkFencingToken(5, 5)).toEqual({ ok: true, highest: 5 });
    expect(checkFencingToken(5, 4)).toMatchObject({ ok: false, highest: 5 });
    expect(checkFencingToken(5, -3).ok).toBe(false);
    expect(checkFencingToken(5, '9').ok).toBe(false);
    expect(checkFencingToken(5, 2.5).ok).toBe(false);
  });
  it('the tokens a resource accepts never decrease (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 50 })), (tokens) => {
        let highest = -1;
        const accepted: number[] = [];
        for (const t of tokens) {
          const v = checkFencingToken(highest, t);
          highest = v.highest;
          if (v.ok) accepted.push(t);
        }
        for (let i = 1; i < accepted.length; i++) expect(accepted[i]!).toBeGreaterThanOrEqual(accepted[i - 1]!);
      }),
    );
  });
});

describe('lease lock service (Gray & Cheriton 1989)', () => {
  it('grants with a persisted, strictly increasing fencing token; persist comes before the grant', () => {
    let s = service();
    const t1 = checkedStep(leaseLockService, s, msg('c1', { type: 'acquire', req: 1, ttlMs: 500 }));
    expect(t1.outputs.map((o) => o.type)).toEqual(['persist', 'send']);
    s = checkedStep(leaseLockService, t1.state, msg('c1', { type: 'release', token: 1 })).state;
    const t2 = checkedStep(leaseLockService, s, msg('c2', { type: 'acquire', req: 1, ttlMs: 500 }));
    expect(t2.outputs[1]).toEqual({ type: 'send', to: 'c2', message: { type: 'granted', req: 1, token: 2, ttlMs: 500 } });
  });

  it('expiry by injected time: an unreleased lease ends at its TTL and the next waiter is offered the lock', () => {
    let s = service();
    s = checkedStep(leaseLockService, s, msg('c1', { type: 'acquire', req: 1, ttlMs: 500 })).state;
    const q = checkedStep(leaseLockService, s, msg('c2', { type: 'acquire', req: 1, ttlMs: 500 }));
    expect(q.outputs).toEqual([{ type: 'send', to: 'c2', message: { type: 'queued', req: 1 } }]);
    expect(leaseLockService.nextDeadline!(q.state)).toBe(500);
    expect(checkedStep(leaseLockService, q.state, tick(499)).outputs).toEqual([]);
    const e = checkedStep(leaseLockService, q.state, tick(500));
    expect(e.outputs).toEqual([
      { type: 'lease-expired', client: 'c1', token: 1 },
      { type: 'send', to: 'c2', message: { type: 'offer' } },
    ]);
  });

  it('renew extends the lease; renewing a lease that is gone answers lost', () => {
    let s = service();
    s = checkedStep(leaseLockService, s, msg('c1', { type: 'acquire', req: 1, ttlMs: 500 })).state;
    const r = checkedStep(leaseLockService, s, msg('c1', { type: 'renew', req: 2, token: 1 }, 400));
    expect(r.state.holder?.expiry.at).toBe(900);
    const gone = checkedStep(leaseLockService, r.state, msg('c2', { type: 'renew', req: 1, token: 1 }, 410));
    expect(gone.outputs).toEqual([{ type: 'send', to: 'c2', message: { type: 'lost', token: 1 } }]);
  });

  it('recovery: tokens keep increasing after a crash, and no lease is granted until the longest TTL has passed', () => {
    let s = service(1000);
    for (let i = 1; i <= 3; i++) {
      s = checkedStep(leaseLockService, s, msg('c1', { type: 'acquire', req: i, ttlMs: 1000 })).state;
      s = checkedStep(leaseLockService, s, msg('c1', { type: 'release', token: i })).state;
    }
    const durable = leaseLockService.durable(s);
    expect(durable).toEqual({ lastToken: 3 });
    let r = leaseLockService.recover({ id: 'lock', maxTtlMs: 1000 }, JSON.parse(JSON.stringify(durable)));
    r = checkedStep(leaseLockService, r, tick(5000)).state;
    const early = checkedStep(leaseLockService, r, msg('c2', { type: 'acquire', req: 1, ttlMs: 1000 }, 5000));
    expect(early.outputs).toEqual([{ type: 'send', to: 'c2', message: { type: 'queued', req: 1 } }]);
    expect(leaseLockService.nextDeadline!(early.state)).toBe(6000);
    const late = checkedStep(leaseLockService, early.state, tick(6000));
    expect(late.outputs).toEqual([{ type: 'send', to: 'c2', message: { type: 'offer' } }]);
    const g = checkedStep(leaseLockService, late.state, msg('c2', { type: 'acquire', req: 2, ttlMs: 1000 }, 6001));
    expect(g.outputs[0]).toEqual({ type: 'persist', record: { lastToken: 4 } });
  });

  it('hostile: releases of tokens not held, malformed requests, negative tokens, counters past MAX_COUNTER', () => {
    const s = service();
    const rej = (st: LeaseLockServiceState, from: string, m: unknown) => {
      const t = checkedStep(leaseLockService, st, msg(from, m));
      expect(t.state).toBe(st);
      expect(t.outputs[0]?.type).toBe('rejected');
    };
    rej(s, 'c1', { type: 'release', token: 1 });
    rej(s, 'c1', { type: 'acquire', req: 1, ttlMs: -5 });
    rej(s, 'c1', { type: 'release', token: -1 });
    rej(s, 'c1', { type: 'acquire', req: 1 });
    rej(s, 'c1', { type: 'acquire', req: 2 ** 53 - 1, ttlMs: 5 });
    rej(s, 'c1', { type: 'release', token: 2 ** 53 - 1 });
    expect(() => leaseClient.init({ id: 'c', service: 'c' })).toThrow(ConfigError);
  });

  it('client: the lease is timed from the acquire send, so the client stops before the service expires it', () => {
    let c = leaseClient.init({ id: 'c1', service: 'lock', ttlMs: 500, marginMs: 10, autoRenew: false });
    c = checkedStep(leaseClient, c, { type: 'request', now: 100 } as MutexInput).state;
    const g = checkedStep(leaseClient, c, msg('lock', { type: 'granted', req: 1, token: 9, ttlMs: 500 }, 180));
    expect(g.outputs).toEqual([{ type: 'enter', fencingToken: 9 }]);
    expect(g.state.expiry.at).toBe(590); // 100 + 500 - 10, not 180 + 500
    const lost = checkedStep(leaseClient, g.state, tick(590));
    expect(lost.outputs).toEqual([{ type: 'lease-lost', fencingToken: 9, reason: 'expired' }]);
  });

  it('client hostile: grants from strangers or for other requests never enter', () => {
    let c = leaseClient.init({ id: 'c1', service: 'lock' });
    c = checkedStep(leaseClient, c, { type: 'request', now: 0 } as MutexInput).state;
    const stranger = checkedStep(leaseClient, c, msg('evil', { type: 'granted', req: 1, token: 1, ttlMs: 5 }));
    expect(stranger.outputs[0]?.type).toBe('rejected');
    const other = checkedStep(leaseClient, c, msg('lock', { type: 'granted', req: 7, token: 3, ttlMs: 5 }));
    expect(other.outputs).toEqual([{ type: 'send', to: 'lock', message: { type: 'release', token: 3 } }]); // handed back
    const bad = checkedStep(leaseClient, c, msg('lock', { type: 'granted', req: 1, token: -3, ttlMs: 5 }));
    expect(bad.outputs[0]?.type).toBe('rejected');
  });
});

describe('leases in the simulator', () => {
  it('fencing tokens strictly increase across holders, and mutual exclusion holds, with 5% message loss (100 seeds)', () => {
    for (let seed = 1; seed <= 100; seed++) {
      let last = 0;
      const clients = ids(4, 'c');
      const r = runMutex({
        seed,
        clients,
        entriesPerClient: 3,
        lossRate: 0.05,
        checked: seed <= 5,
        untilMs: 60_000,
        setup: (sim) => {
          sim.add('lock', leaseLockService, leaseLockService.init({ id: 'lock', maxTtlMs: 300, offerTimeoutMs: 50 }));
          sim.input('lock', { type: 'tick', now: 0 });
          for (const id of clients) sim.add(id, leaseClient, leaseClient.init({ id, service: 'lock', ttlMs: 300, retryMs: 60 }));
        },
        onEvent: (_sim, _node, out) => {
          if (out.type === 'enter') {
            expect(out.fencingToken as number, `seed ${seed}`).toBeGreaterThan(last);
            last = out.fencingToken as number;
          }
        },
      });
      expect(r.maxConcurrent).toBe(1);
      expect(r.entries).toBeGreaterThan(0);
    }
  });

  it('a paused holder whose lease expired has its late write refused by the resource', () => {
    const sim = new Sim({ seed: 4 });
    sim.add('lock', leaseLockService, leaseLockService.init({ id: 'lock', maxTtlMs: 200 }));
    sim.input('lock', { type: 'tick', now: 0 });
    for (const id of ['c1', 'c2']) sim.add(id, leaseClient, leaseClient.init({ id, service: 'lock', ttlMs: 200, autoRenew: false }));
    const tokens: Record<string, number> = {};
    sim.onEvent = (node, o) => {
      if (o.type === 'enter') tokens[node] = o.fencingToken as number;
    };
    let highest = -1;
    const write = (token: number) => {
      const v = checkFencingToken(highest, token);
      highest = v.highest;
      return v.ok;
    };
    sim.input('c1', { type: 'request' });
    sim.run(50);
    expect(write(tokens.c1!)).toBe(true);
    sim.crash('c1'); // a long GC pause: no ticks, no messages
    sim.input('c2', { type: 'request' });
    sim.run(1000);
    expect(tokens.c2).toBe(2);
    expect(write(tokens.c2!)).toBe(true);
    // c1 wakes up and writes with its old token before noticing anything.
    expect(write(tokens.c1!)).toBe(false);
  });
});

describe('time on every input (regressions)', () => {
  it('regression: simulate with the service ticked only at its deadlines — a renewal extends the lease from when it arrives, so at most one client holds at any time', () => {
    // Before, grants and renewals counted from the service's last tick: c1 renewed at ~2.5 s, the
    // service kept the expiry of the first grant (5 s), expired it and granted c2 while c1 still
    // trusted its renewed lease until ~7.5 s.
    for (let seed = 1; seed <= 10; seed++) {
      const r = simulate({
        seed,
        nodes: [
          { id: 'lock', machine: leaseLockService, config: { id: 'lock', maxTtlMs: 10_000 } },
          { id: 'c1', machine: leaseClient, config: { id: 'c1', service: 'lock', ttlMs: 5000, retryMs: 700 } },
          { id: 'c2', machine: leaseClient, config: { id: 'c2', service: 'lock', ttlMs: 5000, retryMs: 700 } },
        ],
        network: { delay: { type: 'uniform', minMs: 1, maxMs: 20 } },
        commands: [
          { at: 0, node: 'c1', input: { type: 'request' } },
          { at: 100, node: 'c2', input: { type: 'request' } },
        ],
        invariants: [...mutexInvariants(), ...leaseInvariants()],
        maxTimeMs: 30_000,
        trace: false,
      });
      expect(r.violation, `seed ${seed}`).toBeUndefined();
    }
  });

  it('regression: a grant that arrives after the lease it names would have ended is handed back and retried, never entered', () => {
    let c = leaseClient.init({ id: 'c1', service: 'lock', ttlMs: 500, retryMs: 10_000 });
    c = checkedStep(leaseClient, c, { type: 'request', now: 0 } as MutexInput).state;
    const late = checkedStep(leaseClient, c, msg('lock', { type: 'granted', req: 1, token: 4, ttlMs: 500 }, 600));
    expect(late.outputs).toEqual([
      { type: 'send', to: 'lock', message: { type: 'release', token: 4 } },
      { type: 'send', to: 'lock', message: { type: 'acquire', req: 2, ttlMs: 500 } },
    ]);
    expect(late.state.phase).toBe('acquiring');
    // The retry is timed from the late grant's arrival, and the next grant is entered.
    expect(leaseClient.nextDeadline!(late.state)).toBe(10_600);
    const ok = checkedStep(leaseClient, late.state, msg('lock', { type: 'granted', req: 2, token: 5, ttlMs: 500 }, 610));
    expect(ok.outputs).toEqual([{ type: 'enter', fencingToken: 5 }]);
  });

  it('regression: release after lease-lost (or when idle) is a no-op, not an error; release while acquiring gives the request up', () => {
    let c = leaseClient.init({ id: 'c1', service: 'lock', ttlMs: 500, autoRenew: false });
    c = checkedStep(leaseClient, c, { type: 'request', now: 0 } as MutexInput).state;
    c = checkedStep(leaseClient, c, msg('lock', { type: 'granted', req: 1, token: 2, ttlMs: 500 }, 10)).state;
    const lost = checkedStep(leaseClient, c, tick(500));
    expect(lost.outputs).toEqual([{ type: 'lease-lost', fencingToken: 2, reason: 'expired' }]);
    const rel = checkedStep(leaseClient, lost.state, { type: 'release', now: 501 } as MutexInput);
    expect(rel.outputs).toEqual([]);
    expect(rel.state).toBe(lost.state);
    const waiting = checkedStep(leaseClient, rel.state, { type: 'request', now: 600 } as MutexInput).state;
    const gaveUp = checkedStep(leaseClient, waiting, { type: 'release', now: 601 } as MutexInput);
    expect(gaveUp.state.phase).toBe('idle');
    expect(leaseClient.nextDeadline!(gaveUp.state)).toBeUndefined();
    // Its grant, arriving later, is handed back.
    const back = checkedStep(leaseClient, gaveUp.state, msg('lock', { type: 'granted', req: 2, token: 3, ttlMs: 500 }, 620));
    expect(back.outputs).toEqual([{ type: 'send', to: 'lock', message: { type: 'release', token: 3 } }]);
  });

  it('withdraw: a client that gives up leaves the queue, and a lock offered to it goes to the next waiter', () => {
    let s = service();
    s = checkedStep(leaseLockService, s, msg('c1', { type: 'acquire', req: 1, ttlMs: 500 }, 1)).state;
    s = checkedStep(leaseLockService, s, msg('c2', { type: 'acquire', req: 1, ttlMs: 500 }, 2)).state;
    s = checkedStep(leaseLockService, s, msg('c3', { type: 'acquire', req: 1, ttlMs: 500 }, 3)).state;
    // c3 withdraws while queued: it is no longer offered the lock.
    const out3 = checkedStep(leaseLockService, s, msg('c3', { type: 'withdraw', req: 1 }, 4));
    expect(out3.state.waiters).toEqual(['c2']);
    expect(out3.outputs).toEqual([]);
    // c1 releases: c2 is offered the lock, withdraws, and the reservation is dropped at once.
    const offered = checkedStep(leaseLockService, out3.state, msg('c1', { type: 'release', token: 1 }, 5));
    expect(offered.outputs).toEqual([{ type: 'send', to: 'c2', message: { type: 'offer' } }]);
    const gone = checkedStep(leaseLockService, offered.state, msg('c2', { type: 'withdraw', req: 1 }, 6));
    expect(gone.state.reserved).toBeNull();
    expect(gone.state.waiters).toEqual([]);
    // A withdraw from a stranger changes nothing; a malformed one is rejected.
    expect(checkedStep(leaseLockService, s, msg('zz', { type: 'withdraw', req: 1 }, 4)).state.waiters).toEqual(['c2', 'c3']);
    expect(checkedStep(leaseLockService, s, msg('c2', { type: 'withdraw', req: 0 }, 4)).outputs[0]!.type).toBe('rejected');
    // The client sends withdraw when released while acquiring or queued.
    let c = leaseClient.init({ id: 'c2', service: 'lock' });
    c = checkedStep(leaseClient, c, { type: 'request', now: 0 } as MutexInput).state;
    expect(checkedStep(leaseClient, c, { type: 'release', now: 1 } as MutexInput).outputs).toEqual([{ type: 'send', to: 'lock', message: { type: 'withdraw', req: 1 } }]);
  });

  it('a lease granted by a message counts from that message, not from the last tick', () => {
    let s = service();
    const g = checkedStep(leaseLockService, s, msg('c1', { type: 'acquire', req: 1, ttlMs: 500 }, 7000));
    expect(leaseLockService.nextDeadline!(g.state)).toBe(7500);
    s = g.state;
    expect(checkedStep(leaseLockService, s, tick(7499)).outputs).toEqual([]);
  });

  it('a full wait queue rejects further acquirers with a reason naming the limit', () => {
    let s = leaseLockService.init({ id: 'lock', maxWaiters: 2 });
    s = checkedStep(leaseLockService, s, msg('c0', { type: 'acquire', req: 1, ttlMs: 500 })).state;
    s = checkedStep(leaseLockService, s, msg('c1', { type: 'acquire', req: 1, ttlMs: 500 })).state;
    s = checkedStep(leaseLockService, s, msg('c2', { type: 'acquire', req: 1, ttlMs: 500 })).state;
    const full = checkedStep(leaseLockService, s, msg('c3', { type: 'acquire', req: 1, ttlMs: 500 }));
    expect(full.state).toBe(s);
    expect(full.outputs).toEqual([{ type: 'rejected', from: 'c3', reason: 'the wait queue is full (maxWaiters = 2)' }]);
  });
});
