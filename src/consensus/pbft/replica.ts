import type { Machine, NodeId, Transition } from '../../core/index.js';
import {
  ConfigError,
  MAX_COUNTER,
  STOPPED_TIMER,
  assertNever,
  byzantineTolerance,
  canIncrement,
  checkId,
  checkIds,
  earliest,
  getOwn,
  inputNow,
  nonNegativeInt,
  parse,
  plainDataProblem,
  positiveInt,
  positiveMs,
  reject,
  setOwn,
  startTimer,
  timerDue,
  transition,
  withOwn,
  withoutOwn,
} from '../../core/index.js';
import { checkSha256, type PbftAuthenticator, type PbftSha256 } from './crypto.js';
import {
  checkPrePrepareBody,
  checkProof,
  checkSigner,
  checksCache,
  checkViewChange,
  payloadLimitsOf,
  planNewView,
  primaryOf,
  requestDigest,
  signed,
  snapshotDigest,
  verifyByReplica,
  verifyRequest,
  type NewViewPlan,
  type PbftChecks,
} from './messages.js';
import { hashChainService } from './service.js';
import { seqAbove, seqDrop, seqGet, seqPut } from './seq-list.js';
import {
  PBFT_MAX_CLIENTS,
  type PbftCheckpoint,
  PbftMessage,
  PbftNewView,
  PbftPrePrepare,
  PbftPreparedCertificate,
  PbftReplicaConfig,
  PbftReplicaInput,
  PbftReplicaOutput,
  PbftReplicaState,
  PbftReply,
  PbftRequest,
  PbftService,
  PbftSlot,
  PbftSnapshot,
  PbftViewChange,
  PbftVote,
} from './types.js';

/**
 * What a {@link pbftReplica} machine is built with: the node's authenticator (its secrets), the
 * SHA-256 under its digests and the replicated service (default {@link pbftHashChainService}).
 *
 * @example
 * ```ts
 * import { pbftHmacAuthenticator, pbftHmacKeyRings, type PbftReplicaOptions } from 'distkit/consensus';
 * const rings = pbftHmacKeyRings(['r0', 'r1', 'r2', 'r3'], 'secret');
 * const options: PbftReplicaOptions = { authenticator: pbftHmacAuthenticator({ id: 'r0', keys: rings.r0! }) };
 * // On Node.js, `{ ...nodePbftCrypto({ id: 'r0', keys: rings.r0! }) }` (distkit/node) plugs in
 * // OpenSSL for both the authenticator and `sha256`.
 * ```
 */
export interface PbftReplicaOptions {
  /** Signs this replica's messages and checks everyone else's. */
  readonly authenticator: PbftAuthenticator;
  /**
   * SHA-256 of UTF-8 text as lower-case hex, under request, checkpoint and hash-chain digests.
   * Default: the portable TypeScript one. A native one (`nodePbftSha256`, distkit/node) is
   * faster; every replica of a cluster must compute the same function (digests are compared
   * across replicas), so the machine checks it against the portable one on a few probes when it
   * is built and throws {@link ConfigError} if they differ.
   */
  readonly sha256?: PbftSha256;
  /** The replicated service. Default: {@link pbftHashChainService}, hashing with `sha256`. */
  readonly service?: PbftService<any>;
}

/**
 * The PBFT replica machine type: a {@link Machine} with a required `nextDeadline`.
 *
 * @example
 * ```ts
 * import type { PbftReplicaMachine } from 'distkit/consensus';
 * declare const m: PbftReplicaMachine;
 * const deadline: number | undefined = m.nextDeadline(m.init({ id: 'r0', replicas: ['r0'] }));
 * ```
 */
export type PbftReplicaMachine = Machine<PbftReplicaConfig, PbftReplicaState, PbftReplicaInput, PbftReplicaOutput> & {
  /** When the replica wants its next `tick` (see {@link pbftReplicaNextDeadline}). */
  nextDeadline(state: PbftReplicaState): number | undefined;
};

interface Ctx {
  readonly auth: PbftAuthenticator;
  readonly sha256: PbftSha256;
  readonly service: PbftService<any>;
  /** The current input's time: every timer a handler starts counts from it. */
  readonly now: number;
  readonly checks: PbftChecks;
}

type S = PbftReplicaState;
type Out = PbftReplicaOutput[];
/** A handler's result: the next state, or the reason the input is rejected (state unchanged). */
type R = S | string;

/** A slot in which nothing has arrived yet. */
function emptySlot(seq: number): PbftSlot {
  return { seq, prePrepare: null, prepares: {}, commits: {}, prepared: false, committed: false };
}

const slotSeq = (x: PbftSlot): number => x.seq;
const certificateSeq = (x: PbftPreparedCertificate): number => x.prePrepare.seq;

/**
 * A PBFT replica (Castro & Liskov, "Practical Byzantine Fault Tolerance", OSDI 1999; details from
 * TOCS 2002): three-phase agreement (pre-prepare, prepare, commit; §4.2) with 2f+1 certificates,
 * execution in sequence order with one cached reply per client (§4.1), checkpoints every K
 * requests that become stable with 2f+1 matching checkpoint messages, low/high watermarks and
 * garbage collection (§4.3), state transfer to lagging replicas, and view changes whose
 * VIEW-CHANGE carries prepared certificates and whose NEW-VIEW re-proposes them, with null
 * requests in the gaps (§4.4), plus the liveness rules of §4.5.2 (doubling timeouts, joining a
 * view change seen from f+1 replicas). n = 3f+1 replicas tolerate f Byzantine ones.
 *
 * Every protocol message is signed with the node's {@link PbftAuthenticator}, including those
 * embedded in certificates, and every signature is checked (a state-transfer answer is trusted
 * through the checkpoint proof it carries). The machine is built per node because the
 * authenticator holds that node's secrets and is not plain data (states stay JSON).
 *
 * @example
 * ```ts
 * import { pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const r1 = pbftReplica({ authenticator: pbftHmacAuthenticator({ id: 'r1', keys: rings.r1! }) });
 * const s = r1.init({ id: 'r1', replicas: ids, checkpointInterval: 16, viewChangeTimeoutMs: 500 });
 * // Time travels with every input; no tick is needed before the first message.
 * r1.step(s, { type: 'message', from: 'r0', message: { junk: true }, now: 1 }).outputs[0]?.type; //=> 'rejected'
 * ```
 */
