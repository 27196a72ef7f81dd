import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { connect as netConnect, createServer as netServer, isIP, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, createServer as tlsServer, type PeerCertificate, type TLSSocket } from 'node:tls';
import { ConfigError, type NodeId } from '../core/index.js';
import { frame } from './tcp-frames.js';

/**
 * Connection authentication with a cluster secret shared by every node: a mutual
 * challenge-response (HMAC-SHA256 of RFC 2104 over both claimed ids and a fresh nonce from each
 * side, in the shape of ISO/IEC 9798-4's three-pass mutual authentication), then an HMAC over
 * every frame under per-connection keys. It authenticates the endpoints and the integrity
 * and order of every frame; it does **not** encrypt (anyone on the path reads the messages).
 *
 * @example
 * ```ts
 * import { createTcpTransport, type TcpAuth } from 'distkit/node';
 * // The options are checked before anything listens: a refused auth throws a ConfigError naming the field.
 * const refusal = (auth: TcpAuth, peerHost = '127.0.0.1') => {
 *   try {
 *     createTcpTransport({ id: 'a', listen: { host: '127.0.0.1', port: 0 }, peers: { b: { host: peerHost, port: 7002 } }, auth }).close();
 *     return 'accepted';
 *   } catch (e) {
 *     return (e as Error).message;
 *   }
 * };
 * import type { TcpHmacAuth } from 'distkit/node';
 * const good: TcpHmacAuth = { mode: 'hmac', secret: 'at least sixteen bytes of secret' };
 * [refusal(good, '10.0.0.2'), refusal({ mode: 'hmac', secret: 'short' })]; //=> ['accepted', 'auth.secret: expected at least 16 bytes']
 * ```
 */
export interface TcpHmacAuth {
  readonly mode: 'hmac';
  /** The cluster secret (at least 16 bytes; use 32 random bytes). Whoever holds it can act as any node. */
  readonly secret: string | Uint8Array;
}

/**
 * Mutual TLS with `node:tls`: both sides present a certificate signed by `ca`; a node's id is the
 * certificate's subject CN or one of its DNS subject alternative names, and the id a node claims
 * must be one of them. Encrypts and authenticates everything.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import type { TcpTlsAuth } from 'distkit/node';
 * const auth: TcpTlsAuth = { mode: 'tls', key: readFileSync('a.key'), cert: readFileSync('a.crt'), ca: readFileSync('ca.crt') };
 * ```
 */
export interface TcpTlsAuth {
  readonly mode: 'tls';
  /** This node's private key (PEM). */
  readonly key: string | Buffer;
  /** This node's certificate (PEM), naming its id as CN or DNS SAN. */
  readonly cert: string | Buffer;
  /** The certificate authorities that sign the cluster's certificates (PEM). */
  readonly ca: string | Buffer | readonly (string | Buffer)[];
}

/**
 * No authentication: the id a connection announces is believed. Accepted only when this node
 * listens on and dials loopback addresses (tests on one machine); anywhere else any process that
 * can reach the port could speak as any node, which breaks every protocol's safety.
 *
 * @example
 * ```ts
 * import { createTcpTransport, type TcpAuth } from 'distkit/node';
 * // The options are checked before anything listens: a refused auth throws a ConfigError naming the field.
 * const refusal = (auth: TcpAuth, peerHost = '127.0.0.1') => {
 *   try {
 *     createTcpTransport({ id: 'a', listen: { host: '127.0.0.1', port: 0 }, peers: { b: { host: peerHost, port: 7002 } }, auth }).close();
 *     return 'accepted';
 *   } catch (e) {
 *     return (e as Error).message;
 *   }
 * };
 * import type { TcpNoAuth } from 'distkit/node';
 * const none: TcpNoAuth = { mode: 'none' };
 * // No authentication only where every address is this machine's loopback.
 * [refusal(none), refusal(none, '10.0.0.2')]; //=> ['accepted', 'auth: mode \'none\' is for loopback only, but "10.0.0.2" is not a loopback address']
 * ```
 */
export interface TcpNoAuth {
  readonly mode: 'none';
}

/**
 * How a TCP transport authenticates its connections: {@link TcpHmacAuth}, {@link TcpTlsAuth} or,
 * on loopback only, {@link TcpNoAuth}.
 *
 * @example
 * ```ts
 * import { createTcpTransport, type TcpAuth } from 'distkit/node';
 * // The options are checked before anything listens: a refused auth throws a ConfigError naming the field.
 * const refusal = (auth: TcpAuth, peerHost = '127.0.0.1') => {
 *   try {
 *     createTcpTransport({ id: 'a', listen: { host: '127.0.0.1', port: 0 }, peers: { b: { host: peerHost, port: 7002 } }, auth }).close();
 *     return 'accepted';
 *   } catch (e) {
 *     return (e as Error).message;
 *   }
 * };
 * refusal({ mode: 'tls', key: 'not a key', cert: 'not a cert', ca: 'not a ca' }).startsWith('auth: TLS key material rejected'); //=> true
 * ```
 */
