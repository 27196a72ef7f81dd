// Queue benchmark: BullMQ beside distkit's replicated queue, end to end.
//
// BullMQ: one redis-server started here (append-only file, `appendfsync always`, then `everysec`
// for reference), a Queue and a Worker (concurrency c) in this process; c producers in closed
// loops, each adding a job (100-byte payload, removed on completion) and waiting for the worker
// to complete it before adding the next. Latency: add called → completed event.
//
// distkit: a 3-replica `replicatedQueue` (Raft) in this process, each replica on its own
// write-ahead log with fsync (`openRaftStorage`), the replicas talking over loopback TCP
// (`createTcpTransport`, no authentication), then again over Redis Streams
// (`createRedisStreamsTransport`, a redis-server without persistence: the replicas' disks hold the
// state, Redis only carries messages); as with BullMQ, c producers each enqueue (100-byte body) and
// wait until the job is acked, and c workers receive a lease and ack it, the ack asking for the
// next lease in the same command (BullMQ's worker also fetches its next job as it completes one).
// Latency: enqueue submitted → ack applied.
//
// Figures per concurrency level: jobs/s, p50 and p99 latency, and distkit's rate over BullMQ's with
// `appendfsync always` (both durable on disk before they answer). MESSAGING_BENCH_MS sets the time
// per cell (default 3000 ms); redis-server must be on PATH (BullMQ's figures are left out otherwise).
//
// The queue over TCP runs twice: with Raft's leader writing its log before it replicates, and with
// `parallelAppend` (thesis §10.2.1: it replicates while it writes). MESSAGING_BENCH_ONLY=queue runs
// only distkit's queue over TCP.
//
// Event store (MESSAGING_BENCH_ONLY=events runs only this part): appends/s with fsync, c closed
// loops each appending one event (100 bytes of data) to its own stream and waiting for the answer.
// distkit: `replicatedEventStore` through `startReplica` (the WAL with group commit under
// createNode), as a single durable node and as 3 replicas on loopback TCP in this process. Floor:
// an append-only file, one write + fdatasync per event (c loops writing concurrently). Reference:
// puts of 100-byte values to a 3-member etcd cluster (bench/kv.bench.ts's cluster and client).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createNode, type RunningNode, type Transport } from '../src/core/index.js';
import { raft } from '../src/consensus/index.js';
import { replicatedEventStore, replicatedQueue, type EventStoreResult, type QueueResult } from '../src/messaging/index.js';
import { type ReplicatedOutput } from '../src/consensus/index.js';
import { createTcpTransport, openRaftStorage, startReplica, type RaftStorage, type Replica } from '../src/node/index.js';
import { createRedisStreamsTransport } from '../src/redis/index.js';
import { freePort } from '../test/support/kv-cluster.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { closedLoop as etcdClosedLoop, startCluster as startKvCluster } from './kv.bench.js';
import { opsFigure, ratio, round, type Figures } from './lib.js';

const LEVELS = [1, 16, 64];
const PAYLOAD = 'p'.repeat(100);
/** How long a fresh event store rests before it is measured (see startEventStore). */
const SEGMENT_SETTLE_MS = 3000;

/**
 * Before each cell: flush every dirty page to disk and rest a moment, so that no cell's fsyncs wait
 * behind the writeback of an earlier cell's data (runs without it varied 2.5x for the same system
 * depending on what ran before).
 */
async function quiesce(): Promise<void> {
  spawnSync('sync');
  await new Promise((r) => setTimeout(r, 1000));
}

interface Cell {
  rate: number;
  p50: number;
  p99: number;
  /** CPU time of this process per operation, µs (user + system): all of distkit's replicas run here; BullMQ's Redis does not. */
  cpuUs?: number;
}

/** Runs `loops` closed loops of `op` for `ms`; each op returns its latency in ms. */
async function closedLoops(loops: number, ms: number, op: (loop: number, i: number) => Promise<number>): Promise<Cell> {
  const latencies: number[] = [];
  const end = performance.now() + ms;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: loops }, async (_, c) => {
      for (let i = 0; performance.now() < end; i++) latencies.push(await op(c, i));
    }),
  );
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { rate: (latencies.length * 1000) / elapsed, p50: pct(0.5), p99: pct(0.99), cpuUs: (cpu.user + cpu.system) / Math.max(1, latencies.length) };
}

