// The network between real member processes on one machine, for Jepsen-style tests: one fault
// proxy per directed link, reached through one router per member. A member's advertised peer
// address is its router, the same for every dialer; the router reads the dialer's handshake (the
// first frame, `{distkit:'hello', id, ...}`) and hands the connection to the proxy of that directed
// link, so a test can cut a → b and leave b → a. Used by the KV nemesis and the replica cluster.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import type { Random } from '../../src/core/index.js';
import { startFaultProxy, type FaultProxy } from '../../src/node/index.js';
import { freePort } from './kv-cluster.js';

const HOST = '127.0.0.1';
/** The largest handshake frame a router reads before it gives up on the dialer. */
const MAX_HELLO_BYTES = 4096;

/** The network of a fixed set of members. */
export interface FaultNet {
  /** The port each member's peers dial to reach it. */
  readonly routerPorts: Readonly<Record<string, number>>;
  /** Stops delivery from `from` to `to` (both of their connections' directions die with it). */
  cut(from: string, to: string, mode: 'refuse' | 'blackhole'): void;
  /** Drops this fraction of frames on every link. */
  drop(p: number): void;
  /** Delays every frame on every link by `ms` plus up to `jitterMs`. */
  delay(ms: number, jitterMs: number): void;
  /** Undoes every cut, drop and delay. */
  heal(): void;
  close(): Promise<void>;
}

/** The kinds of network fault {@link networkFault} injects. */
export type NetworkFault = 'isolate' | 'one-way' | 'bridge' | 'loss' | 'delay';

const link = (from: string, to: string) => `${from}->${to}`;

/**
 * Starts the routers and proxies for `names`, whose members listen for peers on `peerPorts`.
 * `seed` seeds each proxy's drops and jitter.
 */
export async function startFaultNet(names: readonly string[], seed: number | string, peerPorts: Readonly<Record<string, number>>): Promise<FaultNet> {
  const proxies: Record<string, FaultProxy> = {};
  const proxyPorts: Record<string, number> = {};
  const routers: Server[] = [];
  const routerPorts: Record<string, number> = {};
  const sockets = new Set<Socket>();
  for (const from of names) {
    for (const to of names) {
      if (from === to) continue;
      const p = startFaultProxy({ listen: { host: HOST, port: 0 }, target: { host: HOST, port: peerPorts[to]! }, seed: `${seed}/${link(from, to)}` });
      proxies[link(from, to)] = p;
      proxyPorts[link(from, to)] = (await p.address()).port;
    }
  }
  for (const to of names) {
    const server = createServer((client) => route(client, to, proxyPorts, sockets));
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    routers.push(server);
    routerPorts[to] = (server.address() as { port: number }).port;
  }
  const all = () => Object.values(proxies);
  return {
    routerPorts,
    cut: (from, to, mode) => proxies[link(from, to)]!.partition(mode),
    drop: (p) => all().forEach((proxy) => proxy.drop(p)),
    delay: (ms, jitterMs) => all().forEach((proxy) => proxy.delay(ms, jitterMs)),
    heal: () => all().forEach((proxy) => proxy.heal()),
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(all().map((p) => p.close()));
      await Promise.all(routers.map((r) => new Promise<void>((resolve) => r.close(() => resolve()))));
    },
  };
}

/** Reads the dialer's hello frame (4-byte length, JSON with `id`) and pipes the connection through the proxy of link id → `to`. */
function route(client: Socket, to: string, proxyPorts: Readonly<Record<string, number>>, sockets: Set<Socket>): void {
  sockets.add(client);
  client.on('close', () => sockets.delete(client));
  client.on('error', () => client.destroy());
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (buffered.length < 4) return;
    const length = buffered.readUInt32BE(0);
    if (length > MAX_HELLO_BYTES) return client.destroy();
    if (buffered.length < 4 + length) return;
    client.off('data', onData);
    client.pause();
    let from: unknown;
    try {
      from = (JSON.parse(buffered.subarray(4, 4 + length).toString('utf8')) as { id?: unknown }).id;
    } catch {
      return client.destroy();
    }
    const port = typeof from === 'string' ? proxyPorts[link(from, to)] : undefined;
    if (port === undefined) return client.destroy();
    const upstream = connect({ host: HOST, port });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.write(buffered);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  };
  client.on('data', onData);
}

/**
 * Injects one network fault drawn with `random`. `target` is the member the fault centres on (the one
 * isolated, the tail of the one-way cut, the bridge); when given, a member is still drawn, so a seed
 * fixes every later draw whatever the target.
 * Returns what it did. The fault lasts until {@link FaultNet.heal}.
 */
export function networkFault(net: FaultNet, names: readonly string[], random: Random, fault: NetworkFault, target?: string): string {
  const mode = random.float() < 0.5 ? 'blackhole' : 'refuse';
  const member = () => {
    const drawn = names[random.int(0, names.length)]!;
    return target ?? drawn;
  };
  switch (fault) {
    case 'isolate': {
      const m = member();
      for (const o of names) if (o !== m) (net.cut(m, o, mode), net.cut(o, m, mode));
      return `isolate ${m} (${mode})`;
    }
    case 'one-way': {
      const m = member();
      const others = names.filter((n) => n !== m);
      const b = others[random.int(0, others.length)]!;
      net.cut(m, b, mode);
      return `cut ${m}->${b} only (${mode})`;
    }
    case 'bridge': {
      const m = member();
      const [a, b] = names.filter((n) => n !== m) as [string, string];
      net.cut(a, b, mode);
      net.cut(b, a, mode);
      return `cut ${a}<->${b}, ${m} sees both (${mode})`;
    }
    case 'loss': {
      const p = 0.05 + random.float() * 0.3;
      net.drop(p);
      return `drop ${(p * 100).toFixed(0)}% of frames on every link`;
    }
    case 'delay': {
      const d = random.int(10, 150);
      const j = random.int(0, 100);
      net.delay(d, j);
      return `delay every link ${d} ms + up to ${j} ms`;
    }
  }
}

/**
 * A free port below the kernel's ephemeral range: a member restarted on it finds it free again,
 * where a port from the ephemeral range may meanwhile be the local end of some outgoing connection.
 */
export async function stablePort(): Promise<number> {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: keep the usual bound
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * Math.max(1, low - 10_000));
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, HOST, () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  return freePort();
}
