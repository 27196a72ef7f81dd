/**
 * An exact distributed counter on Raft: increments carry (session, sequence number) and each is
 * counted once however often it is retried (Ongaro's thesis §6.3, client sessions).
 *
 * @packageDocumentation
 */
import type { DurableMachine, NodeId } from '../core/index.js';
import { ConfigError, InvalidCommandError, MAX_COUNTER, MAX_ID_LENGTH, assertNever, getOwn, inputNow, parse, positiveInt, reject, send, v, withOwn, withoutOwn } from '../core/index.js';
import {
  raft,
  raftReplica,
  type RaftConfig,
  type RaftDurable,
  type RaftMessage,
  type RaftReplicaInput,
  type RaftReplicaOutput,
  type RaftReplicaOutputs,
  type RaftState,
} from '../consensus/index.js';

/**
 * Default bounds of a {@link raftCounter}.
 *
 * @example
 * ```ts
 * import { RAFT_COUNTER_LIMITS } from 'distkit/replication';
 * RAFT_COUNTER_LIMITS.maxOpenPerSession; //=> 128
 * ```
 */
export const RAFT_COUNTER_LIMITS = Object.freeze({
  /** Client sessions kept; registering one more evicts the least recently used (§6.3). */
  maxSessions: 1024,
  /** Answered increments a session remembers above the client's `acked` mark. */
  maxOpenPerSession: 128,
  /** Linearizable reads waiting for their index to be applied. */
  maxPendingReads: 1024,
  /** Largest amount one increment adds. */
  maxIncrement: 2 ** 31,
});

/**
 * Configuration of a {@link raftCounter} node.
 *
 * @example
 * ```ts
 * import { raftCounter, type RaftCounterConfig } from 'distkit/replication';
 * const config: RaftCounterConfig = { raft: { id: 'a', voters: ['a'], seed: 1 }, maxSessions: 1 };
 * let s = raftCounter.init(config);
 * s = raftCounter.step(s, { type: 'campaign', now: 0 }).state;
 * s = raftCounter.step(s, { type: 'register', rid: 'r1', now: 1 }).state;
 * // maxSessions bounds the session table: the oldest session is expired to make room.
 * raftCounter.step(s, { type: 'register', rid: 'r2', now: 2 }).outputs.filter((o) => o.type === 'registered'); //=> [{ type: 'registered', rid: 'r2', session: '3' }]
 * raftCounter.step(s, { type: 'register', rid: 'r2', now: 2 }).state.app.sessions; //=> { '3': { lastIndex: 3, acked: 0, results: {} } }
 * ```
 */
export interface RaftCounterConfig {
  readonly raft: RaftConfig;
  /** Default {@link RAFT_COUNTER_LIMITS}.maxSessions. */
  readonly maxSessions?: number;
  /** Default {@link RAFT_COUNTER_LIMITS}.maxOpenPerSession. */
  readonly maxOpenPerSession?: number;
  /** Hand Raft a snapshot after this many applied entries (§7). Default 1000. */
  readonly snapshotEvery?: number;
}

/**
 * One client session: the log index that last touched it, the client's acknowledgement mark (it
 * has the answer of every sequence number up to it), and the answers above it.
 *
 * @example
 * ```ts
 * import { raftCounter } from 'distkit/replication';
 * // One voter: it elects itself; a client registers a session, then increments.
 * let s = raftCounter.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = raftCounter.step(s, { type: 'campaign', now: 0 }).state;
 * s = raftCounter.step(s, { type: 'register', rid: 'r', now: 1 }).state; // session '2'
 * const inc = (seq: number, now: number) => raftCounter.step(s, { type: 'increment', rid: `i${seq}`, session: '2', seq, acked: 0, now });
 * s = inc(1, 2).state;
 * // The session remembers each answered sequence number's result until the client acknowledges it.
 * s.app.sessions['2']; //=> { lastIndex: 3, acked: 0, results: { '1': 1 } }
 * ```
 */
export interface RaftCounterSession {
  readonly lastIndex: number;
  readonly acked: number;
  readonly results: Readonly<Record<string, number>>;
}

/**
 * The replicated part of a {@link raftCounter}: the count and the client sessions.
 *
 * @example
 * ```ts
 * import { raftCounter } from 'distkit/replication';
 * // One voter: it elects itself; a client registers a session, then increments.
 * let s = raftCounter.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = raftCounter.step(s, { type: 'campaign', now: 0 }).state;
 * s = raftCounter.step(s, { type: 'register', rid: 'r', now: 1 }).state; // session '2'
 * const inc = (seq: number, now: number) => raftCounter.step(s, { type: 'increment', rid: `i${seq}`, session: '2', seq, acked: 0, now });
 * s = inc(1, 2).state;
 * s = inc(2, 3).state;
 * s.app.value; //=> 2
 * ```
 */
