// KV server benchmark: a 3-member etcd cluster and a 3-member `distkit kv serve` cluster on
// loopback, each member its own process with fsync on, driven by the same closed-loop client
// (`clients` concurrent requests, each sending its next put as soon as the last one is answered,
// 100-byte values, spread over the members like etcd's clients). Figures: puts/s, p50 and p99
// latency, and the ratio of distkit's rate to etcd's. KV_BENCH_MS sets the time per level
// (default 3000 ms); etcd must be on PATH (its figures are left out otherwise).
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

/** `distkit` runs with the default parallel leader append (Raft thesis §10.2.1), `distkit-serial` without. */
type Kind = 'etcd' | 'distkit' | 'distkit-serial';

async function startCluster(kind: Kind): Promise<Cluster> {
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
      : spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'kv', 'serve', ...common, '--parallel-append', String(kind === 'distkit')], { cwd: root, stdio: 'ignore' });
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

/** `clients` closed loops for `ms`: each puts a fresh key and waits for the answer before the next. */
async function closedLoop(urls: readonly string[], clients: number, ms: number): Promise<{ rate: number; p50: number; p99: number; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + ms;
  const loop = async (c: number) => {
    const url = urls[c % urls.length]!;
    for (let i = 0; performance.now() < end; i++) {
      const body = `{"key":"${Buffer.from(`c${c}-${i}`).toString('base64')}","value":"${VALUE}"}`;
      const t0 = performance.now();
      const r = await postJson(url, '/v3/kv/put', body).catch(() => ({ status: 0, text: '' }));
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
  const rates: Record<string, Record<number, number>> = { distkit: {}, 'distkit-serial': {}, etcd: {} };
  const kinds: Kind[] = etcdFound ? ['distkit', 'distkit-serial', 'etcd'] : ['distkit', 'distkit-serial'];
  for (const kind of kinds) {
    const cluster = await startCluster(kind);
    try {
      await closedLoop(cluster.urls, 16, Math.min(1000, ms)); // warm up
      for (const clients of LEVELS) {
        const r = await closedLoop(cluster.urls, clients, ms);
        rates[kind]![clients] = r.rate;
        out[`kv.${kind}.put.c${clients}.rate`] = opsFigure(r.rate, 'puts/s');
        out[`kv.${kind}.put.c${clients}.p50`] = { value: round(r.p50), unit: 'ms' };
        out[`kv.${kind}.put.c${clients}.p99`] = { value: round(r.p99), unit: 'ms' };
        if (r.errors > 0) out[`kv.${kind}.put.c${clients}.errors`] = { value: r.errors, unit: 'requests' };
      }
    } finally {
      await cluster.stop();
    }
  }
  if (etcdFound) for (const c of LEVELS) out[`kv.put.c${c}.vs.etcd`] = ratio(rates['distkit']![c]!, rates['etcd']![c]!);
  for (const c of LEVELS) out[`kv.put.c${c}.parallel.vs.serial`] = ratio(rates['distkit']![c]!, rates['distkit-serial']![c]!);
  agent.destroy();
  return out;
}
