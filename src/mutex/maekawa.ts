import type { Machine, NodeId, Transition } from '../core/index.js';
import { ConfigError, MAX_COUNTER, MAX_ID_LENGTH, checkMembers, getOwn, parse, reject, send, setOwn, transition, v } from '../core/index.js';
import { compareRequests, receiveClock, stepTimestamped, type TimestampedMutex, type MutexInput, type MutexOutput, type TimestampedRequesterState } from './common.js';

/**
 * Configuration of a {@link maekawa} node.
 *
 * @example
 * ```ts
 * import { maekawa } from 'distkit/mutex';
 * const ids = ['n1', 'n2', 'n3', 'n4'];
 * import type { MaekawaConfig } from 'distkit/mutex';
 * const config: MaekawaConfig = { id: 'n1', nodes: ids };
 * // Grid quorums: with 4 nodes each voting set is the node's row and column of a 2x2 grid.
 * maekawa.init(config).quorum; //=> ['n1', 'n2', 'n3']
 * ```
 */
export interface MaekawaConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** Every participant; their order lays out the grid row by row. */
  readonly nodes: readonly NodeId[];
  /** Explicit voting sets (every pair must intersect); default {@link gridQuorums}. */
  readonly quorums?: Readonly<Record<NodeId, readonly NodeId[]>>;
}

/**
 * A Maekawa message. `ts` and `owner` name the request it concerns: (`ts`, `owner`) is unique.
 *
 * @example
 * ```ts
 * import { maekawa } from 'distkit/mutex';
 * const ids = ['n1', 'n2', 'n3', 'n4'];
 * const n2 = maekawa.init({ id: 'n2', nodes: ids });
 * // n2 votes for the first request it sees: LOCKED.
 * maekawa.step(n2, { type: 'message', from: 'n1', message: { type: 'request', ts: 1, owner: 'n1' }, now: 0 }).outputs; //=> [{ type: 'send', to: 'n1', message: { type: 'locked', ts: 1, owner: 'n1' } }]
 * ```
 */
export interface MaekawaMessage {
  /**
   * requester → voter: `request`, `relinquish`, `release`; voter → requester: `locked` (the vote),
   * `failed` (a higher-priority request holds or waits for the vote), `inquire` (give it back?).
   */
  readonly type: 'request' | 'locked' | 'failed' | 'inquire' | 'relinquish' | 'release';
  /** Timestamp of the request concerned. */
  readonly ts: number;
  /** The requester of the request concerned. */
  readonly owner: NodeId;
}

/**
 * A request, as a voter remembers it.
 *
 * @example
 * ```ts
 * import { maekawa } from 'distkit/mutex';
 * const ids = ['n1', 'n2', 'n3', 'n4'];
 * import type { MaekawaRequest } from 'distkit/mutex';
 * // Requests are ordered by Lamport timestamp, then node id: the smaller one has priority.
 * const first = (x: MaekawaRequest, y: MaekawaRequest) => (x.ts !== y.ts ? (x.ts < y.ts ? x : y) : x.owner < y.owner ? x : y);
 * first({ ts: 4, owner: 'n2' }, { ts: 4, owner: 'n1' }); //=> { ts: 4, owner: 'n1' }
 * ```
 */
export interface MaekawaRequest {
  /** Its timestamp. */
  readonly ts: number;
  /** Its requester. */
  readonly owner: NodeId;
}

/**
 * State of a {@link maekawa} node: requester part and voter part.
 *
 * @example
 * ```ts
 * import { maekawa } from 'distkit/mutex';
 * maekawa.init({ id: 'a', nodes: ['a', 'b', 'c', 'd'] }).quorum; //=> ['a', 'b', 'c']
 * ```
 */
export interface MaekawaState extends TimestampedRequesterState {
  /** Every participant. */
  readonly nodes: readonly NodeId[];
  /** This node's voting set (may include itself). */
  readonly quorum: readonly NodeId[];
  /** Voters whose vote this node holds. */
  readonly granted: readonly NodeId[];
  /** Voters that answered FAILED (and have not granted since). */
  readonly failedFrom: readonly NodeId[];
  /** Voters this node relinquished and awaits a new vote from. */
  readonly relinquished: readonly NodeId[];
  /** Voters whose INQUIRE is not answered yet. */
  readonly inquiries: readonly NodeId[];
  /** Voter: the request this node's vote is locked for. */
  readonly lockedFor: MaekawaRequest | null;
  /** Voter: an INQUIRE was sent for `lockedFor`. */
  readonly inquired: boolean;
  /** Voter: waiting requests by priority; `failed` when they were told FAILED. */
  readonly waiting: readonly (MaekawaRequest & { readonly failed: boolean })[];
}