export interface RaftCounterApp {
  readonly value: number;
  readonly sessions: Readonly<Record<string, RaftCounterSession>>;
}

/**
 * State of a {@link raftCounter} node (plain data).
 *
 * @example
 * ```ts
 * import { raftCounter } from 'distkit/replication';
 * raftCounter.init({ raft: { id: 'a', voters: ['a'], seed: 1 } }).app.value; //=> 0
 * ```
 */
export interface RaftCounterState {
  readonly raft: RaftState;
  readonly app: RaftCounterApp;
  readonly appliedIndex: number;
  readonly maxSessions: number;
  readonly maxOpenPerSession: number;
  readonly snapshotEvery: number;
  /** Reads confirmed by Raft (`index` set) or waiting for it, and who asked. */
  readonly reads: readonly { readonly rid: string; readonly client: NodeId | null; readonly index: number | null }[];
  readonly nextRead: number;
}

/**
 * A client request, as a local command (`now` added) or as a message from a client node.
 * `register` opens a session; `increment` adds `by` (default 1) once per (session, seq), and
 * `acked` says the client holds the answers of every seq up to it; `get` reads the count
 * linearizably (Raft ReadIndex, thesis §6.4).
 *
 * @example
 * ```ts
 * import { raftCounter } from 'distkit/replication';
 * // One voter: it elects itself; a client registers a session, then increments.
 * let s = raftCounter.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = raftCounter.step(s, { type: 'campaign', now: 0 }).state;
 * s = raftCounter.step(s, { type: 'register', rid: 'r', now: 1 }).state; // session '2'
 * const inc = (seq: number, now: number) => raftCounter.step(s, { type: 'increment', rid: `i${seq}`, session: '2', seq, acked: 0, now });
 * import type { RaftCounterRequest } from 'distkit/replication';
 * const request: RaftCounterRequest = { type: 'increment', rid: 'i1', session: '2', seq: 1, acked: 0, by: 5 };
 * raftCounter.step(s, { ...request, now: 2 }).state.app.value; //=> 5
 * ```
 */
export type RaftCounterRequest =
  | { readonly type: 'register'; readonly rid: string }
  | { readonly type: 'increment'; readonly rid: string; readonly session: string; readonly seq: number; readonly acked: number; readonly by?: number }
  | { readonly type: 'get'; readonly rid: string };

/**
 * An answer to a client: `refused` and `notLeader` mean the request did not and will not take
 * effect; `incremented` says the count after that increment (`duplicate` when a retry found it
 * already counted); `expired` says the session was evicted, so whether its unanswered increments
 * counted is unknown (thesis §6.3: the client must start over with a new session).
 *
 * @example
 * ```ts
 * import { raftCounter } from 'distkit/replication';
 * // One voter: it elects itself; a client registers a session, then increments.
 * let s = raftCounter.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = raftCounter.step(s, { type: 'campaign', now: 0 }).state;
 * s = raftCounter.step(s, { type: 'register', rid: 'r', now: 1 }).state; // session '2'
 * const inc = (seq: number, now: number) => raftCounter.step(s, { type: 'increment', rid: `i${seq}`, session: '2', seq, acked: 0, now });
 * s = inc(1, 2).state;
 * // The same increment retried (its reply was lost) counts once: the first answer comes back.
 * inc(1, 3).outputs.filter((o) => o.type === 'incremented'); //=> [{ type: 'incremented', rid: 'i1', session: '2', seq: 1, value: 1, duplicate: true }]
 * ```
 */
export type RaftCounterReply =
  | { readonly type: 'registered'; readonly rid: string; readonly session: string }
  | { readonly type: 'incremented'; readonly rid: string; readonly session: string; readonly seq: number; readonly value: number; readonly duplicate: boolean }
  | { readonly type: 'value'; readonly rid: string; readonly value: number }
  | { readonly type: 'refused'; readonly rid: string; readonly reason: string }
  | { readonly type: 'expired'; readonly rid: string; readonly session: string }
  | { readonly type: 'notLeader'; readonly rid: string; readonly leader: NodeId | null };

