// The Redis Streams transport against a real redis-server: delivery between transports, at least
// once across a receiver's crash, malformed entries refused, bounded streams, close() ending a
// blocking read, a Redis restart survived, and whole clusters (Raft, the replicated queue) over it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ConfigError, createNode, type RunningNode } from 'distkit/core';
import { raft, type RaftOutput } from 'distkit/consensus';
import { memoryRaftStorage } from 'distkit/node';
import { replicatedQueue, type QueueResult } from 'distkit/messaging';
import { type ReplicatedOutput } from 'distkit/consensus';
import { createRedisStreamsTransport, streamKey, type RedisClientLike, type RedisRejection, type RedisStreamsTransport } from 'distkit/redis';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { sleep, waitFor } from '../support/wait.js';

let server: RedisServer;
const clients: Redis[] = [];
const transports: RedisStreamsTransport[] = [];
let prefix = '';
let run = 0;

function client(): Redis {
  const c = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: null });
  c.on('error', () => undefined); // refused connections while the server restarts
  clients.push(c);
  return c;
}

function transport<M = unknown>(id: string, extra: Partial<Parameters<typeof createRedisStreamsTransport>[0]> = {}): RedisStreamsTransport<M> {
  const t = createRedisStreamsTransport<M>({ id, client: client(), keyPrefix: prefix, ...extra });
  transports.push(t as RedisStreamsTransport);
  return t;
}

beforeAll(async () => {
  server = await startRedisServer();
});

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  for (const c of clients.splice(0)) c.disconnect();
  prefix = `t${++run}:`;
});

afterAll(async () => {
  await server.stop();
});