async function bullmqCell(port: number, concurrency: number, ms: number, name: string): Promise<Cell> {
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const queue = new Queue(name, { connection });
  const waiting = new Map<string, () => void>();
  const worker = new Worker(name, async (job) => (job.data as { p: string }).p.length, { connection, concurrency });
  worker.on('completed', (job) => {
    const w = waiting.get(job.id!);
    waiting.delete(job.id!);
    w?.();
  });
  await worker.waitUntilReady();
  const op = async (c: number, i: number) => {
    const jobId = `${name}-${c}-${i}`;
    const t0 = performance.now();
    const done = new Promise<void>((resolve) => waiting.set(jobId, resolve));
    await queue.add('job', { p: PAYLOAD }, { jobId, removeOnComplete: true, removeOnFail: true });
    await done;
    return performance.now() - t0;
  };
  try {
    await closedLoops(concurrency, Math.min(500, ms), op); // warm up
    return await closedLoops(concurrency, ms, op);
  } finally {
    await worker.close();
    await queue.close();
  }
}

type QueueNode = RunningNode<ReturnType<typeof replicatedQueue.init>, Parameters<typeof replicatedQueue.step>[1], ReplicatedOutput<QueueResult>>;

interface QueueCluster {
  submit(command: unknown): Promise<QueueResult>;
  stop(): Promise<void>;
}

/** The replicas' links: loopback TCP, or Redis Streams through the redis-server on `redisPort`. */
type Links = { readonly kind: 'tcp' } | { readonly kind: 'redis'; readonly redisPort: number };

/** Raft thesis §10.2.1 on or off: the leader replicates while it writes its own log. */
type Append = { readonly parallelAppend: boolean };