/**
 * Inputs of a {@link raftCounter}: Raft messages from voters, client requests as messages from any
 * other node, local client requests, and ticks.
 *
 * @example
 * ```ts
 * import { raftCounter } from 'distkit/replication';
 * // One voter: it elects itself; a client registers a session, then increments.
 * let s = raftCounter.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = raftCounter.step(s, { type: 'campaign', now: 0 }).state;
 * s = raftCounter.step(s, { type: 'register', rid: 'r', now: 1 }).state; // session '2'
 * const inc = (seq: number, now: number) => raftCounter.step(s, { type: 'increment', rid: `i${seq}`, session: '2', seq, acked: 0, now });
 * import type { RaftCounterInput } from 'distkit/replication';
 * const inputs: RaftCounterInput[] = [
 *   { type: 'increment', rid: 'i1', session: '2', seq: 1, acked: 0, now: 2 },
 *   { type: 'get', rid: 'g1', now: 3 },
 * ];
 * inputs.flatMap((i) => { const t = raftCounter.step(s, i); s = t.state; return t.outputs.filter((o) => o.type === 'incremented' || o.type === 'value').map((o) => o.type); }); //=> ['incremented', 'value']
 * ```
 */
export type RaftCounterInput = RaftReplicaInput | (RaftCounterRequest & { readonly now: number });

/**
 * Outputs of a {@link raftCounter}: Raft's sends and persists, replies to remote clients (sent),
 * replies to local requests (as events), role changes and rejections.
 *
 * @example
 * ```ts
 * import { raftCounter, type RaftCounterOutput } from 'distkit/replication';
 * // A follower that knows no leader refuses, naming none: the client retries elsewhere.
 * const b = raftCounter.init({ raft: { id: 'b', voters: ['a', 'b', 'c'], seed: 1 } });
 * const outputs: readonly RaftCounterOutput[] = raftCounter.step(b, { type: 'get', rid: 'g1', now: 0 }).outputs;
 * outputs; //=> [{ type: 'notLeader', rid: 'g1', leader: null }]
 * ```
 */
export type RaftCounterOutput = RaftReplicaOutput<RaftCounterReply, RaftCounterReply>;

type S = RaftCounterState;
type O = RaftCounterOutput;

const rid = v.string({ minLength: 1, maxLength: MAX_ID_LENGTH });
const seq = v.int({ min: 1, max: MAX_COUNTER });
const requestCheck = v.tagged({
  register: v.object({ type: v.literal('register'), rid }),
  increment: v.object({ type: v.literal('increment'), rid, session: v.string({ minLength: 1, maxLength: 32 }), seq, acked: v.int({ min: 0, max: MAX_COUNTER }), by: v.optional(v.int({ min: 1, max: RAFT_COUNTER_LIMITS.maxIncrement })) }),
  get: v.object({ type: v.literal('get'), rid }),
});

/** What a log entry carries: the request, who asked, and the node that proposed it (which answers). */
interface Command {
  readonly node: NodeId;
  readonly client: NodeId | null;
  readonly request: Exclude<RaftCounterRequest, { type: 'get' }>;
}

// ---- the replicated counter (pure, deterministic, total on log data) -----------------------

/** Applies one committed entry (§6.3): new sessions, increments counted once per (session, seq). */
export function applyCounterCommand(app: RaftCounterApp, index: number, command: Exclude<RaftCounterRequest, { type: 'get' }>, limits: { maxSessions: number; maxOpenPerSession: number }): { app: RaftCounterApp; reply: RaftCounterReply } {
  if (command.type === 'register') {
    let sessions = app.sessions;
    const ids = Object.keys(sessions);
    if (ids.length >= limits.maxSessions) {
      const lru = ids.reduce((a, b) => (getOwn(sessions, a)!.lastIndex <= getOwn(sessions, b)!.lastIndex ? a : b));
      sessions = withoutOwn(sessions, lru);
    }
    const id = String(index);
    return { app: { ...app, sessions: withOwn(sessions, id, { lastIndex: index, acked: 0, results: {} }) }, reply: { type: 'registered', rid: command.rid, session: id } };
  }
  const session = getOwn(app.sessions, command.session);
  const refused = (reason: string) => ({ app, reply: { type: 'refused', rid: command.rid, reason } as const });
  if (session === undefined) return { app, reply: { type: 'expired', rid: command.rid, session: command.session } };
  const acked = Math.max(session.acked, Math.min(command.acked, command.seq - 1));
  let results = session.results;
  for (const k of Object.keys(results)) if (Number(k) <= acked) results = withoutOwn(results, k);
  const key = String(command.seq);
  const known = getOwn(results, key);
  const touched = (r: Readonly<Record<string, number>>): RaftCounterApp => ({ ...app, sessions: withOwn(app.sessions, command.session, { lastIndex: index, acked, results: r }) });
  const answer = (value: number, duplicate: boolean): RaftCounterReply => ({ type: 'incremented', rid: command.rid, session: command.session, seq: command.seq, value, duplicate });
  if (known !== undefined) return { app: touched(results), reply: answer(known, true) };
  if (command.seq <= session.acked) return refused(`sequence number ${command.seq} already acknowledged`);
  if (Object.keys(results).length >= limits.maxOpenPerSession) return refused(`${limits.maxOpenPerSession} increments unacknowledged in this session`);
  const by = command.by ?? 1;
  if (app.value + by > MAX_COUNTER) return refused('the count would pass MAX_COUNTER');
  const value = app.value + by;
  return { app: { ...touched(withOwn(results, key, value)), value }, reply: answer(value, false) };
}

