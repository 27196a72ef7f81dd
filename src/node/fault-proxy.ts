import { connect, createServer, type Socket } from 'node:net';
import { ConfigError, Random, nonNegativeMs, numberIn } from '../core/index.js';
import { FrameReader, frame, listenOn } from './tcp-frames.js';
import type { TcpAddress } from './tcp-transport.js';

/**
 * Options of {@link startFaultProxy}.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:net';
 * import { startFaultProxy } from 'distkit/node';
 * // An echo server behind a proxy on an ephemeral port.
 * const server = createServer((socket) => socket.pipe(socket)).listen(0, '127.0.0.1');
 * await new Promise((resolve) => server.once('listening', resolve));
 * const port = (server.address() as { port: number }).port;
 * import type { FaultProxyOptions } from 'distkit/node';
 * const options: FaultProxyOptions = { listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port }, seed: 42 };
 * const proxy = startFaultProxy(options);
 * const address = await proxy.address();
 * [address.host, address.port > 0]; //=> ['127.0.0.1', true]
 * await proxy.close();
 * server.close();
 * ```
 */
export interface FaultProxyOptions {
  /** Where the proxy accepts connections; port 0 picks a free port (see `address()`). */
  listen: TcpAddress;
  /** Where it forwards them. */
  target: TcpAddress;
  /** Seed of the randomness behind drops and jitter (default 1): the same seed draws the same sequence. */
  seed?: number | string;
  /**
   * What a drop discards: `'frame'` (default) splits each direction into distkit's length-prefixed
   * frames (4-byte big-endian length, then the body) and drops whole frames; `'chunk'` drops whatever
   * one socket read returned, which leaves a hole in the byte stream.
   */
  unit?: 'frame' | 'chunk';
  /** Reports connection errors. Never throws into the proxy. */
  onError?: (problem: string) => void;
}

/**
 * Counters of a {@link FaultProxy}.
 *
 * @example
 * ```ts
 * import type { FaultProxyStats } from 'distkit/node';
 * declare const s: FaultProxyStats;
 * s.dropped / Math.max(1, s.forwarded + s.dropped); // observed loss
 * ```
 */
export interface FaultProxyStats {
  /** Connections accepted (refused ones included). */
  readonly accepted: number;
  /** Connections refused or reset by a `'refuse'` partition. */
  readonly refused: number;
  /** Connection pairs open now. */
  readonly open: number;
  /** Units (frames or chunks) delivered, both directions. */
  readonly forwarded: number;
  /** Units dropped by the drop probability. */
  readonly dropped: number;
}

/**
 * A running fault-injecting TCP proxy: the controls act on connections open now and to come.
 *
 * @example
 * ```ts
 * import type { FaultProxy } from 'distkit/node';
 * declare const proxy: FaultProxy;
 * proxy.partition('blackhole');
 * proxy.heal();
 * ```
 */
export interface FaultProxy {
  /** Resolves with the bound address once the proxy listens. */
  address(): Promise<TcpAddress>;
  /**
   * Cuts the link both ways. `'refuse'` resets every open connection and every new one (a peer that
   * is down, or a firewall answering with RST). `'blackhole'` forwards nothing and stops reading, so
   * data waits in the senders' socket buffers, and new connections are held unconnected to the
   * target, as behind a firewall that drops packets: TCP retransmits, and what was sent arrives after
   * `heal()` unless the sender gave up.
   */
  partition(mode?: 'refuse' | 'blackhole'): void;
  /** Drops each unit (see {@link FaultProxyOptions.unit}) with `probability`, in both directions. */
  drop(probability: number): void;
  /** Holds each unit `delayMs` plus a uniform draw from [0, `jitterMs`) before forwarding it; order within a direction is kept. */
  delay(delayMs: number, jitterMs?: number): void;
  /** Removes the partition, the drops and the delay. */
  heal(): void;
  /** A snapshot of the counters. */
  stats(): FaultProxyStats;
  /** Stops accepting, closes every connection and timer. */
  close(): Promise<void>;
}

