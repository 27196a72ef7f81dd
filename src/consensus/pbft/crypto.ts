// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) in plain TypeScript, synchronous so that a pure
// `step` can authenticate messages. Checked against FIPS/RFC 4231 vectors and crypto.subtle.
import { ConfigError, utf8Bytes, type NodeId } from '../../core/index.js';

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19] as const;

function compress(h: Uint32Array, W: Uint32Array, block: Uint8Array, offset: number): void {
  for (let t = 0; t < 16; t++) {
    const i = offset + t * 4;
    W[t] = ((block[i]! << 24) | (block[i + 1]! << 16) | (block[i + 2]! << 8) | block[i + 3]!) >>> 0;
  }
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15]!;
    const w2 = W[t - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) >>> 0;
  }
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (k + S1 + ch + K[t]! + W[t]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
  h[5] = (h[5]! + f) | 0;
  h[6] = (h[6]! + g) | 0;
  h[7] = (h[7]! + k) | 0;
}

/** Runs SHA-256 from chaining value `start` over `data`, as if `prefixBytes` bytes had come before. */
function sha256From(start: Uint32Array, prefixBytes: number, data: Uint8Array): Uint8Array {
  const h = new Uint32Array(start);
  const W = new Uint32Array(64);
  const full = data.length - (data.length % 64);
  for (let off = 0; off < full; off += 64) compress(h, W, data, off);
  const restLen = data.length - full;
  const tail = new Uint8Array(restLen < 56 ? 64 : 128);
  tail.set(data.subarray(full));
  tail[restLen] = 0x80;
  // FIPS 180-4 §5.1.1: the message length in bits, big-endian, in the last 8 bytes.
  const bits = (prefixBytes + data.length) * 8;
  const hi = Math.floor(bits / 0x100000000);
  const lo = bits >>> 0;
  const end = tail.length;
  tail[end - 8] = hi >>> 24;
  tail[end - 7] = hi >>> 16;
  tail[end - 6] = hi >>> 8;
  tail[end - 5] = hi;
  tail[end - 4] = lo >>> 24;
  tail[end - 3] = lo >>> 16;
  tail[end - 2] = lo >>> 8;
  tail[end - 1] = lo;
  for (let off = 0; off < end; off += 64) compress(h, W, tail, off);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    out[i * 4] = h[i]! >>> 24;
    out[i * 4 + 1] = h[i]! >>> 16;
    out[i * 4 + 2] = h[i]! >>> 8;
    out[i * 4 + 3] = h[i]!;
  }
  return out;
}

// SHA-256 (FIPS 180-4) of bytes: request and checkpoint digests (PBFT §4.2).
function sha256(data: Uint8Array): Uint8Array {
  return sha256From(new Uint32Array(IV), 0, data);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// Lower-case hex of bytes.
function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!]!;
  return s;
}

// Bytes from hex; undefined when not hex.
function hexToBytes(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

// A prepared HMAC key: inner and outer chaining values computed once (RFC 2104 §4).
interface HmacKey {
  readonly inner: Uint32Array;
  readonly outer: Uint32Array;
}

// Prepares an HMAC-SHA256 key (RFC 2104; keys longer than a block are hashed first).
function hmacSha256Key(key: Uint8Array): HmacKey {
  const k = key.length > 64 ? sha256(key) : key;
  const ipad = new Uint8Array(64).fill(0x36);
  const opad = new Uint8Array(64).fill(0x5c);
  for (let i = 0; i < k.length; i++) {
    ipad[i] = ipad[i]! ^ k[i]!;
    opad[i] = opad[i]! ^ k[i]!;
  }
  const inner = new Uint32Array(IV);
  compress(inner, new Uint32Array(64), ipad, 0);
  const outer = new Uint32Array(IV);
  compress(outer, new Uint32Array(64), opad, 0);
  return { inner, outer };
}

// HMAC-SHA256 (RFC 2104, RFC 4231) under a prepared key.
function hmacSha256(key: HmacKey, data: Uint8Array): Uint8Array {
  const inner = sha256From(key.inner, 64, data);
  return sha256From(key.outer, 64, inner);
}

/**
 * Deterministic JSON with object keys sorted at every level: the byte string PBFT signs and
 * digests, so that a transport which reorders keys does not break authentication.
 *
 * @example
 * ```ts
 * import { pbftCanonicalJson } from 'distkit/consensus';
 * pbftCanonicalJson({ b: 1, a: [true, null] }); //=> '{"a":[true,null],"b":1}'
 * ```
 */
export function pbftCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let s = '[';
    for (let i = 0; i < value.length; i++) s += (i > 0 ? ',' : '') + pbftCanonicalJson(value[i]);
    return s + ']';
  }
  const keys = Object.keys(value).sort();
  let s = '{';
  let first = true;
  for (const key of keys) {
    const x = (value as Record<string, unknown>)[key];
    if (x === undefined) continue;
    s += (first ? '' : ',') + JSON.stringify(key) + ':' + pbftCanonicalJson(x);
    first = false;
  }
  return s + '}';
}

