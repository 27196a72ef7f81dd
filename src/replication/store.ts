/**
 * A key-value store with a consistency level per request, over Raft: one leader orders every
 * write in its log, replicas apply the committed log at their own pace, and each read is served
 * by a replica only when what it has applied satisfies the read's level.
 *
 * @packageDocumentation
 */
import type { DurableMachine, NodeId, RejectedOutput, SendOutput } from '../core/index.js';
import {
  ConfigError, InvalidCommandError, MAX_ID_LENGTH, assertNever, earliest, getOwn, hasOwn, inputNow, isPlainObject, nonNegativeMs, parse,
  plainDataProblem, positiveInt, positiveMs, send, setOwn, withOwn,
  checkObject,
} from '../core/index.js';
import {
  applyRaftPersist, raft, raftNextDeadline, type RaftEntry, type RaftInput, type RaftOutput, type RaftPersistRecord, type RaftState,
} from '../consensus/index.js';
import {
  ConsistencyLevel, storeMessageCheck, type StalenessBound, type StoreConfig, type StoreDurable, type StoreEntry, type StoreInput, type StoreLimits, type StoreOutput,
  type StorePending, type StorePersistRecord, type StoreReadInput, type StoreState, type StoreVersion, type StoreWriteInput,
} from './store-types.js';

type Read = Extract<StorePending, { kind: 'read' }>;
type Write = Extract<StorePending, { kind: 'write' }>;

/** Outputs of one step, gathered so that the one persist comes before every send. */
interface Acc {
  persists: RaftPersistRecord[];
  sends: SendOutput<unknown>[];
  events: StoreOutput[];
  now: number;
  /** Raft's durability acknowledgement of this step's log append (`parallelAppend`), if any. */
  onDurable?: unknown;
}

const LEVELS: readonly string[] = Object.values(ConsistencyLevel);

function init(config: StoreConfig): StoreState {
  checkObject('config', config, 'must be an object { raft, ... }');
  checkObject('raft', config.raft, 'must be a RaftConfig');
  return start(config, raft.init(config.raft));
}

function start(config: StoreConfig, r: RaftState, boot = 0): StoreState {
  const l = config.limits ?? {};
  const limits: StoreLimits = {
    maxKeys: positiveInt('limits.maxKeys', l.maxKeys, 100_000),
    maxKeyLength: positiveInt('limits.maxKeyLength', l.maxKeyLength, 1024),
    maxKeysPerRead: positiveInt('limits.maxKeysPerRead', l.maxKeysPerRead, 64),
    maxPending: positiveInt('limits.maxPending', l.maxPending, 1024),
    maxFences: positiveInt('limits.maxFences', l.maxFences, 64),
    maxLeaderReads: positiveInt('limits.maxLeaderReads', l.maxLeaderReads, 1024),
    dedupeWindow: positiveInt('limits.dedupeWindow', l.dedupeWindow, 1024),
  };
  const snap = r.log.snapshot;
  const restored = snap.index > 0 ? snapshotData(snap.data) : undefined;
  return {
    raft: r,
    applyDelayMs: nonNegativeMs('applyDelayMs', config.applyDelayMs, 0),
    requestTimeoutMs: positiveMs('requestTimeoutMs', config.requestTimeoutMs, 1000),
    retryMs: positiveMs('retryMs', config.retryMs, 3 * r.options.heartbeatIntervalMs),
    staleness: bound('staleness', config.staleness ?? { versions: 100, ms: 1000 }),
    snapshotEvery: positiveInt('snapshotEvery', config.snapshotEvery, 1000),
    limits,
    kv: restored?.kv ?? {},
    keyCount: restored === undefined ? 0 : Object.keys(restored.kv).length,
    dedupe: restored?.dedupe ?? {},
    applied: restored === undefined ? 0 : snap.index,
    backlog: [],
    pending: [],
    asks: [],
    catchUp: [],
    freshAt: null,
    seq: 0,
    boot,
    bootSaved: boot === 0,
    skipped: 0,
  };
}

