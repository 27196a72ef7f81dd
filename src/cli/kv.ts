// `distkit kv serve`: runs one member of a Raft key-value cluster with etcd's flag names, serving a
// subset of etcd v3's JSON gateway, until SIGINT or SIGTERM.
import { readFileSync } from 'node:fs';
import { startKvServer, type KvServer, type KvServerOptions, type TcpAuth } from '../node/index.js';

export const KV_HELP = `usage: distkit kv serve --name NAME --data-dir DIR --listen-client-urls http://HOST:PORT
                        --listen-peer-urls tcp://HOST:PORT --initial-cluster NAME=tcp://HOST:PORT,...

  one member of a Raft key-value cluster that speaks etcd v3's JSON API (POST /v3/kv/put, range,
  deleterange, txn; /v3/maintenance/status; /v3/cluster/member/add, remove, list)

options (etcd's names):
  --name NAME                      this member's name (its Raft id)
  --data-dir DIR                   where its Raft log and snapshots live
  --listen-client-urls URL         http://host:port for clients
  --listen-peer-urls URL           tcp://host:port for the other members
  --initial-cluster LIST           every member as name=tcp://host:port, comma-separated
  --initial-cluster-state STATE    new (default) or existing (join after 'member add')
  --snapshot-count N               snapshot and compact the log every N applied entries (default 1000)
  --election-timeout MS            Raft's election timeout (default 1000)
  --heartbeat-interval MS          Raft's heartbeat interval (default election timeout / 10)
  --max-request-bytes N            largest request body (default 1572864)
  --parallel-append true|false     the leader replicates while it writes its own log
                                   (Raft thesis §10.2.1; default false)
  --peer-secret-file FILE          authenticate members to each other with an HMAC over this
                                   file's secret (every member the same file)
  --peer-cert-file FILE, --peer-key-file FILE, --peer-trusted-ca-file FILE
                                   or with mutual TLS: this member's certificate (its CN or a DNS
                                   SAN is its name) and key, and the CA that signed every member's
                                   (without either, members must all listen on loopback addresses)
  --advertise-client-urls, --initial-advertise-peer-urls, --initial-cluster-token
                                   accepted for etcd scripts; ignored
`;

const VALUE_FLAGS = new Set([
  'name',
  'data-dir',
  'listen-client-urls',
  'listen-peer-urls',
  'initial-cluster',
  'initial-cluster-state',
  'snapshot-count',
  'election-timeout',
  'heartbeat-interval',
  'max-request-bytes',
  'parallel-append',
  'advertise-client-urls',
  'initial-advertise-peer-urls',
  'initial-cluster-token',
  'peer-secret-file',
  'peer-cert-file',
  'peer-key-file',
  'peer-trusted-ca-file',
]);

/** How members authenticate each other, from the peer flags (files read here). */
function peerAuth(flags: ReadonlyMap<string, string>): TcpAuth | undefined {
  const secretFile = flags.get('peer-secret-file');
  const tls = ['peer-cert-file', 'peer-key-file', 'peer-trusted-ca-file'].map((f) => flags.get(f));
  if (secretFile !== undefined && tls.some((f) => f !== undefined)) throw new KvUsageError('give --peer-secret-file or the --peer-*-file TLS flags, not both');
  const read = (flag: string, file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new KvUsageError(`--${flag}: cannot read ${file}: ${(e as Error).message}`);
    }
  };
  if (secretFile !== undefined) {
    const secret = read('peer-secret-file', secretFile).trim();
    if (secret.length < 16) throw new KvUsageError('--peer-secret-file: the secret must be at least 16 characters');
    return { mode: 'hmac', secret };
  }
  if (tls.every((f) => f === undefined)) return undefined;
  const [cert, key, ca] = tls;
  if (cert === undefined || key === undefined || ca === undefined) throw new KvUsageError('mutual TLS needs --peer-cert-file, --peer-key-file and --peer-trusted-ca-file');
  return { mode: 'tls', cert: read('peer-cert-file', cert), key: read('peer-key-file', key), ca: read('peer-trusted-ca-file', ca) };
}

