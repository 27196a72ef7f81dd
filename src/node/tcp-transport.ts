import type { Server, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ConfigError, MAX_ID_LENGTH, positiveInt, type NodeId, type Transport } from '../core/index.js';
import {
  certificateIds,
  checkAuth,
  createListener,
  dialSocket,
  FRAME_MAC_BYTES,
  FrameMac,
  isNonce,
  nonce,
  proof,
  proofMatches,
  remoteOf,
  tlsRefusal,
  type HandshakeBinding,
  type TcpAuth,
} from './tcp-auth.js';
import { FrameReader, frame, jsonBytes, listenOn } from './tcp-frames.js';

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
 * A connection or frame refused for lack of authentication, as reported to
 * {@link TcpTransportOptions.onReject}.
 *
 * @example
 * ```ts
 * import type { TcpRejection } from 'distkit/node';
 * const r: TcpRejection = { remote: '10.0.0.9:51234', reason: 'handshake: proof does not match', claimedId: 'b' };
 * ```
 */
export interface TcpRejection {
  /** `host:port` of the remote end. */
  readonly remote: string;
  /** Why the connection was refused or the frame dropped. */
  readonly reason: string;
  /** The id the remote end claimed, when it got that far. */
  readonly claimedId?: NodeId;
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
 *   auth: { mode: 'hmac', secret: 'a cluster secret of 16+ bytes' },
 * };
 * ```
 */
export interface TcpTransportOptions {
  /** This node's id, proved to peers in the connection handshake. */
  id: NodeId;
  /** Where to accept connections; port 0 picks a free port (see `address()`). */
  listen: TcpAddress;
  /**
   * Peers this node dials. A message to an id not listed here goes back over an authenticated
   * connection that id opened to us (a client), or is dropped and reported when there is none.
   */
  peers: Readonly<Record<NodeId, TcpAddress>>;
  /** How connections are authenticated ({@link TcpAuth}); `{ mode: 'none' }` only on loopback. */
  auth: TcpAuth;
  /** Largest message in bytes of JSON (default 16 MiB). Larger ones are dropped and reported, on both sides. */
  maxFrameBytes?: number;
  /** Messages queued per destination (default 10,000); beyond it the oldest are dropped and reported. */
  maxQueuedMessages?: number;
  /** Bytes queued per destination (default 64 MiB); beyond it the oldest messages are dropped and reported. */
  maxQueuedBytes?: number;
  /** First reconnect delay in ms (default 50), doubling up to `reconnectMaxDelayMs`, with jitter. */
  reconnectDelayMs?: number;
  /** Upper bound of the reconnect backoff in ms (default 5,000). */
  reconnectMaxDelayMs?: number;
  /** An inbound connection must finish its handshake within this many ms (default 5,000). */
  handshakeTimeoutMs?: number;
  /** Inbound connections still in their handshake at once (default 128); more are refused. */
  maxPendingHandshakes?: number;
  /** Authenticated inbound connections at once (default 1,024); more are refused. */
  maxInboundConnections?: number;
  /** Reports connections refused and frames dropped for lack of authentication. Never throws into the transport. */
  onReject?: (rejection: TcpRejection) => void;
  /** Reports every other problem: dropped messages, connection errors. Never throws into the transport. */
  onError?: (problem: string) => void;
}

/**
 * What one destination's link has done, from {@link TcpTransport.stats}.
 *
 * @example
 * ```ts
 * import type { TcpLinkStats } from 'distkit/node';
 * const s: TcpLinkStats = { connected: true, queued: 0, queuedBytes: 0, sent: 12, dropped: 0 };
 * ```
 */
export interface TcpLinkStats {
  /** An authenticated connection to it is open. */
  readonly connected: boolean;
  /** Messages waiting (link down, or the socket applying back-pressure). */
  readonly queued: number;
  /** Bytes of those messages. */
  readonly queuedBytes: number;
  /** Messages handed to the socket. */
  readonly sent: number;
  /** Messages dropped because the queue was full. */
  readonly dropped: number;
}

/**
 * Counters of a {@link TcpTransport}, from {@link TcpTransport.stats}.
 *
 * @example
 * ```ts
 * import type { TcpTransportStats } from 'distkit/node';
 * declare const s: TcpTransportStats;
 * s.links.b?.dropped;
 * ```
 */
export interface TcpTransportStats {
  /** Per destination: every peer sent to, and every client connected now. */
  readonly links: Readonly<Record<NodeId, TcpLinkStats>>;
  /** Connections refused or frames dropped for lack of authentication. */
  readonly rejected: number;
  /** Frames dropped for exceeding `maxFrameBytes`, received or sent. */
  readonly oversized: number;
  /** Messages dropped because their destination was neither a peer nor connected. */
  readonly unroutable: number;
}

/**
 * A {@link Transport} over TCP with a listening address you can query and counters.
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
  /** A snapshot of the transport's counters. */
  stats(): TcpTransportStats;
}

/** Largest handshake frame; anything larger before authentication closes the connection. */
const MAX_HANDSHAKE_BYTES = 4096;

/**
 * An authenticated TCP transport. Frames are length-prefixed (4-byte big-endian length, then
 * UTF-8 JSON). Every connection starts with a handshake that proves the remote node's id
 * ({@link TcpAuth}): a mutual HMAC challenge-response over a cluster secret and fresh nonces from
 * both sides, then a MAC on every frame (`'hmac'`); mutual TLS with the id taken from the
 * certificate (`'tls'`); or, on loopback only, nothing (`'none'`). A connection that fails its
 * handshake is closed, and its frames are dropped and reported through `onReject` with the remote
 * address and the reason. Connections carry frames both ways, so a node answers clients that are
 * not in its `peers` over the connection they opened.
 *
 * Sends never block: each destination has a queue bounded in messages and bytes, which fills while
 * the link is down or the socket pushes back (a socket is only written while it has room); when it
 * is full the oldest message is dropped, reported through `onError` and counted in `stats()`
 * (distkit's protocols tolerate loss, and a newer message usually supersedes an older one). Links to
 * peers reconnect with exponential backoff and jitter. Oversized frames are dropped and reported,
 * received ones skipped without being buffered.
 *
 * @example
 * ```ts
 * import { createTcpTransport } from 'distkit/node';
 * const auth = { mode: 'hmac', secret: 'a cluster secret of 16+ bytes' } as const;
 * const a = createTcpTransport({ id: 'a', listen: { host: '127.0.0.1', port: 0 }, peers: {}, auth });
 * const { port } = await a.address();
 * const b = createTcpTransport({ id: 'b', listen: { host: '127.0.0.1', port: 0 }, peers: { a: { host: '127.0.0.1', port } }, auth });
 * a.onMessage((from, message) => console.log(from, message)); // 'b' { hello: 1 }
 * b.send('a', { hello: 1 });
 * ```
 */
export function createTcpTransport<M = unknown>(options: TcpTransportOptions): TcpTransport<M> {
  const t = newTcp<M>(options);
  const server = createListener(t.auth, (socket) => accept(t, socket), (remote, reason) => reject(t, { remote, reason }));
  t.server = server;
  const listening = listenOn(server, options.listen.host, options.listen.port, t.report);
  return {
    id: options.id,
    address: () => listening,
    send: (to, message) => sendTo(t, to, message),
    stats: () => statsOf(t),
    onMessage(handler) {
      t.handlers.add(handler);
      return () => t.handlers.delete(handler);
    },
    close: () => closeTcp(t),
  };
}

/** One outgoing destination: the connection used to send to it, the queue, the backoff. */
interface Link {
  readonly id: NodeId;
  /** In `peers`: dialed and redialed. Otherwise a client, reached over its own inbound connections. */
  readonly dialed: boolean;
  conn: Conn | undefined;
  queue: Buffer[];
  queuedBytes: number;
  sent: number;
  dropped: number;
  delay: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** One socket, inbound or outbound, through its handshake and then open both ways. */
interface Conn {
  readonly socket: Socket;
  readonly remote: string;
  /** For a dialed connection, the peer it must turn out to be. */
  readonly expected: NodeId | undefined;
  /** The authenticated remote id, once open. */
  peer: NodeId | undefined;
  /** A claimed id not yet proved. */
  claimed: NodeId | undefined;
  /** This side's nonce (HMAC mode). */
  readonly nonce: string;
  binding: HandshakeBinding | undefined;
  tx: FrameMac | undefined;
  rx: FrameMac | undefined;
  closed: boolean;
  /** Already reported through `onReject`. */
  refused: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Frames written in this turn wait for one write call at its end (socket corked). */
  corked: boolean;
}

/** The state of one TCP transport. */
interface Tcp<M> {
  readonly options: TcpTransportOptions;
  readonly auth: TcpAuth;
  readonly maxFrameBytes: number;
  readonly maxQueued: number;
  readonly maxQueuedBytes: number;
  readonly baseDelay: number;
  readonly maxDelay: number;
  readonly handshakeMs: number;
  readonly maxPending: number;
  readonly maxInbound: number;
  readonly report: (problem: string) => void;
  readonly onReject: (r: TcpRejection) => void;
  readonly handlers: Set<(from: NodeId, message: M) => void>;
  readonly conns: Set<Conn>;
  readonly links: Map<NodeId, Link>;
  server: Server | undefined;
  pending: number;
  inbound: number;
  rejected: number;
  oversized: number;
  unroutable: number;
  closed: boolean;
}

function newTcp<M>(options: TcpTransportOptions): Tcp<M> {
  if (typeof options.id !== 'string' || options.id.length === 0 || options.id.length > MAX_ID_LENGTH) {
    throw new ConfigError('id', `expected a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  const hosts = [options.listen.host, ...Object.values(options.peers).map((p) => p.host)];
  const quiet = <A>(f: ((a: A) => void) | undefined) => (a: A) => {
    try {
      f?.(a);
    } catch {
      // A throwing reporter must not break the transport.
    }
  };
  return {
    options,
    auth: checkAuth(options.auth, hosts),
    maxFrameBytes: positiveInt('maxFrameBytes', options.maxFrameBytes, 16 * 1024 * 1024),
    maxQueued: positiveInt('maxQueuedMessages', options.maxQueuedMessages, 10_000),
    maxQueuedBytes: positiveInt('maxQueuedBytes', options.maxQueuedBytes, 64 * 1024 * 1024),
    baseDelay: positiveInt('reconnectDelayMs', options.reconnectDelayMs, 50),
    maxDelay: positiveInt('reconnectMaxDelayMs', options.reconnectMaxDelayMs, 5_000),
    handshakeMs: positiveInt('handshakeTimeoutMs', options.handshakeTimeoutMs, 5_000),
    maxPending: positiveInt('maxPendingHandshakes', options.maxPendingHandshakes, 128),
    maxInbound: positiveInt('maxInboundConnections', options.maxInboundConnections, 1_024),
    report: quiet(options.onError),
    onReject: quiet(options.onReject),
    handlers: new Set(),
    conns: new Set(),
    links: new Map(),
    server: undefined,
    pending: 0,
    inbound: 0,
    rejected: 0,
    oversized: 0,
    unroutable: 0,
    closed: false,
  };
}