describe('createRedisStreamsTransport', () => {
  it('an ioredis client is a RedisClientLike', () => {
    const c: RedisClientLike = client();
    expect(typeof c.call).toBe('function');
  });

  it('refuses a bad configuration naming the field', () => {
    expect(() => createRedisStreamsTransport({ id: '', client: client() })).toThrow(ConfigError);
    expect(() => createRedisStreamsTransport({ id: 'a', client: {} as RedisClientLike })).toThrow(/client/);
    let duplicated = 0;
    const counting: RedisClientLike = { call: () => Promise.resolve(null), duplicate: () => (duplicated++, counting), disconnect: () => undefined };
    expect(() => createRedisStreamsTransport({ id: 'a', client: counting, maxStreamLength: 0 })).toThrow(/maxStreamLength/);
    expect(() => createRedisStreamsTransport({ id: 'a', client: counting, claimIdleMs: -1 })).toThrow(/claimIdleMs/);
    expect(duplicated).toBe(0); // no reading connection is opened for a refused configuration
  });

  it('carries messages both ways, in order per link, as plain-data copies', async () => {
    prefix = 'pair:';
    const a = transport<{ n: number }>('a');
    const b = transport<{ n: number }>('b');
    const atA: [string, number][] = [];
    const atB: [string, number][] = [];
    a.onMessage((from, m) => atA.push([from, m.n]));
    b.onMessage((from, m) => atB.push([from, m.n]));
    await Promise.all([a.ready(), b.ready()]);
    for (let n = 0; n < 200; n++) a.send('b', { n });
    b.send('a', { n: -1 });
    await waitFor(() => atB.length === 200 && atA.length === 1);
    expect(atB).toEqual(Array.from({ length: 200 }, (_, n) => ['a', n]));
    expect(atA).toEqual([['b', -1]]);
    await waitFor(() => b.stats().acked === 200);
    expect(a.stats()).toMatchObject({ sent: 200, received: 1, dropped: 0, rejected: 0 });
    expect(b.stats()).toMatchObject({ sent: 1, received: 200, redelivered: 0, acked: 200 });
    expect(await clients[0]!.xpending(streamKey('b', prefix), 'distkit')).toEqual([0, null, null, null]);
  });

  it('delivers what was sent before the receiver started', async () => {
    prefix = 'early:';
    const a = transport('a');
    for (let n = 0; n < 5; n++) a.send('b', n);
    await waitFor(() => a.stats().sent === 5);
    const got: unknown[] = [];
    const b = transport('b');
    b.onMessage((_, m) => got.push(m));
    await waitFor(() => got.length === 5);
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  it('at least once: entries a crashed reader took but never acknowledged are delivered after its restart', async () => {
    prefix = 'crash:';
    const a = transport('a');
    const b1 = transport('b');
    await b1.ready();
    await b1.close(); // b's group exists; b is down
    for (let n = 0; n < 10; n++) a.send('b', n);
    await waitFor(() => a.stats().sent === 10);
    // A reader that crashed after XREADGROUP and before XACK: its entries sit in the pending list.
    const raw = client();
    const taken = (await raw.call('XREADGROUP', 'GROUP', 'distkit', 'b', 'COUNT', 6, 'STREAMS', streamKey('b', prefix), '>')) as [string, unknown[]][];
    expect(taken[0]![1]).toHaveLength(6);
    expect((await raw.xpending(streamKey('b', prefix), 'distkit'))[0]).toBe(6);
    const got: unknown[] = [];
    const b2 = transport('b', { readCount: 4 }); // the pending list is read in pages: 4, 2, then none
    b2.onMessage((_, m) => got.push(m));
    await waitFor(() => got.length === 10);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // the pending six first, then the rest
    expect(b2.stats().redelivered).toBe(6);
    await waitFor(() => b2.stats().acked === 10);
    expect((await raw.xpending(streamKey('b', prefix), 'distkit'))[0]).toBe(0);
  });

  it('claimIdleMs takes over what another consumer name left pending; without it those entries stay put', async () => {
    prefix = 'claim:';
    const key = streamKey('b', prefix);
    const raw = client();
    await raw.xgroup('CREATE', key, 'distkit', '0', 'MKSTREAM');
    for (let n = 0; n < 5; n++) await raw.xadd(key, '*', 'from', 'a', 'data', String(n));
    await raw.call('XREADGROUP', 'GROUP', 'distkit', 'old-name', 'STREAMS', key, '>');
    const plain: unknown[] = [];
    const b1 = transport('b');
    b1.onMessage((_, m) => plain.push(m));
    await b1.ready();
    await sleep(100);
    await b1.close();
    expect(plain).toEqual([]);
    const got: unknown[] = [];
    const b2 = transport('b', { claimIdleMs: 0, readCount: 2 });
    b2.onMessage((_, m) => got.push(m));
    await waitFor(() => got.length === 5);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(b2.stats().redelivered).toBe(5);
    await waitFor(() => b2.stats().acked === 5);
    expect((await raw.xpending(key, 'distkit'))[0]).toBe(0);
  });

  it('at least once across a real crash: a receiver killed between delivery and XACK gets the batch again', async () => {
    prefix = 'sigkill:';
    const fixture = fileURLToPath(new URL('./fixtures/receiver.ts', import.meta.url));
    const receiver = (crashAt?: number) => {
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, String(server.port), prefix, ...(crashAt === undefined ? [] : [String(crashAt)])], { stdio: ['ignore', 'pipe', 'inherit'] });
      const lines: string[] = [];
      let rest = '';
      child.stdout!.on('data', (d: Buffer) => {
        const parts = (rest + d.toString()).split('\n');
        rest = parts.pop()!;
        lines.push(...parts);
      });
      const exit = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_, signal) => resolve(signal)));
      return { child, lines, exit };
    };
    const a = transport<number>('a');
    const total = 300;
    const first = receiver(137);
    await waitFor(() => first.lines.includes('ready'), 20_000);
    for (let n = 0; n < total; n++) a.send('b', n);
    expect(await first.exit).toBe('SIGKILL');
    const before = first.lines.filter((l) => l !== 'ready').map(Number);
    expect(before[before.length - 1]).toBe(137);
    const second = receiver();
    try {
      await waitFor(() => new Set([...before, ...second.lines.filter((l) => l !== 'ready').map(Number)]).size === total, 30_000);
      const after = second.lines.filter((l) => l !== 'ready').map(Number);
      // Nothing lost; the batch cut short by the crash (137 among it) came again, first, in order.
      expect(new Set([...before, ...after]).size).toBe(total);
      expect(after).toContain(137);
      expect(after[0]).toBeLessThanOrEqual(137);
      expect(after).toEqual([...after].sort((x, y) => x - y));
    } finally {
      second.child.kill('SIGKILL');
      await second.exit;
    }
  }, 60_000);

  it('at least once across close and restart under load: every message arrives, none is lost', async () => {
    prefix = 'churn:';
    const a = transport<number>('a');
    const seen = new Set<number>();
    let receiver = transport<number>('b', { readCount: 7 });
    receiver.onMessage((_, n) => seen.add(n));
    const total = 600;
    for (let n = 0; n < total; n++) {
      a.send('b', n);
      if (n % 150 === 149) {
        await receiver.close();
        receiver = transport<number>('b', { readCount: 7 });
        receiver.onMessage((_, m) => seen.add(m));
      }
      if (n % 50 === 0) await sleep(1);
    }
    await waitFor(() => seen.size === total, 10_000);
    expect([...seen].sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, n) => n));
  });

  it('refuses malformed entries with a report, acknowledges them, and keeps delivering', async () => {
    prefix = 'hostile:';
    const rejections: RedisRejection[] = [];
    const got: [string, unknown][] = [];
    const b = transport('b', { maxMessageBytes: 64, onReject: (r) => rejections.push(r) });
    b.onMessage((from, m) => got.push([from, m]));
    await b.ready();
    const raw = client();
    const key = streamKey('b', prefix);
    await raw.xadd(key, '*', 'from', 'a'); // no data
    await raw.xadd(key, '*', 'from', 'a', 'data', '{not json');
    await raw.xadd(key, '*', 'data', '1'); // no sender
    await raw.xadd(key, '*', 'from', '', 'data', '1');
    await raw.xadd(key, '*', 'from', 'x'.repeat(300), 'data', '1');
    await raw.xadd(key, '*', 'from', 'a', 'data', JSON.stringify('y'.repeat(100)));
    await raw.xadd(key, '*', 'from', '__proto__', 'data', '{"ok":true}');
    await waitFor(() => got.length === 1 && rejections.length === 6);
    expect(got).toEqual([['__proto__', { ok: true }]]);
    expect(rejections.map((r) => r.reason)).toEqual([
      'field "data" is missing',
      'field "data" is not JSON',
      'field "from" must name the sender (1..256 characters)',
      'field "from" must name the sender (1..256 characters)',
      'field "from" must name the sender (1..256 characters)',
      'message exceeds maxMessageBytes (64): at least 102 bytes',
    ]);
    expect(rejections.every((r) => r.type === 'rejected' && r.stream === key && /^\d+-\d+$/.test(r.entryId))).toBe(true);
    await waitFor(() => b.stats().acked === 7);
    expect(b.stats()).toMatchObject({ rejected: 6, received: 1 });
    expect((await raw.xpending(key, 'distkit'))[0]).toBe(0);
  });

  it('reports an entry trimmed away while pending, and acknowledges it', async () => {
    prefix = 'trimmed:';
    const key = streamKey('b', prefix);
    const raw = client();
    await raw.xgroup('CREATE', key, 'distkit', '0', 'MKSTREAM');
    await raw.xadd(key, '*', 'from', 'a', 'data', '1');
    await raw.call('XREADGROUP', 'GROUP', 'distkit', 'b', 'STREAMS', key, '>');
    await raw.xtrim(key, 'MAXLEN', 0);
    const rejections: RedisRejection[] = [];
    const b = transport('b', { onReject: (r) => rejections.push(r) });
    await waitFor(() => rejections.length === 1);
    expect(rejections[0]!.reason).toMatch(/trimmed/);
    await waitFor(() => b.stats().acked === 1);
  });

  it('drops and reports what it cannot send, without throwing', async () => {
    prefix = 'drops:';
    const problems: string[] = [];
    const a = transport('a', { maxMessageBytes: 16, onError: (p) => problems.push(p) });
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    a.send('b', cyclic);
    a.send('b', 'z'.repeat(100));
    a.send('b', undefined);
    a.send('', 1);
    expect(a.stats().dropped).toBe(4);
    expect(problems).toHaveLength(4);
    expect(problems[1]).toMatch(/exceeds maxMessageBytes/);
  });

  it('bounds each stream with MAXLEN ~', async () => {
    prefix = 'bounded:';
    const a = transport('a', { maxStreamLength: 100 });
    for (let n = 0; n < 2000; n++) a.send('nobody', n);
    await waitFor(() => a.stats().sent === 2000);
    const length = await clients[0]!.xlen(streamKey('nobody', prefix));
    // `~` trims whole radix-tree nodes (100 entries each by default): near the bound, never far over it.
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThanOrEqual(300);
  });

  it('close() ends a blocking read at once', async () => {
    prefix = 'close:';
    const b = transport('b', { blockMs: 60_000 });
    await b.ready();
    await sleep(50); // the read is now blocked in Redis
    const t0 = performance.now();
    await b.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    b.send('a', 1); // after close: ignored, no throw
    expect(b.stats().dropped).toBe(0);
  });

  it('survives a Redis restart: the group is created again and messages flow', async () => {
    prefix = 'restart:';
    const problems: string[] = [];
    const a = transport('a', { retryMaxDelayMs: 200 });
    const b = transport('b', { retryMaxDelayMs: 200, onError: (p) => problems.push(p) });
    const got: unknown[] = [];
    b.onMessage((_, m) => got.push(m));
    a.send('b', 'before');
    await waitFor(() => got.length === 1);
    await server.kill();
    server = await startRedisServer({ port: server.port, dir: server.dir });
    // The restarted server kept nothing: b's next read finds no group, and b creates it again.
    await waitFor(() => problems.some((p) => p.includes('NOGROUP')), 10_000);
    a.send('b', 'after');
    await waitFor(() => got.length === 2, 10_000);
    expect(got).toEqual(['before', 'after']);
  }, 20_000);
});

