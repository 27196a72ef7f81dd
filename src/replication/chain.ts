/**
 * Chain replication (van Renesse & Schneider, OSDI 2004) with CRAQ reads (Terrace & Freedman, USENIX
 * ATC 2009): the replica machine.
 *
 * @packageDocumentation
 */
import type { DurableMachine, NodeId, Transition } from '../core/index.js';
import { ConfigError, hasOwn, parse, reject, send, startTimer, timerDue, transition } from '../core/index.js';
import { ackFor, checkRequest, freshReplica, heartbeats, isMaster, redirect, replicaMachine } from './chain-common.js';
import { applyEntry, newest, trimCommitted, versionAt } from './chain-store.js';
import {
  CHAIN_LIMITS,
  chainMessageCheck,
  type ChainEntry,
  type ChainMessage,
  type ChainReplicaConfig,
  type ChainReplicaDurable,
  type ChainReplicaInput,
  type ChainReplicaOutput,
  type ChainReplicaState,
  type ChainView,
} from './chain-types.js';

type S = ChainReplicaState;
type O = ChainReplicaOutput;
type T = Transition<S, O>;
type Msg<K extends ChainMessage['type']> = Extract<ChainMessage, { readonly type: K }>;

// ---- roles in the current view -------------------------------------------------------------

const ids = (view: ChainView): NodeId[] => view.chain.map((m) => m.id);

/** The replica that commits: the last member, or the one before a member still joining (§3). */
function tailOf(view: ChainView): NodeId | null {
  const chain = ids(view);
  const last = view.joining !== null && chain[chain.length - 1] === view.joining ? chain.length - 2 : chain.length - 1;
  return last >= 0 ? chain[last]! : null;
}

function neighbour(state: S, offset: 1 | -1): NodeId | null {
  const chain = ids(state.view);
  const i = chain.indexOf(state.id);
  return i < 0 ? null : (chain[i + offset] ?? null);
}

const isHead = (s: S): boolean => s.member && s.view.chain[0]?.id === s.id;
const isTail = (s: S): boolean => s.member && tailOf(s.view) === s.id;
const serving = (s: S, now: number): boolean => s.member && s.synced && now < s.leaseUntil;

/**
 * How far the tail may commit. While a replica joins behind it (§3 extending a chain) the tail
 * commits only what the joining replica acknowledged holding: the master may make the joining
 * replica the tail as soon as it reports holding the state, and a write the old tail committed
 * alone after that report would be missing there, and lost once the old replicas are removed.
 */
function commitBound(s: S): number {
  const next = neighbour(s, 1);
  if (next === null || next !== s.view.joining) return s.held;
  return s.successorSynced ? Math.min(s.held, s.successorHeld ?? s.committed) : s.committed;
}

// ---- the machine ----------------------------------------------------------------------------

function fresh(config: ChainReplicaConfig, incarnation: number): S {
  if (config !== null && typeof config === 'object' && config.craq !== undefined && typeof config.craq !== 'boolean') throw new ConfigError('craq', 'must be a boolean');
  return { ...freshReplica(config, incarnation), craq: config.craq ?? true };
}

/**
 * A chain-replication replica (van Renesse & Schneider, OSDI 2004). Writes enter at the head,
 * which numbers them and sends them down the chain; each replica applies them in order and passes
 * them on; the tail commits them and answers the client (`written`); commit acknowledgements flow
 * back up so each replica knows which of its versions are clean. Reads go to the tail or, with
 * CRAQ (Terrace & Freedman 2009, §2.3), to any replica: a clean key is answered at once, a dirty
 * one asks the tail which version is committed and answers that one.
 *
 * Configurations (epochs) come from a {@link chainMaster}. Every replica message carries its
 * epoch and a replica drops messages of any other epoch, so a replica the master removed is
 * fenced. A replica serves (takes writes at the head, answers reads) only while its lease, renewed
 * by each master answer to its heartbeat, runs; the master removes a replica only after the lease
 * it may hold has run out. On a new epoch each replica resends to its successor the writes the
 * successor lacks (§3: the predecessor resends its Sent set), or its whole store to a replica
 * that has none (a new tail).
 *
 * @example
 * ```ts
 * import { chainReplica } from 'distkit/replication';
 * let a = chainReplica.init({ id: 'a', master: 'm' });
 * const view = { epoch: 1, chain: [{ id: 'a', incarnation: 0, since: 1 }], joining: null };
 * a = chainReplica.step(a, { type: 'message', from: 'm', message: { type: 'config', view, sentAt: 0 }, now: 1 }).state;
 * const w = chainReplica.step(a, { type: 'write', id: 'w1', key: 'x', value: 7, now: 2 });
 * w.outputs; //=> [{ type: 'written', id: 'w1', key: 'x', seq: 1 }]
 * chainReplica.step(w.state, { type: 'read', id: 'r1', key: 'x', now: 3 }).outputs; //=> [{ type: 'value', id: 'r1', key: 'x', value: 7, seq: 1 }]
 * ```
 */
