// Delta-state CRDTs side by side with delta-crdts (AWORSet and ORMap add, remove, join), a
// yjs Y.Map workload in the style of dmonad/crdt-benchmarks B3.1 (many clients set the same key
// concurrently, then every update is merged into one document; distkit's deltas travel as JSON text
// and, separately, in the binary form of encodeCrdt/decodeCrdt), and the bytes Merkle anti-entropy
// needs to repair 1% divergence against a full exchange.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { AWORSet, LWWRegister, MVRegister, ORMap, decodeCrdt, encodeCrdt, merkleBucket, merkleBuild, merkleDiff, type Causal, type DotEntry, type DotMap } from '../src/replication/index.js';
import { compareOps, consume, opsFigure, ratio, round, type Figures } from './lib.js';

const require = createRequire(import.meta.url);
type Replica = { add(v: string): unknown; remove(v: string): unknown; applySub(...args: unknown[]): unknown; state(): unknown };
const deltaCrdts = require('delta-crdts') as ((type: string) => (id: string) => Replica) & {
  type(name: string): { join(a: unknown, b: unknown): unknown; initial(): unknown };
};

const SIZE = 1000;
const names = Array.from({ length: SIZE }, (_, i) => `element-${i}`);

function filledSet(replica: string, n: number): AWORSet {
  let s = AWORSet.empty();
  for (let i = 0; i < n; i++) s = AWORSet.join(s, AWORSet.add(s, replica, names[i]!));
  return s;
}

function setFigures(figures: Figures): void {
  // A replica holding 1,000 elements; each op adds (re-adds) one, or removes one and adds it back.
  let ours = filledSet('a', SIZE);
  const theirs = deltaCrdts('aworset')('a');
  for (const e of names) theirs.add(e);
  const add = compareOps(
    {
      distkit: (i) => {
        ours = AWORSet.join(ours, AWORSet.add(ours, 'a', names[i % SIZE]!));
      },
      'delta-crdts': (i) => consume(theirs.add(names[i % SIZE]!)),
    },
    { timeMs: 1500 },
  );
  const remove = compareOps(
    {
      distkit: (i) => {
        const e = names[i % SIZE]!;
        ours = AWORSet.join(ours, AWORSet.remove(ours, e));
        ours = AWORSet.join(ours, AWORSet.add(ours, 'a', e));
      },
      'delta-crdts': (i) => {
        const e = names[i % SIZE]!;
        theirs.remove(e);
        theirs.add(e);
      },
    },
    { timeMs: 1500 },
  );
  // Two replicas with 500 concurrent adds each, joined.
  const x = filledSet('a', SIZE / 2);
  const y = names.slice(SIZE / 2).reduce((s, e) => AWORSet.join(s, AWORSet.add(s, 'b', e)), AWORSet.empty());
  const tx = deltaCrdts('aworset')('a');
  const ty = deltaCrdts('aworset')('b');
  names.slice(0, SIZE / 2).forEach((e) => tx.add(e));
  names.slice(SIZE / 2).forEach((e) => ty.add(e));
  const type = deltaCrdts.type('aworset');
  const join = compareOps({ distkit: () => consume(AWORSet.join(x, y)), 'delta-crdts': () => consume(type.join(tx.state(), ty.state())) }, { timeMs: 1500 });
  for (const [op, r] of [['add', add], ['remove+add', remove], ['join', join]] as const) {
    figures[`crdt.aworset.${op}.distkit`] = opsFigure(r.distkit!);
    figures[`crdt.aworset.${op}.delta-crdts`] = opsFigure(r['delta-crdts']!);
    figures[`crdt.aworset.${op}.ratio`] = ratio(r.distkit!, r['delta-crdts']!);
  }
}

type MapOfRegisters = Causal<DotMap<readonly DotEntry[]>>;