/** One direction of a connection pair. */
interface Direction {
  readonly from: Socket;
  readonly to: Socket;
  /** Units waiting for their delivery time (delay) or for a blackhole to heal. */
  queue: { at: number; data: Buffer }[];
  /** Delivery time of the last unit queued: later units never overtake it. */
  last: number;
  ending: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly dirs: readonly [Direction, Direction];
}

interface Proxy {
  readonly options: FaultProxyOptions;
  readonly random: Random;
  readonly pairs: Set<Pair>;
  /** Clients accepted under a black hole: not yet connected to the target, as their SYN would not have arrived. */
  readonly held: Set<Socket>;
  partition: 'refuse' | 'blackhole' | undefined;
  dropProbability: number;
  delayMs: number;
  jitterMs: number;
  accepted: number;
  refused: number;
  forwarded: number;
  dropped: number;
  closed: boolean;
}

/** Units queued in one direction before the proxy stops reading its source (back-pressure). */
const MAX_QUEUED_UNITS = 1024;

/**
 * Starts a TCP proxy that injects network faults between real processes on one machine, for
 * Jepsen-style tests (the role of Jepsen's network nemesis) where the kernel offers no `netem`: partitions (refusing or black-holing both
 * directions), random drops of whole frames, and delay with jitter, all switchable at run time and
 * drawn from a seeded generator. Put one in front of each member's port and point the others at it.
 * Closing it closes everything it opened.
 *
 * @example
 * ```ts
 * import { startFaultProxy } from 'distkit/node';
 * const proxy = startFaultProxy({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: 7001 }, seed: 7 });
 * const { port } = await proxy.address(); // dial this instead of 7001
 * proxy.delay(20, 10);
 * proxy.drop(0.05);
 * proxy.partition('blackhole');
 * proxy.heal();
 * proxy.stats().open; //=> 0
 * await proxy.close();
 * ```
 */
