import type { Machine, Transition } from '../../core/index.js';
import {
  ConfigError,
  InvalidCommandError,
  MAX_COUNTER,
  STOPPED_TIMER,
  assertNever,
  byzantineTolerance,
  checkId,
  checkIds,
  getOwn,
  inputNow,
  parse,
  plainDataProblem,
  positiveInt,
  positiveMs,
  reject,
  startTimer,
  timerDeadline,
  timerDue,
  transition,
  withOwn,
} from '../../core/index.js';
import { checkSha256, pbftDigest, type PbftAuthenticator, type PbftSha256 } from './crypto.js';
import { checkSigner, checksCache, cleanRequest, payloadLimitsOf, primaryOf, signed, verifyByReplica } from './messages.js';
import type { PbftClientConfig, PbftClientInput, PbftClientOutput, PbftClientState, PbftMessage, PbftReply, PbftRequest } from './types.js';

/**
 * The PBFT client machine type: a {@link Machine} with a required `nextDeadline`.
 *
 * @example
 * ```ts
 * import { pbftClient, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const replicas = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...replicas, 'c0'], 'secret');
 * const client = pbftClient({ authenticator: pbftHmacAuthenticator({ id: 'c0', keys: rings.c0! }) });
 * import type { PbftClientMachine } from 'distkit/consensus';
 * const m: PbftClientMachine = client;
 * const idle = m.init({ id: 'c0', replicas });
 * const asked = m.step(idle, { type: 'request', operation: 'x', now: 0 }).state;
 * // Idle: no deadline; waiting for replies: the retransmission time.
 * [m.nextDeadline(idle), m.nextDeadline(asked)]; //=> [undefined, 1000]
 * ```
 */
export type PbftClientMachine = Machine<PbftClientConfig, PbftClientState, PbftClientInput, PbftClientOutput> & {
  /** When the client wants its next `tick` (see {@link pbftClientNextDeadline}). */
  nextDeadline(state: PbftClientState): number | undefined;
};

/**
 * What a {@link pbftClient} machine is built with: the client's authenticator (its secrets) and
 * the SHA-256 it compares replies with. A factory argument rather than a config field: `step`
 * sees only the state and the input, and states are plain data, which keys and functions are not.
 *
 * @example
 * ```ts
 * import { pbftClient, pbftHmacAuthenticator, pbftHmacKeyRings, type PbftClientOptions } from 'distkit/consensus';
 * const rings = pbftHmacKeyRings(['r0', 'c0'], 'secret');
 * const options: PbftClientOptions = { authenticator: pbftHmacAuthenticator({ id: 'c0', keys: rings.c0! }) };
 * // The authenticator's id must be the client's own.
 * (() => { try { const c = pbftClient(options); c.init({ id: 'c1', replicas: ['r0'] }); return 'accepted'; } catch (e) { return (e as Error).name; } })(); //=> 'ConfigError'
 * ```
 */
export interface PbftClientOptions {
  /** Signs this client's requests and checks the replicas' replies. */
  readonly authenticator: PbftAuthenticator;
  /**
   * SHA-256 of UTF-8 text as lower-case hex: the client keeps a digest of each reply's result to
   * find f+1 matching ones. Default: the portable TypeScript one; `nodePbftSha256` (distkit/node)
   * computes the same with OpenSSL. Checked against the portable one when the machine is built.
   */
  readonly sha256?: PbftSha256;
}

type S = PbftClientState;
type Out = PbftClientOutput[];

/**
 * A PBFT client (Castro & Liskov 1999, §4.1): it signs each operation as ⟨REQUEST, o, t, c⟩ with
 * an increasing timestamp t, sends it to the primary of the view it last heard of, and accepts a
 * result once f+1 replicas sent matching signed replies (so at least one correct replica vouches
 * for it). Without a result after `retransmitMs` it sends the request to every replica, again and
 * again; replicas answer a retransmission of an executed request from their reply cache. One
 * request is outstanding at a time; later `request` inputs queue behind it.
 *
 * @example
 * ```ts
 * import { pbftClient, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const replicas = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...replicas, 'c0'], 'secret');
 * const client = pbftClient({ authenticator: pbftHmacAuthenticator({ id: 'c0', keys: rings.c0! }) });
 * const t = client.step(client.init({ id: 'c0', replicas }), { type: 'request', operation: 'hello', now: 0 });
 * // The request goes to the primary of view 0 first (§4.1).
 * t.outputs.map((o) => (o.type === 'send' ? [o.to, o.message.type, o.message.timestamp] : o.type)); //=> [['r0', 'request', 1]]
 * ```
 */