describe('with Redis persistence (appendfsync always)', () => {
  it('every XADD Redis answered survives a Redis crash and reaches the receiver after it', async () => {
    const durable = await startRedisServer({ appendfsync: 'always' });
    const own: Redis[] = [];
    const connect = () => {
      const c = new Redis(durable.port, '127.0.0.1', { maxRetriesPerRequest: null });
      c.on('error', () => undefined);
      own.push(c);
      return c;
    };
    let restarted: RedisServer | undefined;
    try {
      const b1 = createRedisStreamsTransport<number>({ id: 'b', client: connect() });
      await b1.ready();
      await b1.close();
      const a = createRedisStreamsTransport<number>({ id: 'a', client: connect() });
      for (let n = 0; n < 50; n++) a.send('b', n);
      await waitFor(() => a.stats().sent === 50);
      await a.close();
      await durable.kill(); // SIGKILL: only what the append-only file holds survives
      restarted = await startRedisServer({ appendfsync: 'always', port: durable.port, dir: durable.dir });
      const got: number[] = [];
      const b2 = createRedisStreamsTransport<number>({ id: 'b', client: connect() });
      b2.onMessage((_, n) => got.push(n));
      await waitFor(() => got.length === 50, 10_000);
      expect(got).toEqual(Array.from({ length: 50 }, (_, n) => n));
      await b2.close();
    } finally {
      for (const c of own) c.disconnect();
      await (restarted ?? durable).stop();
      await durable.stop();
    }
  }, 30_000);
});