export const chainReplica: DurableMachine<ChainReplicaConfig, ChainReplicaState, ChainReplicaInput, ChainReplicaOutput, ChainReplicaDurable> = replicaMachine('chain-replica', fresh, {
  tick: (state, _input, now) => (timerDue(state.timer, now) ? onTimer(state, now) : transition(state)),
  write: (state, input, now) => onWrite(state, input, now),
  read: (state, input, now) => onRead(state, input, now),
  message: (state, input, now) => onMessage(state, input.from, input.message, now),
});

// ---- client requests ------------------------------------------------------------------------

/** §2: the head assigns the next sequence number, applies the write, and sends it down. */
function onWrite(state: S, input: Extract<ChainReplicaInput, { type: 'write' }>, now: number): T {
  checkRequest(input);
  const head = state.view.chain[0]?.id ?? null;
  if (!isHead(state)) return redirect(state, input.id, head, 'not the head');
  if (!serving(state, now)) return redirect(state, input.id, null, 'no lease from the master');
  if (state.held - state.committed >= CHAIN_LIMITS.maxPending) return redirect(state, input.id, null, `${CHAIN_LIMITS.maxPending} writes pending`);
  if (!hasOwn(state.store, input.key) && Object.keys(state.store).length >= CHAIN_LIMITS.maxKeys) return redirect(state, input.id, null, `store holds ${CHAIN_LIMITS.maxKeys} keys`);
  const entry: ChainEntry = { seq: state.held + 1, key: input.key, value: input.value, id: input.id };
  return applyEntries(state, [entry]);
}

/** §2 reads at the tail; CRAQ §2.3 reads of clean keys anywhere, dirty ones by version query. */
function onRead(state: S, input: Extract<ChainReplicaInput, { type: 'read' }>, now: number): T {
  checkRequest(input);
  const tail = tailOf(state.view);
  if (!serving(state, now)) return redirect(state, input.id, tail, 'no lease from the master');
  // A joining replica sits past the tail: committed writes may not have reached it yet.
  if (state.view.joining === state.id) return redirect(state, input.id, tail, 'still joining the chain');
  const latest = newest(state.store, input.key);
  if (isTail(state)) {
    if (!state.caughtUp) return redirect(state, input.id, null, 'tail still catching up with its predecessor');
    // While a replica joins behind it the tail may hold writes not committed yet (and which the
    // joining replica, once the tail, may commit): a key with one is not answered here.
    if (latest.seq > state.committed) return redirect(state, input.id, null, 'tail waiting for the joining replica to hold the newest write');
    return transition(state, [{ type: 'value', id: input.id, key: input.key, value: latest.value, seq: latest.seq }]);
  }
  if (!state.craq) return redirect(state, input.id, tail, 'not the tail');
  if (latest.seq <= state.committed) return transition(state, [{ type: 'value', id: input.id, key: input.key, value: latest.value, seq: latest.seq }]);
  if (tail === null || state.queries.length >= CHAIN_LIMITS.maxQueries) return redirect(state, input.id, tail, 'too many version queries');
  const qid = state.nextQid;
  return transition({ ...state, nextQid: qid + 1, queries: [...state.queries, { qid, id: input.id, key: input.key, at: now }] }, [
    send<ChainMessage>(tail, { type: 'query', epoch: state.view.epoch, qid, key: input.key }),
  ]);
}

