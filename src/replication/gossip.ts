/**
 * Epidemic dissemination of a timestamped key-value database (Demers, Greene, Hauser, Irish,
 * Larson, Shenker, Sturgis, Swinehart and Terry, "Epidemic Algorithms for Replicated Database
 * Maintenance", PODC 1987): anti-entropy (push, pull, push-pull) with digests, rumor mongering
 * (feedback or blind, counter or coin), death certificates, and a seen-cache with a TTL.
 *
 * @packageDocumentation
 */
import type { Machine, MessageInput, NodeId, RejectedOutput, SendOutput, TickInput, Transition } from '../core/index.js';
import {
  InvalidCommandError,
  MAX_COUNTER,
  MAX_ID_LENGTH,
  checkId,
  checkMembers,
  compareNodeIds,
  getOwn,
  nextFloat,
  nextInt,
  numberIn,
  parse,
  plainDataProblem,
  positiveInt,
  positiveMs,
  reject,
  seedPrng,
  send,
  setOwn,
  startTimer,
  stepByType,
  timerDeadline,
  timerDue,
  transition,
  v,
  withoutOwn,
  type Check,
  type PrngState,
  type Timer,
} from '../core/index.js';

/**
 * Configuration of a {@link gossip} node. Anti-entropy runs every `antiEntropyEvery` cycles;
 * rumor mongering every cycle, per Demers §1.4: after each push a rumor's sender either counts
 * an unnecessary contact (`feedback`: only when the peer already knew it; blind: every push) and
 * loses interest after `k` of them (`counter`) or with probability 1/k each time (`coin`).
 *
 * @example
 * ```ts
 * import type { GossipConfig } from 'distkit/replication';
 * const c: GossipConfig = { id: 'a', nodes: ['a', 'b', 'c'], antiEntropy: 'push-pull', rumor: { feedback: true, stop: 'counter', k: 2 } };
 * ```
 */
export interface GossipConfig {
  readonly id: NodeId;
  readonly nodes: readonly NodeId[];
  /** One cycle, ms (default 100). */
  readonly periodMs?: number;
  /** Anti-entropy direction, or `'off'` (default `'push-pull'`). */
  readonly antiEntropy?: 'push' | 'pull' | 'push-pull' | 'off';
  /** Anti-entropy every this many cycles (default 10). */
  readonly antiEntropyEvery?: number;
  /** Rumor mongering, or `false` for none (default `{ feedback: true, stop: 'counter', k: 2 }`). */
  readonly rumor?: false | { readonly feedback?: boolean; readonly stop?: 'counter' | 'coin'; readonly k?: number };
  /** How long a seen rumor is remembered, ms (default 60,000). */
  readonly seenTtlMs?: number;
  /** How long a death certificate is kept after it arrives, ms (default 600,000). */
  readonly deathCertificateTtlMs?: number;
  /** Most keys stored, death certificates included (default 10,000). */
  readonly maxKeys?: number;
  /** Most rumors in one message, hot rumors and seen-cache entries (default 1,000). */
  readonly maxRumors?: number;
  /** Seed of the peer-choice PRNG (default: derived from `id`). */
  readonly seed?: number;
}

/**
 * One stored item, timestamped by its writer: a later `(ts, origin)` wins. A death certificate
 * has `deleted: true` and a `null` value.
 *
 * @example
 * ```ts
 * import type { GossipUpdate } from 'distkit/replication';
 * const u: GossipUpdate = { key: 'k', value: 1, ts: 10, origin: 'a' };
 * ```
 */
export interface GossipUpdate {
  readonly key: string;
  readonly value: unknown;
  readonly ts: number;
  readonly origin: NodeId;
  readonly deleted?: true;
}

/** A stored item and, for a death certificate, when it is dropped (local ms). */
export interface GossipEntry extends GossipUpdate {
  readonly expiresAt?: number;
}

/** A rumor being spread: its update and the unnecessary contacts counted so far. */
export interface HotRumor {
  readonly update: GossipUpdate;
  readonly count: number;
}