function mapFigures(figures: Figures): void {
  // A map of 100 multi-value registers; each op writes one key, or removes a key and writes it back.
  const keys = Array.from({ length: 100 }, (_, i) => `key-${i}`);
  let ours: MapOfRegisters = ORMap.empty();
  const write = (m: MapOfRegisters, k: string, v: number) => ORMap.join(m, ORMap.update(m, k, (r) => MVRegister.write(r, 'a', v), []));
  for (const k of keys) ours = write(ours, k, 0);
  const theirs = deltaCrdts('ormap')('a');
  for (const k of keys) theirs.applySub(k, 'mvreg', 'write', 0);
  const update = compareOps(
    {
      distkit: (i) => {
        ours = write(ours, keys[i % 100]!, i);
      },
      'delta-crdts': (i) => consume(theirs.applySub(keys[i % 100]!, 'mvreg', 'write', i)),
    },
    { timeMs: 1500 },
  );
  const remove = compareOps(
    {
      distkit: (i) => {
        const k = keys[i % 100]!;
        ours = ORMap.join(ours, ORMap.remove(ours, k));
        ours = write(ours, k, i);
      },
      'delta-crdts': (i) => {
        const k = keys[i % 100]!;
        theirs.remove(k);
        theirs.applySub(k, 'mvreg', 'write', i);
      },
    },
    { timeMs: 1500 },
  );
  let other: MapOfRegisters = ORMap.empty();
  for (const k of keys) other = ORMap.join(other, ORMap.update(other, k, (r) => MVRegister.write(r, 'b', 1), []));
  const theirsB = deltaCrdts('ormap')('b');
  for (const k of keys) theirsB.applySub(k, 'mvreg', 'write', 1);
  const type = deltaCrdts.type('ormap');
  const join = compareOps({ distkit: () => consume(ORMap.join(ours, other)), 'delta-crdts': () => consume(type.join(theirs.state(), theirsB.state())) }, { timeMs: 1500 });
  for (const [op, r] of [['update', update], ['remove+update', remove], ['join', join]] as const) {
    figures[`crdt.ormap.${op}.distkit`] = opsFigure(r.distkit!);
    figures[`crdt.ormap.${op}.delta-crdts`] = opsFigure(r['delta-crdts']!);
    figures[`crdt.ormap.${op}.ratio`] = ratio(r.distkit!, r['delta-crdts']!);
  }
}

/** B3.1-style: `clients` documents each set key 'v' concurrently; all updates merged into one. */
function concurrentSets(figures: Figures, clients: number): void {
  const t0 = performance.now();
  const updates: Uint8Array[] = [];
  for (let i = 0; i < clients; i++) {
    const doc = new Y.Doc();
    doc.clientID = i + 1;
    doc.getMap('m').set('v', i);
    updates.push(Y.encodeStateAsUpdate(doc));
  }
  const target = new Y.Doc();
  for (const u of updates) Y.applyUpdate(target, u);
  const yjsMs = performance.now() - t0;
  consume(target.getMap('m').get('v'));

  // distkit: an ORMap of multi-value registers keeps every concurrent value (all are concurrent).
  const t1 = performance.now();
  const deltas: MapOfRegisters[] = [];
  for (let i = 0; i < clients; i++) deltas.push(ORMap.update(ORMap.empty<readonly DotEntry[]>(), 'v', (r) => MVRegister.write(r, `c${i}`, i), []));
  let merged: MapOfRegisters = ORMap.empty();
  for (const d of deltas) merged = ORMap.join(merged, JSON.parse(JSON.stringify(d)) as MapOfRegisters);
  const mvMs = performance.now() - t1;

  // The same over the wire in the binary form: each delta encoded, then decoded (validated) and joined.
  const spec = { ormap: 'mvregister' } as const;
  const t3 = performance.now();
  const encoded: Uint8Array[] = [];
  for (let i = 0; i < clients; i++) encoded.push(encodeCrdt(spec, ORMap.update(ORMap.empty<readonly DotEntry[]>(), 'v', (r) => MVRegister.write(r, `c${i}`, i), [])));
  let mergedBinary: MapOfRegisters = ORMap.empty();
  for (const u of encoded) {
    const d = decodeCrdt(spec, u);
    if (!d.ok) throw new Error(d.problem);
    mergedBinary = ORMap.join(mergedBinary, d.value as MapOfRegisters);
  }
  const binaryMs = performance.now() - t3;

  // distkit: a last-writer-wins register per key keeps one value, like Y.Map.
  const t2 = performance.now();
  const lww: LWWRegister[] = [];
  for (let i = 0; i < clients; i++) lww.push(LWWRegister.set(LWWRegister.empty(), `c${i}`, i, 1));
  let reg = LWWRegister.empty();
  for (const d of lww) reg = LWWRegister.join(reg, JSON.parse(JSON.stringify(d)) as LWWRegister);
  const lwwMs = performance.now() - t2;

  const bytes = (xs: readonly unknown[]) => xs.reduce<number>((n, x) => n + JSON.stringify(x).length, 0);
  const p = `crdt.b3-concurrent-set.${clients}`;
  figures[`${p}.yjs.ms`] = { value: round(yjsMs), unit: 'ms' };
  figures[`${p}.yjs.updateBytes`] = { value: updates.reduce((n, u) => n + u.length, 0), unit: 'bytes' };
  figures[`${p}.yjs.stateBytes`] = { value: Y.encodeStateAsUpdate(target).length, unit: 'bytes' };
  figures[`${p}.distkit-ormap-mv.ms`] = { value: round(mvMs), unit: 'ms' };
  figures[`${p}.distkit-ormap-mv.updateBytes`] = { value: bytes(deltas), unit: 'bytes' };
  figures[`${p}.distkit-ormap-mv.stateBytes`] = { value: JSON.stringify(merged).length, unit: 'bytes' };
  figures[`${p}.distkit-ormap-mv-binary.ms`] = { value: round(binaryMs), unit: 'ms' };
  figures[`${p}.distkit-ormap-mv-binary.updateBytes`] = { value: encoded.reduce((n, u) => n + u.length, 0), unit: 'bytes' };
  figures[`${p}.distkit-ormap-mv-binary.stateBytes`] = { value: encodeCrdt(spec, mergedBinary).length, unit: 'bytes' };
  figures[`${p}.distkit-lww.ms`] = { value: round(lwwMs), unit: 'ms' };
  figures[`${p}.distkit-lww.updateBytes`] = { value: bytes(lww), unit: 'bytes' };
  figures[`${p}.distkit-lww.stateBytes`] = { value: JSON.stringify(reg).length, unit: 'bytes' };
}