export type TcpAuth = TcpHmacAuth | TcpTlsAuth | TcpNoAuth;

/** Shortest accepted cluster secret, in bytes. */
export const MIN_SECRET_BYTES = 16;
/** Bytes of a handshake nonce. */
const NONCE_BYTES = 32;
/** Bytes of a frame MAC (HMAC-SHA256). */
export const FRAME_MAC_BYTES = 32;
const PROTOCOL = 'distkit/tcp/1';

/** Whether `host` names this machine's loopback interface. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '[::1]') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** The checked auth options, with the secret as bytes; throws ConfigError naming the field. */
export function checkAuth(auth: TcpAuth | undefined, hosts: readonly string[]): TcpAuth {
  if (auth === undefined || auth === null || typeof auth !== 'object') {
    throw new ConfigError('auth', "required: { mode: 'hmac', secret }, { mode: 'tls', key, cert, ca }, or { mode: 'none' } on loopback");
  }
  switch (auth.mode) {
    case 'hmac': {
      const s = auth.secret;
      const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s instanceof Uint8Array ? Buffer.from(s) : undefined;
      if (bytes === undefined || bytes.length < MIN_SECRET_BYTES) throw new ConfigError('auth.secret', `expected at least ${MIN_SECRET_BYTES} bytes`);
      return { mode: 'hmac', secret: bytes };
    }
    case 'tls':
      for (const field of ['key', 'cert', 'ca'] as const) if (!auth[field]) throw new ConfigError(`auth.${field}`, 'required (PEM)');
      try {
        // Parse the key material now, so that a bad PEM fails here and never inside a later send.
        createSecureContext({ key: auth.key, cert: auth.cert, ca: auth.ca as string[] });
      } catch (e) {
        throw new ConfigError('auth', `TLS key material rejected: ${e instanceof Error ? e.message : String(e)}`);
      }
      return auth;
    case 'none': {
      const remote = hosts.find((h) => !isLoopback(h));
      if (remote !== undefined) {
        throw new ConfigError('auth', `mode 'none' is for loopback only, but ${JSON.stringify(remote)} is not a loopback address`);
      }
      return auth;
    }
    default:
      throw new ConfigError('auth.mode', `expected 'hmac', 'tls' or 'none', got ${JSON.stringify((auth as { mode?: unknown }).mode)}`);
  }
}

/** A fresh random nonce, hex. */
export function nonce(): string {
  return randomBytes(NONCE_BYTES).toString('hex');
}

/** Whether `x` is a nonce as {@link nonce} makes them. */
export function isNonce(x: unknown): x is string {
  return typeof x === 'string' && x.length === NONCE_BYTES * 2 && /^[0-9a-f]+$/.test(x);
}

/** The ids and nonces one handshake binds: dialer, listener, and each side's nonce. */
export interface HandshakeBinding {
  readonly dialer: NodeId;
  readonly listener: NodeId;
  readonly dialerNonce: string;
  readonly listenerNonce: string;
}

function mac(secret: Buffer, label: string, b: HandshakeBinding): Buffer {
  // A JSON array keeps the fields apart whatever characters the ids hold.
  return createHmac('sha256', secret).update(JSON.stringify([PROTOCOL, label, b.dialer, b.listener, b.dialerNonce, b.listenerNonce])).digest();
}

/** The proof a side sends: the listener proves first ('listener'), then the dialer ('dialer'). */
export function proof(secret: Buffer, role: 'dialer' | 'listener', b: HandshakeBinding): string {
  return mac(secret, role, b).toString('hex');
}

/** Whether `claimed` is the proof `role` must send for `b`; constant time in the MAC's value. */
export function proofMatches(secret: Buffer, role: 'dialer' | 'listener', b: HandshakeBinding, claimed: unknown): boolean {
  if (typeof claimed !== 'string' || claimed.length !== FRAME_MAC_BYTES * 2 || !/^[0-9a-f]+$/.test(claimed)) return false;
  return timingSafeEqual(Buffer.from(claimed, 'hex'), mac(secret, role, b));
}

/**
 * One direction of an authenticated session: frames carry HMAC-SHA256(key, seq ‖ body) under a
 * key derived from the handshake, seq counting frames from 0, so a frame that is altered, replayed,
 * reordered, dropped from the middle or moved to another connection fails the check.
 */