async function closeTcp<M>(t: Tcp<M>): Promise<void> {
  if (t.closed) return;
  t.closed = true;
  t.handlers.clear();
  for (const link of t.links.values()) if (link.timer) clearTimeout(link.timer);
  for (const c of t.conns) drop(t, c);
  await new Promise<void>((resolve) => (t.server ? t.server.close(() => resolve()) : resolve()));
}

function reject<M>(t: Tcp<M>, r: TcpRejection): void {
  t.rejected++;
  t.onReject(r);
}

/** Refuses a connection in its handshake: reports it and closes it. */
function refuse<M>(t: Tcp<M>, c: Conn, reason: string): false {
  if (c.refused || c.closed) return false;
  c.refused = true;
  reject(t, { remote: c.remote, reason, ...(c.claimed !== undefined ? { claimedId: c.claimed } : {}) });
  drop(t, c);
  return false;
}

function newConn(socket: Socket, expected: NodeId | undefined, remote: string): Conn {
  return { socket, remote, expected, peer: undefined, claimed: undefined, nonce: nonce(), binding: undefined, tx: undefined, rx: undefined, closed: false, refused: false, timer: undefined, corked: false };
}

/** The server side: an inbound connection, refused when too many are in their handshake. */
function accept<M>(t: Tcp<M>, socket: Socket): void {
  const c = newConn(socket, undefined, remoteOf(socket));
  if (t.closed) return void socket.destroy();
  if (t.pending >= t.maxPending) {
    reject(t, { remote: c.remote, reason: `too many connections in their handshake (${t.maxPending}); refused` });
    return void socket.destroy();
  }
  t.pending++;
  attach(t, c);
  const refusal = tlsRefusal(t.auth, socket);
  if (refusal !== undefined) refuse(t, c, refusal);
}