/**
 * Merkle anti-entropy (Dynamo §4.7): bytes to repair 1% divergence of `n` keys by walking the trees
 * (each hash exchanged costs its 4-byte index asked plus its 4-byte value answered, then the
 * `(key, digest)` pairs of every differing bucket travel both ways) against a full exchange of one
 * replica's `(key, digest)` pairs. `MERKLE_KEYS=1000000` runs the 1M figure by hand.
 */
export function merkleFigures(figures: Figures, n: number, depth: number): void {
  const a: Record<string, string> = {};
  for (let i = 0; i < n; i++) a[`key-${i}`] = `v${i}`;
  const b: Record<string, string> = { ...a };
  const diverged = Math.floor(n / 100);
  for (let i = 0; i < diverged; i++) b[`key-${(i * 7919) % n}`] = `w${i}`;
  const ta = merkleBuild(a, depth);
  const tb = merkleBuild(b, depth);
  const t0 = performance.now();
  const diff = merkleDiff(ta, tb);
  const walkMs = performance.now() - t0;
  const pairBytes = (d: Record<string, string>, k: string) => JSON.stringify(k).length + JSON.stringify(d[k]).length + 2;
  const differing = new Set(diff.buckets);
  let repairBytes = 0;
  for (const d of [a, b]) for (const k of Object.keys(d)) if (differing.has(merkleBucket(k, depth))) repairBytes += pairBytes(d, k);
  let fullBytes = 0;
  for (const k of Object.keys(a)) fullBytes += pairBytes(a, k);
  const merkleBytes = diff.hashesExchanged * 8 + repairBytes;
  const p = `crdt.merkle-repair-1pct.${n}`;
  figures[`${p}.merkle.bytes`] = { value: merkleBytes, unit: 'bytes' };
  figures[`${p}.merkle.hashes`] = { value: diff.hashesExchanged, unit: 'hashes' };
  figures[`${p}.merkle.bucketsDiffering`] = { value: diff.buckets.length, unit: 'buckets' };
  figures[`${p}.merkle.walkMs`] = { value: round(walkMs), unit: 'ms' };
  figures[`${p}.full.bytes`] = { value: fullBytes, unit: 'bytes' };
  figures[`${p}.ratio`] = { value: round(fullBytes / merkleBytes), unit: 'x' };
}

export default function (): Figures {
  const figures: Figures = {};
  setFigures(figures);
  mapFigures(figures);
  concurrentSets(figures, 1000);
  const keys = Number(process.env.MERKLE_KEYS ?? 100_000);
  merkleFigures(figures, keys, keys >= 1_000_000 ? 16 : 14);
  return figures;
}