function bound(field: string, b: StalenessBound): StalenessBound {
  checkObject(field, b, 'must be { versions?, ms? }');
  const out: { versions?: number; ms?: number } = {};
  if (b.versions !== undefined) out.versions = nonNegativeInt(`${field}.versions`, b.versions);
  if (b.ms !== undefined) out.ms = nonNegativeMs(`${field}.ms`, b.ms);
  if (out.versions === undefined && out.ms === undefined) throw new ConfigError(field, 'give versions, ms or both');
  return out;
}

function nonNegativeInt(field: string, x: number): number {
  if (!Number.isSafeInteger(x) || x < 0) throw new ConfigError(field, `must be a non-negative integer, got ${String(x)}`);
  return x;
}

// --- the applied state ----------------------------------------------------------------------

/** A snapshot's data: the applied key-value state and the dedupe table, validated (it may come from a peer). */
function snapshotData(data: unknown): { kv: Record<string, StoreVersion>; dedupe: StoreState['dedupe'] } | undefined {
  if (!isPlainObject(data) || !isPlainObject(data.kv) || !isPlainObject(data.dedupe)) return undefined;
  for (const key of Object.keys(data.kv)) {
    const ver = data.kv[key];
    if (!isPlainObject(ver) || !Number.isSafeInteger(ver.index) || !hasOwn(ver, 'value')) return undefined;
  }
  for (const origin of Object.keys(data.dedupe)) {
    const rids = data.dedupe[origin];
    if (!isPlainObject(rids) || !Number.isSafeInteger(rids.boot) || !Array.isArray(rids.rids) || !rids.rids.every((x) => Number.isSafeInteger(x))) return undefined;
  }
  return data as { kv: Record<string, StoreVersion>; dedupe: StoreState['dedupe'] };
}

function entryOf(e: RaftEntry): StoreEntry | null {
  if (e.kind !== undefined || !isPlainObject(e.data)) return null;
  const { o, b, r, k, d } = e.data;
  if (typeof o !== 'string' || typeof k !== 'string' || !Number.isSafeInteger(b) || !Number.isSafeInteger(r) || !Number.isSafeInteger(d) || !hasOwn(e.data, 'v')) return null;
  return e.data as unknown as StoreEntry;
}

/** Applies one committed entry: the same decision on every replica, from the log prefix alone. */
function applyOne(s: StoreState, index: number, entry: StoreEntry | null, acc: Acc): StoreState {
  if (entry === null) return { ...s, applied: index };
  // Request numbers restart with each incarnation (`boot`) of the origin; an older incarnation's writes come too late.
  const known = getOwn(s.dedupe, entry.o);
  const rids = known === undefined || known.boot < entry.b ? [] : known.rids;
  const seen = (known !== undefined && known.boot > entry.b) || rids.includes(entry.r) || (rids.length >= s.limits.dedupeWindow && entry.r < (rids[0] as number));
  const isNew = !hasOwn(s.kv, entry.k);
  const full = isNew && s.keyCount >= s.limits.maxKeys;
  const tooLong = entry.k.length > s.limits.maxKeyLength;
  const mine = entry.o === s.raft.id && entry.b === s.boot ? s.pending.find((p): p is Write => p.kind === 'write' && p.rid === entry.r) : undefined;
  if (seen) return { ...s, applied: index, skipped: s.skipped + 1 };
  const nextRids = [...rids, entry.r].sort((a, b) => a - b).slice(-s.limits.dedupeWindow);
  const base = { ...s, applied: index, dedupe: withOwn(s.dedupe, entry.o, { boot: entry.b, rids: nextRids }) };
  if (full || tooLong) {
    if (mine !== undefined) acc.events.push({ type: 'request-failed', id: mine.id, op: 'write', reason: full ? 'store full' : 'key too long' });
    return { ...base, skipped: s.skipped + 1, pending: mine === undefined ? s.pending : s.pending.filter((p) => p !== mine) };
  }
  const kv = withOwn(s.kv, entry.k, { value: entry.v, index });
  if (mine !== undefined) acc.events.push({ type: 'write-ok', id: mine.id, key: entry.k, index, token: { index: Math.max(mine.deps, index) } });
  return { ...base, kv, keyCount: s.keyCount + (isNew ? 1 : 0), pending: mine === undefined ? s.pending : s.pending.filter((p) => p !== mine) };
}