/**
 * Gossip messages: `rumor` (pushed hot updates), `feedback` (which of them the peer already
 * knew), `digest` (anti-entropy: what the sender has, as key → `[ts, origin]`), `updates` (the
 * entries the other side lacks, and for push the keys wanted back).
 *
 * @example
 * ```ts
 * import type { GossipMessage } from 'distkit/replication';
 * const m: GossipMessage = { type: 'digest', mode: 'pull', digest: { k: [10, 'a'] } };
 * ```
 */
export type GossipMessage =
  | { readonly type: 'rumor'; readonly updates: readonly GossipUpdate[] }
  | { readonly type: 'feedback'; readonly known: readonly string[] }
  | { readonly type: 'digest'; readonly mode: 'push' | 'pull' | 'push-pull'; readonly digest: Readonly<Record<string, readonly [number, NodeId]>> }
  | { readonly type: 'updates'; readonly updates: readonly GossipUpdate[]; readonly want: readonly string[] };

/**
 * State of a {@link gossip} node (plain data).
 *
 * @example
 * ```ts
 * import { gossip } from 'distkit/replication';
 * gossip.init({ id: 'a', nodes: ['a', 'b'] }).store; //=> {}
 * ```
 */
export interface GossipState {
  readonly id: NodeId;
  readonly nodes: readonly NodeId[];
  /** Where `id` is in `nodes`. */
  readonly selfIndex: number;
  /** Whether `nodes` is in `compareNodeIds` order (membership is then a binary search). */
  readonly sortedNodes: boolean;
  readonly periodMs: number;
  readonly antiEntropy: 'push' | 'pull' | 'push-pull' | 'off';
  readonly antiEntropyEvery: number;
  readonly rumor: false | { readonly feedback: boolean; readonly stop: 'counter' | 'coin'; readonly k: number };
  readonly seenTtlMs: number;
  readonly deathCertificateTtlMs: number;
  readonly maxKeys: number;
  readonly maxRumors: number;
  readonly store: Readonly<Record<string, GossipEntry>>;
  /** Rumors this node is spreading, by rumor id. */
  readonly hot: Readonly<Record<string, HotRumor>>;
  /** Rumor ids seen, and when each is forgotten (local ms). */
  readonly seen: Readonly<Record<string, number>>;
  /** The last timestamp this node wrote with. */
  readonly clock: number;
  readonly cycle: number;
  readonly timer: Timer;
  readonly prng: PrngState;
}

/**
 * Inputs: messages, ticks, and local writes `set` and `delete` (a death certificate).
 *
 * @example
 * ```ts
 * import type { GossipInput } from 'distkit/replication';
 * const i: GossipInput = { type: 'set', key: 'k', value: 'v', now: 0 };
 * ```
 */
export type GossipInput =
  | MessageInput
  | TickInput
  | { readonly type: 'set'; readonly key: string; readonly value: unknown; readonly now: number }
  | { readonly type: 'delete'; readonly key: string; readonly now: number };

/**
 * Outputs: sends, rejections, and `delivered` when an update newer than the stored one arrives.
 *
 * @example
 * ```ts
 * import type { GossipOutput } from 'distkit/replication';
 * const o: GossipOutput = { type: 'delivered', update: { key: 'k', value: 1, ts: 3, origin: 'b' } };
 * ```
 */
export type GossipOutput = SendOutput<GossipMessage> | RejectedOutput | { readonly type: 'delivered'; readonly update: GossipUpdate };

type S = GossipState;
type T = Transition<S, GossipOutput>;

const MAX_KEY_LENGTH = 1024;
const keyCheck = v.string({ maxLength: MAX_KEY_LENGTH });
const tsCheck = v.int({ min: 1, max: MAX_COUNTER });
const updateCheck = v.object({
  key: keyCheck,
  value: v.json({ maxDepth: 32, maxBytes: 1 << 16 }),
  ts: tsCheck,
  origin: v.id(),
  deleted: v.optional(v.literal(true)),
});

const originCheck = v.id();
/** A digest entry: `[ts, origin]`. */
const stampCheck: Check<readonly [number, NodeId]> = (x, path) =>
  Array.isArray(x) && x.length === 2 && tsCheck(x[0]) === undefined && originCheck(x[1]) === undefined ? undefined : `${path ?? 'stamp'}: expected [ts, origin]`;

