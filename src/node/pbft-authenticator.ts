import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError, type NodeId } from '../core/index.js';
import type { PbftAuthenticator, PbftHmacKeyRing } from '../consensus/index.js';

const MAC_HEX = 64;
const MIN_KEY_BYTES = 16;

/**
 * `pbftHmacAuthenticator`'s (from `distkit/consensus`) HMAC-SHA256 authenticators computed with `node:crypto`
 * (OpenSSL) instead of distkit's portable TypeScript SHA-256: the same key rings, the same
 * signature bytes (`id:mac` pairs, each MAC under the pairwise key over SHA-256 of
 * `signer + "\n" + payload`; Castro & Liskov, TOCS 2002, §3.2), so replicas using either one
 * interoperate and decide the same things. MACs are compared with `crypto.timingSafeEqual`.
 *
 * Use it for PBFT nodes that run on Node.js; the portable one remains for browsers, workers and
 * the simulator.
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
  // Raw key bytes: `createHmac` with a Buffer key is measurably cheaper per call than with a KeyObject.
  const keys = new Map<NodeId, Buffer>();
  for (const peer of peers) {
    const hex = options.keys[peer];
    if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex) || hex.length / 2 < MIN_KEY_BYTES) {
      throw new ConfigError(`keys.${peer}`, 'expected a key of at least 16 bytes as hex');
    }
    keys.set(peer, Buffer.from(hex, 'hex'));
  }
  if (!keys.has(id)) throw new ConfigError(`keys.${id}`, "missing: the ring must hold a self key to check this node's own messages inside certificates");
  // Hash-then-MAC, as the portable authenticator: the signer id is inside the hash so that a
  // pairwise key cannot vouch for the other direction.
  const hashed = (signer: NodeId, payload: string): Buffer => createHash('sha256').update(`${signer}\n${payload}`, 'utf8').digest();
  const mac = (key: Buffer, data: Buffer): Buffer => createHmac('sha256', key).update(data).digest();
  return {
    id,
    sign(payload, audience) {
      const data = hashed(id, payload);
      let s = '';
      for (const peer of peers) {
        // The signer's own entry is always there: its messages come back to it inside certificates.
        if (audience !== undefined && peer !== id && !audience.includes(peer)) continue;
        s += `${s === '' ? '' : ','}${peer}:${mac(keys.get(peer)!, data).toString('hex')}`;
      }
      return s;
    },
    verify(signer, payload, signature) {
      if (typeof signature !== 'string' || typeof payload !== 'string' || typeof signer !== 'string') return false;
      const key = keys.get(signer);
      if (key === undefined) return false;
      const entry = ownEntry(signature, id);
      if (entry === undefined) return false;
      return timingSafeEqual(Buffer.from(entry, 'hex'), mac(key, hashed(signer, payload)));
    },
  };
}

/** The 64 hex characters of `receiver`'s entry in an authenticator, or `undefined` when absent or short. */
function ownEntry(signature: string, receiver: NodeId): string | undefined {
  const mark = `${receiver}:`;
  let at = signature.startsWith(mark) ? 0 : signature.indexOf(`,${mark}`);
  if (at < 0) return undefined;
  if (at > 0) at += 1;
  const entry = signature.slice(at + mark.length, at + mark.length + MAC_HEX);
  // `Buffer.from(hex)` stops at the first non-hex character and `timingSafeEqual` needs equal
  // lengths: only 64 lower-case hex characters (what `sign` writes) go on to the comparison.
  return entry.length === MAC_HEX && /^[0-9a-f]*$/.test(entry) ? entry : undefined;
}