/** Applies the backlog entries whose time has come (the replica's own pace), then notes freshness. */
function applyDue(s: StoreState, acc: Acc): StoreState {
  let i = 0;
  let out = s;
  while (i < s.backlog.length && (s.backlog[i] as StoreState['backlog'][number]).readyAt <= acc.now) {
    const item = s.backlog[i] as StoreState['backlog'][number];
    if (item.index === out.applied + 1) out = applyOne(out, item.index, item.entry, acc);
    i++;
  }
  if (i === 0) return s;
  return noteCaughtUp({ ...out, backlog: s.backlog.slice(i) });
}

/** Fences now applied up to: everything committed before they were asked is here. */
function noteCaughtUp(s: StoreState): StoreState {
  const done = s.catchUp.filter((c) => c.index <= s.applied);
  if (done.length === 0) return s;
  const freshAt = done.reduce((m, c) => Math.max(m, c.at), s.freshAt ?? Number.MIN_SAFE_INTEGER);
  return { ...s, catchUp: s.catchUp.filter((c) => c.index > s.applied), freshAt };
}

// --- Raft -----------------------------------------------------------------------------------

function stepRaft(s: StoreState, input: RaftInput, acc: Acc): StoreState {
  const t = raft.step(s.raft, input);
  if (t.state === s.raft && t.outputs.length === 0) return s;
  return absorb({ ...s, raft: t.state }, t.outputs, acc);
}

function absorb(state: StoreState, outputs: readonly RaftOutput[], acc: Acc): StoreState {
  let s = state;
  for (const o of outputs) {
    switch (o.type) {
      case 'persist':
        acc.persists.push(o.record);
        if (o.onDurable !== undefined) acc.onDurable = o.onDurable;
        break;
      case 'send':
        acc.sends.push(o);
        break;
      case 'apply':
        s = enqueue(s, o.entries, acc.now);
        break;
      case 'restore':
        s = restore(s, o.snapshot.index, o.snapshot.data, acc);
        break;
      case 'readReady':
        s = onReadReady(s, o.id, o.index, acc);
        break;
      case 'role':
      case 'rejected':
        acc.events.push(o);
        break;
      case 'proposed':
      case 'notLeader':
        break;
      default:
        assertNever(o, 'raft output');
    }
  }
  return s;
}

/** Committed entries join the backlog; this replica applies them `applyDelayMs` later. */
function enqueue(s: StoreState, entries: readonly RaftEntry[], now: number): StoreState {
  const last = s.backlog.length > 0 ? (s.backlog[s.backlog.length - 1] as StoreState['backlog'][number]).index : s.applied;
  const fresh = entries.filter((e) => e.index > last).map((e) => ({ index: e.index, entry: entryOf(e), readyAt: now + s.applyDelayMs }));
  return fresh.length === 0 ? s : { ...s, backlog: [...s.backlog, ...fresh] };
}

function restore(s: StoreState, index: number, data: unknown, acc: Acc): StoreState {
  const snap = snapshotData(data);
  if (snap === undefined) {
    acc.events.push({ type: 'rejected', from: s.raft.leader ?? 'local', reason: `snapshot ${index}: not a store state` });
    return s;
  }
  if (index <= s.applied) return s;
  return noteCaughtUp({ ...s, kv: snap.kv, keyCount: Object.keys(snap.kv).length, dedupe: snap.dedupe, applied: index, backlog: s.backlog.filter((b) => b.index > index) });
}

