/**
 * The quorum key-value store's ring membership (Dynamo §4.8–4.9): joins, membership gossip, and a
 * joiner's bootstrap — pulling, in key order and in batches, the keys it now replicates from every
 * other member before it answers reads.
 *
 * @packageDocumentation
 */
import { nodeIdProblem } from '../clocks/index.js';
import { HashRing } from '../hashing/index.js';
import { reject, send, startTimer, STOPPED_TIMER, transition, type NodeId, type Transition } from '../core/index.js';
import { dvvCopy, dvvProblem } from './dvv.js';
import { clockLimits, isDown, mergeIntoStore, preferenceList } from './quorum-kv-store.js';
import type { QuorumKvBootstrap, QuorumKvClock, QuorumKvMembers, QuorumKvMessage, QuorumKvOutput, QuorumKvState, QuorumKvVersion } from './quorum-kv-types.js';

type T = Transition<QuorumKvState, QuorumKvOutput>;

/** Points a ring may hold (HashRing's own ceiling): a join that would pass it is refused. */
const MAX_RING_POINTS = 1 << 24;

/** True once this node's bootstrap is over (or it never had one): it answers reads. */
export function isReady(s: QuorumKvState): boolean {
  return s.bootstrap === null;
}

/** The ring as it goes to disk. */
export function membersOf(s: QuorumKvState): QuorumKvMembers {
  return { nodes: s.nodes, bootstrapped: s.bootstrap === null };
}

function membersRecord(s: QuorumKvState): QuorumKvOutput {
  return { type: 'persist', record: { type: 'members', members: membersOf(s) } };
}

/** Why `node` cannot join a ring of `s`, or `undefined`. */
function joinProblem(s: QuorumKvState, node: unknown, adding: number): string | undefined {
  const p = nodeIdProblem(node);
  if (p !== undefined) return `join: ${p}`;
  if (s.nodes.length + adding >= s.limits.maxNodes) return `join of ${JSON.stringify(node)}: ring full (${s.limits.maxNodes} nodes)`;
  if ((s.nodes.length + adding + 1) * s.ring.vnodes > MAX_RING_POINTS) return `join of ${JSON.stringify(node)}: the ring would pass ${MAX_RING_POINTS} points (vnodes ${s.ring.vnodes})`;
  return undefined;
}

/**
 * Dynamo §4.9: adds `nodes` to the ring (the new ring owns the ranges they take over), persists
 * the member list and starts gossiping it. Nodes already members are skipped; one bad id or one
 * node past the limits refuses the whole change.
 */
export function addMembers(s: QuorumKvState, nodes: readonly NodeId[], now: number): T | { readonly problem: string } {
  const fresh = [...new Set(nodes)].filter((x) => !s.nodes.includes(x));
  if (fresh.length === 0) return transition(s);
  for (let i = 0; i < fresh.length; i++) {
    const p = joinProblem(s, fresh[i], i);
    if (p !== undefined) return { problem: p };
  }
  const all = [...s.nodes, ...fresh].sort();
  const ring = HashRing.create(all, { vnodes: s.ring.vnodes, hash: s.ring.hash, seed: s.ring.seed }).toJSON();
  const bootstrap = s.bootstrap === null ? null : [...s.bootstrap, ...fresh.map((node): QuorumKvBootstrap => ({ node, after: null, done: false }))];
  const membership = s.membership.at !== null && s.membership.at <= now ? s.membership : startTimer(now, 0);
  const next: QuorumKvState = { ...s, nodes: all, ring, bootstrap, gossipTo: all.filter((x) => x !== s.id), membership };
  return transition(next, [membersRecord(next), ...fresh.map((node): QuorumKvOutput => ({ type: 'joined', node, nodes: all }))]);
}

/** A local join (`join`, or SWIM's `alive` with `acceptJoins`): refused as `rejected` from `'local'`. */
export function joinCommand(s: QuorumKvState, node: NodeId, now: number): T {
  const t = addMembers(s, [node], now);
  return 'problem' in t ? reject(s, 'local', t.problem) : t;
}

/**
 * Every `membershipIntervalMs` while there is something to do: a joiner asks each member it has
 * not heard the end from for its next batch, and the member list goes to one peer that has not
 * confirmed it (round-robin, Dynamo §4.8.1's reconciliation).
 */
export function membershipTick(t: T, now: number): T {
  const s = t.state;
  const outputs: QuorumKvOutput[] = [...t.outputs];
  for (const b of s.bootstrap ?? []) if (!b.done && !isDown(s, b.node)) outputs.push(send(b.node, { type: 'bootstrap', after: b.after }));
  const peers = s.gossipTo.filter((x) => !isDown(s, x));
  if (peers.length > 0) outputs.push(send(peers[s.membershipRounds % peers.length]!, { type: 'members', nodes: s.nodes, reply: false }));
  const busy = s.bootstrap !== null || s.gossipTo.length > 0;
  return transition({ ...s, membershipRounds: s.membershipRounds + 1, membership: busy ? startTimer(now, s.membershipIntervalMs) : STOPPED_TIMER }, outputs);
}

