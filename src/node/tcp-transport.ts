import { createServer, connect, type Server, type Socket } from 'node:net';
import { ConfigError, type NodeId, type Transport } from '../core/index.js';

/**
 * Where a peer listens.
 *
 * @example
 * ```ts
 * import type { TcpAddress } from 'distkit/node';
 * const b: TcpAddress = { host: '127.0.0.1', port: 7001 };
 * ```
 */
export interface TcpAddress {
  /** Host name or IP address. */
  host: string;
  /** TCP port. */
  port: number;
}

/**
 * Options of {@link createTcpTransport}.
 *
 * @example
 * ```ts
 * import type { TcpTransportOptions } from 'distkit/node';
 * const options: TcpTransportOptions = {
 *   id: 'a',
 *   listen: { host: '127.0.0.1', port: 7000 },
 *   peers: { b: { host: '127.0.0.1', port: 7001 } },
 * };
 * ```
 */
export interface TcpTransportOptions {
  /** This node's id, announced to peers in the connection handshake. */
  id: NodeId;
  /** Where to accept connections; port 0 picks a free port (see `address()`). */
  listen: TcpAddress;
  /** Peers this node sends to. Messages to other ids are dropped and reported. */
  peers: Readonly<Record<NodeId, TcpAddress>>;
  /** Largest accepted frame in bytes (default 16 MiB). A larger frame closes that connection. */
  maxFrameBytes?: number;
  /** Messages queued per peer while disconnected (default 10,000); beyond it the oldest are dropped. */
  maxQueuedMessages?: number;
  /** First reconnect delay in ms (default 50), doubling up to `reconnectMaxDelayMs` (default 5,000). */
  reconnectDelayMs?: number;
  /** Upper bound of the reconnect backoff in ms. */
  reconnectMaxDelayMs?: number;
  /** Reports dropped frames and connection problems. Never throws into the transport. */
  onError?: (problem: string) => void;
}

/**
 * A {@link Transport} over TCP with a listening address you can query.
 *
 * @example
 * ```ts
 * import type { TcpTransport } from 'distkit/node';
 * declare const t: TcpTransport;
 * const { port } = await t.address();
 * ```
 */
export interface TcpTransport<M = unknown> extends Transport<M> {
  /** Resolves with the bound address once the server listens. */
  address(): Promise<TcpAddress>;
}

const HEADER_BYTES = 4;

/**
 * A TCP transport: length-prefixed frames (4-byte big-endian length, then UTF-8 JSON), one
 * outgoing connection per peer opened lazily and re-opened with exponential backoff, a handshake
 * frame naming the sender (messages are attributed to the connection's announced id), bounded frame
 * size and bounded send queues. Malformed frames are dropped and reported through `onError`; an
 * oversized frame closes its connection (the stream cannot be resynchronized).
 *
 * @example
 * ```ts
 * import { createTcpTransport } from 'distkit/node';
 * const a = createTcpTransport({ id: 'a', listen: { host: '127.0.0.1', port: 0 }, peers: {} });
 * const { port } = await a.address();
 * const b = createTcpTransport({ id: 'b', listen: { host: '127.0.0.1', port: 0 }, peers: { a: { host: '127.0.0.1', port } } });
 * a.onMessage((from, message) => console.log(from, message)); // 'b' { hello: 1 }
 * b.send('a', { hello: 1 });
 * ```
 */