/** Raft §7: hand Raft the applied state as a snapshot every `snapshotEvery` entries. */
function maybeCompact(s: StoreState, acc: Acc): StoreState {
  const r = s.raft;
  if (s.applied > r.applied || s.applied - r.log.snapshotIndex < s.snapshotEvery) return s;
  const data = { kv: s.kv, dedupe: s.dedupe };
  if (plainDataProblem(data, 'data', r.options.payloadLimits) !== undefined) return s; // too large to snapshot: keep the log
  return stepRaft(s, { type: 'compact', index: s.applied, data, now: acc.now }, acc);
}

// --- writes ---------------------------------------------------------------------------------

function checkRequest(input: StoreWriteInput | StoreReadInput, s: StoreState): number {
  const kind = input.type;
  if (!((typeof input.id === 'number' && Number.isFinite(input.id)) || (typeof input.id === 'string' && input.id.length <= MAX_ID_LENGTH))) {
    throw new InvalidCommandError(kind, `id must be a finite number or a string of at most ${MAX_ID_LENGTH} characters`);
  }
  if (!LEVELS.includes(input.level)) throw new InvalidCommandError(kind, `level must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(input.level)}`);
  const t = input.token;
  if (t !== undefined && (t === null || typeof t !== 'object' || !Number.isSafeInteger(t.index) || t.index < 0)) throw new InvalidCommandError(kind, 'token must be { index: non-negative integer }');
  return t?.index ?? 0;
}

function onWrite(s: StoreState, input: StoreWriteInput, acc: Acc): StoreState {
  const deps = checkRequest(input, s);
  if (typeof input.key !== 'string' || input.key.length > s.limits.maxKeyLength) throw new InvalidCommandError('write', `key must be a string of at most ${s.limits.maxKeyLength} characters`);
  const problem = plainDataProblem({ o: s.raft.id, b: s.boot, r: s.seq, k: input.key, v: input.value, d: deps }, 'entry', s.raft.options.payloadLimits);
  if (problem !== undefined) throw new InvalidCommandError('write', `${problem} (the value goes into a Raft entry)`);
  if (s.pending.length >= s.limits.maxPending) {
    acc.events.push({ type: 'request-failed', id: input.id, op: 'write', reason: 'too many pending requests' });
    return s;
  }
  const p: Write = { kind: 'write', id: input.id, rid: s.seq, key: input.key, value: input.value, deps, deadline: acc.now + s.requestTimeoutMs, sentAt: null };
  return sendWrite({ ...s, seq: s.seq + 1, pending: [...s.pending, p] }, p, acc);
}

/** Proposes the write if this node leads, else forwards it to the leader it knows (Raft §8: clients go to the leader). */
function sendWrite(s: StoreState, p: Write, acc: Acc): StoreState {
  const leader = s.raft.role === 'leader' ? s.raft.id : s.raft.leader;
  if (leader === null) return s;
  const sent = s.pending.map((q) => (q === p ? { ...p, sentAt: acc.now } : q));
  if (leader !== s.raft.id) {
    acc.sends.push(send(leader, { type: 'store-write', boot: s.boot, rid: p.rid, key: p.key, value: p.value, deps: p.deps }));
    return { ...s, pending: sent };
  }
  return propose({ ...s, pending: sent }, { o: s.raft.id, b: s.boot, r: p.rid, k: p.key, v: p.value, d: p.deps }, acc);
}

function propose(s: StoreState, entry: StoreEntry, acc: Acc): StoreState {
  const t = raft.step(s.raft, { type: 'propose', data: entry, now: acc.now });
  if (t.outputs.some((o) => o.type === 'rejected' || o.type === 'notLeader')) return s; // the origin retries
  return absorb({ ...s, raft: t.state }, t.outputs, acc);
}

function proposeForPeer(s: StoreState, from: string, entry: StoreEntry, acc: Acc): StoreState {
  const problem = plainDataProblem(entry, 'entry', s.raft.options.payloadLimits);
  return problem === undefined ? propose(s, entry, acc) : rejected(s, from, problem, acc);
}

// --- reads ----------------------------------------------------------------------------------

