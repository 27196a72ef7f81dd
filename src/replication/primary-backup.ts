/**
 * Primary-backup replication (Alsberg & Day 1976; Budhiraja, Marzullo, Schneider & Toueg, "The
 * Primary-Backup Approach", 1993) with epochs from a configuration service and epoch fencing.
 *
 * @packageDocumentation
 */
import type { DurableMachine, NodeId, Transition } from '../core/index.js';
import { ConfigError, getOwn, hasOwn, parse, reject, send, startTimer, timerDue, transition, withOwn } from '../core/index.js';
import { ackFor, checkRequest, freshReplica, heartbeats, isMaster, redirect, replicaMachine } from './chain-common.js';
import { applyEntry, trimCommitted } from './chain-store.js';
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

/**
 * Configuration of a {@link primaryBackup} replica: a chain replica's, plus the acknowledgement
 * mode.
 *
 * @example
 * ```ts
 * import type { PrimaryBackupConfig } from 'distkit/replication';
 * const c: PrimaryBackupConfig = { id: 'a', master: 'm', mode: 'sync' };
 * ```
 */
export interface PrimaryBackupConfig extends Omit<ChainReplicaConfig, 'craq'> {
  /**
   * `'sync'` (default): the primary answers a write once every backup holds it, so no answered
   * write is lost while one replica survives. `'async'`: it answers at once and ships the write
   * after; the writes answered but not yet at the backup that takes over are lost (the loss
   * window is the replication lag).
   */
  readonly mode?: 'sync' | 'async';
}

/**
 * State of a {@link primaryBackup} replica: a chain replica's fields (the view from the master,
 * lease, store, log) plus the mode and what each backup reported holding.
 *
 * @example
 * ```ts
 * import { primaryBackup } from 'distkit/replication';
 * primaryBackup.init({ id: 'a', master: 'm' }).mode; //=> 'sync'
 * ```
 */
export interface PrimaryBackupState extends ChainReplicaState {
  readonly mode: 'sync' | 'async';
  /** Per backup, in this epoch: the last write it reported holding and whether its store is valid. */
  readonly backups: Readonly<Record<NodeId, { readonly held: number; readonly synced: boolean }>>;
  /** What this replica held when its current epoch began (a new primary serves reads once every backup holds it). */
  readonly epochHeld: number;
}

type S = PrimaryBackupState;
type O = ChainReplicaOutput;
type T = Transition<S, O>;
type Msg<K extends ChainMessage['type']> = Extract<ChainMessage, { readonly type: K }>;

function fresh(config: PrimaryBackupConfig, incarnation: number): S {
  const mode = config?.mode ?? 'sync';
  if (mode !== 'sync' && mode !== 'async') throw new ConfigError('mode', "must be 'sync' or 'async'");
  return { ...freshReplica(config, incarnation), craq: false, mode, backups: {}, epochHeld: 0 };
}

const primaryOf = (view: ChainView): NodeId | null => view.chain[0]?.id ?? null;
const isPrimary = (s: S): boolean => s.member && primaryOf(s.view) === s.id;
const backupsOf = (s: S): NodeId[] => s.view.chain.slice(1).map((m) => m.id);
/** The backups whose acknowledgement a sync write waits for: all but one still joining. */
const voters = (s: S): NodeId[] => backupsOf(s).filter((b) => b !== s.view.joining);