/**
 * SHA-256 (FIPS 180-4) of a string's UTF-8 bytes (a lone surrogate encodes as U+FFFD, as
 * `TextEncoder` does), as 64 lower-case hex characters: the hash under every PBFT digest. The
 * portable one is distkit's TypeScript SHA-256; `nodePbftSha256` (distkit/node) computes the
 * same with OpenSSL. Every replica of a cluster must compute the same function: digests are
 * compared across replicas, so one that hashed differently would match nobody's votes.
 *
 * @example
 * ```ts
 * import { pbftDigest, type PbftSha256 } from 'distkit/consensus';
 * // The digest hashes the value's canonical JSON (keys sorted) with the given SHA-256, here a
 * // stand-in that records its input; nodePbftSha256 in distkit/node is node:crypto's.
 * const seen: string[] = [];
 * const sha256: PbftSha256 = (text) => { seen.push(text); return 'ab'.repeat(32); };
 * pbftDigest({ b: 2, a: 1 }, sha256).length; //=> 64
 * seen; //=> ['{"a":1,"b":2}']
 * ```
 */
export type PbftSha256 = (text: string) => string;

/** The portable {@link PbftSha256}: distkit's TypeScript SHA-256. */
export const portableSha256: PbftSha256 = (text) => bytesToHex(sha256(utf8Bytes(text)));

// Probes that a plugged-in SHA-256 must answer as the portable one: the empty string, one block,
// several blocks, and non-ASCII text with a lone surrogate (where UTF-8 encoders can differ).
const SHA256_PROBES = ['', 'abc', 'x'.repeat(200), '\u00e9\u4e2d\ud83d\ude00\ud800x\udc00'];

/**
 * `sha256` as given in a machine's options, checked against the portable SHA-256 on a few probes;
 * throws {@link ConfigError} naming `field` when it is not a function or computes something else.
 * The portable one when `sha256` is undefined.
 */
export function checkSha256(field: string, sha256: PbftSha256 | undefined): PbftSha256 {
  if (sha256 === undefined || sha256 === portableSha256) return portableSha256;
  if (typeof sha256 !== 'function') throw new ConfigError(field, 'expected a function from text to its SHA-256 as lower-case hex');
  for (const probe of SHA256_PROBES) {
    let got: unknown;
    try {
      got = sha256(probe);
    } catch (e) {
      throw new ConfigError(field, `threw on a probe (${e instanceof Error ? e.message : String(e)}); it must be a total SHA-256 of UTF-8 text`);
    }
    if (got !== portableSha256(probe)) {
      throw new ConfigError(field, `hashes ${JSON.stringify(probe.slice(0, 8))} to ${JSON.stringify(got)}: it must be SHA-256 of the UTF-8 bytes, as 64 lower-case hex characters, or replicas would not agree on digests`);
    }
  }
  return sha256;
}

/**
 * SHA-256 hex digest of a value's canonical JSON: PBFT's D(m) (Castro & Liskov 1999, §4.2).
 * `sha256` (default: the portable TypeScript one) hashes the canonical JSON; any correct SHA-256
 * gives the same digest.
 *
 * @example
 * ```ts
 * import { pbftDigest } from 'distkit/consensus';
 * pbftDigest({ a: 1, b: 2 }) === pbftDigest({ b: 2, a: 1 }); //=> true
 * pbftDigest('abc').length; //=> 64
 * ```
 */
export function pbftDigest(value: unknown, sha256: PbftSha256 = portableSha256): string {
  return sha256(pbftCanonicalJson(value));
}

/**
 * How a PBFT node signs its messages and checks other nodes' signatures. Both are synchronous,
 * so `step` stays pure. One instance per node: it holds that node's secrets.
 *
 * A signature must let every replica check it (certificates embed other nodes' messages, §4.4)
 * and must not be producible without the signer's secrets. {@link pbftHmacAuthenticator} meets
 * this with a vector of MACs, one per receiver (the "authenticators" of Castro & Liskov, TOCS
 * 2002, §3.2); a public-key signature scheme fits the same interface.
 *
 * @example
 * ```ts
 * import { pbftHmacAuthenticator, pbftHmacKeyRings, type PbftAuthenticator } from 'distkit/consensus';
 * const rings = pbftHmacKeyRings(['r0', 'r1'], 'secret');
 * const r0: PbftAuthenticator = pbftHmacAuthenticator({ id: 'r0', keys: rings.r0! });
 * const r1: PbftAuthenticator = pbftHmacAuthenticator({ id: 'r1', keys: rings.r1! });
 * // r0 signs for r1; r1 verifies, and a changed message fails.
 * const sig = r0.sign('prepare:1:abc', ['r1']);
 * [r1.verify('r0', 'prepare:1:abc', sig), r1.verify('r0', 'prepare:2:abc', sig)]; //=> [true, false]
 * ```
 */
