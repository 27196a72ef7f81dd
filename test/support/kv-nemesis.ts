// Jepsen's method on one machine: three `distkit kv serve` processes whose peer links pass through
// fault proxies, concurrent clients recording a history, and a seeded nemesis that kills, pauses,
// partitions, drops and delays; then heal, settle, and check the history (linearizability of the
// registers, no lost acknowledged put, replicas converged). Shared by test/node/kv-nemesis.test.ts
// and scripts/kv-nemesis.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Random } from '../../src/core/index.js';
import { checkLinearizability, checkSet, kvModel, type KvInput, type LinearizabilityVerdict, type Operation, type RegisterOutput, type SetInput, type SetOutput } from '../../src/check/index.js';
import { bundleFixture } from './bundle-fixture.js';
import { startFaultNet, networkFault, stablePort, type FaultNet, type NetworkFault } from './fault-net.js';
import { b64, unb64 } from './kv-cluster.js';
import { sleep } from './wait.js';

/** What one nemesis run does. */
export interface KvNemesisOptions {
  /** Seeds the schedule, the clients' choices and the proxies' drops. */
  readonly seed: number;
  /** Fault rounds: each injects one fault (sometimes two) for `faultMs`, then heals for `healMs`. */
  readonly rounds: number;
  readonly faultMs?: number;
  readonly healMs?: number;
  /** Concurrent clients (default 6); each picks a member at random for every operation. */
  readonly clients?: number;
  /** Registers per key epoch (default 3); a fresh set of register keys every `epochRounds` rounds keeps each key's history short. */
  readonly keys?: number;
  readonly epochRounds?: number;
  /** The members' `--election-timeout` (default 500) and `--snapshot-count` (default 200). */
  readonly electionTimeoutMs?: number;
  readonly snapshotCount?: number;
  /** A client gives up on an answer after this long (default 3000 ms): the outcome is unknown. */
  readonly clientTimeoutMs?: number;
  /** Pause between a client's operations (default 5 ms). */
  readonly thinkMs?: number;
  /** Wall-clock budget of the linearizability search (default 60 s). */
  readonly checkMs?: number;
  /**
   * Authenticate members with `--peer-secret-file` (HMAC handshake and a MAC on every frame), so a
   * dropped frame breaks the frame sequence and resets the link. Default false.
   */
  readonly peerSecret?: boolean;
  /** Run the members with `--parallel-append` (the leader replicates while it writes, Raft thesis §10.2.1). Default false. */
  readonly parallelAppend?: boolean;
  /** The server program: a bundle of src/cli/bin.ts ({@link bundleServer}). */
  readonly serverBundle: string;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** The verdict of one run, with Jepsen-style counts. */
export interface KvNemesisReport {
  readonly seed: number;
  readonly faults: readonly string[];
  readonly registerOps: { readonly total: number; readonly ok: number; readonly unknown: number; readonly failedReads: number; readonly cas: number; readonly casSucceeded: number };
  readonly setAdds: { readonly attempted: number; readonly acknowledged: number };
  readonly linearizability: { readonly verdict: LinearizabilityVerdict; readonly steps: number; readonly detail?: string };
  /** One final read of the put-once keys per member: acknowledged keys missing, and keys no client put. */
  readonly set: readonly { readonly member: string; readonly valid: boolean | 'unknown'; readonly lost: readonly string[]; readonly unexpected: readonly string[]; readonly recovered: number }[];
  /** Every member's whole store (serializable range) once settled: identical, or why not. */
  readonly converged: { readonly ok: boolean; readonly detail: string };
  readonly valid: boolean;
  readonly elapsedMs: number;
  /** When not valid: both histories and the end of every member's log, for a closer look. */
  readonly histories?: { readonly registers: readonly RegOp[]; readonly sets: readonly SetOp[]; readonly logs: Readonly<Record<string, string>> };
}

type RegOp = Operation<KvInput<string>, RegisterOutput<string>>;
type SetOp = Operation<SetInput<string>, SetOutput<string>>;

const NAMES = ['n1', 'n2', 'n3'] as const;
const HOST = '127.0.0.1';

/** Bundles the `distkit` command (src/cli/bin.ts) into one ES module in `dir`; returns its path. */
export async function bundleServer(dir: string): Promise<string> {
  const out = join(dir, 'distkit-cli.mjs');
  await bundleFixture(new URL('../../src/cli/bin.ts', import.meta.url), out);
  return out;
}

// --- the members: real processes ----------------------------------------------------------------

interface Member {
  readonly name: string;
  readonly args: string[];
  readonly clientUrl: string;
  readonly logFile: string;
  proc: ChildProcess | undefined;
  paused: boolean;
  starts: number;
}

interface Cluster {
  readonly root: string;
  readonly bundle: string;
  readonly members: Record<string, Member>;
  readonly net: FaultNet;
}

async function startCluster(root: string, bundle: string, seed: number, electionTimeoutMs: number, snapshotCount: number, peerSecret: boolean, parallelAppend: boolean): Promise<Cluster> {
  const secretFile = join(root, 'peer-secret');
  if (peerSecret) writeFileSync(secretFile, `nemesis-${seed}-${'s'.repeat(16)}\n`);
  const peerPorts: Record<string, number> = {};
  const clientPorts: Record<string, number> = {};
  for (const n of NAMES) {
    peerPorts[n] = await stablePort();
    clientPorts[n] = await stablePort();
  }
  const net = await startFaultNet(NAMES, seed, peerPorts);
  const initialCluster = NAMES.map((n) => `${n}=tcp://${HOST}:${net.routerPorts[n]}`).join(',');
  const members: Record<string, Member> = {};
  for (const n of NAMES) {
    const dataDir = join(root, n);
    mkdirSync(dataDir, { recursive: true });
    members[n] = {
      name: n,
      clientUrl: `http://${HOST}:${clientPorts[n]}`,
      logFile: join(root, `${n}.log`),
      proc: undefined,
      paused: false,
      starts: 0,
      args: [
        bundle, 'kv', 'serve',
        '--name', n,
        '--data-dir', dataDir,
        '--listen-client-urls', `http://${HOST}:${clientPorts[n]}`,
        '--listen-peer-urls', `tcp://${HOST}:${peerPorts[n]}`,
        '--initial-cluster', initialCluster,
        '--election-timeout', String(electionTimeoutMs),
        '--snapshot-count', String(snapshotCount),
        ...(peerSecret ? ['--peer-secret-file', secretFile] : []),
        '--parallel-append', String(parallelAppend),
      ],
    };
  }
  const cluster: Cluster = { root, bundle, members, net };
  live.set(cluster, root);
  try {
    await Promise.all(NAMES.map((n) => startMember(cluster.members[n]!)));
  } catch (e) {
    await stopCluster(cluster);
    throw e;
  }
  return cluster;
}

/** How long a member may take from spawn to answering its status (a loaded machine starts node slowly). */
const START_TIMEOUT_MS = 60_000;

async function startMember(m: Member): Promise<void> {
  const fd = openSync(m.logFile, 'a');
  try {
    m.proc = spawn(process.execPath, m.args, { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  m.starts++;
  m.paused = false;
  const proc = m.proc;
  const started = performance.now();
  let attempts = 0;
  let last: Answer | undefined;
  while (performance.now() < started + START_TIMEOUT_MS) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${m.name} exited at start (${proc.exitCode ?? proc.signalCode}); log:\n${tail(m.logFile)}`);
    attempts++;
    last = await request(m.clientUrl, '/v3/maintenance/status', {}, 2000);
    if (last.status === 200) return;
    await sleep(50);
  }
  throw new Error(`${m.name} (pid ${proc.pid}, start ${m.starts}) did not answer /v3/maintenance/status within ${START_TIMEOUT_MS} ms (${attempts} attempts, last ${last?.error ?? last?.status}); log:\n${tail(m.logFile)}`);
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function killMember(m: Member): Promise<void> {
  const proc = m.proc;
  if (proc === undefined) return;
  m.proc = undefined;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGKILL');
  await exited;
  m.paused = false;
}

function signal(m: Member, sig: 'SIGSTOP' | 'SIGCONT'): void {
  if (m.proc === undefined || m.proc.exitCode !== null) return;
  m.proc.kill(sig);
  m.paused = sig === 'SIGSTOP';
}

/** Clusters running now, with their directories, so a test that times out can still end them. */
const live = new Map<Cluster, string>();

async function stopCluster(c: Cluster): Promise<void> {
  live.delete(c);
  await Promise.all(Object.values(c.members).map((m) => { signal(m, 'SIGCONT'); return killMember(m); }));
  await c.net.close();
}

/** Kills every member process any run still has and removes its directory (for afterEach and signal handlers). */
export async function stopAllKvNemesis(): Promise<void> {
  for (const [c, root] of [...live]) {
    await stopCluster(c);
    rmSync(root, { recursive: true, force: true });
  }
}

// --- clients ------------------------------------------------------------------------------------

interface Answer {
  readonly status: number;
  readonly json?: any;
  /** The connection was refused. */
  readonly refused?: boolean;
  /** Why no answer came. */
  readonly error?: string;
}

/** POSTs JSON; status 0 when no answer came (timeout, reset, refused). */
async function request(url: string, path: string, body: unknown, timeoutMs: number): Promise<Answer> {
  try {
    const res = await fetch(url + path, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    try {
      return { status: res.status, json: JSON.parse(text) };
    } catch {
      return { status: res.status };
    }
  } catch (e) {
    const code = (e as { cause?: { code?: unknown } }).cause?.code;
    return { status: 0, refused: code === 'ECONNREFUSED', error: `${(e as Error).name}: ${(e as Error).message}${typeof code === 'string' ? ` (${code})` : ''}` };
  }
}

interface Run {
  readonly opts: Required<Omit<KvNemesisOptions, 'log'>> & { log: (line: string) => void };
  readonly cluster: Cluster;
  readonly t0: number;
  readonly registers: RegOp[];
  readonly sets: SetOp[];
  readonly keysUsed: Set<string>;
  /** Register key → its operations of unknown outcome so far. */
  readonly unknownWrites: Map<string, number>;
  failedReads: number;
  epoch: number;
  stopped: boolean;
  nextId: number;
}

const now = (run: Run) => performance.now() - run.t0;

async function readRegister(run: Run, url: string, key: string): Promise<RegisterOutput<string> | undefined> {
  const r = await request(url, '/v3/kv/range', { key: b64(key) }, run.opts.clientTimeoutMs);
  if (r.status !== 200) return undefined;
  const kvs = r.json?.kvs as { value?: string }[] | undefined;
  return kvs === undefined || kvs.length === 0 ? null : unb64(kvs[0]!.value ?? '');
}

/** Runs one register operation; `undefined` when a write's outcome is unknown, 'failed' for a read that got no answer (a read changes nothing). */
async function perform(run: Run, url: string, input: KvInput<string>): Promise<RegisterOutput<string> | undefined | 'failed'> {
  const key = b64(input.key);
  const t = run.opts.clientTimeoutMs;
  if (input.f === 'read') return (await readRegister(run, url, input.key)) ?? 'failed';
  const r =
    input.f === 'write'
      ? await request(url, '/v3/kv/put', { key, value: b64(input.value) }, t)
      : await request(url, '/v3/kv/txn', { compare: [{ key, target: 'VALUE', result: 'EQUAL', value: b64(input.from) }], success: [{ request_put: { key, value: b64(input.to) } }] }, t);
  // Any other answer than 200 leaves the outcome unknown: a timeout or an error after the request
  // arrived may still commit, and even a refused connection is not trusted to mean the request
  // was never sent (an HTTP client may have sent it on a pooled connection first).
  if (r.status !== 200) return undefined;
  return input.f === 'write' ? null : r.json?.succeeded === true;
}

/**
 * The register key of `slot` now: fresh keys every epoch, and a key retires once it has
 * {@link MAX_UNKNOWN_PER_KEY} writes of unknown outcome, each of which the checker must place
 * anywhere after its call (or nowhere): that search grows exponentially with their number.
 */
function registerKey(run: Run, slot: number): string {
  for (let gen = 0; ; gen++) {
    const key = `r${run.epoch}.${slot}.${gen}`;
    if ((run.unknownWrites.get(key) ?? 0) < MAX_UNKNOWN_PER_KEY) {
      run.keysUsed.add(key);
      return key;
    }
  }
}

/** Writes of unknown outcome a register key may collect before clients move to a fresh key. */
const MAX_UNKNOWN_PER_KEY = 4;

/** Member `i`, or the next one the nemesis has not killed (clients do not dial a member known to be down). */
function pickMember(run: Run, i: number): Member | undefined {
  for (let k = 0; k < NAMES.length; k++) {
    const m = run.cluster.members[NAMES[(i + k) % NAMES.length]!]!;
    if (m.proc !== undefined) return m;
  }
  return undefined;
}

async function client(run: Run, c: number): Promise<void> {
  const random = new Random(`${run.opts.seed}/client/${c}`);
  const seen: Record<string, string> = {};
  let gen = 0;
  let i = 0;
  let adds = 0;
  while (!run.stopped) {
    const m = pickMember(run, random.int(0, NAMES.length));
    if (m === undefined) {
      await sleep(20);
      continue;
    }
    const roll = random.float();
    if (roll < 0.2) {
      const key = `s/${c}/${adds++}`;
      const call = now(run);
      const r = await request(m.clientUrl, '/v3/kv/put', { key: b64(key), value: b64('1') }, run.opts.clientTimeoutMs);
      const op: SetOp = { id: run.nextId++, client: `s${c}`, input: { f: 'add', value: key }, call };
      run.sets.push(r.status === 200 ? { ...op, output: null, ret: now(run) } : op);
    } else {
      const key = registerKey(run, random.int(0, run.opts.keys));
      const value = `${c}.${i++}`;
      const input: KvInput<string> = roll < 0.55 || seen[key] === undefined ? (roll < 0.4 ? { f: 'read', key } : { f: 'write', key, value }) : roll < 0.75 ? { f: 'write', key, value } : { f: 'cas', key, from: seen[key]!, to: value };
      const call = now(run);
      const out = await perform(run, m.clientUrl, input);
      if (out === 'failed') {
        if (input.f === 'read') run.failedReads++;
      } else {
        const who = `c${c}.${gen}`;
        run.registers.push(out === undefined ? { id: run.nextId++, client: who, input, call } : { id: run.nextId++, client: who, input, call, output: out, ret: now(run) });
        if (typeof out === 'string') seen[key] = out;
        else if (input.f === 'write' && out === null) seen[key] = input.value;
        else if (input.f === 'cas' && out === true) seen[key] = input.to;
        // An operation whose answer never came stays open forever: the client goes on as a new process.
        if (out === undefined) {
          gen++;
          run.unknownWrites.set(key, (run.unknownWrites.get(key) ?? 0) + 1);
        }
      }
    }
    if (run.opts.thinkMs > 0) await sleep(random.int(0, run.opts.thinkMs + 1));
  }
}

// --- the nemesis ----------------------------------------------------------------------------------

type Fault = 'kill' | 'kill-leader' | 'kill-two' | 'kill-all' | 'pause' | 'pause-leader' | 'isolate-leader' | NetworkFault;
const NETWORK_FAULTS: ReadonlySet<Fault> = new Set<Fault>(['isolate', 'isolate-leader', 'one-way', 'bridge', 'loss', 'delay']);
/** Rounds go through these families in turn (crash, pause, partition, link quality); the seed picks the fault in each. */
const FAMILIES: readonly (readonly Fault[])[] = [
  ['kill', 'kill-leader', 'kill-two', 'kill-all'],
  ['pause', 'pause-leader'],
  ['isolate', 'isolate-leader', 'one-way', 'bridge'],
  ['loss', 'delay'],
];

/** The member that the others follow, if the live members agree on one. */
async function currentLeader(run: Run): Promise<string | undefined> {
  for (const m of Object.values(run.cluster.members)) {
    if (m.proc === undefined || m.paused) continue;
    const r = await request(m.clientUrl, '/v3/maintenance/status', {}, 500);
    const leaderId = r.json?.leader as string | undefined;
    if (r.status === 200 && leaderId !== undefined && leaderId === r.json?.header?.member_id) return m.name;
  }
  return undefined;
}

async function heal(run: Run): Promise<void> {
  run.cluster.net.heal();
  for (const m of Object.values(run.cluster.members)) if (m.paused) signal(m, 'SIGCONT');
  await Promise.all(Object.values(run.cluster.members).filter((m) => m.proc === undefined).map((m) => startMember(m)));
}

/** Injects one fault; returns what it did. Kills and pauses last `faultMs`; network faults last until the heal. */
async function inject(run: Run, random: Random, fault: Fault): Promise<string> {
  const members = Object.values(run.cluster.members);
  const pick = () => members[random.int(0, members.length)]!;
  const leaderOr = async () => {
    const fallback = pick(); // drawn either way, so the seed fixes every later draw
    const l = await currentLeader(run);
    return l === undefined ? fallback : run.cluster.members[l]!;
  };
  // A network fault draws its partition mode first: so does every other fault, so a seed fixes every later draw.
  if (!NETWORK_FAULTS.has(fault)) random.float();
  switch (fault) {
    case 'kill':
    case 'kill-leader': {
      const m = fault === 'kill' ? pick() : await leaderOr();
      await killMember(m);
      return `${fault} ${m.name}`;
    }
    case 'kill-two': {
      const spared = pick();
      const victims = members.filter((m) => m !== spared);
      await Promise.all(victims.map((m) => killMember(m)));
      return `kill ${victims.map((m) => m.name).join('+')}`;
    }
    case 'kill-all':
      await Promise.all(members.map((m) => killMember(m)));
      return 'kill all';
    case 'pause':
    case 'pause-leader': {
      const m = fault === 'pause' ? pick() : await leaderOr();
      signal(m, 'SIGSTOP');
      return `${fault} ${m.name}`;
    }
    case 'isolate-leader':
      return `leader: ${networkFault(run.cluster.net, NAMES, random, 'isolate', await currentLeader(run))}`;
    default:
      return networkFault(run.cluster.net, NAMES, random, fault);
  }
}

async function nemesis(run: Run): Promise<string[]> {
  const random = new Random(`${run.opts.seed}/nemesis`);
  const done: string[] = [];
  const first = random.int(0, FAMILIES.length);
  for (let round = 0; round < run.opts.rounds; round++) {
    if (round > 0 && round % run.opts.epochRounds === 0) run.epoch++;
    const family = FAMILIES[(first + round) % FAMILIES.length]!;
    const fault = family[random.int(0, family.length)]!;
    const what = [await inject(run, random, fault)];
    // Sometimes a second fault on top: a network fault with a crash or a pause.
    if (random.float() < 0.25) what.push(await inject(run, random, (['loss', 'delay', 'one-way', 'pause', 'kill'] as const)[random.int(0, 5)]!));
    const line = `round ${round + 1} @${(now(run) / 1000).toFixed(1)}s: ${what.join(' + ')}`;
    run.opts.log(line);
    done.push(line);
    await sleep(run.opts.faultMs);
    await heal(run);
    await sleep(run.opts.healMs);
  }
  return done;
}

// --- the end: settle, final reads, checks ---------------------------------------------------------

/** Waits until every member answers and all have applied the same index under one leader. */
async function settle(run: Run, timeoutMs: number): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < deadline) {
    const st = await Promise.all(Object.values(run.cluster.members).map((m) => request(m.clientUrl, '/v3/maintenance/status', {}, 1000)));
    last = st.map((s, i) => `${NAMES[i]}: ${s.status === 200 ? `leader ${s.json.leader ?? '-'} applied ${s.json.raftAppliedIndex} commit ${s.json.raftIndex}` : 'no answer'}`).join('; ');
    const ok = st.every((s) => s.status === 200 && s.json.leader !== undefined && s.json.leader === st[0]!.json.leader && s.json.raftAppliedIndex === st[0]!.json.raftAppliedIndex && s.json.raftIndex === s.json.raftAppliedIndex);
    if (ok) return last;
    await sleep(100);
  }
  throw new Error(`the cluster did not settle within ${timeoutMs} ms: ${last}`);
}

/** A linearizable read that retries until it answers (the cluster is healed). */
async function finalRange(run: Run, url: string, body: unknown): Promise<any> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const r = await request(url, '/v3/kv/range', body, 5000);
    if (r.status === 200) return r.json;
    await sleep(200);
  }
  throw new Error(`final read from ${url} failed 20 times`);
}

async function finalReads(run: Run): Promise<SetOp[]> {
  const members = Object.values(run.cluster.members);
  let k = 0;
  for (const key of [...run.keysUsed].sort()) {
    const m = members[k++ % members.length]!;
    const call = now(run);
    const json = await finalRange(run, m.clientUrl, { key: b64(key) });
    const kvs = json.kvs as { value: string }[] | undefined;
    run.registers.push({ id: run.nextId++, client: `final.${key}`, input: { f: 'read', key }, call, output: kvs === undefined ? null : unb64(kvs[0]!.value), ret: now(run) });
  }
  const reads: SetOp[] = [];
  for (const m of members) {
    const call = now(run);
    const json = await finalRange(run, m.clientUrl, { key: b64('s/'), range_end: b64('s0'), keys_only: true });
    const keys = ((json.kvs ?? []) as { key: string }[]).map((kv) => unb64(kv.key));
    reads.push({ id: run.nextId++, client: `final.${m.name}`, input: { f: 'read' }, call, output: keys, ret: now(run) });
  }
  return reads;
}

/** Every member's whole store, read locally (serializable) once all have applied the same index. */
async function convergence(run: Run): Promise<{ ok: boolean; detail: string }> {
  const status = await settle(run, 30_000);
  const stores = await Promise.all(
    Object.values(run.cluster.members).map(async (m) => {
      const r = await request(m.clientUrl, '/v3/kv/range', { key: b64('\0'), range_end: b64('\0'), serializable: true }, 10_000);
      if (r.status !== 200) return `no answer (${r.status})`;
      return JSON.stringify({ revision: r.json.header.revision, kvs: r.json.kvs ?? [] });
    }),
  );
  const same = stores.every((s) => s === stores[0]);
  const sizes = stores.map((s, i) => `${NAMES[i]} ${s.length} bytes`).join(', ');
  return { ok: same, detail: same ? `identical stores (${sizes}); ${status}` : `stores differ (${sizes}); ${status}` };
}

function linearizability(run: Run): KvNemesisReport['linearizability'] {
  const deadline = performance.now() + run.opts.checkMs;
  const r = checkLinearizability(kvModel<string>(), run.registers, { maxSteps: 50_000_000, deadline: () => performance.now() > deadline });
  if (r.verdict !== 'not-linearizable') return { verdict: r.verdict, steps: r.steps, ...(r.stoppedBy ? { detail: `stopped by ${r.stoppedBy}` } : {}) };
  const p = r.partitions[r.failedPartition!]!;
  const stuck = p.stuck;
  const last = p.linearization.slice(-5).map((o) => `${o.client} ${JSON.stringify(o.input)} -> ${JSON.stringify(o.output)} [${o.call.toFixed(0)}, ${o.ret?.toFixed(0) ?? '?'}]`);
  return { verdict: r.verdict, steps: r.steps, detail: `stuck at ${JSON.stringify(stuck)} after ...${last.join(' ; ')}` };
}

/**
 * Runs the whole test: starts the cluster in a temporary directory, runs the clients and the
 * nemesis, heals, settles, reads back and checks. Always kills its processes and removes the
 * directory.
 */
export async function runKvNemesis(options: KvNemesisOptions): Promise<KvNemesisReport> {
  const opts = {
    faultMs: 1500,
    healMs: 1000,
    clients: 6,
    keys: 3,
    epochRounds: 4,
    electionTimeoutMs: 500,
    snapshotCount: 200,
    clientTimeoutMs: 3000,
    thinkMs: 5,
    checkMs: 60_000,
    peerSecret: false,
    parallelAppend: false,
    log: () => undefined,
    ...options,
  };
  const root = mkdtempSync(join(tmpdir(), 'distkit-nemesis-'));
  let cluster: Cluster | undefined;
  const t0 = performance.now();
  try {
    cluster = await startCluster(root, opts.serverBundle, opts.seed, opts.electionTimeoutMs, opts.snapshotCount, opts.peerSecret, opts.parallelAppend);
    const run: Run = { opts, cluster, t0, registers: [], sets: [], keysUsed: new Set(), unknownWrites: new Map(), failedReads: 0, epoch: 0, stopped: false, nextId: 0 };
    opts.log(`seed ${opts.seed}: 3 members up in ${root}`);
    const clients = Array.from({ length: opts.clients }, (_, c) => client(run, c));
    let faults: string[];
    try {
      faults = await nemesis(run);
    } finally {
      run.stopped = true;
      await Promise.all(clients);
    }
    await heal(run);
    await settle(run, 30_000);
    const reads = await finalReads(run);
    const converged = await convergence(run);
    const lin = linearizability(run);
    const set = reads.map((read) => {
      const r = checkSet<string>([...run.sets, read]);
      return { member: read.client.slice('final.'.length), valid: r.valid, lost: r.lost, unexpected: r.unexpected, recovered: r.recovered.length };
    });
    const ok = run.registers.filter((o) => o.ret !== undefined);
    const report: KvNemesisReport = {
      seed: opts.seed,
      faults,
      registerOps: {
        total: run.registers.length,
        ok: ok.length,
        unknown: run.registers.length - ok.length,
        failedReads: run.failedReads,
        cas: run.registers.filter((o) => o.input.f === 'cas').length,
        casSucceeded: ok.filter((o) => o.input.f === 'cas' && o.output === true).length,
      },
      setAdds: { attempted: run.sets.length, acknowledged: run.sets.filter((o) => o.ret !== undefined).length },
      linearizability: lin,
      set,
      converged,
      valid: lin.verdict === 'linearizable' && set.every((s) => s.valid === true) && converged.ok,
      elapsedMs: performance.now() - t0,
    };
    if (!report.valid) Object.assign(report, { histories: { registers: run.registers, sets: run.sets, logs: Object.fromEntries(Object.values(cluster.members).map((m) => [m.name, tail(m.logFile, 200)])) } });
    if (!report.valid) opts.log(Object.values(cluster.members).map((m) => `--- ${m.name} (${m.starts} starts) ---\n${tail(m.logFile)}`).join('\n'));
    return report;
  } finally {
    if (cluster) await stopCluster(cluster);
    rmSync(root, { recursive: true, force: true });
  }
}

/** The report as a few lines: the seed, the faults, the counts and the verdict. */
export function formatKvNemesisReport(r: KvNemesisReport): string {
  const lines = [
    `seed ${r.seed}: ${r.valid ? 'VALID' : r.linearizability.verdict === 'unknown' && r.set.every((s) => s.valid === true) && r.converged.ok ? 'UNDECIDED (the linearizability search ran out of time)' : 'INVALID'} in ${(r.elapsedMs / 1000).toFixed(1)} s`,
    ...r.faults.map((f) => `  ${f}`),
    `  registers: ${r.registerOps.total} operations (${r.registerOps.ok} ok, ${r.registerOps.unknown} unknown; ${r.registerOps.cas} cas, ${r.registerOps.casSucceeded} succeeded; ${r.registerOps.failedReads} reads failed)`,
    `  linearizability: ${r.linearizability.verdict} (${r.linearizability.steps} steps)${r.linearizability.detail ? ` ${r.linearizability.detail}` : ''}`,
    `  put-once keys: ${r.setAdds.attempted} attempted, ${r.setAdds.acknowledged} acknowledged`,
    ...r.set.map((s) => `  final read at ${s.member}: ${s.valid === true ? 'ok' : 'FAILED'} (lost ${s.lost.length}${s.lost.length ? ` ${s.lost.slice(0, 10).join(' ')}` : ''}, unexpected ${s.unexpected.length}, recovered ${s.recovered})`),
    `  convergence: ${r.converged.detail}`,
  ];
  return lines.join('\n');
}