function restoreApp(data: unknown): RaftCounterApp | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const { value, sessions } = data as Partial<RaftCounterApp>;
  return typeof value === 'number' && sessions !== null && typeof sessions === 'object' ? { value, sessions } : undefined;
}

// ---- the machine ----------------------------------------------------------------------------

type Out = RaftReplicaOutputs<RaftCounterReply, RaftCounterReply>;

function reply(out: Out, client: NodeId | null, r: RaftCounterReply): void {
  if (client === null) out.events.push(r);
  else out.sends.push(send<RaftMessage | RaftCounterReply>(client, r));
}

function dropRead(state: S, id: string, leader: NodeId | null, out: Out): S {
  const r = state.reads.find((x) => x.rid === id);
  if (r === undefined) return state;
  reply(out, r.client, { type: 'notLeader', rid: r.rid.slice(r.rid.indexOf(':') + 1), leader });
  return { ...state, reads: state.reads.filter((x) => x !== r) };
}

function answerReads(state: S, out: Out): S {
  if (!state.reads.some((r) => r.index !== null && r.index <= state.appliedIndex)) return state;
  const left = state.reads.filter((r) => {
    if (r.index === null || r.index > state.appliedIndex) return true;
    reply(out, r.client, { type: 'value', rid: r.rid.slice(r.rid.indexOf(':') + 1), value: state.app.value });
    return false;
  });
  return { ...state, reads: left };
}

function commandOf(data: unknown): Command | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const { node, client, request } = data as Partial<Command>;
  const parsed = parse(requestCheck, request, 'request');
  if (typeof node !== 'string' || !(client === null || typeof client === 'string') || !parsed.ok || parsed.value.type === 'get') return undefined;
  return { node, client, request: parsed.value };
}

const steps = raftReplica.steps<S, RaftCounterReply, RaftCounterReply>({
  apply(state, data, index, out) {
    const command = commandOf(data);
    if (command === undefined) return state;
    const applied = applyCounterCommand(state.app, index, command.request, state);
    if (command.node === state.raft.id) reply(out, command.client, applied.reply);
    return { ...state, app: applied.app };
  },
  restore: (state, snapshot) => ({ ...state, app: restoreApp(snapshot.data) ?? state.app }),
  snapshotData: (state) => state.app,
  answer(state, o, out) {
    if (o.type === 'readReady') return { ...state, reads: state.reads.map((r) => (r.rid === o.id && r.index === null ? { ...r, index: o.index } : r)) };
    return o.command === 'read' && o.id !== undefined ? dropRead(state, o.id, o.leader, out) : state;
  },
  settle: answerReads,
});

/** A client's request, from the network (`client` set) or a local command (`client` null). */
function onRequest(state: S, request: RaftCounterRequest, client: NodeId | null, now: number, out: Out): S {
  if (request.type === 'get') {
    if (state.reads.length >= RAFT_COUNTER_LIMITS.maxPendingReads) {
      reply(out, client, { type: 'refused', rid: request.rid, reason: `${RAFT_COUNTER_LIMITS.maxPendingReads} reads pending` });
      return state;
    }
    const id = `${state.nextRead}:${request.rid}`;
    const s: S = { ...state, nextRead: state.nextRead + 1, reads: [...state.reads, { rid: id, client, index: null }] };
    return steps.raft(s, { type: 'read', id, now }, out);
  }
  if (state.raft.role !== 'leader') {
    reply(out, client, { type: 'notLeader', rid: request.rid, leader: state.raft.leader });
    return state;
  }
  const data: Command = { node: state.raft.id, client, request };
  const proposed = steps.propose(state, data, now, out);
  if (proposed.refused !== undefined) reply(out, client, { type: 'refused', rid: request.rid, reason: proposed.refused });
  return proposed.state;
}