export function pbftClient(options: PbftClientOptions): PbftClientMachine {
  const auth = options.authenticator;
  const sha256 = checkSha256('sha256', options.sha256);
  const checksOf = checksCache();
  return {
    name: 'pbft-client',
    init(config) {
      const replicas = checkIds('replicas', config.replicas);
      const id = checkId('id', config.id);
      if (replicas.includes(id)) throw new ConfigError('id', 'a client cannot also be a replica');
      checkSigner(auth, id);
      const retransmitMs = positiveMs('retransmitMs', config.retransmitMs, 1000);
      const first = positiveInt('firstTimestamp', config.firstTimestamp, 1);
      if (first > MAX_COUNTER) throw new ConfigError('firstTimestamp', `must be at most ${MAX_COUNTER}, got ${first}`);
      const payloadLimits = payloadLimitsOf('payloadLimits', config.payloadLimits);
      return {
        id,
        replicas,
        f: byzantineTolerance(replicas.length),
        retransmitMs,
        view: 0,
        timestamp: first - 1,
        current: null,
        queue: [],
        timer: STOPPED_TIMER,
        payloadLimits,
      };
    },
    step(state, input): Transition<S, PbftClientOutput> {
      const now = inputNow(input);
      switch (input.type) {
        case 'request': {
          const problem = input.operation === undefined ? 'operation: missing' : plainDataProblem(input.operation, 'operation', state.payloadLimits);
          if (problem !== undefined) throw new InvalidCommandError('request', `${problem}: operations must be plain JSON data within payloadLimits`);
          const operation = JSON.parse(JSON.stringify(input.operation)) as unknown;
          if (state.current !== null) return transition({ ...state, queue: [...state.queue, operation] });
          const out: Out = [];
          return transition(send(auth, state, operation, now, out), out);
        }
        case 'tick': {
          if (!timerDue(state.timer, now) || state.current === null) return transition(state);
          // §4.1: no result in time: broadcast to all replicas (a faulty primary may be dropping it).
          const request = state.current.request;
          const out: Out = state.replicas.map((to) => ({ type: 'send', to, message: request }));
          return transition({ ...state, timer: startTimer(now, state.retransmitMs) }, out);
        }
        case 'message': {
          const { from, message } = input;
          if (typeof from !== 'string') return reject(state, String(from), 'from: expected a node id');
          const parsed = parse(checksOf(state.payloadLimits).message, message, 'message');
          if (!parsed.ok) return reject(state, from, parsed.problem);
          const m: PbftMessage = parsed.value;
          if (m.type !== 'reply') return reject(state, from, `${m.type}: a client takes only replies`);
          const out: Out = [];
          const r = onReply(auth, sha256, state, m, now, out);
          return typeof r === 'string' ? reject(state, from, r) : transition(r, out);
        }
        default:
          return assertNever(input, 'pbft client input');
      }
    },
    nextDeadline: pbftClientNextDeadline,
  };
}

/**
 * The time at which a {@link pbftClient} wants its next `tick` (its retransmission timer).
 *
 * @example
 * ```ts
 * import { pbftClient, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const replicas = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...replicas, 'c0'], 'secret');
 * const client = pbftClient({ authenticator: pbftHmacAuthenticator({ id: 'c0', keys: rings.c0! }) });
 * import { pbftClientNextDeadline } from 'distkit/consensus';
 * const s = client.step(client.init({ id: 'c0', replicas }), { type: 'request', operation: 'hello', now: 100 }).state;
 * pbftClientNextDeadline(s); //=> 1100
 * ```
 */
export function pbftClientNextDeadline(s: PbftClientState): number | undefined {
  return timerDeadline(s.timer);
}

function send(auth: PbftAuthenticator, s: S, operation: unknown, now: number, out: Out): S {
  // Timestamps stay at or below MAX_COUNTER, the bound replicas accept.
  if (s.timestamp >= MAX_COUNTER) throw new InvalidCommandError('request', `timestamp ${s.timestamp} is at MAX_COUNTER; restart the client with a new id`);
  const timestamp = s.timestamp + 1;
  const request = signed<PbftRequest>(auth, { type: 'request', client: s.id, timestamp, operation }, s.replicas);
  out.push({ type: 'send', to: primaryOf({ replicas: s.replicas, f: s.f, quorum: 0, logSize: 0 }, s.view), message: request });
  return { ...s, timestamp, current: { request: cleanRequest(request), replies: {} }, timer: startTimer(now, s.retransmitMs) };
}

function onReply(auth: PbftAuthenticator, sha256: PbftSha256, s: S, m: PbftReply, now: number, out: Out): S | string {
  const cur = s.current;
  if (cur === null) return s; // late reply to a finished request
  if (m.client !== s.id) return `reply: addressed to ${m.client}`;
  if (m.timestamp !== cur.request.timestamp) return m.timestamp < cur.request.timestamp ? s : `reply: timestamp ${m.timestamp} was never sent`;
  const bad = verifyByReplica(auth, { replicas: s.replicas, f: s.f, quorum: 0, logSize: 0 }, m);
  if (bad !== undefined) return bad;
  const result = pbftDigest(m.result, sha256);
  const had = getOwn(cur.replies, m.replica);
  if (had !== undefined && had.result === result) return s;
  // A replica's later reply replaces its earlier one (a reply can be re-sent after a view change).
  const replies = withOwn(cur.replies, m.replica, { result, view: m.view });
  const agreeing: number[] = [];
  for (const r of Object.keys(replies)) if (replies[r]!.result === result) agreeing.push(replies[r]!.view);
  if (agreeing.length < s.f + 1) return { ...s, current: { ...cur, replies } };
  // §4.1: f+1 matching replies; at least one is from a correct replica. Of their views, the
  // (f+1)-th highest is one a correct replica has reached, so a faulty one cannot inflate it.
  agreeing.sort((a, b) => b - a);
  const view = Math.max(s.view, agreeing[s.f]!);
  out.push({ type: 'result', timestamp: cur.request.timestamp, operation: cur.request.operation, result: m.result });
  let next: S = { ...s, view, current: null, timer: STOPPED_TIMER };
  if (next.queue.length > 0 && next.timestamp < MAX_COUNTER) {
    const [op, ...rest] = next.queue;
    next = send(auth, { ...next, queue: rest }, op, now, out);
  }
  return next;
}