/** Wires a socket's events: frames to {@link onFrame}, close to {@link detach}. */
function attach<M>(t: Tcp<M>, c: Conn): void {
  t.conns.add(c);
  c.socket.setNoDelay(true);
  c.timer = setTimeout(() => refuse(t, c, `handshake not finished within ${t.handshakeMs} ms`), t.handshakeMs);
  c.timer.unref?.();
  const reader = new FrameReader({
    limit: () => (c.peer === undefined ? MAX_HANDSHAKE_BYTES : t.maxFrameBytes + (c.rx ? FRAME_MAC_BYTES : 0)),
    frame: (body) => !c.closed && onFrame(t, c, body),
    oversized: (length) => {
      if (c.peer === undefined) return refuse(t, c, `handshake frame of ${length} bytes exceeds ${MAX_HANDSHAKE_BYTES}`);
      t.oversized++;
      c.rx?.skip();
      t.report(`frame of ${length} bytes from ${c.peer} exceeds maxFrameBytes (${t.maxFrameBytes}); dropped`);
      return true;
    },
  });
  c.socket.on('data', (chunk: Buffer) => reader.push(chunk));
  c.socket.on('drain', () => {
    const link = c.peer === undefined ? undefined : t.links.get(c.peer);
    if (link?.conn === c) flush(link);
  });
  c.socket.on('error', (e) => t.report(`connection ${c.peer ?? c.expected ?? c.remote}: ${e.message}`));
  c.socket.on('close', () => detach(t, c));
}