/**
 * A primary-backup replica (Alsberg & Day 1976; Budhiraja et al. 1993). The first replica of the
 * master's view is the primary, the others its backups. The primary orders writes, applies them
 * and sends each to every backup; in `'sync'` mode it answers (`written`) once every backup has
 * acknowledged it, in `'async'` mode at once. Reads are served by the primary: in sync mode the
 * newest version every backup holds, so a read never shows a write a failover could lose.
 *
 * Views come from a {@link chainMaster} (the configuration service): it removes a silent or
 * restarted replica, the next backup becomes primary, a replica that comes back joins as a backup
 * and gets the primary's store (state transfer). Every message carries the epoch; a backup drops
 * messages of another epoch, so an old primary is fenced. A replica takes writes and serves reads
 * only under the lease the master's answers to its heartbeats give it, and the master removes a
 * replica only after that lease has run out.
 *
 * @example
 * ```ts
 * import { primaryBackup } from 'distkit/replication';
 * let p = primaryBackup.init({ id: 'a', master: 'm' });
 * const view = { epoch: 1, chain: [{ id: 'a', incarnation: 0, since: 1 }, { id: 'b', incarnation: 0, since: 1 }], joining: null };
 * p = primaryBackup.step(p, { type: 'message', from: 'm', message: { type: 'config', view, sentAt: 0 }, now: 1 }).state;
 * const w = primaryBackup.step(p, { type: 'write', id: 'w1', key: 'x', value: 7, now: 2 });
 * w.outputs.filter((o) => o.type === 'written'); //=> []
 * const ack = { type: 'ack', epoch: 1, held: 1, committed: 0, synced: true };
 * primaryBackup.step(w.state, { type: 'message', from: 'b', message: ack, now: 3 }).outputs; //=> [{ type: 'written', id: 'w1', key: 'x', seq: 1 }]
 * ```
 */
export const primaryBackup: DurableMachine<PrimaryBackupConfig, PrimaryBackupState, ChainReplicaInput, ChainReplicaOutput, ChainReplicaDurable> = replicaMachine('primary-backup', fresh, {
  tick: (state, _input, now) => (timerDue(state.timer, now) ? onTimer(state, now) : transition(state)),
  write: (state, input, now) => onWrite(state, input, now),
  read: (state, input, now) => onRead(state, input, now),
  message: (state, input, now) => onMessage(state, input.from, input.message, now),
});

const serving = (s: S, now: number): boolean => isPrimary(s) && s.synced && now < s.leaseUntil;

function onWrite(state: S, input: Extract<ChainReplicaInput, { type: 'write' }>, now: number): T {
  checkRequest(input);
  if (!isPrimary(state)) return redirect(state, input.id, primaryOf(state.view), 'not the primary');
  if (!serving(state, now)) return redirect(state, input.id, null, 'no lease from the master');
  if (state.held - state.committed >= CHAIN_LIMITS.maxPending) return redirect(state, input.id, null, `${CHAIN_LIMITS.maxPending} writes pending`);
  if (!hasOwn(state.store, input.key) && Object.keys(state.store).length >= CHAIN_LIMITS.maxKeys) return redirect(state, input.id, null, `store holds ${CHAIN_LIMITS.maxKeys} keys`);
  const entry: ChainEntry = { seq: state.held + 1, key: input.key, value: input.value, id: input.id };
  const s: S = { ...state, held: entry.seq, store: applyEntry(state.store, entry, state.committed), log: [...state.log, entry] };
  const sends = backupsOf(s).map((b) => send<ChainMessage>(b, { type: 'entries', epoch: s.view.epoch, held: s.held, committed: s.committed, entries: [entry] }));
  // Async: answer now; the write is lost if the primary fails before a backup has it.
  if (s.mode === 'async') return transition(s, [...sends, { type: 'written', id: entry.id, key: entry.key, seq: entry.seq }]);
  const c = commit(s);
  return transition(c.state, [...sends, ...c.outputs]);
}

/** Sync mode: a write is committed once every backup that counts holds it. */
function commit(state: S): T {
  const heldBy = voters(state).map((b) => getOwn(state.backups, b)?.held ?? 0);
  const upTo = state.mode === 'async' ? state.held : Math.min(state.held, ...heldBy);
  if (upTo <= state.committed) return transition(state);
  const outputs: O[] = [];
  if (state.mode === 'sync') for (const e of state.log) if (e.seq > state.committed && e.seq <= upTo) outputs.push({ type: 'written', id: e.id, key: e.key, seq: e.seq });
  return transition({ ...state, committed: upTo, store: trimCommitted(state.store, state.log, state.committed, upTo), log: retained(state, upTo) }, outputs);
}

/** The primary keeps the writes some backup may still lack. */
function retained(state: S, committed: number): readonly ChainEntry[] {
  const lowest = Math.min(committed, ...backupsOf(state).map((b) => getOwn(state.backups, b)?.held ?? 0));
  const kept = state.log.filter((e) => e.seq > lowest);
  return kept.length > CHAIN_LIMITS.maxPending ? kept.slice(kept.length - CHAIN_LIMITS.maxPending) : kept;
}