function readKeys(input: StoreReadInput, s: StoreState): { keys: string[]; single: boolean } {
  const single = input.keys === undefined;
  const keys = single ? [input.key] : input.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > s.limits.maxKeysPerRead || !keys.every((k) => typeof k === 'string' && k.length <= s.limits.maxKeyLength)) {
    throw new InvalidCommandError('read', `give key, or keys: 1..${s.limits.maxKeysPerRead} strings of at most ${s.limits.maxKeyLength} characters`);
  }
  return { keys: keys as string[], single };
}

/** What each level requires of the replica that serves a read. */
function onRead(s: StoreState, input: StoreReadInput, acc: Acc): StoreState {
  const token = checkRequest(input, s);
  const { keys, single } = readKeys(input, s);
  if (s.pending.length >= s.limits.maxPending) {
    acc.events.push({ type: 'request-failed', id: input.id, op: 'read', reason: 'too many pending requests' });
    return s;
  }
  const b = input.bound === undefined ? s.staleness : bound('bound', input.bound);
  const base: Read = { kind: 'read', id: input.id, keys, single, level: input.level, token, minIndex: 0, fenceAfter: null, lagVersions: 0, freshMs: null, deadline: acc.now + s.requestTimeoutMs, askedAt: null };
  let p: Read;
  switch (input.level) {
    case 'strong': // Raft thesis §6.4: a fence (ReadIndex) taken after the read arrived, then the replica catches up to it
      p = { ...base, fenceAfter: acc.now };
      break;
    case 'bounded-staleness':
      p = { ...base, fenceAfter: b.versions === undefined ? null : acc.now, lagVersions: b.versions ?? 0, freshMs: b.ms ?? null };
      break;
    case 'session': // Terry et al. 1994 §4: the replica must hold the session's read and write sets (the token)
    case 'causal': // COPS §3: the client's context; the log order makes every dependency precede
      p = { ...base, minIndex: token };
      break;
    case 'consistent-prefix': // any replica: it applies a prefix of the log
    case 'eventual':
      p = base;
      break;
    default:
      return assertNever(input.level, 'level');
  }
  const next = { ...s, pending: [...s.pending, p] };
  return needsFence(next, p, acc.now) ? askFence(next, acc) : next;
}

function fresh(s: StoreState, p: Read, now: number): boolean {
  return p.freshMs === null || (s.freshAt !== null && now - s.freshAt <= p.freshMs);
}

function needsFence(s: StoreState, p: Read, now: number): boolean {
  return p.fenceAfter !== null || !fresh(s, p, now);
}

/** Asks the leader for its commit index through a ReadIndex round; every read waiting for one gets it. */
function askFence(s: StoreState, acc: Acc): StoreState {
  const leader = s.raft.role === 'leader' ? s.raft.id : s.raft.leader;
  if (leader === null) return s;
  const nonce = s.seq;
  const asks = [...s.asks, { nonce, at: acc.now, to: leader }].slice(-s.limits.maxFences);
  const pending = s.pending.map((p) => (p.kind === 'read' && needsFence(s, p, acc.now) ? { ...p, askedAt: acc.now } : p));
  const next = { ...s, seq: s.seq + 1, asks, pending };
  if (leader !== s.raft.id) {
    acc.sends.push(send(leader, { type: 'store-fence', nonce }));
    return next;
  }
  return stepRaft(next, { type: 'read', id: `${nonce}:${s.raft.id}`, now: acc.now }, acc);
}

function onReadReady(s: StoreState, id: string, index: number, acc: Acc): StoreState {
  const colon = id.indexOf(':');
  const nonce = Number(id.slice(0, colon));
  const from = id.slice(colon + 1);
  if (colon < 0 || !Number.isSafeInteger(nonce)) return s;
  if (from === s.raft.id) return onFenced(s, s.raft.id, nonce, index, acc);
  acc.sends.push(send(from, { type: 'store-fenced', nonce, index }));
  return s;
}