/** A frame: a handshake step until the connection is open, then (MAC checked) a message. */
function onFrame<M>(t: Tcp<M>, c: Conn, raw: Buffer): boolean {
  if (c.peer === undefined) return handshake(t, c, raw);
  let body: Buffer | undefined = raw;
  if (c.rx) {
    body = c.rx.open(raw);
    // A frame that fails its MAC means the stream was tampered with: nothing after it can be trusted.
    if (body === undefined) return refuse(t, c, `frame MAC from ${c.peer} does not verify; connection closed`);
  }
  let message: unknown;
  try {
    message = JSON.parse(body.toString('utf8'));
  } catch {
    t.report(`malformed frame from ${c.peer} (${body.length} bytes, not JSON); dropped`);
    return true;
  }
  const from = c.peer;
  for (const h of t.handlers) {
    try {
      h(from, message as M);
    } catch (e) {
      t.report(`message handler threw: ${String(e)}`);
    }
  }
  return !c.closed;
}

/** A handshake frame: `{ distkit: step, ... }` as JSON. */
type Hello = { readonly distkit?: unknown; readonly id?: unknown; readonly nonce?: unknown; readonly proof?: unknown };

function parseHello(raw: Buffer): Hello | undefined {
  try {
    const x: unknown = JSON.parse(raw.toString('utf8'));
    return x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Hello) : undefined;
  } catch {
    return undefined;
  }
}

function validId(x: unknown): x is NodeId {
  return typeof x === 'string' && x.length > 0 && x.length <= MAX_ID_LENGTH;
}

/**
 * The handshake, one frame at a time. The dialer speaks first (`hello`: its id and, in HMAC mode,
 * a nonce). HMAC mode: the listener answers `challenge` (its id, its nonce, and its proof over both
 * ids and both nonces); the dialer checks it and answers `proof`. TLS mode: the claimed id must be
 * named by the certificate the TLS layer verified. Any deviation closes the connection.
 */
function handshake<M>(t: Tcp<M>, c: Conn, raw: Buffer): boolean {
  const h = parseHello(raw);
  if (h === undefined) return refuse(t, c, 'handshake: frame is not a JSON object; frames on an unauthenticated connection are dropped');
  const dialing = c.expected !== undefined;
  if (!dialing && c.claimed === undefined) {
    if (h.distkit !== 'hello' || !validId(h.id)) return refuse(t, c, 'handshake: expected { distkit: "hello", id }; frames on an unauthenticated connection are dropped');
    c.claimed = h.id;
    return listenerHello(t, c, h);
  }
  if (t.auth.mode !== 'hmac') return refuse(t, c, `handshake: unexpected frame ${JSON.stringify(h.distkit)}`);
  const secret = t.auth.secret as Buffer;
  if (dialing) {
    if (h.distkit !== 'challenge' || !validId(h.id) || !isNonce(h.nonce)) return refuse(t, c, 'handshake: expected { distkit: "challenge", id, nonce, proof }');
    c.claimed = h.id;
    if (h.id !== c.expected) return refuse(t, c, `handshake: the node at this address is ${JSON.stringify(h.id)}, not ${JSON.stringify(c.expected)}`);
    const b: HandshakeBinding = { dialer: t.options.id, listener: h.id, dialerNonce: c.nonce, listenerNonce: h.nonce };
    if (!proofMatches(secret, 'listener', b, h.proof)) return refuse(t, c, 'handshake: the listener\'s proof does not match (wrong secret, or a replayed handshake)');
    c.socket.write(frame(jsonBytes({ distkit: 'proof', proof: proof(secret, 'dialer', b) })));
    return open(t, c, h.id, b);
  }
  if (h.distkit !== 'proof') return refuse(t, c, 'handshake: expected { distkit: "proof", proof }; frames on an unauthenticated connection are dropped');
  if (!proofMatches(secret, 'dialer', c.binding!, h.proof)) return refuse(t, c, 'handshake: proof does not match (wrong secret, forged id, or a replayed handshake)');
  return open(t, c, c.claimed!, c.binding);
}