/**
 * Outputs of {@link maekawa}.
 *
 * @example
 * ```ts
 * import { maekawa } from 'distkit/mutex';
 * const ids = ['n1', 'n2', 'n3', 'n4'];
 * import type { MaekawaOutput } from 'distkit/mutex';
 * const n2 = maekawa.init({ id: 'n2', nodes: ids });
 * const locked = maekawa.step(n2, { type: 'message', from: 'n1', message: { type: 'request', ts: 1, owner: 'n1' }, now: 0 }).state;
 * // Already locked for n1's earlier request, n2 answers a later one with FAILED.
 * const o: readonly MaekawaOutput[] = maekawa.step(locked, { type: 'message', from: 'n4', message: { type: 'request', ts: 5, owner: 'n4' }, now: 1 }).outputs;
 * o; //=> [{ type: 'send', to: 'n4', message: { type: 'failed', ts: 5, owner: 'n4' } }]
 * ```
 */
export type MaekawaOutput = MutexOutput<MaekawaMessage>;

/**
 * Grid quorums (Maekawa 1985 §3, the √N × √N grid construction): nodes fill a grid of
 * ⌈√N⌉ columns row by row; a node's voting set is its row plus its column (about 2√N − 1 nodes).
 * Any two sets intersect, also when the last row is incomplete.
 *
 * @example
 * ```ts
 * import { gridQuorums } from 'distkit/mutex';
 * gridQuorums(['a', 'b', 'c', 'd']).a; //=> ['a', 'b', 'c']
 * ```
 */
export function gridQuorums(nodes: readonly NodeId[]): Record<NodeId, NodeId[]> {
  const cols = Math.ceil(Math.sqrt(nodes.length));
  const out: Record<NodeId, NodeId[]> = {};
  nodes.forEach((n, i) => {
    const r = Math.floor(i / cols);
    const c = i % cols;
    const set = nodes.filter((_, j) => Math.floor(j / cols) === r || j % cols === c);
    setOwn(out, n, set);
  });
  return out;
}

const messageCheck = v.object({
  type: v.literal('request', 'locked', 'failed', 'inquire', 'relinquish', 'release'),
  ts: v.int({ min: 1, max: MAX_COUNTER }),
  owner: v.string({ minLength: 1, maxLength: MAX_ID_LENGTH }),
});

type T = Transition<MaekawaState, MaekawaOutput>;

/**
 * Maekawa's √N mutual exclusion (Maekawa, ACM TOCS 1985) with its deadlock-avoidance messages: a
 * requester needs the vote (LOCKED) of every member of its voting set. A voter locked for one
 * request answers a later one with FAILED, and an earlier one by sending INQUIRE to the holder,
 * which RELINQUISHes the vote if it has been told FAILED (or already relinquished another) and has
 * not entered yet. Requests are ordered by Lamport timestamp, then node id. 3√N to 5√N messages per
 * entry with grid quorums. Timestamps above `MAX_COUNTER` are refused, and the clock never passes it.
 *
 * @example
 * ```ts
 * import { maekawa } from 'distkit/mutex';
 * const a = maekawa.init({ id: 'a', nodes: ['a', 'b', 'c', 'd'] });
 * maekawa.step(a, { type: 'request', now: 0 }).outputs.length; //=> 2 (to b and c; a votes for itself)
 * ```
 */
export const maekawa: Machine<MaekawaConfig, MaekawaState, MutexInput, MaekawaOutput> = {
  name: 'maekawa',
  init(config) {
    const nodes = checkMembers(config.id, config.nodes);
    const quorums = config.quorums ?? gridQuorums(nodes);
    const quorum = getOwn(quorums, config.id);
    if (quorum === undefined || quorum.length === 0) throw new ConfigError('quorums', `no voting set for ${config.id}`);
    for (const q of quorum) if (!nodes.includes(q)) throw new ConfigError('quorums', `${q} is not one of nodes`);
    for (const [other, set] of Object.entries(quorums)) {
      if (!set.some((x) => quorum.includes(x))) throw new ConfigError('quorums', `the sets of ${config.id} and ${other} do not intersect`);
    }
    return {
      id: config.id,
      nodes,
      quorum: quorum.slice(),
      clock: 0,
      phase: 'idle',
      requestTs: -1,
      granted: [],
      failedFrom: [],
      relinquished: [],
      inquiries: [],
      lockedFor: null,
      inquired: false,
      waiting: [],
    };
  },
  step: (state, input) => stepTimestamped(handlers, state, input),
};