/** A fence answered: reads asked before it learn the commit index; freshness once applied up to it. */
function onFenced(s: StoreState, from: string, nonce: number, index: number, acc: Acc): StoreState {
  // Only the node the fence was asked of may answer it.
  const ask = s.asks.find((a) => a.nonce === nonce && a.to === from);
  if (ask === undefined) return s;
  const pending = s.pending.map((p) =>
    p.kind === 'read' && p.fenceAfter !== null && p.fenceAfter <= ask.at ? { ...p, fenceAfter: null, minIndex: Math.max(p.minIndex, index - p.lagVersions) } : p);
  const catchUp = [...s.catchUp, { index, at: ask.at }].slice(-s.limits.maxFences);
  return noteCaughtUp({ ...s, asks: s.asks.filter((a) => a !== ask), pending, catchUp });
}

/** Answers every read the replica can now serve. */
function serveReady(s: StoreState, acc: Acc): StoreState {
  const ready = (p: StorePending): p is Read => p.kind === 'read' && p.fenceAfter === null && s.applied >= p.minIndex && fresh(s, p, acc.now);
  if (!s.pending.some(ready)) return s;
  for (const p of s.pending) if (ready(p)) acc.events.push(answer(s, p));
  return { ...s, pending: s.pending.filter((p) => !ready(p)) };
}

function answer(s: StoreState, p: Read): StoreOutput {
  const values: Record<string, unknown> = {};
  const versions: Record<string, number> = {};
  for (const key of p.keys) {
    const ver = getOwn(s.kv, key);
    setOwn(values, key, ver === undefined ? null : ver.value);
    setOwn(versions, key, ver === undefined ? 0 : ver.index);
  }
  const token = { index: Math.max(p.token, s.applied) };
  const base = { type: 'read-ok' as const, id: p.id, values, versions, index: s.applied, token };
  return p.single ? { ...base, value: values[p.keys[0] as string] ?? null } : base;
}

// --- time -----------------------------------------------------------------------------------

/** Resends unanswered forwards and fences every `retryMs`, fails requests past their deadline. */
/**
 * Requests that found no leader go out once this node knows one. A follower learns its leader from
 * a message, and the leader's heartbeats keep pushing its election deadline back, so no tick would
 * come to retry them before they time out.
 */
function sendWaiting(s: StoreState, acc: Acc): StoreState {
  if (s.raft.role !== 'leader' && s.raft.leader === null) return s;
  let out = s;
  for (const p of s.pending) if (p.kind === 'write' && p.sentAt === null) out = sendWrite(out, p, acc);
  return out.pending.some((p) => p.kind === 'read' && p.askedAt === null && needsFence(out, p, acc.now)) ? askFence(out, acc) : out;
}

function retryAndExpire(s: StoreState, acc: Acc): StoreState {
  const expired = s.pending.filter((p) => p.deadline <= acc.now);
  for (const p of expired) acc.events.push({ type: 'request-failed', id: p.id, op: p.kind, reason: 'timed out' });
  let out = expired.length === 0 ? s : { ...s, pending: s.pending.filter((p) => p.deadline > acc.now) };
  for (const p of out.pending) {
    if (p.kind === 'write' && (p.sentAt === null || acc.now - p.sentAt >= out.retryMs)) out = sendWrite(out, p, acc);
  }
  const due = (p: StorePending) => p.kind === 'read' && needsFence(out, p, acc.now) && (p.askedAt === null || acc.now - p.askedAt >= out.retryMs);
  return out.pending.some(due) ? askFence(out, acc) : out;
}

function retryAt(s: StoreState, p: StorePending): number | null {
  if (p.kind === 'write') return p.sentAt === null ? null : p.sentAt + s.retryMs;
  return p.askedAt === null || !needsFence(s, p, p.askedAt) ? null : p.askedAt + s.retryMs;
}

/**
 * When the host must step the node next: Raft's deadline, the next backlog entry due, the next
 * retry or request deadline.
 *
 * @example
 * ```ts
 * import { distributedStore, storeNextDeadline } from 'distkit/replication';
 * storeNextDeadline(distributedStore.init({ raft: { id: 'a', voters: ['a'], seed: 1 } })) !== undefined; //=> true
 * ```
 */