export interface PbftAuthenticator {
  /** The node whose secrets this instance holds: it signs as this node. */
  readonly id: NodeId;
  /**
   * Signs `payload` as {@link PbftAuthenticator.id}. `audience`, when given, names the nodes
   * that must be able to verify it (replicas for protocol messages, the client for a reply); a
   * MAC-based scheme can then leave out everyone else. Default: every node it shares a key with.
   */
  sign(payload: string, audience?: readonly NodeId[]): string;
  /** Whether `signature` is `signer`'s signature of `payload`, as far as this node can tell. Never throws. */
  verify(signer: NodeId, payload: string, signature: string): boolean;
}

/**
 * Pairwise HMAC keys of one node: `keys[peer]` is the hex key this node shares with `peer`
 * (the key at its own id is its self key, used to check its own messages inside certificates).
 *
 * @example
 * ```ts
 * import { pbftHmacKeyRings, type PbftHmacKeyRing } from 'distkit/consensus';
 * const rings = pbftHmacKeyRings(['r0', 'r1', 'r2'], 'secret');
 * // Each node's ring holds one key per peer; both ends of a pair hold the same key.
 * const ring: PbftHmacKeyRing = rings.r0!;
 * [Object.keys(ring).sort(), ring.r1 === rings.r1!.r0, ring.r1!.length]; //=> [['r0', 'r1', 'r2'], true, 64]
 * ```
 */
export type PbftHmacKeyRing = Readonly<Record<NodeId, string>>;

/**
 * HMAC-SHA256 authenticators (Castro & Liskov, TOCS 2002, §3.2): a signature is one MAC per key
 * holder, `id:mac` pairs joined by commas, each MAC over the signer id and the payload under the
 * pairwise key (hash-then-MAC: the MAC covers SHA-256 of the signer id and payload, so a long
 * message is hashed once, not once per receiver). A receiver checks only its own entry. A node that lacks the signer's pairwise keys
 * with other nodes cannot produce entries they accept, so it cannot forge their messages.
 *
 * Limit (TOCS §3.2): a faulty signer can make entries that some receivers accept and others do
 * not. That cannot break safety, but it can delay a view change; a public-key
 * {@link PbftAuthenticator} removes it.
 *
 * @param options.id - this node; `options.keys` is its key ring ({@link pbftHmacKeyRings}).
 * @example
 * ```ts
 * import { pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const rings = pbftHmacKeyRings(['r0', 'r1'], 'test secret');
 * const r0 = pbftHmacAuthenticator({ id: 'r0', keys: rings.r0! });
 * const r1 = pbftHmacAuthenticator({ id: 'r1', keys: rings.r1! });
 * r1.verify('r0', 'hello', r0.sign('hello')); //=> true
 * r1.verify('r0', 'hullo', r0.sign('hello')); //=> false
 * ```
 */
export function pbftHmacAuthenticator(options: { readonly id: NodeId; readonly keys: PbftHmacKeyRing }): PbftAuthenticator {
  const id = options.id;
  const peers = Object.keys(options.keys).sort();
  const prepared = new Map<NodeId, HmacKey>();
  for (const peer of peers) {
    const bytes = hexToBytes(options.keys[peer]!);
    if (bytes === undefined || bytes.length < 16) throw new ConfigError(`keys.${peer}`, 'expected a key of at least 16 bytes as hex');
    prepared.set(peer, hmacSha256Key(bytes));
  }
  if (!prepared.has(id)) throw new ConfigError(`keys.${id}`, 'missing: the ring must hold a self key to check this node\'s own messages inside certificates');
  return {
    id,
    sign(payload, audience) {
      // The payload is hashed once, then each receiver's MAC covers the 32-byte hash. The signer
      // id is inside the hash so a pairwise key cannot vouch for the other direction.
      const data = sha256(utf8Bytes(`${id}\n${payload}`));
      // The signer's own entry is always there: its messages come back to it inside certificates.
      const wanted = audience === undefined ? peers : peers.filter((p) => p === id || audience.includes(p));
      let s = '';
      for (const peer of wanted) s += `${s === '' ? '' : ','}${peer}:${bytesToHex(hmacSha256(prepared.get(peer)!, data))}`;
      return s;
    },
    verify(signer, payload, signature) {
      if (typeof signature !== 'string' || typeof payload !== 'string' || typeof signer !== 'string') return false;
      const key = prepared.get(signer);
      if (key === undefined) return false;
      const mark = `${id}:`;
      let at = signature.startsWith(mark) ? 0 : signature.indexOf(`,${mark}`);
      if (at < 0) return false;
      if (at > 0) at += 1;
      const mac = signature.slice(at + mark.length, at + mark.length + 64);
      if (mac.length !== 64) return false;
      const expected = bytesToHex(hmacSha256(key, sha256(utf8Bytes(`${signer}\n${payload}`))));
      // Constant-time comparison: the time taken does not reveal how many characters matched.
      let diff = 0;
      for (let i = 0; i < 64; i++) diff |= mac.charCodeAt(i) ^ expected.charCodeAt(i);
      return diff === 0;
    },
  };
}

