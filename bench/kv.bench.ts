// KV server benchmark: a 3-member etcd cluster and a 3-member `distkit kv serve` cluster on
// loopback, each member its own process with fsync on, driven by the same closed-loop client
// (`clients` concurrent requests, each sending its next request as soon as the last one is
// answered, spread over the members like etcd's clients). Puts write 100-byte values; ranges read
// one of the keys the puts wrote, linearizable (ReadIndex through the leader) and serializable
// (the member's own store). Figures: requests/s, p50 and p99 latency, and the ratio of distkit's
// rate to etcd's. KV_BENCH_MS sets the time per level (default 3000 ms), KV_BENCH_LEVELS the client
// counts (default 1,16,64,256), KV_BENCH_ETCD=0 leaves etcd out; etcd must be on PATH (its figures
// are left out otherwise).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { opsFigure, ratio, round, type Figures } from './lib.js';

const LEVELS = [1, 16, 64, 256];
const VALUE = Buffer.alloc(100, 'v').toString('base64');
const root = fileURLToPath(new URL('../', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(a !== null && typeof a === 'object' ? a.port : 0));
    });
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 512 });

function postJson(url: string, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Cluster {
  readonly urls: string[];
  stop(): Promise<void>;
}

async function untilLeader(urls: readonly string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const answers = await Promise.all(urls.map((u) => postJson(u, '/v3/maintenance/status', '{}').catch(() => undefined)));
    if (answers.every((a) => a !== undefined && a.status === 200 && (JSON.parse(a.text) as { leader?: string }).leader !== undefined)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no leader within 30 s');
}

/** `distkit` runs with its defaults, `distkit-parallel` with the parallel leader append (Raft thesis §10.2.1). */
type Server = 'etcd' | 'distkit' | 'distkit-parallel';

export async function startCluster(kind: Server): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), `kv-bench-${kind}-`));
  const names = ['m1', 'm2', 'm3'];
  const ports = await Promise.all(names.map(async () => ({ client: await freePort(), peer: await freePort() })));
  const scheme = kind === 'etcd' ? 'http' : 'tcp';
  const cluster = names.map((n, i) => `${n}=${scheme}://127.0.0.1:${ports[i]!.peer}`).join(',');
  const children: ChildProcess[] = names.map((n, i) => {
    const client = `http://127.0.0.1:${ports[i]!.client}`;
    const peer = `${scheme}://127.0.0.1:${ports[i]!.peer}`;
    const common = ['--name', n, '--data-dir', join(dir, n), '--listen-client-urls', client, '--listen-peer-urls', peer, '--initial-cluster', cluster];
    return kind === 'etcd'
      ? spawn('etcd', [...common, '--advertise-client-urls', client, '--initial-advertise-peer-urls', peer, '--initial-cluster-state', 'new'], { stdio: 'ignore' })
      : spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'kv', 'serve', ...common, '--parallel-append', String(kind === 'distkit-parallel')], { cwd: root, stdio: 'ignore' });
  });
  const urls = ports.map((p) => `http://127.0.0.1:${p.client}`);
  const stop = async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(undefined) : c.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await untilLeader(urls);
  } catch (e) {
    await stop();
    throw e;
  }
  return { urls, stop };
}

type Kind = 'put' | 'range' | 'range.serializable';
const KINDS: readonly Kind[] = ['put', 'range', 'range.serializable'];
const key64 = (c: number, i: number) => Buffer.from(`c${c}-${i}`).toString('base64');

/** The request of client `c`'s `i`-th operation: a put of a fresh key, or a range of a key the warm-up put. */
function requestOf(kind: Kind, c: number, i: number): { path: string; body: string } {
  if (kind === 'put') return { path: '/v3/kv/put', body: `{"key":"${key64(c, i)}","value":"${VALUE}"}` };
  const key = key64(c % 16, i % 8);
  return { path: '/v3/kv/range', body: kind === 'range' ? `{"key":"${key}"}` : `{"key":"${key}","serializable":true}` };
}

/** `clients` closed loops for `ms`: each sends a request of `kind` and waits for the answer before the next. */
export async function closedLoop(urls: readonly string[], clients: number, ms: number, kind: Kind = 'put'): Promise<{ rate: number; p50: number; p99: number; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + ms;
  const loop = async (c: number) => {
    const url = urls[c % urls.length]!;
    for (let i = 0; performance.now() < end; i++) {
      const { path, body } = requestOf(kind, c, i);
      const t0 = performance.now();
      const r = await postJson(url, path, body).catch(() => ({ status: 0, text: '' }));
      if (r.status === 200) latencies.push(performance.now() - t0);
      else errors++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, c) => loop(c)));
  const elapsed = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { rate: (latencies.length * 1000) / elapsed, p50: pct(0.5), p99: pct(0.99), errors };
}

export default async function kvBench(): Promise<Figures> {
  const ms = Number(process.env['KV_BENCH_MS'] ?? 3000);
  const out: Figures = {};
  const etcdFound = spawnSync('etcd', ['--version']).status === 0;
  const rates: Record<string, number> = {};
  const levels = (process.env['KV_BENCH_LEVELS'] ?? '').split(',').filter((l) => l !== '').map(Number);
  const servers: Server[] = etcdFound && process.env['KV_BENCH_ETCD'] !== '0' ? ['distkit', 'distkit-parallel', 'etcd'] : ['distkit', 'distkit-parallel'];
  for (const server of servers) {
    const cluster = await startCluster(server);
    try {
      await closedLoop(cluster.urls, 16, Math.min(1000, ms)); // warm up; writes the keys the ranges read
      for (const kind of server === 'distkit-parallel' ? (['put'] as const) : KINDS) {
        for (const clients of levels.length > 0 ? levels : LEVELS) {
          const r = await closedLoop(cluster.urls, clients, ms, kind);
          const name = `kv.${server}.${kind}.c${clients}`;
          rates[name] = r.rate;
          out[`${name}.rate`] = opsFigure(r.rate, kind === 'put' ? 'puts/s' : 'ranges/s');
          out[`${name}.p50`] = { value: round(r.p50), unit: 'ms' };
          out[`${name}.p99`] = { value: round(r.p99), unit: 'ms' };
          if (r.errors > 0) out[`${name}.errors`] = { value: r.errors, unit: 'requests' };
        }
      }
    } finally {
      await cluster.stop();
    }
  }
  for (const kind of KINDS) {
    for (const c of LEVELS) {
      const [d, e, parallel] = [rates[`kv.distkit.${kind}.c${c}`], rates[`kv.etcd.${kind}.c${c}`], rates[`kv.distkit-parallel.${kind}.c${c}`]];
      if (d !== undefined && e !== undefined) out[`kv.${kind}.c${c}.vs.etcd`] = ratio(d, e);
      if (d !== undefined && parallel !== undefined && kind === 'put') out[`kv.put.c${c}.parallel.vs.serial`] = ratio(parallel, d);
    }
  }
  agent.destroy();
  return out;
}
