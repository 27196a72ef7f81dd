import * as nodeCrypto from 'node:crypto';
import { ConfigError, type NodeId } from '../core/index.js';
import type { PbftAuthenticator, PbftHmacKeyRing, PbftSha256 } from '../consensus/index.js';

const MAC_HEX = 64;
const MIN_KEY_BYTES = 16;
const BLOCK_BYTES = 64;
const HASH_BYTES = 32;

type Encoding = 'hex' | 'binary';
// One-shot `crypto.hash` (Node >= 20.12) skips the Hash object that `createHash` builds per call,
// which dominates the cost of hashing a few hundred bytes; older Nodes fall back to `createHash`.
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: string | Buffer, encoding: Encoding) => string }).hash;
const sha256As: (data: string | Buffer, encoding: Encoding) => string =
  typeof oneShot === 'function'
    ? (data, encoding) => oneShot('sha256', data, encoding)
    : (data, encoding) => nodeCrypto.createHash('sha256').update(data).digest(encoding);

/**
 * SHA-256 of a string's UTF-8 bytes as 64 lower-case hex characters, computed by `node:crypto`
 * (OpenSSL): a `PbftSha256` (distkit/consensus) for the `sha256` option of `pbftReplica` and
 * `pbftClient`, giving the same digests as the portable TypeScript SHA-256 (a lone surrogate
 * hashes as U+FFFD in both). Every replica of a cluster must use the same function; this one and
 * the portable one are the same function, so they can be mixed.
 *
 * @example
 * ```ts
 * import { pbftDigest } from 'distkit/consensus';
 * import { nodePbftSha256 } from 'distkit/node';
 * nodePbftSha256('abc'); //=> 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 * pbftDigest({ a: [1, 'é'] }, nodePbftSha256) === pbftDigest({ a: [1, 'é'] }); //=> true
 * ```
 */
export function nodePbftSha256(text: string): string {
  return sha256As(text, 'hex');
}

/**
 * `pbftHmacAuthenticator`'s (from `distkit/consensus`) HMAC-SHA256 authenticators computed with `node:crypto`
 * (OpenSSL) instead of distkit's portable TypeScript SHA-256: the same key rings, the same
 * signature bytes (`id:mac` pairs, each MAC under the pairwise key over SHA-256 of
 * `signer + "\n" + payload`; Castro & Liskov, TOCS 2002, §3.2), so replicas using either one
 * interoperate and decide the same things. Each MAC is HMAC-SHA256 (RFC 2104) written as two
 * one-shot hashes over the key's prepared pads, cheaper than a `createHmac` object per MAC; MACs
 * are compared in constant time.
 *
 * Use it for PBFT nodes that run on Node.js (with {@link nodePbftSha256}, or both through
 * {@link nodePbftCrypto}); the portable one remains for browsers, workers and the simulator.
 *
 * @param options.id - this node; `options.keys` is its key ring (see `pbftHmacKeyRings` /
 * `generatePbftHmacKeyRings` in `distkit/consensus`).
 * @throws {ConfigError} when a key is not hex of at least 16 bytes, or the ring lacks `id`'s self key.
 * @example
 * ```ts
 * import { pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * import { nodePbftHmacAuthenticator } from 'distkit/node';
 * const rings = pbftHmacKeyRings(['r0', 'r1'], 'test secret');
 * const fast = nodePbftHmacAuthenticator({ id: 'r0', keys: rings.r0! });
 * const portable = pbftHmacAuthenticator({ id: 'r0', keys: rings.r0! });
 * fast.sign('hello') === portable.sign('hello'); //=> true
 * const r1 = nodePbftHmacAuthenticator({ id: 'r1', keys: rings.r1! });
 * r1.verify('r0', 'hello', fast.sign('hello')); //=> true
 * r1.verify('r0', 'hullo', fast.sign('hello')); //=> false
 * ```
 */
export function nodePbftHmacAuthenticator(options: { readonly id: NodeId; readonly keys: PbftHmacKeyRing }): PbftAuthenticator {
  const id = options.id;
  const peers = Object.keys(options.keys).sort();
  const keys = new Map<NodeId, HmacPads>();
  for (const peer of peers) {
    const hex = options.keys[peer];
    if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex) || hex.length / 2 < MIN_KEY_BYTES) {
      throw new ConfigError(`keys.${peer}`, 'expected a key of at least 16 bytes as hex');
    }
    keys.set(peer, hmacPads(Buffer.from(hex, 'hex')));
  }
  if (!keys.has(id)) throw new ConfigError(`keys.${id}`, "missing: the ring must hold a self key to check this node's own messages inside certificates");
  // Hash-then-MAC, as the portable authenticator: the signer id is inside the hash so that a
  // pairwise key cannot vouch for the other direction. The hash travels as a 32-character
  // `binary` (latin1) string, one byte per character, which the pads take without a Buffer per call.
  const hashed = (signer: NodeId, payload: string): string => sha256As(`${signer}\n${payload}`, 'binary');
  return {
    id,
    sign(payload, audience) {
      const data = hashed(id, payload);
      let s = '';
      for (const peer of peers) {
        // The signer's own entry is always there: its messages come back to it inside certificates.
        if (audience !== undefined && peer !== id && !audience.includes(peer)) continue;
        s += `${s === '' ? '' : ','}${peer}:${hmacHex(keys.get(peer)!, data)}`;
      }
      return s;
    },
    verify(signer, payload, signature) {
      if (typeof signature !== 'string' || typeof payload !== 'string' || typeof signer !== 'string') return false;
      const key = keys.get(signer);
      if (key === undefined) return false;
      const entry = ownEntry(signature, id);
      if (entry === undefined) return false;
      const expected = hmacHex(key, hashed(signer, payload));
      // Constant-time comparison: the time taken does not reveal how many characters matched.
      let diff = 0;
      for (let i = 0; i < MAC_HEX; i++) diff |= entry.charCodeAt(i) ^ expected.charCodeAt(i);
      return diff === 0;
    },
  };
}