function pairLabel(a: NodeId, b: NodeId): string {
  return a <= b ? `${a}\n${b}` : `${b}\n${a}`;
}

/**
 * Derives pairwise HMAC keys for `nodes` from one secret (HMAC-SHA256 of the pair's names): the
 * key rings for simulations and tests. Whoever knows the secret can sign as anyone, so in a
 * deployment each pair's key should be random ({@link generatePbftHmacKeyRings}) and each node
 * should hold only its own ring.
 *
 * @example
 * ```ts
 * import { pbftHmacKeyRings } from 'distkit/consensus';
 * const rings = pbftHmacKeyRings(['r0', 'r1', 'r2', 'r3'], 'seed');
 * rings.r0!.r1 === rings.r1!.r0; //=> true
 * ```
 */
export function pbftHmacKeyRings(nodes: readonly NodeId[], secret: string): Record<NodeId, Record<NodeId, string>> {
  const master = hmacSha256Key(utf8Bytes(secret));
  const rings: Record<NodeId, Record<NodeId, string>> = {};
  for (const a of nodes) {
    const ring: Record<NodeId, string> = {};
    for (const b of nodes) ring[b] = bytesToHex(hmacSha256(master, utf8Bytes(pairLabel(a, b))));
    rings[a] = ring;
  }
  return rings;
}

/**
 * The part of Web Crypto's `SubtleCrypto` that {@link generatePbftHmacKeyRings} uses.
 *
 * @example
 * ```ts
 * import type { PbftSubtleCrypto } from 'distkit/consensus';
 * declare const subtle: PbftSubtleCrypto; // globalThis.crypto.subtle in browsers, Deno, Bun, Node >= 19
 * ```
 */
export interface PbftSubtleCrypto {
  /** Web Crypto's `generateKey`, used for HMAC keys. */
  generateKey(algorithm: { name: 'HMAC'; hash: 'SHA-256'; length: number }, extractable: boolean, usages: string[]): Promise<unknown>;
  /** Web Crypto's `exportKey`, used to read a key's raw bytes. */
  exportKey(format: 'raw', key: never): Promise<ArrayBuffer>;
}

/**
 * Generates a random 256-bit HMAC key for every pair of `nodes` with Web Crypto
 * (`subtle.generateKey`), returned as key rings for {@link pbftHmacAuthenticator}. `subtle` is
 * passed in (usually `globalThis.crypto.subtle`) so the library reads no entropy itself.
 *
 * @example
 * ```ts
 * import { generatePbftHmacKeyRings, pbftHmacAuthenticator, type PbftSubtleCrypto } from 'distkit/consensus';
 * declare const subtle: PbftSubtleCrypto;
 * const rings = await generatePbftHmacKeyRings(['r0', 'r1', 'r2', 'r3', 'client'], subtle);
 * const r0 = pbftHmacAuthenticator({ id: 'r0', keys: rings.r0! }); // hand each node only its own ring
 * ```
 */
export async function generatePbftHmacKeyRings(
  nodes: readonly NodeId[],
  subtle: PbftSubtleCrypto,
): Promise<Record<NodeId, Record<NodeId, string>>> {
  const rings: Record<NodeId, Record<NodeId, string>> = {};
  for (const a of nodes) rings[a] = {};
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i; j < nodes.length; j++) {
      const key = await subtle.generateKey({ name: 'HMAC', hash: 'SHA-256', length: 256 }, true, ['sign', 'verify']);
      const hex = bytesToHex(new Uint8Array(await subtle.exportKey('raw', key as never)));
      rings[nodes[i]!]![nodes[j]!] = hex;
      rings[nodes[j]!]![nodes[i]!] = hex;
    }
  }
  return rings;
}

// For tests: the raw primitives, checked against RFC 4231 and crypto.subtle.
export const pbftCryptoInternals = { sha256, hmacSha256, hmacSha256Key, utf8Bytes, bytesToHex, hexToBytes } as const;