export function createTcpTransport<M = unknown>(options: TcpTransportOptions): TcpTransport<M> {
  if (typeof options.id !== 'string' || options.id.length === 0) throw new ConfigError('id', 'expected a non-empty string');
  const t: Tcp<M> = {
    options,
    maxFrameBytes: positiveInt(options.maxFrameBytes ?? 16 * 1024 * 1024, 'maxFrameBytes'),
    maxQueued: positiveInt(options.maxQueuedMessages ?? 10_000, 'maxQueuedMessages'),
    baseDelay: positiveInt(options.reconnectDelayMs ?? 50, 'reconnectDelayMs'),
    maxDelay: positiveInt(options.reconnectMaxDelayMs ?? 5_000, 'reconnectMaxDelayMs'),
    report: (p: string) => {
      try {
        options.onError?.(p);
      } catch {
        // A throwing reporter must not break the transport.
      }
    },
    handlers: new Set(),
    inbound: new Set(),
    links: new Map(),
    closed: false,
  };
  const server = listen(t);
  const listening = new Promise<TcpAddress>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.host, () => {
      const a = server.address();
      if (a && typeof a === 'object') resolve({ host: a.address, port: a.port });
    });
  });
  listening.catch(() => undefined);
  return {
    id: options.id,
    address: () => listening,
    send: (to, message) => sendTo(t, to, message),
    onMessage(handler) {
      t.handlers.add(handler);
      return () => t.handlers.delete(handler);
    },
    async close() {
      t.closed = true;
      t.handlers.clear();
      for (const link of t.links.values()) {
        if (link.timer) clearTimeout(link.timer);
        link.socket?.end();
        link.socket?.destroy();
      }
      for (const s of t.inbound) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One outgoing connection: its socket, the frames queued while it is down, and its backoff. */
interface Link {
  socket: Socket | undefined;
  connected: boolean;
  queue: Buffer[];
  delay: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The state of one TCP transport. */
interface Tcp<M> {
  readonly options: TcpTransportOptions;
  readonly maxFrameBytes: number;
  readonly maxQueued: number;
  readonly baseDelay: number;
  readonly maxDelay: number;
  readonly report: (problem: string) => void;
  readonly handlers: Set<(from: NodeId, message: M) => void>;
  readonly inbound: Set<Socket>;
  readonly links: Map<NodeId, Link>;
  closed: boolean;
}

/** The server side: each inbound connection names its peer in a first `{ hello }` frame. */
function listen<M>(t: Tcp<M>): Server {
  const server: Server = createServer((socket) => {
    if (t.closed) return socket.destroy();
    t.inbound.add(socket);
    let peer: NodeId | undefined;
    readFrames(socket, t.maxFrameBytes, t.report, (frame) => {
      if (peer === undefined) {
        peer = helloOf(frame);
        if (peer === undefined) {
          t.report('handshake: first frame must be { hello: <node id> }; closing connection');
          socket.destroy();
        }
        return;
      }
      const from = peer;
      for (const h of t.handlers) {
        try {
          h(from, frame as M);
        } catch (e) {
          t.report(`message handler threw: ${String(e)}`);
        }
      }
    });
    socket.on('close', () => t.inbound.delete(socket));
    socket.on('error', (e) => t.report(`inbound connection: ${e.message}`));
  });
  server.on('error', (e) => t.report(`server: ${e.message}`));
  return server;
}

/** The node id a handshake frame names, or `undefined` when it is not a handshake. */
function helloOf(frame: unknown): NodeId | undefined {
  const hello = frame as { hello?: unknown };
  if (hello === null || typeof hello !== 'object' || typeof hello.hello !== 'string' || hello.hello.length === 0) return undefined;
  return hello.hello;
}

/** Connects a link, flushes its queue on connect, and redials with doubling backoff when it closes. */
function dial<M>(t: Tcp<M>, to: NodeId, link: Link): void {
  const addr = t.options.peers[to];
  if (!addr || t.closed) return;
  const socket = connect(addr.port, addr.host);
  link.socket = socket;
  socket.setNoDelay(true);
  socket.on('connect', () => {
    link.connected = true;
    link.delay = t.baseDelay;
    socket.write(encode({ hello: t.options.id }));
    for (const buf of link.queue) socket.write(buf);
    link.queue = [];
  });
  socket.on('error', (e) => t.report(`connection to ${to}: ${e.message}`));
  socket.on('data', () => undefined); // peers never send on our outgoing link
  socket.on('close', () => {
    link.connected = false;
    link.socket = undefined;
    if (t.closed) return;
    link.timer = setTimeout(() => {
      link.timer = undefined;
      dial(t, to, link);
    }, link.delay);
    link.timer.unref?.();
    link.delay = Math.min(t.maxDelay, link.delay * 2);
  });
}

/** Frames `message` and writes it, or queues it (bounded) while the link is down. */
function sendTo<M>(t: Tcp<M>, to: NodeId, message: M): void {
  if (t.closed) return;
  if (!Object.prototype.hasOwnProperty.call(t.options.peers, to)) {
    t.report(`send: unknown peer ${JSON.stringify(to)}; message dropped`);
    return;
  }
  let buf: Buffer;
  try {
    buf = encode(message);
  } catch (e) {
    t.report(`send to ${to}: message is not JSON-serializable (${String(e)}); dropped`);
    return;
  }
  if (buf.length - HEADER_BYTES > t.maxFrameBytes) {
    t.report(`send to ${to}: frame of ${buf.length - HEADER_BYTES} bytes exceeds maxFrameBytes; dropped`);
    return;
  }
  let link = t.links.get(to);
  if (!link) {
    link = { socket: undefined, connected: false, queue: [], delay: t.baseDelay, timer: undefined };
    t.links.set(to, link);
    dial(t, to, link);
  }
  if (link.connected && link.socket) link.socket.write(buf);
  else {
    link.queue.push(buf);
    if (link.queue.length > t.maxQueued) {
      link.queue.shift();
      t.report(`send to ${to}: queue full while disconnected; oldest message dropped`);
    }
  }
}

function positiveInt(x: number, field: string): number {
  if (!Number.isSafeInteger(x) || x <= 0) throw new ConfigError(field, `expected a positive integer, got ${String(x)}`);
  return x;
}

function encode(value: unknown): Buffer {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('undefined is not JSON');
  const body = Buffer.from(json, 'utf8');
  const buf = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  buf.writeUInt32BE(body.length, 0);
  body.copy(buf, HEADER_BYTES);
  return buf;
}

/** Splits a byte stream into frames; bad JSON frames are dropped, oversized ones close the socket. */
function readFrames(socket: Socket, maxFrameBytes: number, report: (p: string) => void, onFrame: (frame: unknown) => void): void {
  let chunks: Buffer[] = [];
  let buffered = 0;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    buffered += chunk.length;
    let buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered);
    let offset = 0;
    while (buf.length - offset >= HEADER_BYTES) {
      const len = buf.readUInt32BE(offset);
      if (len > maxFrameBytes) {
        report(`frame of ${len} bytes exceeds maxFrameBytes (${maxFrameBytes}); closing connection`);
        socket.destroy();
        chunks = [];
        buffered = 0;
        return;
      }
      if (buf.length - offset - HEADER_BYTES < len) break;
      const body = buf.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + len);
      offset += HEADER_BYTES + len;
      let frame: unknown;
      try {
        frame = JSON.parse(body.toString('utf8'));
      } catch {
        report(`malformed frame (${len} bytes, not JSON); dropped`);
        continue;
      }
      onFrame(frame);
    }
    buf = buf.subarray(offset);
    chunks = buf.length > 0 ? [buf] : [];
    buffered = buf.length;
  });
}