// ---- applying writes ------------------------------------------------------------------------

/**
 * Applies the entries that extend this replica's history (seq = held + 1, in order; older ones are
 * duplicates, a gap waits for the resend), forwards them to the successor, and at the tail commits.
 */
function applyEntries(state: S, entries: readonly ChainEntry[]): T {
  let s = state;
  const applied: ChainEntry[] = [];
  let keys = Object.keys(s.store).length;
  for (const e of entries) {
    if (e.seq <= s.held) continue;
    if (e.seq !== s.held + 1) break;
    if (!hasOwn(s.store, e.key) && keys++ >= CHAIN_LIMITS.maxKeys) break; // the head never sends this
    s = { ...s, held: e.seq, store: applyEntry(s.store, e, s.committed), log: [...s.log, e] };
    applied.push(e);
  }
  if (applied.length === 0) return transition(state);
  const outputs: O[] = [];
  const next = neighbour(s, 1);
  if (isTail(s)) {
    const c = commitTo(s, commitBound(s));
    s = c.state;
    outputs.push(...c.outputs);
  }
  if (next !== null) outputs.push(send<ChainMessage>(next, { type: 'entries', epoch: s.view.epoch, held: s.held, committed: s.committed, entries: applied }));
  return transition(s, outputs);
}

/** Raises `committed`; at the tail, says `written` for each newly committed write. */
function commitTo(state: S, seq: number): T {
  const upTo = Math.min(seq, state.held);
  if (upTo <= state.committed) return transition(state);
  const outputs: O[] = [];
  if (isTail(state)) {
    for (const e of state.log) if (e.seq > state.committed && e.seq <= upTo) outputs.push({ type: 'written', id: e.id, key: e.key, seq: e.seq });
  }
  const store = trimCommitted(state.store, state.log, state.committed, upTo);
  return transition({ ...state, committed: upTo, store, log: retained(state.log, upTo, state.successorHeld) }, outputs);
}

/** The log keeps what the tail has not committed and what the successor has not reported holding. */
function retained(log: readonly ChainEntry[], committed: number, successorHeld: number | null): readonly ChainEntry[] {
  const keepAfter = Math.min(committed, successorHeld ?? committed);
  const first = log.findIndex((e) => e.seq > keepAfter);
  const kept = first < 0 ? [] : first === 0 ? log : log.slice(first);
  return kept.length > CHAIN_LIMITS.maxPending ? kept.slice(kept.length - CHAIN_LIMITS.maxPending) : kept;
}

// ---- messages -------------------------------------------------------------------------------

function onMessage(state: S, from: NodeId, message: unknown, now: number): T {
  const parsed = parse(chainMessageCheck, message, 'message');
  if (!parsed.ok) return reject(state, from, parsed.problem);
  const m = parsed.value as ChainMessage;
  if (m.type === 'config') {
    if (!isMaster(state, from)) return reject(state, from, 'config from a replica, not the master');
    return onConfig(state, m, now);
  }
  if (m.type === 'heartbeat') return reject(state, from, 'heartbeat sent to a replica');
  if (isMaster(state, from) || from === state.id) return reject(state, from, `${m.type} from ${from === state.id ? 'this replica' : 'the master'}`);
  // Epoch fencing: only messages of this replica's own epoch are taken.
  if (!state.member || m.epoch !== state.view.epoch) return reject(state, from, `epoch ${m.epoch}, this replica is in ${state.member ? state.view.epoch : 'none'}`);
  switch (m.type) {
    case 'entries':
      return onEntries(state, from, m);
    case 'snapshot':
      return onSnapshot(state, from, m);
    case 'ack':
      return onAck(state, from, m);
    case 'query':
      return onQuery(state, from, m, now);
    case 'version':
      return onVersion(state, from, m);
  }
}