export function storeNextDeadline(s: StoreState): number | undefined {
  // Requests with no leader to go to are retried on Raft's own ticks (election timer, heartbeats).
  return earliest(raftNextDeadline(s.raft), s.backlog[0]?.readyAt, ...s.pending.map((p) => p.deadline), ...s.pending.map((p) => retryAt(s, p)));
}

// --- peer messages --------------------------------------------------------------------------

function isMember(s: StoreState, id: string): boolean {
  return id !== s.raft.id && (s.raft.membership.voters.includes(id) || s.raft.membership.learners.includes(id));
}

function isStoreMessage(m: unknown): boolean {
  return isPlainObject(m) && typeof m.type === 'string' && m.type.startsWith('store-');
}

function onMessage(s: StoreState, from: string, message: unknown, acc: Acc): StoreState {
  const parsed = parse(storeMessageCheck, message);
  if (!parsed.ok) return rejected(s, from, parsed.problem, acc);
  if (!isMember(s, from)) return rejected(s, from, 'not a member', acc);
  const m = parsed.value;
  switch (m.type) {
    case 'store-write':
      if (s.raft.role !== 'leader') return s; // the origin retries with the leader it learns of
      if (m.key.length > s.limits.maxKeyLength) return rejected(s, from, 'key too long', acc);
      return proposeForPeer(s, from, { o: from, b: m.boot, r: m.rid, k: m.key, v: m.value, d: m.deps }, acc);
    case 'store-fence':
      if (s.raft.role !== 'leader') return s;
      if (s.raft.reads.length >= s.limits.maxLeaderReads) return rejected(s, from, 'too many fences waiting', acc);
      return stepRaft(s, { type: 'read', id: `${m.nonce}:${from}`, now: acc.now }, acc);
    case 'store-fenced':
      return onFenced(s, from, m.nonce, m.index, acc);
    default:
      return assertNever(m, 'message');
  }
}

function rejected(s: StoreState, from: string, reason: string, acc: Acc): StoreState {
  acc.events.push({ type: 'rejected', from, reason });
  return s;
}

// --- step -----------------------------------------------------------------------------------

function step(state: StoreState, input: StoreInput): { state: StoreState; outputs: StoreOutput[] } {
  const acc: Acc = { persists: [], sends: [], events: [], now: inputNow(input) };
  // A recovered node's incarnation goes to disk in its first step, before any request can carry it.
  const saveBoot = !state.bootSaved;
  let s: StoreState = saveBoot ? { ...state, bootSaved: true } : state;
  switch (input.type) {
    case 'write':
      s = onWrite(s, input, acc);
      break;
    case 'read':
      s = onRead(s, input, acc);
      break;
    case 'message':
      s = isStoreMessage(input.message) ? onMessage(s, input.from, input.message, acc) : stepRaft(s, input, acc);
      break;
    case 'tick':
      s = retryAndExpire(stepRaft(s, input, acc), acc);
      break;
    case 'campaign':
    case 'transferLeadership':
    case 'persisted':
      s = stepRaft(s, input, acc);
      break;
    default:
      return assertNever(input, 'input');
  }
  s = serveReady(maybeCompact(applyDue(sendWaiting(s, acc), acc), acc), acc);
  const outputs: StoreOutput[] = [];
  if (acc.persists.length > 0 || saveBoot) {
    const record = saveBoot ? { raft: acc.persists, boot: s.boot } : { raft: acc.persists };
    outputs.push({ type: 'persist', record, ...(acc.onDurable === undefined ? {} : { onDurable: acc.onDurable }) });
  }
  outputs.push(...acc.sends, ...acc.events);
  const onlyRejected = outputs.length > 0 && outputs.every((o): o is RejectedOutput => o.type === 'rejected');
  return { state: onlyRejected ? state : s, outputs };
}