/** The listener's answer to a dialer's `hello`. */
function listenerHello<M>(t: Tcp<M>, c: Conn, h: Hello): boolean {
  const claimed = c.claimed!;
  switch (t.auth.mode) {
    case 'none':
      return open(t, c, claimed, undefined);
    case 'tls': {
      const ids = certificateIds((c.socket as TLSSocket).getPeerCertificate?.());
      if (!ids.includes(claimed)) return refuse(t, c, `handshake: claims ${JSON.stringify(claimed)} but its certificate names ${JSON.stringify(ids)}`);
      return open(t, c, claimed, undefined);
    }
    case 'hmac': {
      if (!isNonce(h.nonce)) return refuse(t, c, 'handshake: hello without a valid nonce');
      c.binding = { dialer: claimed, listener: t.options.id, dialerNonce: h.nonce, listenerNonce: c.nonce };
      const challenge = { distkit: 'challenge', id: t.options.id, nonce: c.nonce, proof: proof(t.auth.secret as Buffer, 'listener', c.binding) };
      c.socket.write(frame(jsonBytes(challenge)));
      return true;
    }
  }
}

/** The handshake succeeded: the connection speaks for `peer` from now on. */
function open<M>(t: Tcp<M>, c: Conn, peer: NodeId, b: HandshakeBinding | undefined): boolean {
  const dialing = c.expected !== undefined;
  if (!dialing && t.inbound >= t.maxInbound) return refuse(t, c, `too many inbound connections (${t.maxInbound}); refused`);
  if (c.timer) clearTimeout(c.timer);
  c.timer = undefined;
  c.peer = peer;
  if (b !== undefined && t.auth.mode === 'hmac') {
    const secret = t.auth.secret as Buffer;
    c.tx = new FrameMac(secret, dialing ? 'dialer→listener' : 'listener→dialer', b);
    c.rx = new FrameMac(secret, dialing ? 'listener→dialer' : 'dialer→listener', b);
  }
  if (!dialing) {
    t.pending--;
    t.inbound++;
  }
  let link = t.links.get(peer);
  if (dialing) link!.delay = t.baseDelay; // backoff resets only once a connection is proven good
  else if (Object.prototype.hasOwnProperty.call(t.options.peers, peer)) return true; // we dial peers ourselves: this one only receives
  else link ??= newLink(t, peer, false); // a client: answers go back over its newest connection
  link!.conn = c;
  flush(link!);
  return true;
}

/** Destroys a connection; {@link detach} runs on its close. */
function drop<M>(t: Tcp<M>, c: Conn): void {
  if (c.closed) return;
  c.socket.destroy();
  detach(t, c);
}

/** Forgets a closed connection: its link falls back to another one, redials, or goes away. */
function detach<M>(t: Tcp<M>, c: Conn): void {
  if (c.closed) return;
  // The other side hung up mid-handshake (it refused us, or it never meant to finish).
  if (c.peer === undefined && !c.refused && !t.closed && c.claimed !== undefined) refuse(t, c, 'handshake: the remote end closed the connection before finishing it');
  c.closed = true;
  if (c.timer) clearTimeout(c.timer);
  t.conns.delete(c);
  if (c.expected === undefined) {
    if (c.peer === undefined) t.pending--;
    else t.inbound--;
  }
  const key = c.expected ?? c.peer;
  const link = key === undefined ? undefined : t.links.get(key);
  if (!link) return;
  if (link.dialed) {
    if (c.expected === undefined) return;
    if (link.conn === c) link.conn = undefined;
    redial(t, link);
    return;
  }
  if (link.conn !== c) return;
  link.conn = [...t.conns].reverse().find((o) => o.peer === link.id && o.expected === undefined);
  if (link.conn) flush(link);
  else {
    t.links.delete(link.id);
    if (link.queue.length > 0) t.report(`client ${link.id} disconnected; ${link.queue.length} queued message(s) dropped`);
  }
}