describe('distkit machines over Redis Streams', () => {
  it('a 3-node Raft cluster elects a leader and commits', async () => {
    prefix = 'raft:';
    const ids = ['a', 'b', 'c'];
    const applied = new Map<string, unknown[]>(ids.map((id) => [id, []]));
    const nodes = new Map<string, RunningNode<ReturnType<typeof raft.init>, Parameters<typeof raft.step>[1], RaftOutput>>();
    for (const id of ids) {
      const config = { id, voters: ids, seed: id, electionTimeoutMs: 300 };
      const t = transport(id);
      const storage = memoryRaftStorage(raft.durable(raft.init(config)));
      const node = createNode(raft, config, {
        send: (to, m) => t.send(to, m),
        persist: (r) => storage.persist(r),
        onOutput: (o) => {
          if (o.type === 'apply') applied.get(id)!.push(...o.entries.filter((e) => e.kind === undefined).map((e) => e.data));
        },
      });
      node.listen(t);
      nodes.set(id, node);
    }
    try {
      const leader = await waitFor(() => ids.find((id) => nodes.get(id)!.state.role === 'leader'), 10_000);
      await nodes.get(leader)!.input({ type: 'propose', data: 'x=1' });
      await nodes.get(leader)!.input({ type: 'propose', data: 'y=2' });
      await waitFor(() => ids.every((id) => applied.get(id)!.length === 2), 10_000);
      for (const id of ids) expect(applied.get(id)).toEqual(['x=1', 'y=2']);
      expect(ids.filter((id) => nodes.get(id)!.state.role === 'leader')).toEqual([leader]);
    } finally {
      for (const n of nodes.values()) n.stop();
    }
  }, 20_000);

  it('the replicated queue (distkit/messaging) enqueues, leases and acknowledges over it', async () => {
    prefix = 'queue:';
    const ids = ['q1', 'q2', 'q3'];
    type Node = RunningNode<ReturnType<typeof replicatedQueue.init>, Parameters<typeof replicatedQueue.step>[1], ReplicatedOutput<QueueResult>>;
    const nodes = new Map<string, Node>();
    // A command's result is an output of the step that applies it (a later message), seen by onOutput.
    const results = new Map<string, QueueResult>();
    for (const id of ids) {
      const config = { raft: { id, voters: ids, seed: id, electionTimeoutMs: 300 } };
      const t = transport(id);
      const node = createNode(replicatedQueue, config, {
        send: (to, m) => t.send(to, m),
        onOutput: (o) => {
          if (o.type === 'result') results.set(o.id, o.result);
        },
      });
      node.listen(t);
      nodes.set(id, node);
    }
    try {
      const leaderId = await waitFor(() => ids.find((id) => nodes.get(id)!.state.raft.role === 'leader'), 10_000);
      const leader = nodes.get(leaderId)!;
      const submit = async (id: string, command: unknown): Promise<QueueResult> => {
        const refused = (await leader.input({ type: 'submit', id, command })).find((o) => o.type === 'notLeader' || o.type === 'dropped');
        if (refused) throw new Error(`${id}: ${refused.type}`);
        return waitFor(() => results.get(id), 10_000);
      };
      expect(await submit('e1', { type: 'enqueue', body: { job: 7 }, key: 'job-7' })).toMatchObject({ type: 'enqueued', id: 'm1', duplicate: false });
      expect(await submit('e2', { type: 'enqueue', body: { job: 7 }, key: 'job-7' })).toMatchObject({ type: 'enqueued', id: 'm1', duplicate: true });
      const received = await submit('r1', { type: 'receive', consumer: 'w1' });
      expect(received).toMatchObject({ type: 'received', message: { id: 'm1', body: { job: 7 } } });
      const token = (received as Extract<QueueResult, { type: 'received' }>).message.token;
      expect(await submit('a1', { type: 'ack', id: 'm1', token })).toMatchObject({ type: 'acked', id: 'm1' });
      // Every replica applied the same commands: the queue is empty everywhere.
      await waitFor(() => ids.every((id) => nodes.get(id)!.state.appliedIndex === leader.state.appliedIndex), 10_000);
      for (const id of ids) expect(Object.keys(nodes.get(id)!.state.app.messages)).toEqual([]);
    } finally {
      for (const n of nodes.values()) n.stop();
    }
  }, 20_000);
});