/** What `kv serve` needs from the process: output, and a promise that resolves on a stop signal. */
export interface KvServeIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Resolves when the server should stop (SIGINT/SIGTERM for the real process). */
  stopSignal(): Promise<void>;
}

/** A usage problem: the message is printed and the command exits with 2. */
export class KvUsageError extends Error {}

/** Parses `serve`'s flags into server options. */
export function kvServeOptions(argv: readonly string[]): KvServerOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new KvUsageError(`unexpected argument ${JSON.stringify(a)}; run 'distkit kv help'`);
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (!VALUE_FLAGS.has(name)) throw new KvUsageError(`unknown option --${name}; run 'distkit kv help'`);
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new KvUsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  const need = (name: string): string => {
    const v = flags.get(name);
    if (v === undefined || v === '') throw new KvUsageError(`kv serve needs --${name}`);
    return v;
  };
  const int = (name: string): number | undefined => {
    const v = flags.get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n <= 0) throw new KvUsageError(`--${name} must be a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
  const state = flags.get('initial-cluster-state') ?? 'new';
  if (state !== 'new' && state !== 'existing') throw new KvUsageError(`--initial-cluster-state must be new or existing, got ${JSON.stringify(state)}`);
  const optional: { snapshotEvery?: number; electionTimeoutMs?: number; heartbeatIntervalMs?: number; maxRequestBytes?: number } = {};
  const set = (key: 'snapshotEvery' | 'electionTimeoutMs' | 'heartbeatIntervalMs' | 'maxRequestBytes', flag: string) => {
    const v = int(flag);
    if (v !== undefined) optional[key] = v;
  };
  set('snapshotEvery', 'snapshot-count');
  set('electionTimeoutMs', 'election-timeout');
  set('heartbeatIntervalMs', 'heartbeat-interval');
  set('maxRequestBytes', 'max-request-bytes');
  const parallel = flags.get('parallel-append');
  if (parallel !== undefined && parallel !== 'true' && parallel !== 'false') throw new KvUsageError(`--parallel-append must be true or false, got ${JSON.stringify(parallel)}`);
  const auth = peerAuth(flags);
  return {
    name: need('name'),
    dataDir: need('data-dir'),
    listenClientUrls: need('listen-client-urls'),
    listenPeerUrls: need('listen-peer-urls'),
    initialCluster: need('initial-cluster'),
    initialClusterState: state,
    ...optional,
    ...(parallel === undefined ? {} : { parallelAppend: parallel === 'true' }),
    ...(auth === undefined ? {} : { peerAuth: auth }),
  };
}

/** Runs `distkit kv <subcommand>`; resolves with the exit code. */
export async function runKv(argv: readonly string[], io: KvServeIo): Promise<number> {
  const sub = argv[0];
  if (sub === undefined || sub === 'help' || argv.includes('--help')) {
    io.stdout(KV_HELP);
    return 0;
  }
  if (sub !== 'serve') throw new KvUsageError(`unknown kv command ${JSON.stringify(sub)}; run 'distkit kv help'`);
  let options: KvServerOptions;
  try {
    options = kvServeOptions(argv.slice(1));
  } catch (e) {
    if (e instanceof KvUsageError) throw e;
    throw new KvUsageError(e instanceof Error ? e.message : String(e));
  }
  let server: KvServer;
  try {
    server = await startKvServer({ ...options, onError: (p) => io.stderr(`distkit kv: ${p}\n`) });
  } catch (e) {
    if (e instanceof TypeError) throw new KvUsageError(e.message);
    throw e;
  }
  io.stdout(`distkit kv: member ${server.name} (id ${server.memberId}) serving clients on ${server.clientUrl}, peers on ${options.listenPeerUrls}\n`);
  await io.stopSignal();
  await server.close();
  io.stdout(`distkit kv: member ${server.name} stopped\n`);
  return 0;
}

/** The real process's stop signal: the first SIGINT or SIGTERM. */
export function processStopSignal(): Promise<void> {
  const proc = globalThis.process;
  return new Promise((resolve) => {
    const stop = () => {
      proc.off('SIGINT', stop);
      proc.off('SIGTERM', stop);
      resolve();
    };
    proc.once('SIGINT', stop);
    proc.once('SIGTERM', stop);
  });
}