function newLink<M>(t: Tcp<M>, id: NodeId, dialed: boolean): Link {
  const link: Link = { id, dialed, conn: undefined, queue: [], queuedBytes: 0, sent: 0, dropped: 0, delay: t.baseDelay, timer: undefined };
  t.links.set(id, link);
  return link;
}

/** Schedules the next dial of a peer link: exponential backoff, each wait drawn from [delay/2, delay]. */
function redial<M>(t: Tcp<M>, link: Link): void {
  if (t.closed || link.timer) return;
  const wait = link.delay / 2 + (Math.random() * link.delay) / 2;
  link.delay = Math.min(t.maxDelay, link.delay * 2);
  link.timer = setTimeout(() => {
    link.timer = undefined;
    dial(t, link);
  }, wait);
  link.timer.unref?.();
}

/** Opens a connection to a peer; its handshake starts once the socket (or TLS session) is up. */
function dial<M>(t: Tcp<M>, link: Link): void {
  const addr = t.options.peers[link.id];
  if (!addr || t.closed) return;
  let c: Conn | undefined;
  const socket = dialSocket(t.auth, addr.host, addr.port, link.id, () => {
    if (!c || c.closed) return;
    const hello = t.auth.mode === 'hmac' ? { distkit: 'hello', id: t.options.id, nonce: c.nonce } : { distkit: 'hello', id: t.options.id };
    socket.write(frame(jsonBytes(hello)));
    if (t.auth.mode !== 'hmac') open(t, c, link.id, undefined); // TLS checked the server's certificate
  });
  c = newConn(socket, link.id, `${addr.host}:${addr.port}`);
  attach(t, c);
}

/** Frames `message` and queues it for `to`, then writes what the socket has room for. */
function sendTo<M>(t: Tcp<M>, to: NodeId, message: M): void {
  if (t.closed) return;
  let body: Buffer;
  try {
    body = jsonBytes(message);
  } catch (e) {
    t.report(`send to ${to}: message is not JSON-serializable (${String(e)}); dropped`);
    return;
  }
  if (body.length > t.maxFrameBytes) {
    t.oversized++;
    t.report(`send to ${to}: frame of ${body.length} bytes exceeds maxFrameBytes (${t.maxFrameBytes}); dropped`);
    return;
  }
  let link = t.links.get(to);
  if (!link) {
    if (!Object.prototype.hasOwnProperty.call(t.options.peers, to)) {
      t.unroutable++;
      t.report(`send: ${JSON.stringify(to)} is not a peer and has no open connection; message dropped`);
      return;
    }
    link = newLink(t, to, true);
    dial(t, link);
  }
  link.queue.push(body);
  link.queuedBytes += body.length;
  while (link.queue.length > t.maxQueued || link.queuedBytes > t.maxQueuedBytes) {
    const old = link.queue.shift()!;
    link.queuedBytes -= old.length;
    link.dropped++;
    t.report(`send to ${to}: queue full (${t.maxQueued} messages / ${t.maxQueuedBytes} bytes); oldest message dropped`);
  }
  flush(link);
}

/** Writes queued messages while the link's connection is open and its socket has room. */
function flush(link: Link): void {
  const c = link.conn;
  if (!c || c.closed || c.peer === undefined) return;
  if (link.queue.length === 0 || c.socket.writableNeedDrain) return;
  // The frames of every send in this turn leave in one write call (writev), not one each.
  if (!c.corked) {
    c.corked = true;
    c.socket.cork();
    process.nextTick(() => {
      c.corked = false;
      c.socket.uncork();
    });
  }
  while (link.queue.length > 0 && !c.socket.writableNeedDrain) {
    const body = link.queue.shift()!;
    link.queuedBytes -= body.length;
    link.sent++;
    c.socket.write(c.tx ? c.tx.seal(body) : frame(body));
  }
}

function statsOf<M>(t: Tcp<M>): TcpTransportStats {
  const links: Record<NodeId, TcpLinkStats> = Object.create(null) as Record<NodeId, TcpLinkStats>;
  for (const l of t.links.values()) {
    const connected = l.conn !== undefined && !l.conn.closed && l.conn.peer !== undefined;
    links[l.id] = { connected, queued: l.queue.length, queuedBytes: l.queuedBytes, sent: l.sent, dropped: l.dropped };
  }
  return { links, rejected: t.rejected, oversized: t.oversized, unroutable: t.unroutable };
}

