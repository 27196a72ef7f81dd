// Three OS processes, each one replica (test/node/fixtures/replica-server.ts: startReplica with its
// Raft state in a write-ahead log and its peers over HMAC-authenticated TCP or over Redis Streams),
// that a test SIGKILLs and restarts on the same data directory, pauses (SIGSTOP) and cuts off (over
// TCP the peers talk through a fault network, a proxy per directed link; over Redis each member
// reaches the redis-server through a proxy of its own); and a client that finds the leader and tells a command
// that was not applied (connection refused, notLeader, dropped) from one of unknown outcome (timeout).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ReplicaAnswer, ReplicaStatus } from '../../src/node/index.js';
import type { ReplicaServerArgs } from '../node/fixtures/replica-server.js';
import { bundleFixture } from './bundle-fixture.js';
import { startFaultProxy, type FaultProxy } from '../../src/node/index.js';
import { startFaultNet, stablePort, type FaultNet } from './fault-net.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { sleep } from './wait.js';

/** Bundles the replica server fixture into `dir`; returns its path. */
export async function bundleReplicaServer(dir: string): Promise<string> {
  const out = join(dir, 'replica-server.mjs');
  await bundleFixture(new URL('../node/fixtures/replica-server.ts', import.meta.url), out);
  return out;
}

interface Member {
  readonly id: string;
  readonly args: ReplicaServerArgs;
  readonly url: string;
  readonly logFile: string;
  proc: ChildProcess | undefined;
  paused: boolean;
  starts: number;
}

/** A running three-process cluster. */
export interface ReplicaCluster {
  readonly ids: readonly string[];
  /** SIGKILLs a member (no-op when it is down). */
  kill(id: string): Promise<void>;
  /** Starts a killed member again on its data directory and waits until it answers. */
  restart(id: string): Promise<void>;
  /** SIGSTOPs a member (no-op when it is down). */
  pause(id: string): void;
  /** SIGCONTs every paused member. */
  resumeAll(): void;
  /** Over TCP: the peer network between the members (cuts, loss, delay; clients reach members directly). */
  readonly net: FaultNet | undefined;
  /** Over Redis: each member's proxy to the redis-server (a partition cuts the member off). */
  readonly redis: Readonly<Record<string, FaultProxy>> | undefined;
  /** The leader every answering member agrees on, if any. */
  leader(): Promise<string | undefined>;
  /** Every member's status (`undefined` when it does not answer). */
  statuses(): Promise<(ReplicaStatus | undefined)[]>;
  /** A member's application state, as canonical JSON text. */
  appState(id: string): Promise<string | undefined>;
  /** Submits a command through the leader (see {@link Outcome}). */
  call(command: unknown, timeoutMs?: number): Promise<Outcome>;
  /** The tail of a member's log (stdout and stderr). */
  log(id: string): string;
  /** Kills every process. */
  stop(): Promise<void>;
}

/** A command's fate: its result, or `unknown` (it may have been applied), or `failed` (it was not). */
export type Outcome = { readonly type: 'result'; readonly result: any } | { readonly type: 'unknown'; readonly why: string } | { readonly type: 'failed'; readonly why: string };

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 30_000;

async function get(url: string, path: string, timeoutMs: number): Promise<any> {
  try {
    const res = await fetch(url + path, { signal: AbortSignal.timeout(timeoutMs) });
    return res.status === 200 ? await res.json() : undefined;
  } catch {
    return undefined;
  }
}