const handlers: TimestampedMutex<MaekawaState, MaekawaOutput> = {
  request(state, ts) {
    const s: MaekawaState = { ...state, clock: ts, phase: 'wanting', requestTs: ts, granted: [], failedFrom: [], relinquished: [], inquiries: [] };
    return run(s, state.quorum.map((q) => ({ to: q, m: { type: 'request', ts, owner: state.id } })));
  },
  release(state) {
    const ts = state.requestTs;
    const s: MaekawaState = { ...state, phase: 'idle', requestTs: -1, granted: [], failedFrom: [], relinquished: [], inquiries: [] };
    return run(s, state.quorum.map((q) => ({ to: q, m: { type: 'release', ts, owner: state.id } })));
  },
  message(state, from, message) {
    if (!state.nodes.includes(from) || from === state.id) return reject(state, from, `unknown sender ${JSON.stringify(from)}`);
    const parsed = parse(messageCheck, message, 'message');
    if (!parsed.ok) return reject(state, from, parsed.problem);
    const m: MaekawaMessage = parsed.value;
    const why = validate(state, from, m);
    if (why !== undefined) return reject(state, from, why);
    return run(state, [], { from, m });
  },
};

/** Cheap consistency checks on an incoming message, before any state changes. */
function validate(state: MaekawaState, from: NodeId, m: MaekawaMessage): string | undefined {
  switch (m.type) {
    case 'request':
    case 'relinquish':
    case 'release':
      if (m.owner !== from) return `${m.type} for ${m.owner} sent by ${from}`;
      if (m.type === 'request') {
        // A node requests again only after releasing, so an older request of the same owner is over
        // (its RELEASE may still be in flight); an equal or newer one is a duplicate.
        if (state.lockedFor?.owner === from && state.lockedFor.ts >= m.ts) return 'duplicate or stale request';
        if (state.waiting.some((w) => w.owner === from && w.ts >= m.ts)) return 'duplicate or stale request';
        return undefined;
      }
      if (state.lockedFor === null || state.lockedFor.owner !== from || state.lockedFor.ts !== m.ts) {
        if (m.type === 'release' && state.waiting.some((w) => w.owner === from && w.ts === m.ts)) return undefined;
        return `${m.type} of a request this voter is not locked for`;
      }
      return undefined;
    case 'locked':
    case 'failed':
    case 'inquire':
      if (m.owner !== state.id || m.ts !== state.requestTs || state.phase === 'idle') return `${m.type} for a request this node did not make`;
      if (!state.quorum.includes(from)) return `${m.type} from ${from}, not in the voting set`;
      if (m.type === 'locked' && state.granted.includes(from)) return 'duplicate vote';
      return undefined;
  }
}

interface Envelope {
  readonly to: NodeId;
  readonly m: MaekawaMessage;
}

/** Processes a message and every message the node sends to itself (it is a voter of its own set). */
function run(state: MaekawaState, initial: readonly Envelope[], first?: { from: NodeId; m: MaekawaMessage }): T {
  let s = state;
  const outputs: MaekawaOutput[] = [];
  const local: { from: NodeId; m: MaekawaMessage }[] = [];
  const emit = (envs: readonly Envelope[]): void => {
    for (const e of envs) {
      if (e.to === s.id) local.push({ from: s.id, m: e.m });
      else outputs.push(send(e.to, e.m));
    }
  };
  emit(initial);
  if (first) local.unshift(first);
  while (local.length > 0) {
    const { from, m } = local.shift()!;
    const r = handle(s, from, m);
    s = r.state;
    outputs.push(...r.extra);
    emit(r.sends);
  }
  return transition(s, outputs);
}

interface Handled {
  readonly state: MaekawaState;
  readonly sends: readonly Envelope[];
  readonly extra: readonly MaekawaOutput[];
}

function handle(state: MaekawaState, from: NodeId, m: MaekawaMessage): Handled {
  switch (m.type) {
    case 'request': {
      let s: MaekawaState = { ...state, clock: receiveClock(state.clock, m.ts), waiting: state.waiting.filter((w) => w.owner !== from) };
      const sends: Envelope[] = [];
      if (s.lockedFor?.owner === from) {
        // Implicit release of the owner's previous request (its RELEASE was overtaken).
        const r = grantNext({ ...s, lockedFor: null });
        s = r.state;
        sends.push(...r.sends);
      }
      const r = voterRequest(s, { ts: m.ts, owner: from });
      return { state: r.state, sends: [...sends, ...r.sends], extra: [] };
    }
    case 'release':
      return voterRelease(state, from, m.ts);
    case 'relinquish':
      return voterRelinquish(state);
    case 'locked':
    case 'failed':
    case 'inquire':
      if (m.owner !== state.id || m.ts !== state.requestTs) return { state, sends: [], extra: [] }; // stale (local delivery)
      return requesterMessage(state, from, m.type);
  }
}

const cmp = (a: MaekawaRequest, b: MaekawaRequest): number => compareRequests(a.ts, a.owner, b.ts, b.owner);

// ---- voter side -------------------------------------------------------------------------------