export function pbftReplica(options: PbftReplicaOptions): PbftReplicaMachine {
  const auth = options.authenticator;
  const sha256 = checkSha256('sha256', options.sha256);
  const service = options.service ?? hashChainService(sha256);
  // The checks depend only on the state's payload limits; keep the last ones built.
  const checksOf = checksCache();
  return {
    name: 'pbft-replica',
    init: (config) => init(auth, sha256, service, config),
    step(state, input): Transition<S, PbftReplicaOutput> {
      const now = inputNow(input);
      const ctx: Ctx = { auth, sha256, service, now, checks: checksOf(state.payloadLimits) };
      switch (input.type) {
        case 'tick': {
          const out: Out = [];
          return transition(onTick(ctx, state, out), out);
        }
        case 'message': {
          const { from, message } = input;
          if (typeof from !== 'string') return reject(state, String(from), 'from: expected a node id');
          // Only the parsed copy (declared fields, bounded payloads) is looked at and stored.
          const parsed = parse(ctx.checks.message, message, 'message');
          if (!parsed.ok) return reject(state, from, parsed.problem);
          const out: Out = [];
          const r = onMessage(ctx, state, from, parsed.value, out);
          if (typeof r === 'string') return reject(state, from, r);
          return transition(r, out);
        }
        default:
          return assertNever(input, 'pbft replica input');
      }
    },
    nextDeadline,
  };
}

function init(auth: PbftAuthenticator, sha256: PbftSha256, service0: PbftService<any>, config: PbftReplicaConfig): S {
  const replicas = checkIds('replicas', config.replicas);
  const id = checkId('id', config.id);
  if (!replicas.includes(id)) throw new ConfigError('id', `${JSON.stringify(id)} is not in replicas`);
  checkSigner(auth, id);
  const K = positiveInt('checkpointInterval', config.checkpointInterval, 128);
  const L = positiveInt('logSize', config.logSize, 2 * K);
  if (L < K) throw new ConfigError('logSize', `must be at least checkpointInterval (${K}), got ${L}`);
  const T = positiveMs('viewChangeTimeoutMs', config.viewChangeTimeoutMs, 1000);
  const payloadLimits = payloadLimitsOf('payloadLimits', config.payloadLimits);
  const maxClients = positiveInt('maxClients', config.maxClients, PBFT_MAX_CLIENTS);
  const maxEarlyPerReplica = nonNegativeInt('maxEarlyPerReplica', config.maxEarlyPerReplica, 3 * L);
  const service = service0.init();
  const problem = plainDataProblem(service, 'service');
  if (problem !== undefined) throw new ConfigError('service', `init() must return plain JSON data (${problem})`);
  const n = replicas.length;
  // §4: f = ⌊(n − 1)/3⌋. Quorums are n − f, which is 2f + 1 when n = 3f + 1; with more replicas
  // only n − f makes two quorums share a correct replica.
  const f = byzantineTolerance(n);
  const snapshot: PbftSnapshot = { service, replies: {} };
  return {
    id,
    replicas,
    f,
    quorum: n - f,
    checkpointInterval: K,
    logSize: L,
    baseTimeoutMs: T,
    view: 0,
    status: 'normal',
    normalView: 0,
    seq: 0,
    lastExecuted: 0,
    log: [],
    certificates: [],
    stable: { seq: 0, digest: snapshotDigest(snapshot, sha256), proof: [], snapshot },
    checkpoints: {},
    service,
    replies: {},
    waiting: {},
    viewChanges: {},
    newView: null,
    early: [],
    viewChangeQuorum: false,
    timer: STOPPED_TIMER,
    timeoutMs: T,
    fetchTimer: STOPPED_TIMER,
    payloadLimits,
    maxClients,
    maxEarlyPerReplica,
  };
}

/**
 * The time at which a {@link pbftReplica} wants its next `tick`: the view-change timer or, while
 * the stable checkpoint's state is missing, the next state fetch.
 *
 * @example
 * ```ts
 * import { pbftReplicaNextDeadline, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const rings = pbftHmacKeyRings(['r0'], 'secret');
 * const m = pbftReplica({ authenticator: pbftHmacAuthenticator({ id: 'r0', keys: rings.r0! }) });
 * pbftReplicaNextDeadline(m.init({ id: 'r0', replicas: ['r0'] })); //=> undefined
 * ```
 */
export function pbftReplicaNextDeadline(s: PbftReplicaState): number | undefined {
  return nextDeadline(s);
}

function nextDeadline(s: S): number | undefined {
  return earliest(s.timer, s.stable.snapshot === null ? s.fetchTimer : null);
}

/** The slot of sequence number `seq`, if the log has one. */
function slotAt(s: S, seq: number): PbftSlot | undefined {
  return seqGet(s.log, seq, slotSeq);
}