/** Starts three members of `app` in `root` (one data directory each) and waits until all answer. */
export async function startReplicaCluster(options: { bundle: string; root: string; app: 'queue' | 'events'; seed: number; links?: 'tcp' | 'redis'; electionTimeoutMs?: number; snapshotEvery?: number; appConfig?: Record<string, unknown> }): Promise<ReplicaCluster> {
  const ids = ['r1', 'r2', 'r3'];
  const peerPorts: Record<string, number> = {};
  const clientPorts: Record<string, number> = {};
  for (const id of ids) {
    peerPorts[id] = await stablePort();
    clientPorts[id] = await stablePort();
  }
  const overRedis = options.links === 'redis';
  const net = overRedis ? undefined : await startFaultNet(ids, options.seed, peerPorts);
  let redisServer: RedisServer | undefined;
  let redis: Record<string, FaultProxy> | undefined;
  const redisPorts: Record<string, number> = {};
  if (overRedis) {
    redisServer = await startRedisServer();
    redis = {};
    for (const id of ids) {
      // RESP is not length-prefixed: the proxy forwards reads as they come (it only cuts, never drops).
      redis[id] = startFaultProxy({ listen: { host: HOST, port: 0 }, target: { host: HOST, port: redisServer.port }, seed: `${options.seed}/${id}->redis`, unit: 'chunk' });
      redisPorts[id] = (await redis[id].address()).port;
    }
  }
  const members: Record<string, Member> = {};
  for (const id of ids) {
    const dataDir = join(options.root, id);
    mkdirSync(dataDir, { recursive: true });
    const args: ReplicaServerArgs = {
      id,
      app: options.app,
      dataDir,
      peerPort: peerPorts[id]!,
      clientPort: clientPorts[id]!,
      peers: Object.fromEntries(ids.filter((o) => o !== id).map((o) => [o, net?.routerPorts[o] ?? 0])),
      secret: `replica-cluster-secret-${options.root}`,
      electionTimeoutMs: options.electionTimeoutMs ?? 400,
      snapshotEvery: options.snapshotEvery ?? 200,
      ...(options.appConfig ? { appConfig: options.appConfig } : {}),
      ...(overRedis ? { redisPort: redisPorts[id]! } : {}),
    };
    members[id] = { id, args, url: `http://${HOST}:${clientPorts[id]}`, logFile: join(options.root, `${id}.log`), proc: undefined, paused: false, starts: 0 };
  }
  const start = async (m: Member): Promise<void> => {
    const fd = openSync(m.logFile, 'a');
    try {
      m.proc = spawn(process.execPath, [options.bundle, JSON.stringify(m.args)], { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    m.starts++;
    m.paused = false;
    const proc = m.proc;
    const until = performance.now() + START_TIMEOUT_MS;
    while (performance.now() < until) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${m.id} exited at start; log:\n${tail(m.logFile)}`);
      if ((await get(m.url, '/status', 1000)) !== undefined) return;
      await sleep(50);
    }
    throw new Error(`${m.id} did not answer within ${START_TIMEOUT_MS} ms; log:\n${tail(m.logFile)}`);
  };
  const kill = async (id: string): Promise<void> => {
    const m = members[id]!;
    const proc = m.proc;
    m.proc = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
    m.paused = false;
  };
  const signal = (m: Member, sig: 'SIGSTOP' | 'SIGCONT') => {
    if (m.proc === undefined || m.proc.exitCode !== null || m.proc.signalCode !== null) return;
    m.proc.kill(sig);
    m.paused = sig === 'SIGSTOP';
  };
  const stop = async () => {
    await Promise.all(ids.map(kill));
    await net?.close();
    await Promise.all(Object.values(redis ?? {}).map((p) => p.close()));
    await redisServer?.stop();
  };
  try {
    await Promise.all(ids.map((id) => start(members[id]!)));
  } catch (e) {
    await stop();
    throw e;
  }
  const statuses = () => Promise.all(ids.map((id) => (members[id]!.proc && !members[id]!.paused ? (get(members[id]!.url, '/status', 1000) as Promise<ReplicaStatus | undefined>) : Promise.resolve(undefined))));
  let hint = 0;
  const call = async (command: unknown, timeoutMs = 10_000): Promise<Outcome> => {
    const until = performance.now() + timeoutMs;
    let why = 'no attempt';
    while (performance.now() < until) {
      const m = members[ids[hint]!]!;
      let answer: ReplicaAnswer<unknown> | undefined;
      try {
        const res = await fetch(`${m.url}/submit`, { method: 'POST', body: JSON.stringify({ command }), signal: AbortSignal.timeout(4000) });
        answer = (await res.json()) as ReplicaAnswer<unknown>;
      } catch (e) {
        const code = (e as { cause?: { code?: unknown } }).cause?.code;
        // Refused: the request never reached the replica. Anything else: it may have.
        if (code !== 'ECONNREFUSED') return { type: 'unknown', why: `${m.id}: ${(e as Error).message} ${String(code ?? '')}` };
        why = `${m.id} refused the connection`;
      }
      if (answer?.type === 'result') return { type: 'result', result: answer.result };
      if (answer?.type === 'timeout') return { type: 'unknown', why: `${m.id}: no answer from the replica in time` };
      if (answer?.type === 'notLeader' && answer.leader !== null && ids.includes(answer.leader) && answer.leader !== m.id) {
        hint = ids.indexOf(answer.leader);
        continue;
      }
      if (answer !== undefined) why = `${m.id}: ${answer.type}${answer.type === 'dropped' ? ` (${answer.reason})` : ''}`;
      hint = (hint + 1) % ids.length;
      await sleep(30);
    }
    return { type: 'failed', why };
  };
  return {
    ids,
    kill,
    restart: (id) => start(members[id]!),
    pause: (id) => signal(members[id]!, 'SIGSTOP'),
    resumeAll: () => ids.forEach((id) => members[id]!.paused && signal(members[id]!, 'SIGCONT')),
    net,
    redis,
    statuses,
    async leader() {
      const st = (await statuses()).filter((s): s is ReplicaStatus => s !== undefined);
      const l = st.find((s) => s.role === 'leader');
      return l !== undefined && st.every((s) => s.leader === l.id) ? l.id : undefined;
    },
    appState: (id) => get(members[id]!.url, '/state', 5000).then((s) => (s === undefined ? undefined : JSON.stringify(s))),
    call,
    log: (id) => tail(members[id]!.logFile),
    stop,
  };
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