function voterRequest(state: MaekawaState, req: MaekawaRequest): Handled {
  const msg = (type: MaekawaMessage['type'], r: MaekawaRequest): Envelope => ({ to: r.owner, m: { type, ts: r.ts, owner: r.owner } });
  if (state.lockedFor === null) {
    return { state: { ...state, lockedFor: req, inquired: false }, sends: [msg('locked', req)], extra: [] };
  }
  const sends: Envelope[] = [];
  const lockedWins = cmp(state.lockedFor, req) < 0;
  const waitingWins = state.waiting.some((w) => cmp(w, req) < 0);
  let inquired = state.inquired;
  let failed = false;
  if (lockedWins || waitingWins) {
    // A higher-priority request holds or waits for this vote: tell the newcomer FAILED.
    sends.push(msg('failed', req));
    failed = true;
  }
  if (!lockedWins && !inquired) {
    // The newcomer precedes the current holder: ask the holder to give the vote back.
    sends.push(msg('inquire', state.lockedFor));
    inquired = true;
  }
  const waiting = [...state.waiting, { ...req, failed }].sort(cmp);
  return { state: { ...state, waiting, inquired }, sends, extra: [] };
}

function grantNext(state: MaekawaState): Handled {
  const [head, ...rest] = state.waiting;
  if (head === undefined) return { state: { ...state, lockedFor: null, inquired: false }, sends: [], extra: [] };
  const lockedFor = { ts: head.ts, owner: head.owner };
  const sends: Envelope[] = [{ to: head.owner, m: { type: 'locked', ts: head.ts, owner: head.owner } }];
  // Every remaining waiter now has a higher-priority request ahead of it: make sure it knows.
  const waiting = rest.map((w) => {
    if (w.failed) return w;
    sends.push({ to: w.owner, m: { type: 'failed', ts: w.ts, owner: w.owner } });
    return { ...w, failed: true };
  });
  return { state: { ...state, lockedFor, inquired: false, waiting }, sends, extra: [] };
}

function voterRelease(state: MaekawaState, from: NodeId, ts: number): Handled {
  if (state.lockedFor?.owner !== from || state.lockedFor.ts !== ts) {
    return { state: { ...state, waiting: state.waiting.filter((w) => !(w.owner === from && w.ts === ts)) }, sends: [], extra: [] };
  }
  return grantNext({ ...state, lockedFor: null });
}

function voterRelinquish(state: MaekawaState): Handled {
  const back = state.lockedFor;
  if (back === null) return { state, sends: [], extra: [] };
  // The yielding request goes back into the queue (it has been told FAILED or yielded before).
  const waiting = [...state.waiting, { ...back, failed: true }].sort(cmp);
  return grantNext({ ...state, lockedFor: null, waiting });
}

// ---- requester side ---------------------------------------------------------------------------

function requesterMessage(state: MaekawaState, from: NodeId, type: 'locked' | 'failed' | 'inquire'): Handled {
  let s = state;
  if (type === 'locked') {
    if (s.granted.includes(from)) return { state, sends: [], extra: [] };
    s = {
      ...s,
      granted: [...s.granted, from],
      failedFrom: s.failedFrom.filter((x) => x !== from),
      relinquished: s.relinquished.filter((x) => x !== from),
    };
    if (s.phase === 'wanting' && s.granted.length === s.quorum.length) {
      return { state: { ...s, phase: 'held', inquiries: [] }, sends: [], extra: [{ type: 'enter' }] };
    }
  } else if (type === 'failed') {
    if (!s.failedFrom.includes(from)) s = { ...s, failedFrom: [...s.failedFrom, from] };
  } else {
    if (s.phase === 'held') return { state, sends: [], extra: [] }; // will release anyway
    if (!s.inquiries.includes(from)) s = { ...s, inquiries: [...s.inquiries, from] };
  }
  return answerInquiries(s);
}

/** Relinquish every inquired vote we hold, once we know we cannot win now (FAILED seen or yielded). */
function answerInquiries(state: MaekawaState): Handled {
  if (state.phase !== 'wanting') return { state, sends: [], extra: [] };
  if (state.failedFrom.length === 0 && state.relinquished.length === 0) return { state, sends: [], extra: [] };
  const give = state.inquiries.filter((x) => state.granted.includes(x));
  if (give.length === 0) return { state, sends: [], extra: [] };
  const s: MaekawaState = {
    ...state,
    granted: state.granted.filter((x) => !give.includes(x)),
    relinquished: [...state.relinquished, ...give],
    inquiries: state.inquiries.filter((x) => !give.includes(x)),
  };
  return {
    state: s,
    sends: give.map((to) => ({ to, m: { type: 'relinquish', ts: state.requestTs, owner: state.id } })),
    extra: [],
  };
}
