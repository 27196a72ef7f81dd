// DistributedCounter over a 3-replica raftCounter cluster: exact counts under duplicated and lost
// messages (retries count once), linearizable reads, and a plain Node process that exits.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Random, createMemoryNetwork, type MemoryNetwork, type Transport } from '../../src/core/index.js';
import { CounterRequestError, DistributedCounter } from '../../src/replication/index.js';

/** An in-memory network whose links duplicate every message with probability `dup` and drop with `loss` (per `filter`). */
function faultyNetwork(seed: number, dup: number, loss = 0, lossFilter: (from: string, to: string) => boolean = () => true): Pick<MemoryNetwork, 'transport'> & { sent: number } {
  const net = createMemoryNetwork();
  const rng = new Random(seed);
  const wrapped = { sent: 0, transport: (id: string): Transport => wrap(net.transport(id)) };
  function wrap(t: Transport): Transport {
    return {
      id: t.id,
      onMessage: (h) => t.onMessage(h),
      close: () => t.close(),
      send(to, m) {
        wrapped.sent++;
        if (lossFilter(t.id, to) && rng.float() < loss) return;
        t.send(to, m);
        if (rng.float() < dup) t.send(to, m);
      },
    };
  }
  return wrapped;
}

describe('DistributedCounter', { timeout: 20_000 }, () => {
  it('100 concurrent increments give exactly 100 on a network that duplicates every message', async () => {
    const network = faultyNetwork(1, 1);
    const counter = new DistributedCounter({ network });
    try {
      const values = await Promise.all(Array.from({ length: 100 }, () => counter.increment()));
      expect(await counter.get()).toBe(100);
      // Each increment saw its own value: 1..100 in some order.
      expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    } finally {
      counter.close();
    }
  });

  it('retried increments count once: replies to the client are lost and duplicated (5 seeds)', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const network = faultyNetwork(seed, 0.3, 0.3, (_from, to) => to === 'counter-client');
      const counter = new DistributedCounter({ network, retryMs: 20 });
      try {
        const bys = Array.from({ length: 40 }, (_, i) => 1 + (i % 3));
        const values = await Promise.all(bys.map((by) => counter.increment(by)));
        const total = bys.reduce((a, b) => a + b, 0);
        expect(await counter.get()).toBe(total);
        expect(new Set(values).size).toBe(bys.length);
        expect(Math.max(...values)).toBe(total);
      } finally {
        counter.close();
      }
    }
  });

  it('the leader cut off mid-run: retries reach the new leader and the count stays exact', async () => {
    const network = createMemoryNetwork();
    const counter = new DistributedCounter({ network, retryMs: 50 });
    try {
      const first = await Promise.all(Array.from({ length: 20 }, () => counter.increment()));
      network.partition(['r0'], ['r1', 'r2', 'counter-client']);
      const second = await Promise.all(Array.from({ length: 20 }, () => counter.increment()));
      expect(await counter.get()).toBe(40);
      expect([...first, ...second].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      network.heal();
    } finally {
      counter.close();
    }
  });

  it('get is linearizable: it reflects every increment that resolved before it', async () => {
    const counter = new DistributedCounter({ network: faultyNetwork(7, 0.5) });
    try {
      for (let i = 1; i <= 10; i++) {
        expect(await counter.increment()).toBe(i);
        expect(await counter.get()).toBe(i);
      }
    } finally {
      counter.close();
    }
  });

  it('a cluster cut off from the client times out with CounterRequestError', async () => {
    const counter = new DistributedCounter({ network: faultyNetwork(3, 0, 1, (from) => from === 'counter-client'), retryMs: 10, requestTimeoutMs: 100 });
    try {
      await expect(counter.increment()).rejects.toBeInstanceOf(CounterRequestError);
    } finally {
      counter.close();
    }
  });

  it('validates its arguments', async () => {
    expect(() => new DistributedCounter({ replicas: ['a', 'a'] })).toThrow(/replicas/);
    expect(() => new DistributedCounter({ replicas: ['a', 'b', 'c'], id: 'a' })).toThrow(/id/);
    const counter = new DistributedCounter();
    try {
      await expect(counter.increment(0)).rejects.toThrow(/by/);
      await expect(counter.increment(1.5)).rejects.toThrow(/by/);
    } finally {
      counter.close();
    }
    await expect(counter.get()).rejects.toThrow(/closed/);
  });
});

describe('DistributedCounter in a plain Node process', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  it('pending calls complete and the process then exits (idle replicas do not hold it)', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `
        import { DistributedCounter } from './src/replication/index.ts';
        const counter = new DistributedCounter();
        await Promise.all(Array.from({ length: 100 }, () => counter.increment()));
        console.log(await counter.get());
        `,
      ],
      { cwd: root, encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('100\n');
    expect(r.status).toBe(0);
  });
});