/**
 * Folds a store persist record into the durable image: Raft's records, then the incarnation.
 *
 * @example
 * ```ts
 * import { applyStorePersist, distributedStore } from 'distkit/replication';
 * const d = distributedStore.durable(distributedStore.init({ raft: { id: 'a', voters: ['a'], seed: 1 } }));
 * applyStorePersist(d, { raft: [{ term: 1, vote: 'a' }], boot: 1 }); // term 1, incarnation 1
 * applyStorePersist(d, { raft: [{ term: 1, vote: 'a' }] }).raft.term; //=> 1
 * ```
 */
export function applyStorePersist(durable: StoreDurable, record: StorePersistRecord): StoreDurable {
  return { raft: record.raft.reduce(applyRaftPersist, durable.raft), boot: record.boot ?? durable.boot };
}

/**
 * A key-value store node with a consistency level per request (Cosmos DB's five levels, plus
 * causal). Every write goes through one Raft log (Raft §5.3), so writes have one total order;
 * each replica applies the committed log `applyDelayMs` after it learns of it, so followers lag,
 * and a read is served by the node it reaches only when what that node has applied satisfies
 * the read's level:
 *
 * - `strong`: a fence — the leader's commit index, confirmed by a ReadIndex heartbeat round
 *   (Raft thesis §6.4) asked after the read arrived — and the replica applied up to it
 *   (linearizable follower reads, as in etcd).
 * - `bounded-staleness`: K versions — a fence asked after the read arrived, the replica within K
 *   entries of it; T ms — the replica applied everything committed before a fence asked at most
 *   T ms ago by its own clock. The replica thus knows how far behind it is, or waits until it does.
 * - `session` and `causal`: the replica applied the session token's index (Terry et al. 1994:
 *   the token carries the session's read and write sets; COPS §3: a write's dependencies — its
 *   token — precede it in the log, so a replica applying a prefix never shows a write before its
 *   dependencies). Monotonic writes and writes-follow-reads hold by the log order.
 * - `consistent-prefix` and `eventual`: any replica, at once (it applies a prefix of the log).
 *
 * A follower forwards writes and fence requests to the leader and resends them every
 * `retryMs`; re-proposed writes are dropped at apply by (origin, request number). A write is
 * answered once the node it reached has applied it (request numbers carry the node's
 * incarnation, counted durably, so they never repeat across restarts); a request unanswered after
 * `requestTimeoutMs` fails (a write's outcome is then unknown). The applied state is
 * snapshotted into Raft every `snapshotEvery` entries; a node recovers from Raft's durable image.
 *
 * @example
 * ```ts
 * import { distributedStore, ConsistencyLevel } from 'distkit/replication';
 * let s = distributedStore.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = distributedStore.step(s, { type: 'campaign', now: 0 }).state; // a single voter leads
 * s = distributedStore.step(s, { type: 'write', id: 1, key: 'x', value: 'v1', level: ConsistencyLevel.STRONG, now: 1 }).state;
 * const t = distributedStore.step(s, { type: 'read', id: 2, key: 'x', level: ConsistencyLevel.STRONG, now: 2 });
 * t.outputs.find((o) => o.type === 'read-ok');
 * //=> { type: 'read-ok', id: 2, values: { x: 'v1' }, versions: { x: 2 }, index: 2, token: { index: 2 }, value: 'v1' }
 * ```
 */
export const distributedStore: DurableMachine<StoreConfig, StoreState, StoreInput, StoreOutput, StoreDurable> = {
  name: 'distributed-store',
  init,
  step,
  nextDeadline: storeNextDeadline,
  durable: (s) => ({ raft: raft.durable(s.raft), boot: s.boot }),
  recover: (config, durable) => {
    if (config === null || typeof config !== 'object' || config.raft === null || typeof config.raft !== 'object') throw new ConfigError('raft', 'must be a RaftConfig');
    return start(config, raft.recover(config.raft, durable.raft), durable.boot + 1);
  },
  applyPersist: applyStorePersist,
};