function onEntries(state: S, from: NodeId, m: Msg<'entries'>): T {
  if (from !== neighbour(state, -1)) return reject(state, from, 'entries from a replica that is not the predecessor');
  if (!state.synced) return transition(state, [ackFor(state, from)]);
  for (let i = 1; i < m.entries.length; i++) if (m.entries[i]!.seq !== m.entries[i - 1]!.seq + 1) return reject(state, from, 'entries out of order');
  const t = applyEntries(state, m.entries);
  let s = t.state;
  const outputs = [...t.outputs];
  if (!s.caughtUp && s.held >= m.held) s = { ...s, caughtUp: true };
  if (!isTail(s) && m.committed > s.committed) {
    const c = commitTo(s, m.committed);
    s = c.state;
    outputs.push(...c.outputs);
  }
  return transition(s, [...outputs, ackFor(s, from)]);
}

/** §3 extending a chain: the new replica takes its predecessor's whole store. */
function onSnapshot(state: S, from: NodeId, m: Msg<'snapshot'>): T {
  if (from !== neighbour(state, -1)) return reject(state, from, 'snapshot from a replica that is not the predecessor');
  if (state.synced && m.held <= state.held) return transition(state, [ackFor(state, from)]);
  // The writes in the transferred store come without their entries: a tail commits them silently.
  const committed = isTail(state) ? m.held : Math.min(m.committed, m.held);
  const s: S = { ...state, synced: true, caughtUp: true, held: m.held, committed, store: m.store, log: [] };
  return transition(s, [ackFor(s, from)]);
}

function onAck(state: S, from: NodeId, m: Msg<'ack'>): T {
  if (from !== neighbour(state, 1)) return reject(state, from, 'ack from a replica that is not the successor');
  const successorHeld = Math.max(state.successorHeld ?? 0, Math.min(m.held, state.held));
  let s: S = { ...state, successorHeld, successorSynced: m.synced };
  const joining = state.view.joining === from;
  const outputs: O[] = [];
  if (m.synced) {
    // A joining replica commits nothing; what it holds lets the tail in front of it commit.
    const c = commitTo(s, joining ? (isTail(s) ? commitBound(s) : s.committed) : m.committed);
    s = c.state;
    outputs.push(...c.outputs);
    // Commit acknowledgements travel back up the chain.
    const pred = neighbour(s, -1);
    if (pred !== null && s.committed > state.committed) outputs.push(ackFor(s, pred));
  }
  return transition({ ...s, log: retained(s.log, s.committed, s.successorHeld) }, outputs);
}

function onQuery(state: S, from: NodeId, m: Msg<'query'>, now: number): T {
  if (!isTail(state) || !state.caughtUp || !serving(state, now)) return reject(state, from, 'version query at a replica that is not a serving tail');
  const latest = newest(state.store, m.key);
  if (latest.seq > state.committed) return reject(state, from, 'version query for a write the joining replica does not hold yet');
  return transition(state, [send<ChainMessage>(from, { type: 'version', epoch: state.view.epoch, qid: m.qid, key: m.key, seq: latest.seq })]);
}

function onVersion(state: S, from: NodeId, m: Msg<'version'>): T {
  const q = state.queries.find((x) => x.qid === m.qid && x.key === m.key);
  if (q === undefined || from !== tailOf(state.view)) return reject(state, from, `no version query ${m.qid} to ${from}`);
  const queries = state.queries.filter((x) => x !== q);
  const version = versionAt(state.store, m.key, m.seq);
  if (version === undefined) return transition({ ...state, queries }, [{ type: 'redirect', id: q.id, to: from, reason: `version ${m.seq} no longer held` }]);
  return transition({ ...state, queries }, [{ type: 'value', id: q.id, key: q.key, value: version.value, seq: version.seq }]);
}

// ---- configuration changes (§3) -------------------------------------------------------------