function messageCheck(maxKeys: number, maxRumors: number) {
  return v.tagged({
    rumor: v.object({ type: v.literal('rumor'), updates: v.array(updateCheck, { maxLength: maxRumors }) }),
    feedback: v.object({ type: v.literal('feedback'), known: v.array(v.string({ maxLength: 4 * MAX_KEY_LENGTH }), { maxLength: maxRumors }) }),
    digest: v.object({
      type: v.literal('digest'),
      mode: v.literal('push', 'pull', 'push-pull'),
      digest: v.record(stampCheck, { maxKeys }),
    }),
    updates: v.object({ type: v.literal('updates'), updates: v.array(updateCheck, { maxLength: maxKeys }), want: v.array(keyCheck, { maxLength: maxKeys }) }),
  });
}

/** Orders updates by `(ts, origin)`: Demers' timestamps, ties broken by writer. */
function newer(a: { readonly ts: number; readonly origin: string }, b: { readonly ts: number; readonly origin: string } | undefined): boolean {
  if (b === undefined) return true;
  return a.ts !== b.ts ? a.ts > b.ts : a.origin > b.origin;
}

const rumorId = (u: GossipUpdate): string => `${u.ts}\u0000${u.origin}\u0000${u.key}`;

function initState(config: GossipConfig): S {
  const sortedNodes = checkMemberList(config.id, config.nodes);
  const rumor = config.rumor === false ? false : config.rumor ?? {};
  const mode = config.antiEntropy ?? 'push-pull';
  if (!['push', 'pull', 'push-pull', 'off'].includes(mode)) throw new InvalidCommandError('antiEntropy', `must be push, pull, push-pull or off, got ${String(mode)}`);
  return {
    id: config.id,
    // The member list is shared, never copied: a node of a 10,000-node system keeps one reference.
    nodes: config.nodes,
    selfIndex: config.nodes.indexOf(config.id),
    sortedNodes,
    periodMs: positiveMs('periodMs', config.periodMs, 100),
    antiEntropy: mode,
    antiEntropyEvery: positiveInt('antiEntropyEvery', config.antiEntropyEvery, 10),
    rumor:
      rumor === false
        ? false
        : { feedback: rumor.feedback ?? true, stop: rumor.stop === 'coin' ? 'coin' : 'counter', k: numberIn('rumor.k', rumor.k, 1, 1000, 2) },
    seenTtlMs: positiveMs('seenTtlMs', config.seenTtlMs, 60_000),
    deathCertificateTtlMs: positiveMs('deathCertificateTtlMs', config.deathCertificateTtlMs, 600_000),
    maxKeys: positiveInt('maxKeys', config.maxKeys, 10_000),
    maxRumors: positiveInt('maxRumors', config.maxRumors, 1000),
    store: {},
    hot: {},
    seen: {},
    clock: 0,
    cycle: 0,
    // Due at once: the first tick starts the cycles (anti-entropy runs even on a node that never writes).
    timer: { at: 0, attempt: 0 },
    prng: seedPrng(config.seed ?? `gossip:${config.id}`),
  };
}

/**
 * Checks the member list; returns whether it is in `compareNodeIds` order. A sorted list is
 * checked in one cheap pass (order proves there are no duplicates), which keeps `init` fast for
 * every node of a 10,000-node system; any other list gets the kit's full check.
 */
function checkMemberList(id: NodeId, nodes: readonly NodeId[]): boolean {
  checkId('id', id);
  const list: readonly unknown[] = Array.isArray(nodes) ? nodes : [];
  let sorted = list.length > 0;
  for (let i = 0; i < list.length && sorted; i++) {
    const x = list[i];
    sorted = typeof x === 'string' && x.length > 0 && x.length <= MAX_ID_LENGTH && (i === 0 || compareNodeIds(list[i - 1] as string, x) < 0);
  }
  if (!sorted || !list.includes(id)) checkMembers(id, nodes);
  return sorted;
}