/** Three replicas of the queue, each on its own write-ahead log with fsync. */
async function startQueueCluster(links: Links, append: Append = { parallelAppend: false }): Promise<QueueCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'messaging-bench-'));
  const ids = ['r1', 'r2', 'r3'];
  const ports = await Promise.all(ids.map(() => freePort()));
  const waiting = new Map<string, (r: QueueResult) => void>();
  const nodes: QueueNode[] = [];
  const transports: Transport[] = [];
  const clients: Redis[] = [];
  const storages: RaftStorage[] = [];
  const linkFor = (id: string, k: number): Transport => {
    if (links.kind === 'tcp') {
      const peers = Object.fromEntries(ids.flatMap((p, j) => (p === id ? [] : [[p, { host: '127.0.0.1', port: ports[j]! }]])));
      return createTcpTransport({ id, listen: { host: '127.0.0.1', port: ports[k]! }, peers, auth: { mode: 'none' } });
    }
    const client = new Redis(links.redisPort, '127.0.0.1', { maxRetriesPerRequest: null });
    clients.push(client);
    return createRedisStreamsTransport({ id, client, keyPrefix: `bench-${process.pid}:` });
  };
  for (const [k, id] of ids.entries()) {
    const config = { raft: { id, voters: ids, seed: id, parallelAppend: append.parallelAppend } };
    const t = linkFor(id, k);
    const storage = await openRaftStorage(join(dir, id), { initial: raft.durable(raft.init(config.raft)) });
    const node = createNode(replicatedQueue, config, {
      send: (to, m) => t.send(to, m),
      // One replicated record holds the Raft records of one step: each a WAL record, synced together.
      persist: (record) => Promise.all(record.raft.map((r) => storage.persist(r))).then(() => undefined),
      onOutput: (o) => {
        if (o.type !== 'result') return;
        const w = waiting.get(o.id);
        waiting.delete(o.id);
        w?.(o.result);
      },
    });
    node.listen(t);
    nodes.push(node);
    transports.push(t);
    storages.push(storage);
  }
  const deadline = performance.now() + 20_000;
  while (!nodes.some((n) => n.state.raft.role === 'leader')) {
    if (performance.now() > deadline) throw new Error('messaging bench: no leader within 20 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  // As for the event store: the fresh WALs' preallocated segments are written back first.
  await new Promise((r) => setTimeout(r, SEGMENT_SETTLE_MS));
  let seq = 0;
  return {
    async submit(command) {
      for (;;) {
        const leader = nodes.find((n) => n.state.raft.role === 'leader');
        if (leader === undefined) {
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        const id = `s${++seq}`;
        const result = new Promise<QueueResult>((resolve) => waiting.set(id, resolve));
        const outs = await leader.input({ type: 'submit', id, command });
        if (outs.some((o) => o.type === 'notLeader' || o.type === 'dropped')) {
          waiting.delete(id);
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        return result;
      }
    },
    async stop() {
      for (const n of nodes) n.stop();
      await Promise.all(transports.map((t) => t.close()));
      for (const c of clients) c.disconnect();
      await Promise.all(storages.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The same shape as BullMQ's cell: `concurrency` producers, each enqueueing a job and waiting until
 * a worker has acked it; `concurrency` workers, each acking its job with `next` (the ack leases the
 * worker its next job in the same command, as BullMQ's worker fetches its next job when it
 * completes one) and, when the queue was empty, waiting for an enqueue before it receives again
 * (BullMQ's worker blocks on Redis for the same).
 */
async function distkitCell(cluster: QueueCluster, concurrency: number, ms: number): Promise<Cell> {
  const done = new Map<string, () => void>();
  let wake: (() => void)[] = [];
  let stopped = false;
  const signal = () => {
    const w = wake;
    wake = [];
    for (const f of w) f();
  };
  const worker = async (c: number) => {
    let job: { id: string; token: number } | null = null;
    while (!stopped) {
      if (job === null) {
        const waiting = new Promise<void>((resolve) => wake.push(resolve));
        const r = await cluster.submit({ type: 'receive', consumer: `w${c}`, visibilityTimeoutMs: 30_000 });
        if (r.type === 'received') job = r.message;
        else await waiting;
        continue;
      }
      const r = await cluster.submit({ type: 'ack', id: job.id, token: job.token, next: { visibilityTimeoutMs: 30_000 } });
      if (r.type !== 'acked') throw new Error(`messaging bench: ack refused: ${JSON.stringify(r)}`);
      done.get(r.id)?.();
      done.delete(r.id);
      job = r.next ?? null;
    }
  };
  const workers = Array.from({ length: concurrency }, (_, c) => worker(c));
  const op = async () => {
    const t0 = performance.now();
    const r = await cluster.submit({ type: 'enqueue', body: PAYLOAD });
    if (r.type !== 'enqueued') throw new Error(`messaging bench: enqueue refused: ${JSON.stringify(r)}`);
    const acked = new Promise<void>((resolve) => done.set(r.id, resolve));
    signal();
    await acked;
    return performance.now() - t0;
  };
  try {
    await closedLoops(concurrency, Math.min(500, ms), op); // warm up
    return await closedLoops(concurrency, ms, op);
  } finally {
    stopped = true;
    signal();
    await Promise.all(workers);
  }
}

function put(out: Figures, key: string, cell: Cell): void {
  out[`${key}.rate`] = opsFigure(cell.rate, 'jobs/s');
  out[`${key}.p50`] = { value: round(cell.p50), unit: 'ms' };
  out[`${key}.p99`] = { value: round(cell.p99), unit: 'ms' };
  if (cell.cpuUs !== undefined) out[`${key}.cpuPerOp`] = { value: round(cell.cpuUs), unit: 'µs' };
}

// ---- the event store's appends/s with fsync -------------------------------------------------

type StoreReplica = Replica<unknown, EventStoreResult>;

/** `size` replicas of the event store on loopback TCP, each on its own WAL in a fresh directory; resolves once one leads. */
async function startEventStore(size: number): Promise<{ replicas: StoreReplica[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'event-store-bench-'));
  const ids = Array.from({ length: size }, (_, i) => `e${i + 1}`);
  const ports = await Promise.all(ids.map(() => freePort()));
  const replicas = await Promise.all(
    ids.map((id, k) =>
      startReplica(replicatedEventStore, {
        id,
        dataDir: join(dir, id),
        listen: { host: '127.0.0.1', port: ports[k]! },
        peers: Object.fromEntries(ids.flatMap((p, j) => (p === id ? [] : [[p, { host: '127.0.0.1', port: ports[j]! }]]))),
        auth: { mode: 'none' },
        app: { maxEvents: 10_000_000, maxStreams: 1000 },
        snapshotEvery: 1_000_000,
      }),
    ),
  );
  await replicas[0]!.campaign();
  const deadline = performance.now() + 20_000;
  while (!replicas.some((r) => r.status().role === 'leader')) {
    if (performance.now() > deadline) throw new Error('event store bench: no leader within 20 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  // Each WAL starts by writing a preallocated 64 MiB segment; until the kernel has written those
  // zeros back, every fsync waits behind them (appends/s several times lower). Measure after.
  await new Promise((r) => setTimeout(r, SEGMENT_SETTLE_MS));
  return {
    replicas,
    async stop() {
      await Promise.all(replicas.map((r) => r.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const EVENT = { type: 'Appended', data: 'e'.repeat(100) };

async function eventStoreCell(replicas: readonly StoreReplica[], concurrency: number, ms: number): Promise<Cell> {
  const op = async (c: number) => {
    const t0 = performance.now();
    for (;;) {
      const leader = replicas.find((r) => r.status().role === 'leader') ?? replicas[0]!;
      const a = await leader.submit({ type: 'append', stream: `s${c}`, expected: 'any', events: [EVENT] });
      if (a.type === 'result') {
        if (a.result.type !== 'appended') throw new Error(`event store bench: ${JSON.stringify(a.result)}`);
        return performance.now() - t0;
      }
    }
  };
  await closedLoops(concurrency, Math.min(500, ms), op); // warm up
  return closedLoops(concurrency, ms, op);
}

/** The floor: one write of the event's bytes and one fdatasync per event, `concurrency` writers on one file. */
async function fileFloorCell(concurrency: number, ms: number): Promise<Cell> {
  const dir = mkdtempSync(join(tmpdir(), 'event-floor-bench-'));
  const fh = await open(join(dir, 'log'), 'a');
  const line = Buffer.from(`${JSON.stringify(EVENT)}\n`);
  try {
    return await closedLoops(concurrency, ms, async () => {
      const t0 = performance.now();
      await fh.write(line);
      await fh.datasync();
      return performance.now() - t0;
    });
  } finally {
    await fh.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function eventStoreBench(ms: number): Promise<Figures> {
  const out: Figures = {};
  const rate = (cell: Cell) => opsFigure(cell.rate, 'appends/s');
  const putCell = (key: string, cell: Cell) => {
    out[`${key}.rate`] = rate(cell);
    out[`${key}.p50`] = { value: round(cell.p50), unit: 'ms' };
    out[`${key}.p99`] = { value: round(cell.p99), unit: 'ms' };
  };
  const ours: Record<string, number> = {};
  for (const size of [1, 3]) {
    const store = await startEventStore(size);
    const name = size === 1 ? 'single-wal' : 'tcp-3-replicas-wal';
    try {
      for (const c of LEVELS) {
        await quiesce();
        const cell = await eventStoreCell(store.replicas, c, ms);
        ours[`${name}.c${c}`] = cell.rate;
        putCell(`messaging.distkit.event-store.${name}.c${c}`, cell);
      }
    } finally {
      await store.stop();
    }
  }
  for (const c of LEVELS) {
    await quiesce();
    const cell = await fileFloorCell(c, ms);
    putCell(`messaging.file-fdatasync-per-event.c${c}`, cell);
    for (const name of ['single-wal', 'tcp-3-replicas-wal']) out[`messaging.event-store.${name}.c${c}.vs.file-fdatasync`] = ratio(ours[`${name}.c${c}`]!, cell.rate);
  }
  if (spawnSync('etcd', ['--version']).status !== 0) return out;
  const etcd = await startKvCluster('etcd');
  try {
    for (const c of LEVELS) {
      await quiesce();
      const cell = await etcdClosedLoop(etcd.urls, c, ms);
      putCell(`messaging.etcd-3-members-put.c${c}`, cell);
      out[`messaging.event-store.tcp-3-replicas-wal.c${c}.vs.etcd-put`] = ratio(ours[`tcp-3-replicas-wal.c${c}`]!, cell.rate);
    }
  } finally {
    await etcd.stop();
  }
  return out;
}

export default async function messagingBench(): Promise<Figures> {
  const ms = Number(process.env['MESSAGING_BENCH_MS'] ?? 3000);
  const only = process.env['MESSAGING_BENCH_ONLY'];
  if (only === 'events') return eventStoreBench(ms);
  const out: Figures = only === 'queue' ? {} : { ...(await eventStoreBench(ms)) };
  const bull: Record<string, Record<number, number>> = { always: {}, everysec: {} };
  if (only !== 'queue' && spawnSync('redis-server', ['--version']).status === 0) {
    for (const fsync of ['always', 'everysec'] as const) {
      const server = await startRedisServer({ appendfsync: fsync });
      try {
        for (const c of LEVELS) {
          await quiesce();
          const cell = await bullmqCell(server.port, c, ms, `bench-${fsync}-c${c}`);
          bull[fsync]![c] = cell.rate;
          put(out, `messaging.bullmq.aof-${fsync}.c${c}`, cell);
        }
      } finally {
        await server.stop();
      }
    }
  }
  for (const parallelAppend of [false, true]) {
    const cluster = await startQueueCluster({ kind: 'tcp' }, { parallelAppend });
    const name = parallelAppend ? 'tcp-wal-parallel-append' : 'tcp-wal';
    try {
      for (const c of LEVELS) {
        await quiesce();
        const cell = await distkitCell(cluster, c, ms);
        put(out, `messaging.distkit.replicated-queue.${name}.c${c}`, cell);
        if (bull['always']![c] !== undefined) out[`messaging.c${c}.${parallelAppend ? 'parallel-append.' : ''}vs.bullmq-aof-always`] = ratio(cell.rate, bull['always']![c]!);
      }
    } finally {
      await cluster.stop();
    }
  }
  if (only === 'queue' || spawnSync('redis-server', ['--version']).status !== 0) return out;
  const server = await startRedisServer();
  const overRedis = await startQueueCluster({ kind: 'redis', redisPort: server.port });
  try {
    for (const c of LEVELS) {
      await quiesce();
      put(out, `messaging.distkit.replicated-queue.redis-streams-wal.c${c}`, await distkitCell(overRedis, c, ms));
    }
  } finally {
    await overRedis.stop();
    await server.stop();
  }
  return out;
}