// ---------------------------------------------------------------------------------------------
// Dispatch

function onMessage(ctx: Ctx, s: S, from: NodeId, m: PbftMessage, out: Out): R {
  switch (m.type) {
    case 'request':
      return onRequest(ctx, s, from, m, out);
    case 'pre-prepare':
      return onPrePrepare(ctx, s, m, out);
    case 'prepare':
    case 'commit':
      return onVote(ctx, s, m, out);
    case 'checkpoint':
      return onCheckpoint(ctx, s, m, out);
    case 'view-change':
      return onViewChange(ctx, s, from, m, out);
    case 'new-view':
      return onNewView(ctx, s, m, out);
    case 'fetch':
      return onFetch(s, from, m.seq, out);
    case 'state':
      return onState(ctx, s, from, m.seq, m.snapshot, m.proof, out);
    case 'reply':
      return 'reply: replicas do not take replies';
    default:
      return assertNever(m, 'pbft message');
  }
}

/** The longest view-change timeout, as a multiple of T: doubling stops here so it stays finite. */
const MAX_TIMEOUT_FACTOR = 1 << 16;

function onTick(ctx: Ctx, s0: S, out: Out): S {
  let s = s0;
  const now = ctx.now;
  if (timerDue(s.timer, now)) {
    if (s.view >= MAX_COUNTER || !canIncrement(s.view)) {
      // No later view can be named: keep waiting (unreachable in practice, 2^53 views).
      s = { ...s, timer: startTimer(now, s.timeoutMs) };
    } else if (s.status === 'normal') s = startViewChange(ctx, s, s.view + 1, out);
    else if (s.viewChangeQuorum) {
      // §4.5.2: a view change that does not complete in T moves on to the next view with 2T.
      const timeoutMs = Math.min(s.timeoutMs * 2, s.baseTimeoutMs * MAX_TIMEOUT_FACTOR);
      s = startViewChange(ctx, { ...s, timeoutMs }, s.view + 1, out);
    } else {
      // No quorum of view-changes yet: some may have been lost, so send ours again.
      const own = latestViewChange(s, s.id);
      if (own !== undefined) multicast(s, own, out);
      s = { ...s, timer: startTimer(now, s.timeoutMs) };
    }
  }
  if (s.stable.snapshot === null && timerDue(s.fetchTimer, now)) s = askForState(ctx, s, out);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Normal case (§4.1, §4.2)

function multicast(s: S, message: PbftMessage, out: Out): void {
  for (const r of s.replicas) if (r !== s.id) out.push({ type: 'send', to: r, message });
}

function isPrimary(s: S): boolean {
  return s.status === 'normal' && primaryOf(s, s.view) === s.id;
}

function signReply(ctx: Ctx, s: S, client: NodeId, timestamp: number, result: unknown): PbftReply {
  return signed<PbftReply>(ctx.auth, { type: 'reply', view: s.view, timestamp, client, replica: s.id, result }, [client]);
}

function onRequest(ctx: Ctx, s: S, from: NodeId, r: PbftRequest, out: Out): R {
  const bad = verifyRequest(ctx.auth, r);
  if (bad !== undefined) return bad;
  if (s.replicas.includes(r.client)) return `request: ${r.client} is a replica, not a client`;
  const cached = getOwn(s.replies, r.client);
  if (cached !== undefined && r.timestamp <= cached.timestamp) {
    // §4.1: a retransmitted request gets the cached reply; older ones are discarded.
    if (r.timestamp < cached.timestamp) return `request of ${r.client}: timestamp ${r.timestamp} is older than the last executed ${cached.timestamp}`;
    out.push({ type: 'send', to: r.client, message: signReply(ctx, s, r.client, r.timestamp, cached.result) });
    return s;
  }
  const known = getOwn(s.waiting, r.client);
  if (known !== undefined && known.timestamp > r.timestamp) return `request of ${r.client}: timestamp ${r.timestamp} is older than the pending ${known.timestamp}`;
  if (known === undefined && Object.keys(s.waiting).length >= s.maxClients) {
    return `request of ${r.client}: ${s.maxClients} clients already have requests waiting (maxClients)`;
  }
  let next = known !== undefined && known.timestamp === r.timestamp ? s : { ...s, waiting: withOwn(s.waiting, r.client, r) };
  if (next.status !== 'normal') return next;
  // §4.4: a replica waiting to execute a request runs the view-change timer. The primary runs it
  // too: without retransmission of lost votes, a primary stuck on an uncommitted request must be
  // able to ask for the view change that re-proposes it.
  if (next.timer.at === null) next = { ...next, timer: startTimer(ctx.now, next.timeoutMs) };
  if (isPrimary(next)) return assigned(next, r) ? next : assign(ctx, next, r, out);
  // TOCS §2.3: a backup relays the request to the primary.
  if (from === r.client) out.push({ type: 'send', to: primaryOf(s, s.view), message: r });
  return next;
}

function assigned(s: S, r: PbftRequest): boolean {
  for (const slot of s.log) {
    const q = slot.prePrepare?.request;
    if (q && q.client === r.client && q.timestamp === r.timestamp) return true;
  }
  return false;
}

/** §4.2: the primary assigns the next sequence number, if it is below the high watermark (§4.3). */
function assign(ctx: Ctx, s: S, r: PbftRequest, out: Out): S {
  if (s.seq + 1 > s.stable.seq + s.logSize || s.seq >= MAX_COUNTER) return s;
  const seq = s.seq + 1;
  const prePrepare = signed<PbftPrePrepare>(ctx.auth, {
    type: 'pre-prepare',
    view: s.view,
    seq,
    digest: requestDigest(r, ctx.sha256),
    replica: s.id,
    request: r,
  }, s.replicas);
  multicast(s, prePrepare, out);
  const next: S = { ...s, seq, log: seqPut(s.log, { ...emptySlot(seq), prePrepare }, slotSeq) };
  return advance(ctx, next, seq, out);
}

function assignWaiting(ctx: Ctx, s0: S, out: Out): S {
  let s = s0;
  if (!isPrimary(s)) return s;
  for (const client of Object.keys(s.waiting)) {
    const r = s.waiting[client]!;
    const done = getOwn(s.replies, client);
    if ((done === undefined || done.timestamp < r.timestamp) && !assigned(s, r)) s = assign(ctx, s, r, out);
  }
  return s;
}

function inWindow(s: S, seq: number): string | undefined {
  // §4.3: only sequence numbers between the low and high watermarks are accepted.
  return seq > s.stable.seq && seq <= s.stable.seq + s.logSize
    ? undefined
    : `sequence number ${seq} is outside the watermarks (${s.stable.seq}, ${s.stable.seq + s.logSize}]`;
}

function onPrePrepare(ctx: Ctx, s: S, p: PbftPrePrepare, out: Out): R {
  if (isEarly(s, p.view)) {
    if (p.replica !== primaryOf(s, p.view)) return `pre-prepare: signed by ${p.replica}, not the primary of view ${p.view}`;
    return buffer(s, p, verifyByReplica(ctx.auth, s, p) ?? checkPrePrepareBody(ctx, p));
  }
  if (s.status !== 'normal' || p.view !== s.view) return `pre-prepare: view ${p.view}, this replica is in view ${s.view}`;
  const primary = primaryOf(s, s.view);
  if (p.replica !== primary) return `pre-prepare: signed by ${p.replica}, the primary is ${primary}`;
  if (s.id === primary) return 'pre-prepare: this replica is the primary';
  const w = inWindow(s, p.seq);
  if (w !== undefined) return `pre-prepare: ${w}`;
  const bad = verifyByReplica(ctx.auth, s, p) ?? checkPrePrepareBody(ctx, p);
  if (bad !== undefined) return bad;
  if (p.seq <= s.lastExecuted && slotAt(s, p.seq) === undefined) return s; // executed here already
  const slot = slotAt(s, p.seq) ?? emptySlot(p.seq);
  if (slot.prePrepare !== null) {
    // §4.2: a backup accepts one pre-prepare per view and sequence number.
    return slot.prePrepare.digest === p.digest ? s : `pre-prepare: a different digest for ${p.seq} in view ${p.view} (the primary equivocates)`;
  }
  const prepare = signed<PbftVote>(ctx.auth, { type: 'prepare', view: s.view, seq: p.seq, digest: p.digest, replica: s.id }, s.replicas);
  multicast(s, prepare, out);
  const next: S = { ...s, log: seqPut(s.log, { ...slot, prePrepare: p, prepares: withOwn(slot.prepares, s.id, prepare) }, slotSeq) };
  return advance(ctx, next, p.seq, out);
}

function onVote(ctx: Ctx, s: S, m: PbftVote, out: Out): R {
  if (isEarly(s, m.view)) return buffer(s, m, verifyByReplica(ctx.auth, s, m));
  if (s.status !== 'normal' || m.view !== s.view) return `${m.type}: view ${m.view}, this replica is in view ${s.view}`;
  // Late votes for a request executed here (its slot is gone) or garbage-collected are harmless.
  if (m.seq <= s.stable.seq || (m.seq <= s.lastExecuted && slotAt(s, m.seq) === undefined)) return s;
  const w = inWindow(s, m.seq);
  if (w !== undefined) return `${m.type}: ${w}`;
  if (m.type === 'prepare' && m.replica === primaryOf(s, s.view)) return 'prepare: the primary does not prepare';
  const bad = verifyByReplica(ctx.auth, s, m);
  if (bad !== undefined) return bad;
  const slot = slotAt(s, m.seq) ?? emptySlot(m.seq);
  const votes = m.type === 'prepare' ? slot.prepares : slot.commits;
  const had = getOwn(votes, m.replica);
  if (had !== undefined) return had.digest === m.digest ? s : `${m.type}: ${m.replica} voted twice for ${m.seq} with different digests`;
  const updated: PbftSlot = m.type === 'prepare' ? { ...slot, prepares: withOwn(votes, m.replica, m) } : { ...slot, commits: withOwn(votes, m.replica, m) };
  return advance(ctx, { ...s, log: seqPut(s.log, updated, slotSeq) }, m.seq, out);
}

/** A message of a view this replica has not entered yet (it may arrive before the NEW-VIEW). */
function isEarly(s: S, view: number): boolean {
  return view > s.view || (view === s.view && s.status === 'view-change');
}

/**
 * Keeps a signed normal-case message of a later view until this replica enters that view: with
 * n = 3f+1 and f silent replicas every correct replica's vote is needed, so none may be lost to
 * a race with the NEW-VIEW. At most `maxEarlyPerReplica` (default 3L) per sender, so a faulty
 * replica cannot fill the memory.
 */
function buffer(s: S, m: PbftPrePrepare | PbftVote, bad: string | undefined): R {
  if (bad !== undefined) return bad;
  const w = inWindow(s, m.seq);
  if (w !== undefined) return `${m.type} of view ${m.view}: ${w}`;
  let count = 0;
  for (const e of s.early) {
    if (e.replica !== m.replica) continue;
    if (e.type === m.type && e.view === m.view && e.seq === m.seq) return s; // a duplicate
    count++;
  }
  if (count >= s.maxEarlyPerReplica) return `${m.type} of view ${m.view}: ${m.replica} has ${count} messages waiting for later views (maxEarlyPerReplica)`;
  return { ...s, early: [...s.early, m] };
}

function matching(votes: Readonly<Record<NodeId, PbftVote>>, digest: string, except?: NodeId): PbftVote[] {
  const list: PbftVote[] = [];
  for (const r of Object.keys(votes)) {
    const v = votes[r]!;
    if (v.digest === digest && r !== except) list.push(v);
  }
  return list;
}

/** Checks the prepared and committed-local predicates of a slot (§4.2) and executes what it can. */
function advance(ctx: Ctx, s0: S, seq: number, out: Out): S {
  let s = s0;
  let slot = slotAt(s, seq);
  if (slot === undefined || slot.prePrepare === null) return s;
  const p = slot.prePrepare;
  if (!slot.prepared) {
    // prepared(m, v, n, i): the pre-prepare and 2f prepares from distinct backups that match it.
    const prepares = matching(slot.prepares, p.digest, p.replica);
    if (prepares.length < s.quorum - 1) return s;
    const certificate: PbftPreparedCertificate = { prePrepare: p, prepares: prepares.slice(0, s.quorum - 1) };
    const commit = signed<PbftVote>(ctx.auth, { type: 'commit', view: s.view, seq, digest: p.digest, replica: s.id }, s.replicas);
    multicast(s, commit, out);
    slot = { ...slot, prepared: true, commits: withOwn(slot.commits, s.id, commit) };
    s = { ...s, log: seqPut(s.log, slot, slotSeq), certificates: seqPut(s.certificates, certificate, certificateSeq) };
  }
  if (!slot.committed) {
    // committed-local(m, v, n, i): prepared and 2f+1 matching commits (possibly its own).
    if (matching(slot.commits, p.digest).length < s.quorum) return s;
    slot = { ...slot, committed: true };
    s = { ...s, log: seqPut(s.log, slot, slotSeq) };
  }
  return executeReady(ctx, s, out);
}

/** §4.2: execute committed requests in sequence-number order, after all lower ones. */
function executeReady(ctx: Ctx, s0: S, out: Out): S {
  let s = s0;
  // While the state of the stable checkpoint is being fetched, nothing above it can run.
  while (s.lastExecuted >= s.stable.seq) {
    const seq = s.lastExecuted + 1;
    const slot = slotAt(s, seq);
    if (slot === undefined || !slot.committed || slot.prePrepare === null) break;
    s = executeOne(ctx, s, seq, slot.prePrepare, out);
  }
  return s;
}

function executeOne(ctx: Ctx, s0: S, seq: number, p: PbftPrePrepare, out: Out): S {
  let s = s0;
  const r = p.request;
  if (r !== null) {
    const cached = getOwn(s.replies, r.client);
    // §4.1: exactly once: a timestamp not above the last executed one is not run again.
    if (cached === undefined || r.timestamp > cached.timestamp) {
      const { state: service, result } = ctx.service.execute(s.service, r.operation, r.client);
      const pending = getOwn(s.waiting, r.client);
      const waiting = pending !== undefined && pending.timestamp <= r.timestamp ? withoutOwn(s.waiting, r.client) : s.waiting;
      s = { ...s, service, replies: withOwn(s.replies, r.client, { timestamp: r.timestamp, result }), waiting, timeoutMs: s.baseTimeoutMs };
      out.push({ type: 'execute', seq, view: s.view, client: r.client, timestamp: r.timestamp, operation: r.operation, result });
      out.push({ type: 'send', to: r.client, message: signReply(ctx, s, r.client, r.timestamp, result) });
    }
  }
  // The slot is done: its certificate stays for view changes until the next stable checkpoint.
  s = { ...s, lastExecuted: seq, log: seqDrop(s.log, seq, slotSeq) };
  if (s.status === 'normal') {
    // §4.4: stop the timer, restart it if still waiting for another request.
    s = { ...s, timer: Object.keys(s.waiting).length > 0 ? startTimer(ctx.now, s.timeoutMs) : STOPPED_TIMER };
  }
  if (seq % s.checkpointInterval === 0) s = takeCheckpoint(ctx, s, seq, out);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Checkpoints, watermarks, garbage collection and state transfer (§4.3)

function takeCheckpoint(ctx: Ctx, s: S, seq: number, out: Out): S {
  const snapshot: PbftSnapshot = { service: s.service, replies: s.replies };
  const digest = snapshotDigest(snapshot, ctx.sha256);
  const message = signed<PbftCheckpoint>(ctx.auth, { type: 'checkpoint', seq, digest, replica: s.id }, s.replicas);
  multicast(s, message, out);
  const entry = getOwn(s.checkpoints, String(seq)) ?? { own: null, votes: {} };
  const next: S = { ...s, checkpoints: withOwn(s.checkpoints, String(seq), { own: { digest, snapshot }, votes: withOwn(entry.votes, s.id, message) }) };
  return checkStable(ctx, next, seq, out);
}

function onCheckpoint(ctx: Ctx, s: S, m: PbftCheckpoint, out: Out): R {
  if (m.seq <= s.stable.seq) return s; // already stable here
  if (m.seq % s.checkpointInterval !== 0) return `checkpoint: ${m.seq} is not a multiple of ${s.checkpointInterval}`;
  const bad = verifyByReplica(ctx.auth, s, m);
  if (bad !== undefined) return bad;
  const entry = getOwn(s.checkpoints, String(m.seq)) ?? { own: null, votes: {} };
  const had = getOwn(entry.votes, m.replica);
  if (had !== undefined) return had.digest === m.digest ? s : `checkpoint: ${m.replica} sent two digests for ${m.seq}`;
  let checkpoints = s.checkpoints;
  const high = s.stable.seq + s.logSize;
  if (m.seq > high) {
    // Above the high watermark this replica is behind (§4.3): checkpoints there tell it which
    // state to fetch. Only each replica's latest one is kept, so memory stays bounded.
    const copy: Record<string, PbftReplicaState['checkpoints'][string]> = {};
    for (const k of Object.keys(checkpoints)) {
      const e = checkpoints[k]!;
      const mine = getOwn(e.votes, m.replica);
      if (Number(k) <= high || mine === undefined) setOwn(copy, k, e);
      else if (Number(k) > m.seq) return s; // it already told us of a later one
      else if (Object.keys(e.votes).length > 1 || e.own !== null) setOwn(copy, k, { own: e.own, votes: withoutOwn(e.votes, m.replica) });
    }
    checkpoints = copy;
  }
  const next: S = { ...s, checkpoints: withOwn(checkpoints, String(m.seq), { own: entry.own, votes: withOwn(entry.votes, m.replica, m) }) };
  return checkStable(ctx, next, m.seq, out);
}

/** §4.3: 2f+1 matching checkpoint messages make a checkpoint stable (the proof of its digest). */
function checkStable(ctx: Ctx, s: S, seq: number, out: Out): S {
  const entry = getOwn(s.checkpoints, String(seq));
  if (entry === undefined) return s;
  const byDigest = new Map<string, PbftCheckpoint[]>();
  for (const r of Object.keys(entry.votes)) {
    const c = entry.votes[r]!;
    const list = byDigest.get(c.digest) ?? [];
    list.push(c);
    byDigest.set(c.digest, list);
  }
  for (const [digest, list] of byDigest) {
    if (list.length < s.quorum) continue;
    const own = entry.own !== null && entry.own.digest === digest ? entry.own.snapshot : null;
    return makeStable(ctx, s, seq, digest, list.slice(0, s.quorum), own, out);
  }
  return s;
}

/** The checkpoint at `seq` is stable: move the low watermark and discard everything at or below it. */
function makeStable(ctx: Ctx, s: S, seq: number, digest: string, proof: readonly PbftCheckpoint[], snapshot: PbftSnapshot | null, out: Out): S {
  if (seq <= s.stable.seq) return s;
  const log = seqAbove(s.log, seq, slotSeq);
  const certificates = seqAbove(s.certificates, seq, certificateSeq);
  const checkpoints: Record<string, PbftReplicaState['checkpoints'][string]> = {};
  for (const k of Object.keys(s.checkpoints)) if (Number(k) > seq) setOwn(checkpoints, k, s.checkpoints[k]!);
  out.push({ type: 'stable', seq, digest });
  let next: S = { ...s, log, certificates, checkpoints, stable: { seq, digest, proof, snapshot }, seq: Math.max(s.seq, seq) };
  if (snapshot === null) {
    // The replica is behind the certified state (or diverged from it): fetch it.
    out.push({ type: 'state-transfer', seq });
    next = askForState(ctx, next, out);
  }
  return assignWaiting(ctx, next, out);
}

function askForState(ctx: Ctx, s: S, out: Out): S {
  multicast(s, { type: 'fetch', seq: s.stable.seq }, out);
  return { ...s, fetchTimer: startTimer(ctx.now, s.baseTimeoutMs) };
}

function onFetch(s: S, from: NodeId, seq: number, out: Out): R {
  if (!s.replicas.includes(from) || from === s.id) return `fetch: ${JSON.stringify(from)} is not another replica`;
  const st = s.stable;
  if (st.snapshot === null || st.seq < seq || st.seq === 0) return s; // nothing to offer (yet)
  out.push({ type: 'send', to: from, message: { type: 'state', seq: st.seq, snapshot: st.snapshot, proof: st.proof } });
  return s;
}

function onState(ctx: Ctx, s: S, from: NodeId, seq: number, snapshot: PbftSnapshot, proof: readonly PbftCheckpoint[], out: Out): R {
  if (!s.replicas.includes(from)) return `state: ${JSON.stringify(from)} is not a replica`;
  const needed = s.stable.snapshot === null ? seq >= s.stable.seq : seq > Math.max(s.lastExecuted, s.stable.seq);
  if (!needed) return s; // an answer to an earlier fetch, no longer needed
  const p = checkProof(ctx.auth, s, seq, proof);
  if ('reason' in p) return `state: ${p.reason}`;
  // The snapshot is trusted because 2f+1 replicas certified its digest, not because of its sender.
  if (snapshotDigest(snapshot, ctx.sha256) !== p.digest) return `state: the snapshot for ${seq} does not match its certified digest`;
  let next: S = { ...s, fetchTimer: STOPPED_TIMER };
  if (seq > s.stable.seq) next = makeStable(ctx, next, seq, p.digest, proof, snapshot, out);
  else next = { ...next, stable: { ...next.stable, snapshot } };
  const waiting: Record<NodeId, PbftRequest> = {};
  for (const c of Object.keys(next.waiting)) {
    const done = getOwn(snapshot.replies, c);
    if (done === undefined || done.timestamp < next.waiting[c]!.timestamp) setOwn(waiting, c, next.waiting[c]!);
  }
  next = { ...next, service: snapshot.service, replies: snapshot.replies, lastExecuted: seq, waiting, fetchTimer: STOPPED_TIMER };
  if (next.status === 'normal' && Object.keys(waiting).length === 0) next = { ...next, timer: STOPPED_TIMER };
  out.push({ type: 'state-transfer', seq });
  return executeReady(ctx, next, out);
}

// ---------------------------------------------------------------------------------------------
// View changes (§4.4, §4.5.2)

function buildViewChange(ctx: Ctx, s: S, view: number): PbftViewChange {
  const prepared = seqAbove(s.certificates, s.stable.seq, certificateSeq);
  return signed<PbftViewChange>(ctx.auth, {
    type: 'view-change',
    view,
    stable: s.stable.seq,
    proof: s.stable.proof,
    prepared,
    replica: s.id,
  }, s.replicas);
}

function startViewChange(ctx: Ctx, s: S, view: number, out: Out): S {
  const message = buildViewChange(ctx, s, view);
  multicast(s, message, out);
  out.push({ type: 'view-change', view });
  // §4.4: stop accepting normal-case messages of the old view; its log survives only as certificates.
  const next: S = {
    ...s,
    view,
    status: 'view-change',
    log: [],
    newView: null,
    timer: startTimer(ctx.now, s.timeoutMs),
    viewChangeQuorum: false,
    viewChanges: keepViewChanges(withOwn(s.viewChanges, s.id, [message]), view),
  };
  return viewChangeProgress(ctx, next, out);
}

function viewChangesFor(s: S, view: number): PbftViewChange[] {
  const list: PbftViewChange[] = [];
  for (const r of [s.id, ...s.replicas.filter((x) => x !== s.id)]) {
    const m = getOwn(s.viewChanges, r)?.find((x) => x.view === view);
    if (m !== undefined) list.push(m);
  }
  return list;
}

function latestViewChange(s: S, replica: NodeId): PbftViewChange | undefined {
  const list = getOwn(s.viewChanges, replica);
  return list === undefined || list.length === 0 ? undefined : list[list.length - 1];
}

/**
 * Per replica, the view-change for the view this replica is at (it counts towards that view's
 * quorum) and the latest one (it counts for §4.5.2's f+1 rule); older ones are dropped, so a
 * faulty replica asking for many views costs two entries.
 */
function keepViewChanges(all: Readonly<Record<NodeId, readonly PbftViewChange[]>>, view: number): Record<NodeId, readonly PbftViewChange[]> {
  const out: Record<NodeId, readonly PbftViewChange[]> = {};
  for (const r of Object.keys(all)) {
    const list = all[r]!.filter((m) => m.view >= view).sort((a, b) => a.view - b.view);
    const kept = list.filter((m, i) => m.view === view || i === list.length - 1);
    if (kept.length > 0) setOwn(out, r, kept);
  }
  return out;
}

function viewChangeProgress(ctx: Ctx, s0: S, out: Out): S {
  let s = s0;
  if (s.status !== 'view-change') return s;
  const vcs = viewChangesFor(s, s.view);
  if (vcs.length < s.quorum || vcs[0]!.replica !== s.id) return s;
  // §4.5.2 (1): the timer for the new view starts once 2f+1 view-changes for it are in.
  if (!s.viewChangeQuorum) s = { ...s, viewChangeQuorum: true, timer: startTimer(ctx.now, s.timeoutMs) };
  if (primaryOf(s, s.view) !== s.id) return s;
  const V = vcs.slice(0, s.quorum);
  const plan = planNewView(V);
  const prePrepares = plan.entries.map((e) =>
    signed<PbftPrePrepare>(ctx.auth, { type: 'pre-prepare', view: s.view, seq: e.seq, digest: e.digest, replica: s.id, request: e.request }, s.replicas),
  );
  const newView = signed<PbftNewView>(ctx.auth, { type: 'new-view', view: s.view, viewChanges: V, prePrepares, replica: s.id }, s.replicas);
  multicast(s, newView, out);
  return enterView(ctx, s, s.view, plan, prePrepares, newView, out);
}

function onViewChange(ctx: Ctx, s0: S, from: NodeId, m: PbftViewChange, out: Out): R {
  let s = s0;
  // Authenticate first: nothing is looked up by a replica id before its signature is checked.
  const unsigned = verifyByReplica(ctx.auth, s, m);
  if (unsigned !== undefined) return unsigned;
  if (m.replica === s.id) return s; // our own, echoed back
  if (m.view < s.view || (m.view === s.view && s.status === 'normal')) return answerLate(ctx, s, from, m, out);
  const prev = getOwn(s.viewChanges, m.replica) ?? [];
  if (prev.some((x) => x.view === m.view)) return s; // a duplicate
  const latest = prev[prev.length - 1];
  if (latest !== undefined && latest.view > m.view && m.view !== s.view) return `view-change: ${m.replica} already asked for view ${latest.view}`;
  const bad = checkViewChange(ctx, s, m);
  if (bad !== undefined) return bad;
  s = { ...s, viewChanges: keepViewChanges(withOwn(s.viewChanges, m.replica, [...prev, m]), s.view) };
  // §4.5.2 (2): f+1 replicas asking for later views cannot all be faulty: join the smallest.
  const later = s.replicas.map((r) => latestViewChange(s, r)).filter((x): x is PbftViewChange => x !== undefined && x.replica !== s.id && x.view > s.view);
  if (later.length >= s.f + 1) return startViewChange(ctx, s, Math.min(...later.map((x) => x.view)), out);
  return viewChangeProgress(ctx, s, out);
}

/**
 * A replica asks for a view this one is past: it missed messages the protocol assumes are
 * retransmitted until received. In a view entered through a NEW-VIEW, send that NEW-VIEW (it is
 * self-certifying); while changing views, send our view-change, and one for the view it asks
 * for, as we would have sent had we seen its timeout (valid only if we never entered that view).
 */
function answerLate(ctx: Ctx, s: S, from: NodeId, m: PbftViewChange, out: Out): R {
  if (!s.replicas.includes(from) || from === s.id) return `view-change: ${JSON.stringify(from)} is not another replica`;
  if (s.status === 'normal') {
    if (s.newView === null) return `view-change: for view ${m.view}, this replica is in view ${s.view}`;
    out.push({ type: 'send', to: from, message: s.newView });
    return s;
  }
  const own = latestViewChange(s, s.id);
  if (own !== undefined) out.push({ type: 'send', to: from, message: own });
  if (m.view > s.normalView) out.push({ type: 'send', to: from, message: buildViewChange(ctx, s, m.view) });
  return s;
}

function onNewView(ctx: Ctx, s: S, m: PbftNewView, out: Out): R {
  if (m.view < s.view || (m.view === s.view && s.status === 'normal')) return s.view === m.view ? s : `new-view: for view ${m.view}, this replica is in view ${s.view}`;
  const primary = primaryOf(s, m.view);
  if (m.replica !== primary) return `new-view: signed by ${m.replica}, the primary of view ${m.view} is ${primary}`;
  const bad = verifyByReplica(ctx.auth, s, m);
  if (bad !== undefined) return bad;
  const senders = new Set<NodeId>();
  for (const vc of m.viewChanges) {
    if (vc.view !== m.view) return `new-view: holds a view-change for view ${vc.view}`;
    if (senders.has(vc.replica)) return `new-view: two view-changes of ${vc.replica}`;
    senders.add(vc.replica);
    const e = checkViewChange(ctx, s, vc);
    if (e !== undefined) return `new-view: ${e}`;
  }
  if (senders.size < s.quorum) return `new-view: ${senders.size} view-changes, need ${s.quorum}`;
  // §4.4: the backup recomputes O from V and accepts only the same pre-prepares.
  const plan = planNewView(m.viewChanges);
  if (m.prePrepares.length !== plan.entries.length) return `new-view: ${m.prePrepares.length} pre-prepares, V gives ${plan.entries.length}`;
  for (let i = 0; i < plan.entries.length; i++) {
    const e = plan.entries[i]!;
    const p = m.prePrepares[i]!;
    if (p.view !== m.view || p.seq !== e.seq || p.digest !== e.digest || p.replica !== primary) return `new-view: pre-prepare ${i} is not the one V gives (seq ${e.seq})`;
    const pe = verifyByReplica(ctx.auth, s, p) ?? checkPrePrepareBody(ctx, p);
    if (pe !== undefined) return `new-view: ${pe}`;
  }
  return enterView(ctx, s, m.view, plan, m.prePrepares, m, out);
}

function enterView(ctx: Ctx, s0: S, view: number, plan: NewViewPlan, prePrepares: readonly PbftPrePrepare[], newView: PbftNewView | null, out: Out): S {
  let s = s0;
  const primary = primaryOf(s, view);
  if (plan.minS > s.stable.seq) {
    // §4.4: adopt the latest stable checkpoint of V (its proof travels in V).
    const proof = plan.proofFrom.proof;
    const digest = proof[0]!.digest;
    const own = getOwn(s.checkpoints, String(plan.minS))?.own;
    s = makeStable(ctx, s, plan.minS, digest, proof, own !== undefined && own !== null && own.digest === digest ? own.snapshot : null, out);
  }
  let log: readonly PbftSlot[] = [];
  for (const p of prePrepares) {
    if (p.seq <= s.stable.seq) continue;
    if (primary === s.id) {
      log = seqPut(log, { ...emptySlot(p.seq), prePrepare: p }, slotSeq);
      continue;
    }
    // §4.4: a backup multicasts a prepare for each pre-prepare in O.
    const prepare = signed<PbftVote>(ctx.auth, { type: 'prepare', view, seq: p.seq, digest: p.digest, replica: s.id }, s.replicas);
    multicast(s, prepare, out);
    log = seqPut(log, { ...emptySlot(p.seq), prePrepare: p, prepares: setOwn({}, s.id, prepare) }, slotSeq);
  }
  const viewChanges = keepViewChanges(s.viewChanges, view + 1);
  s = {
    ...s,
    view,
    status: 'normal',
    normalView: view,
    log,
    seq: Math.max(plan.maxS, s.stable.seq),
    newView,
    viewChanges,
    timer: STOPPED_TIMER,
  };
  out.push({ type: 'view', view, primary });
  for (const p of prePrepares) if (slotAt(s, p.seq) !== undefined) s = advance(ctx, s, p.seq, out);
  const early = s.early;
  s = { ...s, early: early.filter((m) => m.view > view) };
  for (const m of early) {
    if (m.view !== view) continue;
    const r = m.type === 'pre-prepare' ? onPrePrepare(ctx, s, m, out) : onVote(ctx, s, m, out);
    if (typeof r !== 'string') s = r;
  }
  const pending = Object.keys(s.waiting);
  if (pending.length > 0) s = { ...s, timer: startTimer(ctx.now, s.timeoutMs) };
  if (primary === s.id) return assignWaiting(ctx, s, out);
  for (const c of pending) out.push({ type: 'send', to: primary, message: getOwn(s.waiting, c)! });
  return s;
}