/** Stores an update when it is newer than what is held; returns the state and whether it was. */
function accept(s: S, u: GossipUpdate, now: number): { state: S; fresh: boolean } {
  const held = getOwn(s.store, u.key);
  if (!newer(u, held)) return { state: s, fresh: false };
  if (held === undefined && Object.keys(s.store).length >= s.maxKeys) return { state: s, fresh: false };
  const entry: GossipEntry = u.deleted ? { ...u, value: null, expiresAt: now + s.deathCertificateTtlMs } : u;
  const store = { ...s.store };
  setOwn(store, u.key, entry);
  return { state: { ...s, store }, fresh: true };
}

/** Marks a rumor seen until `now + seenTtlMs`, evicting the oldest when the cache is full. */
function markSeen(seen: Record<string, number>, id: string, expiresAt: number, max: number): void {
  if (getOwn(seen, id) === undefined) {
    const keys = Object.keys(seen);
    for (let i = 0; i <= keys.length - max; i++) delete seen[keys[i]!];
  }
  setOwn(seen, id, expiresAt);
}

/** A fresh update becomes hot (rumor mongering: the node turns infective). */
function makeHot(s: S, u: GossipUpdate): S {
  if (s.rumor === false || Object.keys(s.hot).length >= s.maxRumors) return s;
  const hot = { ...s.hot };
  setOwn(hot, rumorId(u), { update: u, count: 0 });
  return { ...s, hot };
}

function armed(s: S, now: number): S {
  return s.timer.at === null ? { ...s, timer: startTimer(now, s.periodMs) } : s;
}

function write(s: S, key: string, value: unknown, deleted: boolean, now: number): T {
  if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH) throw new InvalidCommandError(deleted ? 'delete' : 'set', `key must be a string of at most ${MAX_KEY_LENGTH} characters`);
  const problem = plainDataProblem(value, 'value');
  if (problem !== undefined) throw new InvalidCommandError('set', problem);
  const ts = Math.max(Math.floor(now), s.clock + 1, (getOwn(s.store, key)?.ts ?? 0) + 1);
  if (ts > MAX_COUNTER) throw new InvalidCommandError('set', 'timestamp past MAX_COUNTER');
  const u: GossipUpdate = deleted ? { key, value: null, ts, origin: s.id, deleted: true } : { key, value, ts, origin: s.id };
  const a = accept({ ...s, clock: ts }, u, now);
  if (!a.fresh) throw new InvalidCommandError('set', `the store is full (maxKeys ${s.maxKeys})`);
  const seen = { ...s.seen };
  markSeen(seen, rumorId(u), now + s.seenTtlMs, s.maxRumors);
  return transition(armed(makeHot({ ...a.state, seen }, u), now), [{ type: 'delivered', update: u }]);
}

/** Applies updates from a peer: fresh ones are stored, delivered, made hot and marked seen. */
function receive(s: S, updates: readonly GossipUpdate[], now: number): { state: S; outputs: GossipOutput[]; known: string[] } {
  let state = s;
  const seen = { ...s.seen };
  const outputs: GossipOutput[] = [];
  const known: string[] = [];
  for (const u of updates) {
    const id = rumorId(u);
    const before = getOwn(seen, id);
    markSeen(seen, id, now + s.seenTtlMs, s.maxRumors);
    // The seen-cache answers first; once an entry has expired, the timestamp comparison still
    // recognises a re-delivered update, so a late duplicate is harmless.
    if (before !== undefined && before > now) {
      known.push(id);
      continue;
    }
    const a = accept(state, u, now);
    if (!a.fresh) {
      known.push(id);
      continue;
    }
    state = makeHot(a.state, u);
    outputs.push({ type: 'delivered', update: u });
  }
  return { state: { ...state, seen }, outputs, known };
}