export function startFaultProxy(options: FaultProxyOptions): FaultProxy {
  const unit = options.unit ?? 'frame';
  if (unit !== 'frame' && unit !== 'chunk') throw new ConfigError('unit', `expected 'frame' or 'chunk', got ${JSON.stringify(unit)}`);
  const p: Proxy = {
    options,
    random: new Random(options.seed ?? 1),
    pairs: new Set(),
    held: new Set(),
    partition: undefined,
    dropProbability: 0,
    delayMs: 0,
    jitterMs: 0,
    accepted: 0,
    refused: 0,
    forwarded: 0,
    dropped: 0,
    closed: false,
  };
  const server = createServer({ allowHalfOpen: true }, (client) => accept(p, client));
  const listening = listenOn(server, options.listen.host, options.listen.port, (problem) => report(p, `proxy ${problem}`));
  return {
    address: () => listening,
    partition(mode = 'refuse') {
      if (mode !== 'refuse' && mode !== 'blackhole') throw new ConfigError('mode', `expected 'refuse' or 'blackhole', got ${JSON.stringify(mode)}`);
      p.partition = mode;
      if (mode === 'refuse') for (const client of p.held) refuseHeld(p, client);
      for (const pair of [...p.pairs]) {
        if (mode === 'refuse') reset(p, pair);
        else for (const d of pair.dirs) d.from.pause();
      }
    },
    drop(probability) {
      p.dropProbability = numberIn('probability', probability, 0, 1);
    },
    delay(delayMs, jitterMs = 0) {
      p.delayMs = nonNegativeMs('delayMs', delayMs);
      p.jitterMs = nonNegativeMs('jitterMs', jitterMs);
    },
    heal() {
      p.partition = undefined;
      p.dropProbability = 0;
      p.delayMs = 0;
      p.jitterMs = 0;
      for (const client of [...p.held]) {
        p.held.delete(client);
        if (!client.destroyed) connectPair(p, client);
      }
      for (const pair of p.pairs) for (const d of pair.dirs) pump(p, d);
    },
    stats: () => ({ accepted: p.accepted, refused: p.refused, open: p.pairs.size, forwarded: p.forwarded, dropped: p.dropped }),
    async close() {
      if (p.closed) return;
      p.closed = true;
      for (const client of p.held) client.destroy();
      p.held.clear();
      for (const pair of [...p.pairs]) reset(p, pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function report(p: Proxy, problem: string): void {
  try {
    p.options.onError?.(problem);
  } catch {
    // A throwing reporter must not break the proxy.
  }
}

/** A new client connection: refused under a `'refuse'` partition, held under a black hole, else paired with the target. */
function accept(p: Proxy, client: Socket): void {
  p.accepted++;
  if (p.closed || p.partition === 'refuse') return refuseHeld(p, client);
  if (p.partition === 'blackhole') {
    client.pause();
    client.on('error', () => undefined);
    client.on('close', () => p.held.delete(client));
    p.held.add(client);
    return;
  }
  connectPair(p, client);
}

function refuseHeld(p: Proxy, client: Socket): void {
  p.refused++;
  p.held.delete(client);
  if (!client.destroyed) client.resetAndDestroy();
}

/** Connects a client to the target and forwards between them. */
function connectPair(p: Proxy, client: Socket): void {
  const upstream = connect({ host: p.options.target.host, port: p.options.target.port, allowHalfOpen: true });
  const direction = (from: Socket, to: Socket): Direction => ({ from, to, queue: [], last: 0, ending: false, timer: undefined });
  const pair: Pair = { client, upstream, dirs: [direction(client, upstream), direction(upstream, client)] };
  p.pairs.add(pair);
  for (const d of pair.dirs) {
    const reader = p.options.unit === 'chunk' ? undefined : new FrameReader({ limit: () => 0xffffffff, frame: (body) => (take(p, d, frame(body)), true), oversized: () => false });
    d.from.on('data', (chunk: Buffer) => (reader ? reader.push(chunk) : take(p, d, chunk)));
    d.from.on('end', () => {
      d.ending = true;
      pump(p, d);
    });
    d.from.on('error', (e) => {
      report(p, `proxy ${d.from === client ? 'client' : 'target'} connection: ${e.message}`);
      reset(p, pair);
    });
    d.from.on('close', () => reset(p, pair));
    d.to.on('drain', () => {
      if (p.partition !== 'blackhole') d.from.resume();
    });
    if (p.partition === 'blackhole') d.from.pause();
  }
}

/** Closes both sockets of a pair with a reset and forgets it. */
function reset(p: Proxy, pair: Pair): void {
  if (!p.pairs.delete(pair)) return;
  if (p.partition === 'refuse') p.refused++;
  for (const d of pair.dirs) if (d.timer) clearTimeout(d.timer);
  for (const s of [pair.client, pair.upstream]) {
    if (s.destroyed) continue;
    // A connecting socket has no handle to reset yet; destroy it.
    if (s.connecting) s.destroy();
    else s.resetAndDestroy();
  }
}

/** One unit read from `d.from`: dropped with the drop probability, else queued with its delivery time. */
function take(p: Proxy, d: Direction, data: Buffer): void {
  if (p.dropProbability > 0 && p.random.float() < p.dropProbability) {
    p.dropped++;
    return;
  }
  const jitter = p.jitterMs > 0 ? p.random.float() * p.jitterMs : 0;
  const at = Math.max(d.last, performance.now() + p.delayMs + jitter);
  d.last = at;
  d.queue.push({ at, data });
  if (d.queue.length > MAX_QUEUED_UNITS) d.from.pause();
  pump(p, d);
}

/** Delivers the units whose time has come, unless black-holed; arms a timer for the next one. */
function pump(p: Proxy, d: Direction): void {
  if (d.timer) clearTimeout(d.timer);
  d.timer = undefined;
  if (p.partition === 'blackhole' || d.to.destroyed) return;
  const now = performance.now();
  while (d.queue.length > 0 && d.queue[0]!.at <= now) {
    p.forwarded++;
    if (!d.to.write(d.queue.shift()!.data)) d.from.pause();
  }
  if (d.queue.length > 0) {
    d.timer = setTimeout(() => pump(p, d), d.queue[0]!.at - now);
    d.timer.unref?.();
  } else {
    if (d.ending) d.to.end();
    else if (!d.to.writableNeedDrain) d.from.resume();
  }
}