/**
 * One key's HMAC pads (RFC 2104 §2): K ⊕ ipad and K ⊕ opad, each followed by room for the
 * 32-byte value it is hashed with. Each authenticator owns its buffers and uses them only inside
 * one synchronous call, so reusing them is invisible to callers.
 */
interface HmacPads {
  readonly inner: Buffer;
  readonly outer: Buffer;
}

function hmacPads(key0: Buffer): HmacPads {
  // Keys longer than a block are hashed first (RFC 2104 §2).
  const key = key0.length > BLOCK_BYTES ? Buffer.from(sha256As(key0, 'binary'), 'binary') : key0;
  const inner = Buffer.alloc(BLOCK_BYTES + HASH_BYTES, 0x36);
  const outer = Buffer.alloc(BLOCK_BYTES + HASH_BYTES, 0x5c);
  for (let i = 0; i < key.length; i++) {
    inner[i] = inner[i]! ^ key[i]!;
    outer[i] = outer[i]! ^ key[i]!;
  }
  return { inner, outer };
}

/** HMAC-SHA256 under `pads` of the 32 bytes in `data` (a `binary` string), as lower-case hex. */
function hmacHex(pads: HmacPads, data: string): string {
  pads.inner.write(data, BLOCK_BYTES, 'binary');
  pads.outer.write(sha256As(pads.inner, 'binary'), BLOCK_BYTES, 'binary');
  return sha256As(pads.outer, 'hex');
}

/** The 64 hex characters of `receiver`'s entry in an authenticator, or `undefined` when absent or short. */
function ownEntry(signature: string, receiver: NodeId): string | undefined {
  const mark = `${receiver}:`;
  let at = signature.startsWith(mark) ? 0 : signature.indexOf(`,${mark}`);
  if (at < 0) return undefined;
  if (at > 0) at += 1;
  const entry = signature.slice(at + mark.length, at + mark.length + MAC_HEX);
  return entry.length === MAC_HEX ? entry : undefined;
}

/**
 * The cryptography of one PBFT node on Node.js: its {@link nodePbftHmacAuthenticator} and
 * {@link nodePbftSha256}, ready to spread into `pbftReplica` or `pbftClient` options.
 *
 * @example
 * ```ts
 * import type { NodePbftCrypto } from 'distkit/node';
 * declare const native: NodePbftCrypto;
 * native.sha256('abc').length; //=> 64
 * ```
 */
export interface NodePbftCrypto {
  /** Signs as the node and checks others' signatures (HMAC-SHA256 authenticators, with OpenSSL). */
  readonly authenticator: PbftAuthenticator;
  /** SHA-256 of UTF-8 text as hex, with OpenSSL: the hash under request, checkpoint and reply digests. */
  readonly sha256: PbftSha256;
}

/**
 * PBFT at native speed: the options a `pbftReplica` or `pbftClient` (distkit/consensus) needs
 * for OpenSSL to do its hashing and MACs — {@link nodePbftHmacAuthenticator} over the node's key
 * ring and {@link nodePbftSha256} for digests. Signatures and digests are byte for byte those of
 * the portable TypeScript code, so nodes using it and nodes using the portable defaults form one
 * cluster. Every replica of a cluster must hash with the same SHA-256 (a replica checks the one
 * it is given against the portable one when it is built).
 *
 * @param options.id - this node; `options.keys` is its key ring (`pbftHmacKeyRings` /
 * `generatePbftHmacKeyRings` in distkit/consensus).
 * @throws {ConfigError} as {@link nodePbftHmacAuthenticator} does.
 * @example
 * ```ts
 * import { pbftClient, pbftHmacKeyRings, pbftReplica } from 'distkit/consensus';
 * import { nodePbftCrypto } from 'distkit/node';
 * const replicas = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...replicas, 'c0'], 'test secret'); // random keys in production
 * const r0 = pbftReplica({ ...nodePbftCrypto({ id: 'r0', keys: rings.r0! }) });
 * const c0 = pbftClient({ ...nodePbftCrypto({ id: 'c0', keys: rings.c0! }) });
 * r0.init({ id: 'r0', replicas }).view; //=> 0
 * ```
 */
export function nodePbftCrypto(options: { readonly id: NodeId; readonly keys: PbftHmacKeyRing }): NodePbftCrypto {
  return { authenticator: nodePbftHmacAuthenticator(options), sha256: nodePbftSha256 };
}