/** Gossip from a member: learn the nodes it knows of, answer with this node's list, note agreement. */
export function onMembers(s: QuorumKvState, from: NodeId, nodes: readonly NodeId[], reply: boolean, now: number): T {
  const added = addMembers(s, nodes, now);
  if ('problem' in added) return reject(s, from, added.problem);
  const next = added.state;
  const same = nodes.length === next.nodes.length && nodes.every((x) => next.nodes.includes(x));
  const gossipTo = same ? next.gossipTo.filter((x) => x !== from) : next.gossipTo;
  const state = gossipTo.length === next.gossipTo.length ? next : { ...next, gossipTo };
  const outputs = [...added.outputs];
  if (!reply) outputs.push(send(from, { type: 'members', nodes: next.nodes, reply: true }));
  return transition(state, outputs);
}

// Key order is derived from the store object, which changes exactly when the store does.
const sortedKeys = new WeakMap<object, readonly string[]>();

function keysInOrder(s: QuorumKvState): readonly string[] {
  let keys = sortedKeys.get(s.store);
  if (keys === undefined) {
    keys = Object.keys(s.store).sort();
    sortedKeys.set(s.store, keys);
  }
  return keys;
}

/**
 * A member's side of a bootstrap: the next batch, in key order after `after`, of the keys it holds
 * whose preference list names the joiner (the ranges the joiner took over, Dynamo §4.9). The
 * member keeps its own copies (§4.9: it stops being asked once it is out of the preference list).
 */
export function onBootstrap(s: QuorumKvState, from: NodeId, after: string | null): T {
  const keys = keysInOrder(s);
  let lo = 0;
  let hi = keys.length;
  while (after !== null && lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  const entries: { key: string; clock: QuorumKvClock }[] = [];
  let i = lo;
  for (; i < keys.length && entries.length < s.limits.maxTransferKeys; i++) {
    const key = keys[i]!;
    if (preferenceList(s, key, s.n).includes(from)) entries.push({ key, clock: s.store[key]! });
  }
  return transition(s, [send(from, { type: 'transfer', after, entries, last: i >= keys.length })]);
}

/** A joiner's side: merges a batch, asks for the next one, and ends the bootstrap after the last. */
export function onTransfer(s: QuorumKvState, from: NodeId, m: Extract<QuorumKvMessage, { type: 'transfer' }>, now: number): T {
  const b = s.bootstrap?.find((x) => x.node === from);
  // Late or duplicated batches (the request was resent) are expected: nothing to do.
  if (b === undefined || b.done || m.after !== b.after) return transition(s);
  let state = s;
  const outputs: QuorumKvOutput[] = [];
  let prev = m.after;
  for (const e of m.entries) {
    if (prev !== null && e.key <= prev) return reject(s, from, 'transfer: keys out of order');
    if (e.key.length > s.limits.maxKeyLength) return reject(s, from, `transfer: key longer than ${s.limits.maxKeyLength}`);
    prev = e.key;
    const problem = dvvProblem(e.clock, clockLimits(s));
    if (problem !== undefined) return reject(s, from, `transfer: clock: ${problem}`);
    const merged = mergeIntoStore(state, e.key, dvvCopy(e.clock, (x) => x as QuorumKvVersion));
    if ('problem' in merged) return reject(s, from, `transfer: ${merged.problem}`);
    state = merged.state;
    outputs.push(...merged.outputs);
  }
  const progress: QuorumKvBootstrap = { node: from, after: prev, done: m.last };
  const bootstrap = state.bootstrap!.map((x) => (x.node === from ? progress : x));
  if (bootstrap.every((x) => x.done)) {
    const done = { ...state, bootstrap: null };
    return transition(done, [...outputs, membersRecord(done), { type: 'bootstrapped', keys: done.keyCount }]);
  }
  if (!m.last) outputs.push(send(from, { type: 'bootstrap', after: prev }));
  return transition({ ...state, bootstrap }, outputs);
}

/**
 * The ring and bootstrap a node restarts with: its configured ring joined with the members it
 * persisted; when that adds nodes, it gossips its list again (a peer may have missed a join).
 */
export function recoverMembers(s: QuorumKvState, members: QuorumKvMembers | undefined): QuorumKvState {
  if (members === undefined) return s;
  const added = addMembers(s, members.nodes, 0);
  const next = 'problem' in added ? s : added.state;
  return members.bootstrapped && next.bootstrap !== null ? { ...next, bootstrap: null } : next;
}