function onConfig(state: S, m: Msg<'config'>, now: number): T {
  const view = m.view;
  const mine = view.chain.find((x) => x.id === state.id);
  const isMe = mine !== undefined && mine.incarnation === state.incarnation;
  // The master's answer to a heartbeat of ours renews the lease, in its current epoch only.
  const renew = (s: S): S => (m.sentAt !== null && isMe && view.epoch === s.view.epoch && m.sentAt <= now ? { ...s, leaseUntil: Math.max(s.leaseUntil, m.sentAt + s.leaseMs) } : s);
  if (view.epoch < state.view.epoch) return reject(state, state.master, `config of epoch ${view.epoch}, this replica is in ${state.view.epoch}`);
  if (view.epoch === state.view.epoch) return transition(renew(state));
  if (mine !== undefined && !isMe) return transition(state); // a view for an earlier life of this replica
  const chain = ids(view);
  if (new Set(chain).size !== chain.length || (view.joining !== null && chain[chain.length - 1] !== view.joining)) return reject(state, state.master, 'malformed view');
  const viewOut = (held: number): O => ({ type: 'view', epoch: view.epoch, chain, joining: view.joining, held });
  if (!isMe) return transition(wiped({ ...state, view, member: false }), [viewOut(0)]);
  // A replica that has been a member since an epoch it saw keeps its store; any other (a new
  // tail, a replica removed and added back) waits for the state transfer.
  const continuous = state.member && mine.since <= state.view.epoch;
  // An initial member that never ran in a view has seen no write, and none went past it.
  const synced = continuous ? state.synced : mine.since === 1 && state.view.epoch === 0;
  let s: S = renew({ ...(continuous ? state : wiped(state)), view, member: true, synced, successorHeld: null, successorSynced: false, queries: [] });
  s = { ...s, caughtUp: neighbour(s, -1) === null && synced };
  const outputs: O[] = [viewOut(s.held), ...state.queries.map((q): O => ({ type: 'redirect', id: q.id, to: null, reason: 'chain reconfigured' }))];
  // A replica that became the tail commits everything it holds (§3, failure of the tail), or,
  // with a replica joining behind it, what that one holds too.
  if (isTail(s)) {
    const c = commitTo(s, commitBound(s));
    s = c.state;
    outputs.push(...c.outputs);
  }
  return transition(s, [...outputs, ...syncMessages(s)]);
}

function wiped(state: S): S {
  return { ...state, synced: false, caughtUp: false, held: 0, committed: 0, store: {}, log: [], successorHeld: null, successorSynced: false, queries: [], leaseUntil: 0 };
}

/** What a replica sends its neighbours each period: its holdings up, missing writes down. */
function syncMessages(state: S): O[] {
  if (!state.member) return [];
  const out: O[] = [];
  const pred = neighbour(state, -1);
  if (pred !== null) out.push(ackFor(state, pred));
  const next = neighbour(state, 1);
  if (next === null || !state.synced) return out;
  const has = state.successorHeld;
  const oldest = state.log[0]?.seq ?? state.held + 1;
  if (has === null) return [...out, send<ChainMessage>(next, { type: 'entries', epoch: state.view.epoch, held: state.held, committed: state.committed, entries: [] })];
  // The successor lacks writes the log no longer has, or has no valid store: send the whole store.
  if (!state.successorSynced || has + 1 < oldest) {
    return [...out, send<ChainMessage>(next, { type: 'snapshot', epoch: state.view.epoch, held: state.held, committed: state.committed, store: state.store })];
  }
  const missing = state.log.filter((e) => e.seq > has).slice(0, CHAIN_LIMITS.maxBatch);
  return [...out, send<ChainMessage>(next, { type: 'entries', epoch: state.view.epoch, held: state.held, committed: state.committed, entries: missing })];
}

function onTimer(state: S, now: number): T {
  const expired = state.queries.filter((q) => now - q.at >= state.leaseMs);
  const queries = expired.length === 0 ? state.queries : state.queries.filter((q) => now - q.at < state.leaseMs);
  const s: S = { ...state, queries, timer: startTimer(now, state.heartbeatMs) };
  return transition(s, [
    ...heartbeats(s, now),
    ...syncMessages(s),
    ...expired.map((q): O => ({ type: 'redirect', id: q.id, to: null, reason: 'version query unanswered' })),
  ]);
}
