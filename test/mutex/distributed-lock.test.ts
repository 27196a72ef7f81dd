// DistributedLock over the lease lock server, on a fake clock: timeouts, FIFO contenders with
// increasing fencing tokens, expiry of a holder cut off from the service, and a pending acquire
// keeping a plain Node process alive.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Timers } from '../../src/core/index.js';
import { DistributedLock, LockService, checkFencingToken, type LeaseExpiredOutput, type LockLostEvent } from '../../src/mutex/index.js';

/** A manual clock and timers: `advance` moves time and runs what falls due, letting the nodes settle between. */
class FakeTime implements Timers {
  now = 0;
  private timers: { at: number; seq: number; cb: () => void; live: boolean }[] = [];
  private seq = 0;
  readonly clock = { now: () => this.now };
  setTimer(delayMs: number, cb: () => void): () => void {
    const t = { at: this.now + Math.max(0, delayMs), seq: this.seq++, cb, live: true };
    this.timers.push(t);
    return () => {
      t.live = false;
    };
  }
  async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  }
  /** Lets `p` settle, running timers due now (an acquire with timeout 0). */
  async result<T>(p: Promise<T>): Promise<T> {
    await this.advance(0);
    return p;
  }
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    await this.settle();
    for (;;) {
      this.timers = this.timers.filter((t) => t.live);
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (next === undefined) break;
      this.now = Math.max(this.now, next.at);
      next.live = false;
      next.cb();
      await this.settle();
    }
    this.now = end;
    await this.settle();
  }
}

function setup(options: { ttlMs?: number; lost?: LockLostEvent[]; expired?: LeaseExpiredOutput[] } = {}) {
  const time = new FakeTime();
  const service = new LockService({ clock: time.clock, backgroundTimers: time, offerTimeoutMs: 1000, onExpired: (e) => options.expired?.push(e) });
  const client = (id: string) =>
    new DistributedLock({ service, id, timers: time, ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }), onLost: (e) => options.lost?.push(e) });
  return { time, service, client };
}

describe('DistributedLock', { timeout: 10_000 }, () => {
  it('an acquire that times out resolves false, and the withdrawn request is never granted', async () => {
    const { time, service, client } = setup();
    const a = client('a');
    const b = client('b');
    const c = client('c');
    expect(await a.acquire('payment:user_123')).toBe(1);
    let bResult: number | false | undefined;
    void b.acquire('payment:user_123', 2000).then((r) => (bResult = r));
    await time.advance(1999);
    expect(bResult).toBeUndefined();
    await time.advance(1);
    expect(bResult).toBe(false);
    expect(b.token('payment:user_123')).toBeUndefined();
    // c queues behind; when a releases, the lock goes straight to c, not to the withdrawn b.
    let cResult: number | false | undefined;
    void c.acquire('payment:user_123', 60_000).then((r) => (cResult = r));
    await time.advance(10);
    expect(await a.release('payment:user_123')).toBe(true);
    await time.advance(0);
    expect(cResult).toBe(2);
    expect(service.lastToken).toBe(2);
  });

  it('a release just before a waiter\'s timeout hands the lock over before the timeout fires', async () => {
    const { time, client } = setup();
    const a = client('a');
    const b = client('b');
    expect(await a.acquire('r')).toBe(1);
    const waiting = b.acquire('r', 100);
    await time.advance(99);
    void a.release('r');
    await time.advance(1);
    expect(await waiting).toBe(2);
    expect(b.token('r')).toBe(2);
    expect(a.token('r')).toBeUndefined();
  });

  it('contenders get the lock in turn with strictly increasing fencing tokens', async () => {
    const { time, client } = setup();
    const clients = ['a', 'b', 'c', 'd', 'e'].map(client);
    const results = clients.map((cl) => cl.acquire('job', 60_000));
    const tokens: number[] = [];
    for (let round = 0; round < clients.length; round++) {
      await time.advance(5);
      const holders = clients.filter((cl) => cl.token('job') !== undefined);
      expect(holders).toHaveLength(1);
      tokens.push(holders[0]!.token('job')!);
      await holders[0]!.release('job');
    }
    const resolved = await Promise.all(results);
    expect([...resolved].sort((x, y) => Number(x) - Number(y))).toEqual(tokens);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
  });

  it('distinct resources are independent locks with one token counter', async () => {
    const { time, client } = setup();
    const a = client('a');
    const b = client('b');
    expect(await time.result(a.acquire('x', 0))).toBe(1);
    expect(await time.result(b.acquire('y', 0))).toBe(2);
    expect(await time.result(b.acquire('x', 0))).toBe(false);
    expect(await time.result(a.acquire('default', 0))).toBe(3);
    expect(() => a.acquire('x')).toThrow(/already held/);
  });

  it('a held lease renews: it outlives many TTLs', async () => {
    const lost: LockLostEvent[] = [];
    const { time, client } = setup({ ttlMs: 1000, lost });
    const a = client('a');
    const b = client('b');
    expect(await a.acquire('r')).toBe(1);
    await time.advance(10_000);
    expect(a.token('r')).toBe(1);
    expect(lost).toEqual([]);
    expect(await time.result(b.acquire('r', 0))).toBe(false);
  });

  it('a holder cut off from the service loses its lease, is told, and its old token is refused', async () => {
    const lost: LockLostEvent[] = [];
    const expired: LeaseExpiredOutput[] = [];
    const { time, service, client } = setup({ ttlMs: 1000, lost, expired });
    const a = client('a');
    const b = client('b');
    const old = await a.acquire('ledger');
    expect(old).toBe(1);
    // The protected storage keeps the highest token it has seen.
    let highest = -1;
    const write = (token: number) => {
      const verdict = checkFencingToken(highest, token);
      highest = verdict.highest;
      return verdict.ok;
    };
    expect(write(old as number)).toBe(true);
    service.network.partition(['a'], [service.id, 'b']);
    const waiting = b.acquire('ledger', 10_000);
    await time.advance(1000);
    expect(lost).toEqual([{ resource: 'ledger', fencingToken: 1, reason: 'expired' }]);
    expect(expired).toEqual([{ type: 'lease-expired', client: 'a', token: 1, resource: 'ledger' }]);
    expect(a.token('ledger')).toBeUndefined();
    const fresh = await waiting;
    expect(fresh).toBe(2);
    expect(write(fresh as number)).toBe(true);
    // The paused holder wakes and writes with its old token: refused.
    expect(write(old as number)).toBe(false);
    service.network.heal();
    expect(await a.release('ledger')).toBe(false);
  });

  it('validates its arguments', async () => {
    const { client } = setup();
    const a = client('a');
    expect(() => a.acquire('')).toThrow(/resource/);
    expect(() => a.acquire('r', -1)).toThrow(/timeoutMs/);
    await expect(a.release('never')).resolves.toBe(false);
  });
});

describe('DistributedLock in a plain Node process', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  it('a pending acquire keeps the process alive until it resolves; an idle held lock does not', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `
        import { DistributedLock, LockService } from './src/mutex/index.ts';
        const service = new LockService();
        const a = new DistributedLock({ service, id: 'a' });
        const b = new DistributedLock({ service, id: 'b' });
        console.log(await a.acquire('r'));
        // Nothing else keeps the process alive while b waits: only its pending acquire.
        setTimeout(() => void a.release('r'), 100).unref();
        console.log(await b.acquire('r', 20_000));
        console.log(await a.acquire('q', 200));
        `,
      ],
      { cwd: root, encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1\n2\n3\n');
    expect(r.status).toBe(0);
  });
});