function onRead(state: S, input: Extract<ChainReplicaInput, { type: 'read' }>, now: number): T {
  checkRequest(input);
  if (!isPrimary(state)) return redirect(state, input.id, primaryOf(state.view), 'not the primary');
  if (!serving(state, now) || !state.caughtUp) return redirect(state, input.id, null, 'no lease from the master');
  const versions = getOwn(state.store, input.key) ?? [];
  // Sync: the newest version every backup holds; async: the newest.
  const visible = state.mode === 'sync' ? [...versions].reverse().find((x) => x.seq <= state.committed) : versions[versions.length - 1];
  const v = visible ?? { seq: 0, value: null };
  return transition(state, [{ type: 'value', id: input.id, key: input.key, value: v.value, seq: v.seq }]);
}

function onMessage(state: S, from: NodeId, message: unknown, now: number): T {
  const parsed = parse(chainMessageCheck, message, 'message');
  if (!parsed.ok) return reject(state, from, parsed.problem);
  const m = parsed.value as ChainMessage;
  if (m.type === 'config') return isMaster(state, from) ? onConfig(state, m, now) : reject(state, from, 'config from a replica, not the master');
  if (m.type === 'heartbeat' || m.type === 'query' || m.type === 'version') return reject(state, from, `${m.type} sent to a primary-backup replica`);
  if (isMaster(state, from) || from === state.id) return reject(state, from, `${m.type} from ${from === state.id ? 'this replica' : 'the master'}`);
  // Epoch fencing: a write from a primary of another epoch is never applied.
  if (!state.member || m.epoch !== state.view.epoch) return reject(state, from, `epoch ${m.epoch}, this replica is in ${state.member ? state.view.epoch : 'none'}`);
  if (m.type === 'ack') return onAck(state, from, m);
  if (from !== primaryOf(state.view) || isPrimary(state)) return reject(state, from, `${m.type} from a replica that is not the primary`);
  return m.type === 'entries' ? onEntries(state, from, m) : onSnapshot(state, from, m);
}

function onEntries(state: S, from: NodeId, m: Msg<'entries'>): T {
  if (!state.synced) return transition(state, [ackFor(state, from)]);
  let s = state;
  let keys = Object.keys(s.store).length;
  for (const e of m.entries) {
    if (e.seq <= s.held) continue;
    if (e.seq !== s.held + 1) break;
    if (!hasOwn(s.store, e.key) && keys++ >= CHAIN_LIMITS.maxKeys) break;
    s = { ...s, held: e.seq, store: applyEntry(s.store, e, s.committed) };
  }
  const committed = Math.min(Math.max(s.committed, m.committed), s.held);
  s = { ...s, committed, store: s.committed === committed ? s.store : trimAll(s.store, committed) };
  return transition(s, [ackFor(s, from)]);
}

function trimAll(store: S['store'], committed: number): S['store'] {
  let out = store;
  for (const k of Object.keys(store)) {
    const versions = getOwn(store, k)!;
    let i = -1;
    for (let j = 0; j < versions.length; j++) if (versions[j]!.seq <= committed) i = j;
    if (i > 0) out = withOwn(out, k, versions.slice(i));
  }
  return out;
}

/** State transfer: a backup without a valid store takes the primary's. */
function onSnapshot(state: S, from: NodeId, m: Msg<'snapshot'>): T {
  // From the primary of this epoch a synced backup's store only extends an older transfer.
  if (state.synced && m.held <= state.held) return transition(state, [ackFor(state, from)]);
  const s: S = { ...state, synced: true, held: m.held, committed: Math.min(m.committed, m.held), store: m.store, log: [] };
  return transition(s, [ackFor(s, from)]);
}