function onMessage(s: S, input: MessageInput, now: number): T {
  const from = input.from;
  if (from === s.id || !isMember(s, from)) return reject(s, from, `${JSON.stringify(from)} is not a member`);
  const parsed = parse(messageCheck(s.maxKeys, s.maxRumors), input.message, 'message');
  if (!parsed.ok) return reject(s, from, parsed.problem);
  const m = parsed.value as GossipMessage;
  switch (m.type) {
    case 'rumor': {
      const r = receive(s, m.updates, now);
      const reply = s.rumor !== false && s.rumor.feedback ? [send(from, { type: 'feedback', known: r.known } as GossipMessage)] : [];
      return transition(armed(r.state, now), [...reply, ...r.outputs]);
    }
    case 'feedback':
      return onFeedback(s, m.known);
    case 'digest':
      return onDigest(s, from, m.mode, m.digest);
    case 'updates': {
      const r = receive(s, m.updates, now);
      const back = m.want.length > 0 ? [send(from, { type: 'updates', updates: entriesFor(s, m.want), want: [] } as GossipMessage)] : [];
      return transition(armed(r.state, now), [...back, ...r.outputs]);
    }
  }
}

/** Feedback (Demers §1.4): each rumor the peer already knew counts as an unnecessary contact. */
function onFeedback(s: S, known: readonly string[]): T {
  if (s.rumor === false || !s.rumor.feedback) return transition(s);
  return transition(countUnnecessary(s, known));
}

/** Counts one unnecessary contact for each rumor; a rumor whose sender loses interest stops being hot. */
function countUnnecessary(s: S, ids: readonly string[]): S {
  if (s.rumor === false) return s;
  let hot = s.hot;
  let prng = s.prng;
  for (const id of ids) {
    const h = getOwn(hot, id);
    if (h === undefined) continue;
    const lose = loseInterest(s.rumor, h.count + 1, prng);
    prng = lose.prng;
    hot = lose.lost ? withoutOwn(hot, id) : setOwn({ ...hot }, id, { update: h.update, count: h.count + 1 });
  }
  return { ...s, hot, prng };
}

function loseInterest(rumor: Exclude<S['rumor'], false>, count: number, prng: PrngState): { lost: boolean; prng: PrngState } {
  if (rumor.stop === 'counter') return { lost: count >= rumor.k, prng };
  const d = nextFloat(prng);
  return { lost: d.value < 1 / rumor.k, prng: d.state };
}

function entriesFor(s: S, keys: readonly string[]): GossipUpdate[] {
  const out: GossipUpdate[] = [];
  for (const k of keys) {
    const e = getOwn(s.store, k);
    if (e !== undefined) out.push(toUpdate(e));
  }
  return out;
}

function toUpdate(e: GossipEntry): GossipUpdate {
  return e.deleted ? { key: e.key, value: null, ts: e.ts, origin: e.origin, deleted: true } : { key: e.key, value: e.value, ts: e.ts, origin: e.origin };
}

/** Anti-entropy (Demers §1.3): compare a digest with the store; send what the peer lacks (pull), ask for what this node lacks (push). */
function onDigest(s: S, from: NodeId, mode: 'push' | 'pull' | 'push-pull', digest: Readonly<Record<string, readonly [number, NodeId]>>): T {
  const mine: GossipUpdate[] = [];
  const want: string[] = [];
  if (mode !== 'push') {
    for (const k of Object.keys(s.store)) {
      const e = s.store[k]!;
      const theirs = getOwn(digest, k);
      if (theirs === undefined || newer(e, { ts: theirs[0], origin: theirs[1] })) mine.push(toUpdate(e));
    }
  }
  if (mode !== 'pull') {
    for (const k of Object.keys(digest)) {
      const [ts, origin] = digest[k]!;
      if (typeof ts === 'number' && typeof origin === 'string' && newer({ ts, origin }, getOwn(s.store, k))) want.push(k);
    }
  }
  if (mine.length === 0 && want.length === 0) return transition(s);
  return transition(s, [send(from, { type: 'updates', updates: mine, want })]);
}

function digestOf(s: S): Record<string, readonly [number, NodeId]> {
  const out: Record<string, readonly [number, NodeId]> = {};
  for (const k of Object.keys(s.store)) setOwn(out, k, [s.store[k]!.ts, s.store[k]!.origin]);
  return out;
}

