/**
 * The quorum key-value store's replica side: preference lists from the hash ring, sloppy-quorum
 * targets, and merging a clock into the local store or the hint table.
 *
 * @packageDocumentation
 */
import { HashRing } from '../hashing/index.js';
import { canonicalJson, compareNodeIds, getOwn, hasOwn, isPlainObject, plainDataProblem, withOwn, type NodeId } from '../core/index.js';
import { DVV_EMPTY, dvvLww, dvvProblem, dvvSize, dvvSync, type DvvLimits } from './dvv.js';
import type { QuorumKvClock, QuorumKvHint, QuorumKvOutput, QuorumKvState, QuorumKvTarget, QuorumKvVersion } from './quorum-kv-types.js';

// Rings are derived from the state's ring description, which is created once by init and shared
// by every later state, so one ring is built per node.
const rings = new WeakMap<object, HashRing>();

function ringOf(s: QuorumKvState): HashRing {
  let ring = rings.get(s.ring);
  if (ring === undefined) {
    ring = HashRing.fromJSON(s.ring);
    rings.set(s.ring, ring);
  }
  return ring;
}

/** Dynamo §4.3: the preference list of a key, the first `n` distinct nodes clockwise. */
export function preferenceList(s: QuorumKvState, key: string, n: number): string[] {
  return ringOf(s).preferenceList(key, n);
}

/** True when this node believes `node` is down (never itself). */
export function isDown(s: QuorumKvState, node: NodeId): boolean {
  return node !== s.id && s.down.includes(node);
}

/**
 * Dynamo §4.6, sloppy quorum: the first `n` healthy nodes of the key's walk round the ring. A node
 * past the top `n` stands in for a top-`n` node believed down, and carries that owner as a hint.
 */
export function sloppyTargets(s: QuorumKvState, key: string, n: number): QuorumKvTarget[] {
  const walk = preferenceList(s, key, s.nodes.length);
  const downOwners = walk.slice(0, n).filter((x) => isDown(s, x));
  const out: QuorumKvTarget[] = [];
  for (let i = 0; i < walk.length && out.length < n; i++) {
    const node = walk[i]!;
    if (isDown(s, node)) continue;
    const owner = i < n ? undefined : downOwners.shift();
    out.push(owner === undefined ? { node } : { node, hint: owner });
  }
  return out;
}

/** What this node holds of `key`: its replica merged with any hints it keeps for the key. */
export function localClock(s: QuorumKvState, key: string): QuorumKvClock {
  let c: QuorumKvClock = getOwn(s.store, key) ?? DVV_EMPTY;
  for (const h of s.hints) if (h.key === key) c = dvvSync(c, h.clock);
  return c;
}

/** The last-writer-wins order: coordinator timestamp, then coordinator id, then the value's JSON. */
export function newerVersion(a: QuorumKvVersion, b: QuorumKvVersion): boolean {
  if (a.ts !== b.ts) return a.ts > b.ts;
  const byNode = compareNodeIds(a.node, b.node);
  if (byNode !== 0) return byNode > 0;
  return canonicalJson(a.value) > canonicalJson(b.value);
}

/** The limits a peer's clock is checked against. */
export function clockLimits(s: QuorumKvState): DvvLimits {
  return { ids: s.nodes, maxValues: s.limits.maxSiblings, value: (x) => versionProblem(s, x) };
}

function versionProblem(s: QuorumKvState, x: unknown): string | undefined {
  if (!isPlainObject(x) || !hasOwn(x, 'value') || !hasOwn(x, 'ts') || !hasOwn(x, 'node')) return 'expected a version { value, ts, node }';
  if (typeof x.ts !== 'number' || !Number.isFinite(x.ts) || x.ts < 0) return 'ts: expected a non-negative finite number';
  if (typeof x.node !== 'string' || !s.nodes.includes(x.node)) return 'node: not a member';
  return plainDataProblem(x.value, 'value', { maxDepth: 64, maxBytes: s.limits.maxValueBytes });
}

/** The result of merging a clock: the new state and outputs, or why the write was refused. */
export type Merged = { readonly state: QuorumKvState; readonly outputs: QuorumKvOutput[] } | { readonly problem: string };

/** Applies last-writer-wins when configured, counting what it drops. */
function resolve(s: QuorumKvState, key: string, c: QuorumKvClock, outputs: QuorumKvOutput[]): { clock: QuorumKvClock; lost: number } {
  if (!s.lastWriterWins || dvvSize(c) <= 1) return { clock: c, lost: 0 };
  const clock = dvvLww(c, newerVersion);
  const lost = dvvSize(c) - dvvSize(clock);
  if (lost > 0) outputs.push({ type: 'lww-discarded', key, count: lost });
  return { clock, lost };
}

/** Merges `clock` into the local replica of `key` and persists it. */
export function mergeIntoStore(s: QuorumKvState, key: string, clock: QuorumKvClock): Merged {
  const old = getOwn(s.store, key);
  if (old === undefined && s.keyCount >= s.limits.maxKeys) return { problem: `key table full (${s.limits.maxKeys} keys)` };
  const outputs: QuorumKvOutput[] = [];
  const { clock: next, lost } = resolve(s, key, dvvSync(old ?? DVV_EMPTY, clock), outputs);
  if (dvvSize(next) > s.limits.maxSiblings) return { problem: `more than ${s.limits.maxSiblings} siblings for the key` };
  if (old !== undefined && canonicalJson(old) === canonicalJson(next)) return { state: s, outputs: [] };
  const stats = lost === 0 ? s.stats : { ...s.stats, lwwDiscarded: s.stats.lwwDiscarded + lost };
  outputs.unshift({ type: 'persist', record: { type: 'store', key, clock: next } });
  return { state: { ...s, store: withOwn(s.store, key, next), keyCount: s.keyCount + (old === undefined ? 1 : 0), stats }, outputs };
}

/** Dynamo §4.6: keeps `clock` for `owner`, merged with any hint already held for the pair. */
export function mergeIntoHints(s: QuorumKvState, key: string, owner: NodeId, clock: QuorumKvClock, now: number): Merged {
  const i = s.hints.findIndex((h) => h.key === key && h.owner === owner);
  if (i < 0 && s.hints.length >= s.limits.maxHints) return { problem: `hint table full (${s.limits.maxHints} hints)` };
  const old = i < 0 ? undefined : s.hints[i]!;
  const merged = dvvSync(old?.clock ?? DVV_EMPTY, clock);
  if (dvvSize(merged) > s.limits.maxSiblings) return { problem: `more than ${s.limits.maxSiblings} siblings for the key` };
  if (old !== undefined && canonicalJson(old.clock) === canonicalJson(merged)) return { state: s, outputs: [] };
  const hint: QuorumKvHint = { key, owner, clock: merged, since: old?.since ?? now, version: (old?.version ?? 0) + 1 };
  const hints = i < 0 ? [...s.hints, hint] : s.hints.map((h, j) => (j === i ? hint : h));
  return { state: { ...s, hints }, outputs: [{ type: 'persist', record: { type: 'hints', hints } }] };
}