function start(config: RaftCounterConfig, r: RaftState): S {
  if (config === null || typeof config !== 'object' || config.raft === null || typeof config.raft !== 'object') throw new ConfigError('raft', 'must be a RaftConfig');
  const snap = r.log.snapshot;
  return {
    raft: r,
    app: (snap.index > 0 ? restoreApp(snap.data) : undefined) ?? { value: 0, sessions: {} },
    appliedIndex: r.applied,
    maxSessions: positiveInt('maxSessions', config.maxSessions, RAFT_COUNTER_LIMITS.maxSessions),
    maxOpenPerSession: positiveInt('maxOpenPerSession', config.maxOpenPerSession, RAFT_COUNTER_LIMITS.maxOpenPerSession),
    snapshotEvery: positiveInt('snapshotEvery', config.snapshotEvery, 1000),
    reads: [],
    nextRead: 1,
  };
}

/**
 * An exact counter replicated by Raft (the notes' DistributedCounter: "100 concurrent increments
 * give exactly 100"). A client registers a session, then numbers its increments 1, 2, 3 ...;
 * retrying an increment (after a timeout, a lost answer, a leader change) re-proposes the same
 * (session, seq), and the replicated state machine counts it once and answers the retry with the
 * original result (Ongaro's thesis §6.3, client sessions). A session remembers the answers above
 * the client's `acked` mark, at most `maxOpenPerSession`; at most `maxSessions` sessions are
 * kept, the least recently used evicted (a client of an evicted session is told to register
 * again, never double counted). `get` is linearizable (ReadIndex, §6.4).
 *
 * Clients talk to it by messages (`register`, `increment` and `get` messages are client requests,
 * any other goes to Raft; replies are sent back) or, in-process, by local commands (replies are
 * outputs).
 *
 * @example
 * ```ts
 * import { raftCounter } from 'distkit/replication';
 * let s = raftCounter.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = raftCounter.step(s, { type: 'campaign', now: 0 } as never).state;
 * const reg = raftCounter.step(s, { type: 'register', rid: 'r', now: 1 });
 * reg.outputs.filter((o) => o.type === 'registered'); //=> [{ type: 'registered', rid: 'r', session: '2' }]
 * const inc = { type: 'increment', rid: 'i', session: '2', seq: 1, acked: 0 } as const;
 * const once = raftCounter.step(reg.state, { ...inc, now: 2 });
 * const twice = raftCounter.step(once.state, { ...inc, now: 3 });
 * twice.outputs.filter((o) => o.type === 'incremented'); //=> [{ type: 'incremented', rid: 'i', session: '2', seq: 1, value: 1, duplicate: true }]
 * ```
 */
export const raftCounter: DurableMachine<RaftCounterConfig, RaftCounterState, RaftCounterInput, RaftCounterOutput, RaftDurable> = {
  name: 'raft-counter',
  init: (config) => start(config, raft.init(config?.raft)),
  step(state, input) {
    const now = inputNow(input);
    const out: Out = raftReplica.collect();
    let s: S;
    switch (input.type) {
      case 'message': {
        const kind = input.message !== null && typeof input.message === 'object' ? getOwn(input.message as Record<string, unknown>, 'type') : undefined;
        if (kind !== 'register' && kind !== 'increment' && kind !== 'get') {
          s = steps.raft(state, input, out);
          break;
        }
        const parsed = parse(requestCheck, input.message, 'message');
        if (!parsed.ok) return reject(state, input.from, parsed.problem);
        s = onRequest(state, parsed.value, input.from, now, out);
        break;
      }
      case 'tick':
      case 'campaign':
      case 'transferLeadership':
      case 'persisted':
        s = steps.raft(state, input, out);
        break;
      case 'register':
      case 'increment':
      case 'get': {
        const parsed = parse(requestCheck, input, 'command');
        if (!parsed.ok) throw new InvalidCommandError(input.type, parsed.problem);
        s = onRequest(state, parsed.value, null, now, out);
        break;
      }
      default:
        return assertNever(input, 'input');
    }
    return steps.finish(state, steps.compact(s, now, out), out);
  },
  ...raftReplica.durability(start, (config: RaftCounterConfig) => config.raft),
};