function isMember(s: S, id: NodeId): boolean {
  if (!s.sortedNodes) return s.nodes.includes(id);
  let lo = 0;
  let hi = s.nodes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareNodeIds(s.nodes[mid]!, id);
    if (c === 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function randomPeer(s: S): { peer: NodeId; prng: PrngState } {
  const d = nextInt(s.prng, 0, s.nodes.length - 1);
  const self = s.selfIndex;
  return { peer: s.nodes[d.value >= self ? d.value + 1 : d.value]!, prng: d.state };
}

/** One cycle: push hot rumors to a random peer, run anti-entropy every few cycles, expire old data. */
function onTick(s0: S, _input: TickInput, now: number): T {
  if (!timerDue(s0.timer, now) || s0.nodes.length < 2) return transition(s0);
  let s: S = expire({ ...s0, cycle: s0.cycle + 1, timer: startTimer(now, s0.periodMs) }, now);
  const outputs: GossipOutput[] = [];
  const hotIds = Object.keys(s.hot);
  const rumor = s.rumor;
  if (rumor !== false && hotIds.length > 0) {
    const p = randomPeer(s);
    const hot = s.hot;
    s = { ...s, prng: p.prng };
    outputs.push(send(p.peer, { type: 'rumor', updates: hotIds.map((id) => hot[id]!.update) }));
    // Blind: every push counts toward losing interest, whatever the peer knew.
    if (!rumor.feedback) s = countUnnecessary(s, hotIds);
  }
  const mode = s.antiEntropy;
  if (mode !== 'off' && s.cycle % s.antiEntropyEvery === 0) {
    const p = randomPeer(s);
    s = { ...s, prng: p.prng };
    outputs.push(send(p.peer, { type: 'digest', mode, digest: digestOf(s) }));
  }
  return transition(s, outputs);
}

/** Drops expired seen-cache entries and death certificates. */
function expire(s: S, now: number): S {
  let seen = s.seen;
  for (const id of Object.keys(s.seen)) if (s.seen[id]! <= now) seen = withoutOwn(seen, id);
  let store = s.store;
  for (const k of Object.keys(s.store)) {
    const e = s.store[k]!;
    if (e.expiresAt !== undefined && e.expiresAt <= now) store = withoutOwn(store, k);
  }
  return seen === s.seen && store === s.store ? s : { ...s, seen, store };
}

/**
 * Epidemic dissemination (Demers et al., PODC 1987) of a timestamped key-value store. Each cycle
 * (`periodMs`) a node pushes its hot rumors to one random peer (rumor mongering, §1.4) and, every
 * `antiEntropyEvery` cycles, sends a random peer a digest of its store (anti-entropy, §1.3):
 * `push` asks the peer back for the newer entries it lacks, `pull` has the peer send what it has
 * newer, `push-pull` both. A deletion spreads as a death certificate (§1.5), kept for
 * `deathCertificateTtlMs` after it arrives; a stale update arriving after that could resurrect
 * the key, so choose the TTL well beyond the time an update takes to reach everyone. The
 * seen-cache makes repeated rumors cheap; after its TTL a re-delivered update is recognised by
 * its timestamp and changes nothing.
 *
 * @example
 * ```ts
 * import { gossip } from 'distkit/replication';
 * let a = gossip.init({ id: 'a', nodes: ['a', 'b'], periodMs: 10 });
 * a = gossip.step(a, { type: 'set', key: 'k', value: 1, now: 5 }).state;
 * gossip.step(a, { type: 'tick', now: 15 }).outputs;
 * //=> [{ type: 'send', to: 'b', message: { type: 'rumor', updates: [{ key: 'k', value: 1, ts: 5, origin: 'a' }] } }]
 * ```
 */
export const gossip: Machine<GossipConfig, GossipState, GossipInput, GossipOutput> = {
  name: 'gossip',
  init: initState,
  step: (state, input) =>
    stepByType<S, GossipInput, GossipOutput>(
      {
        message: onMessage,
        tick: onTick,
        set: (s, i, now) => write(s, i.key, i.value === undefined ? null : i.value, false, now),
        delete: (s, i, now) => write(s, i.key, null, true, now),
      },
      state,
      input,
    ),
  nextDeadline: (state) => timerDeadline(state.timer),
};
