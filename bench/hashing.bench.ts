// distkit/hashing benchmarks: ring lookup vs hashring and vs the limit (hash + bare binary search),
// jump / rendezvous / Maglev lookups, jump vs @subspace/jump-consistent-hash, ring build cost.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { HashRing, Maglev, Rendezvous, jumpHash, jumpHashString, murmur3 } from '../src/hashing/index.js';
import { compareOps, consume, opsFigure, ratio, round, type Figures } from './lib.js';

const require = createRequire(import.meta.url);
// hashring: 40 "vnode count" × 4 replicas = 160 points per server (its defaults, set explicitly).
const HashRingPeer = require('hashring') as new (servers: string[], algorithm?: string, options?: Record<string, unknown>) => { get(key: string): string };
const { jumpConsistentHash } = require('@subspace/jump-consistent-hash') as { jumpConsistentHash: (key: Uint8Array, n: number) => number };

const KEYS = 1 << 18; // far more than hashring's 5000-entry LRU cache: every lookup is a miss
const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}:${(i * 2654435761) >>> 0}`);
const nodeNames = (n: number): string[] => Array.from({ length: n }, (_, i) => `10.0.${i >> 8}.${i & 255}:11211`);

/** The same points as HashRing builds, as a bare sorted Uint32Array. */
function barePoints(nodes: string[], vnodes: number): Uint32Array {
  const pts = new Uint32Array(nodes.length * vnodes);
  let k = 0;
  for (const n of nodes) for (let i = 0; i < vnodes; i++) pts[k++] = murmur3(`${n}#${i}`);
  return pts.sort();
}

function limitLookup(pts: Uint32Array, key: string): number {
  const h = murmur3(key);
  let lo = 0;
  let hi = pts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pts[mid]! < h) lo = mid + 1;
    else hi = mid;
  }
  return lo === pts.length ? 0 : lo;
}

export default async function (): Promise<Figures> {
  const figures: Figures = {};
  const mask = KEYS - 1;

  for (const n of [10, 1000]) {
    const nodes = nodeNames(n);
    const ring = HashRing.create(nodes, { vnodes: 160 });
    const peer = new HashRingPeer(nodes, 'md5', { 'vnode count': 40, replicas: 4, 'max cache size': 5000 });
    const pts = barePoints(nodes, 160);
    const r = compareOps(
      {
        distkit: (i) => consume(ring.lookup(keys[i & mask]!)),
        hashring: (i) => consume(peer.get(keys[(i * 7919) & mask]!)),
        limit: (i) => consume(limitLookup(pts, keys[i & mask]!)),
      },
      { timeMs: 3000, samples: 10 },
    );
    figures[`hashing.ring.lookup.n${n}`] = opsFigure(r.distkit!, 'lookups/s');
    figures[`hashing.ring.lookup.n${n}.hashring`] = opsFigure(r.hashring!, 'lookups/s');
    figures[`hashing.ring.lookup.n${n}.vs.hashring`] = ratio(r.distkit!, r.hashring!);
    figures[`hashing.ring.lookup.n${n}.limit`] = opsFigure(r.limit!, 'lookups/s');
    // how many times slower than the limit (1 = at the limit; target <= 1.5)
    figures[`hashing.ring.lookup.n${n}.vs.limit`] = { value: round(r.limit! / r.distkit!, 3), unit: 'x slower' };
  }

  for (const n of [10, 1000]) {
    const nodes = nodeNames(n);
    const rv = Rendezvous.create(nodes);
    const lb = Maglev.create(nodes, { tableSize: n > 100 ? 655373 : 65537 });
    const r = compareOps(
      {
        jump: (i) => consume(jumpHashString(keys[i & mask]!, n)),
        rendezvous: (i) => consume(rv.lookup(keys[i & mask]!)),
        maglev: (i) => consume(lb.lookup(keys[i & mask]!)),
      },
      { timeMs: 3000, samples: 10 },
    );
    figures[`hashing.jump.lookup.n${n}`] = opsFigure(r.jump!, 'lookups/s');
    figures[`hashing.rendezvous.lookup.n${n}`] = opsFigure(r.rendezvous!, 'lookups/s');
    figures[`hashing.maglev.lookup.n${n}`] = opsFigure(r.maglev!, 'lookups/s');
  }

  // Jump on integer keys vs @subspace/jump-consistent-hash (BigInt), same 64-bit keys.
  const intKeys = Array.from({ length: 4096 }, (_, i) => murmur3(`k${i}`) * 2048 + (i & 2047));
  const byteKeys = intKeys.map((k) => {
    const b = new Uint8Array(8);
    const hi = Math.floor(k / 0x100000000);
    const lo = k >>> 0;
    b[0] = hi >>> 24; b[1] = (hi >>> 16) & 255; b[2] = (hi >>> 8) & 255; b[3] = hi & 255;
    b[4] = lo >>> 24; b[5] = (lo >>> 16) & 255; b[6] = (lo >>> 8) & 255; b[7] = lo & 255;
    return b;
  });
  for (const n of [10, 1000]) {
    const r = compareOps(
      {
        distkit: (i) => consume(jumpHash(intKeys[i & 4095]!, n)),
        peer: (i) => consume(jumpConsistentHash(byteKeys[i & 4095]!, n)),
      },
      { timeMs: 2000, samples: 10 },
    );
    figures[`hashing.jump.int.n${n}`] = opsFigure(r.distkit!, 'lookups/s');
    figures[`hashing.jump.int.n${n}.vs.jump-consistent-hash`] = ratio(r.distkit!, r.peer!);
  }

  // Ring build time and memory for 1000 nodes × 160 vnodes (160,000 points).
  const nodes = nodeNames(1000);
  HashRing.create(nodes.slice(0, 100));
  const times: number[] = [];
  let built: HashRing | undefined;
  const before = process.memoryUsage();
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    built = HashRing.create(nodes, { vnodes: 160 });
    times.push(performance.now() - t0);
  }
  const after = process.memoryUsage();
  times.sort((a, b) => a - b);
  figures['hashing.ring.build.n1000.v160'] = { value: round(times[2]!, 3), unit: 'ms' };
  // Typed arrays: 4 bytes of point + 4 bytes of owner per point.
  figures['hashing.ring.memory.n1000.v160'] = { value: built!.pointCount * 8, unit: 'bytes' };
  figures['hashing.ring.memory.n1000.v160.arraybuffers'] = { value: Math.max(0, after.arrayBuffers - before.arrayBuffers), unit: 'bytes (5 rings live)' };
  consume(built);
  return figures;
}