function onAck(state: S, from: NodeId, m: Msg<'ack'>): T {
  if (!isPrimary(state) || !backupsOf(state).includes(from)) return reject(state, from, 'ack at a replica that is not the primary, or from a non-backup');
  // Within an epoch a synced backup's holdings only grow: a reordered older ack cannot lower them.
  const prior = getOwn(state.backups, from);
  const held = m.synced && prior?.synced === true ? Math.max(prior.held, m.held) : m.held;
  const s: S = { ...state, backups: withOwn(state.backups, from, { held, synced: m.synced }) };
  const c = commit(s);
  return transition({ ...c.state, log: retained(c.state, c.state.committed) }, c.outputs);
}

function onConfig(state: S, m: Msg<'config'>, now: number): T {
  const view = m.view;
  const mine = view.chain.find((x) => x.id === state.id);
  const isMe = mine !== undefined && mine.incarnation === state.incarnation;
  if (view.epoch < state.view.epoch) return reject(state, state.master, `config of epoch ${view.epoch}, this replica is in ${state.view.epoch}`);
  if (view.epoch === state.view.epoch) {
    const renew = m.sentAt !== null && isMe && m.sentAt <= now;
    return transition(renew ? { ...state, leaseUntil: Math.max(state.leaseUntil, m.sentAt! + state.leaseMs) } : state);
  }
  if (mine !== undefined && !isMe) return transition(state);
  const chain = view.chain.map((x) => x.id);
  if (new Set(chain).size !== chain.length) return reject(state, state.master, 'malformed view');
  const continuous = isMe && state.member && mine.since <= state.view.epoch;
  // A backup of a new primary may hold writes the new primary lacks (the old one sent them to
  // it first): it takes the new primary's store before anything else (state transfer).
  const samePrimary = primaryOf(view) === primaryOf(state.view) || primaryOf(view) === state.id;
  const synced = continuous ? state.synced && samePrimary : isMe && mine.since === 1 && state.view.epoch === 0;
  const base: S = continuous ? state : { ...state, held: 0, committed: 0, store: {}, log: [], leaseUntil: 0 };
  let s: S = { ...base, view, member: isMe, synced, backups: {}, caughtUp: false, epochHeld: base.held, leaseUntil: isMe ? base.leaseUntil : 0 };
  if (m.sentAt !== null && isMe && m.sentAt <= now) s = { ...s, leaseUntil: Math.max(s.leaseUntil, m.sentAt + s.leaseMs) };
  // A new primary holds every committed write; it serves reads once every backup has what it has.
  return transition(s, [{ type: 'view', epoch: view.epoch, chain, joining: view.joining, held: s.held }, ...syncMessages(s)]);
}

/** Each period: a backup reports what it holds; the primary sends each backup what it lacks. */
function syncMessages(state: S): O[] {
  if (!state.member) return [];
  const primary = primaryOf(state.view);
  if (!isPrimary(state)) return primary === null ? [] : [ackFor(state, primary)];
  if (!state.synced) return [];
  const out: O[] = [];
  const oldest = state.log[0]?.seq ?? state.held + 1;
  for (const b of backupsOf(state)) {
    const p = getOwn(state.backups, b);
    const snapshot = p !== undefined && (!p.synced || p.held + 1 < oldest || p.held > state.held);
    if (snapshot) out.push(send<ChainMessage>(b, { type: 'snapshot', epoch: state.view.epoch, held: state.held, committed: state.committed, store: state.store }));
    else {
      const missing = p === undefined ? [] : state.log.filter((e) => e.seq > p.held).slice(0, CHAIN_LIMITS.maxBatch);
      out.push(send<ChainMessage>(b, { type: 'entries', epoch: state.view.epoch, held: state.held, committed: state.committed, entries: missing }));
    }
  }
  return out;
}

function onTimer(state: S, now: number): T {
  let s: S = { ...state, timer: startTimer(now, state.heartbeatMs) };
  const outputs: O[] = heartbeats(s, now);
  if (isPrimary(s) && s.synced) {
    const c = commit(s);
    s = c.state;
    outputs.push(...c.outputs);
    // Sync: a new primary serves reads once every backup holds what it held when it took over.
    if (!s.caughtUp && (s.committed >= s.epochHeld || s.mode === 'async')) s = { ...s, caughtUp: true };
  }
  return transition(s, [...outputs, ...syncMessages(s)]);
}