export class FrameMac {
  private seq = 0n;
  private readonly key: Buffer;

  constructor(secret: Buffer, direction: 'dialer→listener' | 'listener→dialer', b: HandshakeBinding) {
    this.key = mac(secret, `session ${direction}`, b);
  }

  private next(body: Buffer): Buffer {
    const seq = Buffer.allocUnsafe(8);
    seq.writeBigUInt64BE(this.seq);
    this.seq++;
    return createHmac('sha256', this.key).update(seq).update(body).digest();
  }

  /** The frame of `body`, MAC first. */
  seal(body: Buffer): Buffer {
    return frame(this.next(body), body);
  }

  /** The body of a sealed frame, or `undefined` when its MAC does not verify. */
  open(sealed: Buffer): Buffer | undefined {
    if (sealed.length < FRAME_MAC_BYTES) {
      this.skip();
      return undefined;
    }
    const body = sealed.subarray(FRAME_MAC_BYTES);
    return timingSafeEqual(sealed.subarray(0, FRAME_MAC_BYTES), this.next(body)) ? body : undefined;
  }

  /** Counts a frame that was dropped unread (too large), keeping the sequence in step with the sender. */
  skip(): void {
    this.seq++;
  }
}

/** The node ids a certificate names: its subject CN and its DNS subject alternative names. */
export function certificateIds(cert: PeerCertificate | undefined): string[] {
  if (!cert || typeof cert !== 'object') return [];
  const ids: string[] = [];
  const cn = cert.subject?.CN as string | string[] | undefined;
  if (typeof cn === 'string') ids.push(cn);
  else if (Array.isArray(cn)) ids.push(...cn.filter((x) => typeof x === 'string'));
  for (const entry of (cert.subjectaltname ?? '').split(',')) {
    const m = /^\s*DNS:(.+)$/.exec(entry);
    if (m) ids.push(m[1]!.trim());
  }
  return ids;
}

/**
 * Listens with plain TCP or, in TLS mode, mutual TLS. Client certificates are requested and the
 * TLS layer lets unverified ones through so that the transport can refuse them itself, naming the
 * remote address and the verification error (see {@link tlsRefusal}).
 */
export function createListener(auth: TcpAuth, onSocket: (socket: Socket) => void, onTlsReject: (remote: string, reason: string) => void): Server {
  if (auth.mode !== 'tls') return netServer(onSocket);
  const server = tlsServer({ key: auth.key, cert: auth.cert, ca: auth.ca as string[], requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, onSocket);
  server.on('tlsClientError', (e, socket) => onTlsReject(remoteOf(socket), `tls: ${e.message}`));
  return server;
}

/** Why a TLS client's certificate is not acceptable, or `undefined` when it was verified against the CA. */
export function tlsRefusal(auth: TcpAuth, socket: Socket): string | undefined {
  if (auth.mode !== 'tls') return undefined;
  const s = socket as TLSSocket;
  return s.authorized ? undefined : `tls: client certificate not verified (${String(s.authorizationError ?? 'no certificate')})`;
}

/**
 * Dials `host:port`; in TLS mode the server's certificate must be signed by `ca` and name
 * `expected` (the node id, checked instead of the host name). `onReady` runs once bytes can flow.
 */
export function dialSocket(auth: TcpAuth, host: string, port: number, expected: NodeId, onReady: () => void): Socket {
  if (auth.mode !== 'tls') {
    const s = netConnect(port, host);
    s.once('connect', onReady);
    return s;
  }
  const s: TLSSocket = tlsConnect({
    host,
    port,
    key: auth.key,
    cert: auth.cert,
    ca: auth.ca as string[],
    minVersion: 'TLSv1.2',
    ...(isIP(host) === 0 ? { servername: host } : {}),
    checkServerIdentity: (_host, cert) =>
      certificateIds(cert).includes(expected) ? undefined : new Error(`server certificate names ${JSON.stringify(certificateIds(cert))}, not ${JSON.stringify(expected)}`),
  });
  s.once('secureConnect', onReady);
  return s;
}

/** `host:port` of a socket's remote end, for reports. */
export function remoteOf(socket: Socket): string {
  // A TLS socket that failed its handshake has lost its address; the TCP socket under it has not.
  const s = socket.remoteAddress === undefined ? ((socket as { _parent?: Socket })._parent ?? socket) : socket;
  const host = s.remoteAddress ?? 'unknown';
  return `${host.includes(':') ? `[${host}]` : host}:${s.remotePort ?? '?'}`;
}
