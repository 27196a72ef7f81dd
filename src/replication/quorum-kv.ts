/**
 * A Dynamo-style quorum key-value store (DeCandia et al., SOSP 2007) as a per-node machine.
 *
 * @packageDocumentation
 */
import type { VectorClock } from '../clocks/index.js';
import { nodeIdProblem, parseVectorClock } from '../clocks/index.js';
import { HashRing } from '../hashing/index.js';
import type { DurableMachine, NodeId, Transition } from '../core/index.js';
import {
  checkMembers, earliest, InvalidCommandError, parse, plainDataProblem, positiveInt, positiveMs, reject, send, startTimer,
  stepByType, STOPPED_TIMER, timerDue, transition, ConfigError, MAX_ID_LENGTH, getOwn,
} from '../core/index.js';
import { DVV_EMPTY, dvvCopy, dvvJoin, dvvProblem, dvvUpdate } from './dvv.js';
import {
  quorumKvMessageCheck, type QuorumKvClock, type QuorumKvConfig, type QuorumKvDurable, type QuorumKvInput, type QuorumKvMessage,
  type QuorumKvOrigin, type QuorumKvOutput, type QuorumKvPending, type QuorumKvRecord, type QuorumKvState, type QuorumKvVersion,
} from './quorum-kv-types.js';
import { clockLimits, isDown, localClock, mergeIntoHints, mergeIntoStore, preferenceList, sloppyTargets } from './quorum-kv-store.js';
import { finishGet, finishPut, onReadReply, onWriteAck, respond } from './quorum-kv-coordinator.js';
import { antiEntropyTick, onTree } from './quorum-kv-anti-entropy.js';
import { isReady, joinCommand, membersOf, membershipTick, onBootstrap, onMembers, onTransfer, recoverMembers } from './quorum-kv-membership.js';
import { MAX_MERKLE_DEPTH } from './merkle.js';

type T = Transition<QuorumKvState, QuorumKvOutput>;

/**
 * A Dynamo-style key-value store node (DeCandia et al. 2007): keys live on the first N distinct
 * nodes clockwise on a consistent-hash ring (§4.2–4.3); the node a request reaches coordinates it
 * and answers after R replies to a read or W acknowledgements of a write, or fails it at
 * `requestTimeoutMs` (§4.5); concurrent writes are kept as siblings, tracked with dotted version
 * vector sets, and a read returns them all with one context that the next write hands back (§4.4);
 * a write goes to the first N *healthy* nodes, a stand-in carrying a hint naming the owner it
 * replaces, and hints go back to their owner when it returns, or are dropped after `hintWindowMs`
 * (sloppy quorum and hinted handoff, §4.6); a read sends the merged version to replicas that
 * answered with less (read repair, §5). Liveness comes in as `down` / `up` commands or SWIM's
 * `member` events. The ring grows by joins (§4.8–4.9): a `join` command, or SWIM's `alive` for a
 * node outside the ring with `acceptJoins`; members gossip their list until they agree, and a node
 * started with `joining: true` pulls the keys of the ranges it took over from every member before
 * it answers reads. Writes are coordinated by a top-N replica (a node outside it forwards the
 * put), because a version is named after its coordinator and its stored counter. A put that
 * fails may still have reached some replicas: its outcome is unknown, not negative.
 *
 * @example
 * ```ts
 * import { quorumKv } from 'distkit/replication';
 * let s = quorumKv.init({ id: 'a', nodes: ['a'], n: 1, r: 1, w: 1 });
 * let t = quorumKv.step(s, { type: 'put', id: 1, key: 'cart', value: ['milk'], now: 0 });
 * t.outputs.at(-1); //=> { type: 'put-ok', id: 1, key: 'cart', context: { a: 1 } }
 * t = quorumKv.step(t.state, { type: 'get', id: 2, key: 'cart', now: 1 });
 * t.outputs.at(-1); //=> { type: 'get-ok', id: 2, key: 'cart', values: [['milk']], context: { a: 1 } }
 * ```
 */
export const quorumKv: DurableMachine<QuorumKvConfig, QuorumKvState, QuorumKvInput, QuorumKvOutput, QuorumKvDurable> = {
  name: 'quorum-kv',
  init,
  step: (state, input) => persistFirst(stepByType(handlers, state, input as never)),
  nextDeadline: (s) => earliest(s.handoff, s.antiEntropy, s.membership, ...s.pending.map((p) => p.deadline)),
  durable: (s) => ({ store: s.store, hints: s.hints, members: membersOf(s) }),
  recover(config, durable) {
    const s = recoverMembers(init(config), durable.members);
    return { ...s, store: durable.store, keyCount: Object.keys(durable.store).length, hints: durable.hints, handoff: durable.hints.length > 0 ? startTimer(0, 0) : STOPPED_TIMER };
  },
  applyPersist: (d, record) => applyRecord(d, record as QuorumKvRecord),
};

// A transition persists one record, before its sends (the machine contract): several records (a
// bootstrap batch of keys, a join with a merge) go as one `batch`, in their own order.
function persistFirst(t: T): T {
  const records = t.outputs.flatMap((o) => (o.type === 'persist' ? [o.record] : []));
  if (records.length > 1) {
    const rest = t.outputs.filter((o) => o.type !== 'persist');
    return transition(t.state, [{ type: 'persist', record: { type: 'batch', records } }, ...rest]);
  }
  const i = t.outputs.findIndex((o) => o.type === 'send');
  if (i < 0 || !t.outputs.slice(i).some((o) => o.type === 'persist')) return t;
  return transition(t.state, [...t.outputs.filter((o) => o.type === 'persist'), ...t.outputs.filter((o) => o.type !== 'persist')]);
}

function applyRecord(d: QuorumKvDurable, r: QuorumKvRecord): QuorumKvDurable {
  switch (r.type) {
    case 'hints':
      return { ...d, hints: r.hints };
    case 'members':
      return { ...d, members: r.members };
    case 'batch':
      return r.records.reduce(applyRecord, d);
    case 'store': {
      const store = { ...d.store };
      Object.defineProperty(store, r.key, { value: r.clock, enumerable: true, writable: true, configurable: true });
      return { ...d, store };
    }
  }
}

function init(config: QuorumKvConfig): QuorumKvState {
  const nodes = checkMembers(config.id, config.nodes).sort();
  // Contexts are version vectors keyed by node id: an id they cannot carry cannot coordinate.
  for (const id of nodes) {
    const p = nodeIdProblem(id);
    if (p !== undefined) throw new ConfigError('nodes', `${p} (a context could not name this node)`);
  }
  const n = positiveInt('n', config.n, Math.min(3, nodes.length));
  if (n > nodes.length) throw new ConfigError('n', `must be at most the number of nodes (${nodes.length}), got ${n}`);
  const r = positiveInt('r', config.r, Math.min(2, n));
  const w = positiveInt('w', config.w, Math.min(2, n));
  if (r > n) throw new ConfigError('r', `must be at most n (${n}), got ${r}`);
  if (w > n) throw new ConfigError('w', `must be at most n (${n}), got ${w}`);
  const l = config.limits ?? {};
  const ring = HashRing.create(nodes, { vnodes: positiveInt('vnodes', config.vnodes, 64) }).toJSON();
  const maxNodes = positiveInt('limits.maxNodes', l.maxNodes, 1024);
  if (nodes.length > maxNodes) throw new ConfigError('limits.maxNodes', `the ring already has ${nodes.length} nodes, more than ${maxNodes}`);
  const joining = config.joining === true;
  const others = nodes.filter((x) => x !== config.id);
  if (joining && others.length === 0) throw new ConfigError('joining', 'a joiner needs a ring to join: list its members in nodes');
  return {
    id: config.id,
    nodes,
    ring,
    n,
    r,
    w,
    requestTimeoutMs: positiveMs('requestTimeoutMs', config.requestTimeoutMs, 1000),
    hintWindowMs: positiveMs('hintWindowMs', config.hintWindowMs, 60_000),
    handoffIntervalMs: positiveMs('handoffIntervalMs', config.handoffIntervalMs, 500),
    lastWriterWins: config.lastWriterWins === true,
    limits: {
      maxKeys: positiveInt('limits.maxKeys', l.maxKeys, 100_000),
      maxKeyLength: positiveInt('limits.maxKeyLength', l.maxKeyLength, 1024),
      maxValueBytes: positiveInt('limits.maxValueBytes', l.maxValueBytes, 65_536),
      maxSiblings: positiveInt('limits.maxSiblings', l.maxSiblings, 64),
      maxHints: positiveInt('limits.maxHints', l.maxHints, 10_000),
      maxPending: positiveInt('limits.maxPending', l.maxPending, 1024),
      maxNodes: positiveInt('limits.maxNodes', l.maxNodes, 1024),
      maxTransferKeys: positiveInt('limits.maxTransferKeys', l.maxTransferKeys, 256),
    },
    down: [],
    store: {},
    keyCount: 0,
    hints: [],
    pending: [],
    seq: 0,
    handoff: STOPPED_TIMER,
    antiEntropyIntervalMs: config.antiEntropyIntervalMs === undefined ? null : positiveMs('antiEntropyIntervalMs', config.antiEntropyIntervalMs),
    merkleDepth: merkleDepth(config.merkleDepth),
    // The first exchange starts one period after the first input.
    antiEntropy: config.antiEntropyIntervalMs === undefined ? STOPPED_TIMER : startTimer(0, config.antiEntropyIntervalMs),
    antiEntropyRounds: 0,
    acceptJoins: config.acceptJoins === true,
    membershipIntervalMs: positiveMs('membershipIntervalMs', config.membershipIntervalMs, 1000),
    // A joiner announces itself and asks every member for its keys from the first tick on.
    gossipTo: joining ? others : [],
    membershipRounds: 0,
    bootstrap: joining ? others.map((node) => ({ node, after: null, done: false })) : null,
    membership: joining ? startTimer(0, 0) : STOPPED_TIMER,
    stats: { lwwDiscarded: 0, hintsDropped: 0, hintsDelivered: 0, readRepairs: 0, antiEntropyKeys: 0 },
  };
}

function merkleDepth(depth: unknown): number {
  const d = depth === undefined ? 6 : depth;
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_MERKLE_DEPTH) throw new ConfigError('merkleDepth', `must be an integer from 0 to ${MAX_MERKLE_DEPTH}, got ${String(d)}`);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Local commands

function requestSize(s: QuorumKvState, what: 'r' | 'w', asked: unknown, n: unknown): { n: number; k: number } {
  const nn = n === undefined ? s.n : n;
  if (typeof nn !== 'number' || !Number.isSafeInteger(nn) || nn < 1 || nn > s.nodes.length) throw new InvalidCommandError('n', `expected an integer in [1, ${s.nodes.length}], got ${String(nn)}`);
  const k = asked === undefined ? Math.min(s[what], nn) : asked;
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1 || k > nn) throw new InvalidCommandError(what, `expected an integer in [1, ${nn}], got ${String(k)}`);
  return { n: nn, k };
}

function checkCommand(s: QuorumKvState, input: { readonly id: unknown; readonly key: unknown }): void {
  const { id, key } = input;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw new InvalidCommandError('id', `expected a non-negative integer, got ${String(id)}`);
  if (typeof key !== 'string' || key.length > s.limits.maxKeyLength) throw new InvalidCommandError('key', `expected a string of at most ${s.limits.maxKeyLength} characters`);
}

const handlers = {
  get(s: QuorumKvState, input: Extract<QuorumKvInput, { type: 'get' }>, now: number): T {
    checkCommand(s, input);
    const { n, k } = requestSize(s, 'r', input.r, input.n);
    return coordinateGet(s, { id: input.id }, input.key, k, n, now);
  },
  put(s: QuorumKvState, input: Extract<QuorumKvInput, { type: 'put' }>, now: number): T {
    checkCommand(s, input);
    const { n, k } = requestSize(s, 'w', input.w, input.n);
    const value = input.value;
    const p = plainDataProblem(value, 'value', { maxDepth: 64, maxBytes: s.limits.maxValueBytes });
    if (p !== undefined) throw new InvalidCommandError('put', p);
    const context = parseVectorClock(input.context ?? {}, { maxEntries: s.nodes.length });
    if (!context.ok) throw new InvalidCommandError('put', `context: ${context.reason}`);
    return coordinatePut(s, { id: input.id }, input.key, value, context.value, k, n, now);
  },
  down: (s: QuorumKvState, input: { readonly node: NodeId }) => liveness(s, input.node, false),
  up: (s: QuorumKvState, input: { readonly node: NodeId }, now: number) => handoffTo(liveness(s, input.node, true), input.node, now),
  member(s: QuorumKvState, input: Extract<QuorumKvInput, { type: 'member' }>, now: number): T {
    // A SWIM group may hold more members than the ring (clients, other services): unless joins
    // are accepted, skip those; with them, a node seen alive joins (Dynamo §4.8–4.9).
    if (!s.nodes.includes(input.node)) return s.acceptJoins && input.status === 'alive' ? joinCommand(s, input.node, now) : transition(s);
    if (input.status === 'dead') return liveness(s, input.node, false);
    if (input.status === 'alive') return handoffTo(liveness(s, input.node, true), input.node, now);
    return transition(s);
  },
  join: (s: QuorumKvState, input: Extract<QuorumKvInput, { type: 'join' }>, now: number) => joinCommand(s, input.node, now),
  tick: (s: QuorumKvState, _input: unknown, now: number) => onTick(s, now),
  message(s: QuorumKvState, input: Extract<QuorumKvInput, { type: 'message' }>, now: number): T {
    if (!s.nodes.includes(input.from) || input.from === s.id) return reject(s, input.from, `unknown sender ${JSON.stringify(String(input.from).slice(0, MAX_ID_LENGTH))}`);
    const parsed = parse(quorumKvMessageCheck, input.message, 'message');
    if (!parsed.ok) return reject(s, input.from, parsed.problem);
    const m = parsed.value as QuorumKvMessage;
    if ('key' in m && m.key.length > s.limits.maxKeyLength) return reject(s, input.from, `key longer than ${s.limits.maxKeyLength}`);
    return onMessage(s, input.from, m, now);
  },
};

function liveness(s: QuorumKvState, node: NodeId, up: boolean): T {
  if (!s.nodes.includes(node)) throw new InvalidCommandError('liveness', `unknown node ${JSON.stringify(node)}`);
  if (node === s.id || s.down.includes(node) === !up) return transition(s);
  return transition({ ...s, down: up ? s.down.filter((x) => x !== node) : [...s.down, node] });
}

// ---------------------------------------------------------------------------------------------
// Coordinating requests (Dynamo §4.5)

function nextSeq(s: QuorumKvState): number {
  return s.seq + 1;
}

function coordinateGet(s: QuorumKvState, origin: QuorumKvOrigin, key: string, r: number, n: number, now: number): T {
  if (s.pending.length >= s.limits.maxPending) return respond(s, origin, key, 'get', { ok: false, reason: 'overloaded' });
  // A joiner still in its bootstrap does not count its own replica.
  const targets = isReady(s) ? sloppyTargets(s, key, n) : sloppyTargets(s, key, n).filter((t) => t.node !== s.id);
  const seq = nextSeq(s);
  const self = targets.some((t) => t.node === s.id);
  const replies = self ? [{ node: s.id, clock: localClock(s, key) }] : [];
  const pending: QuorumKvPending = { kind: 'get', seq, origin, key, r, targets, replies, done: false, deadline: now + s.requestTimeoutMs };
  const sends = targets.filter((t) => t.node !== s.id).map((t) => send(t.node, { type: 'read', seq, key }) as QuorumKvOutput);
  const next = { ...s, seq, pending: [...s.pending, pending] };
  if (targets.length < r) return finishGet(next, pending, 'unavailable', now);
  const t = onReadReply(next, pending, undefined, now);
  return transition(t.state, [...sends, ...t.outputs]);
}

function coordinatePut(s: QuorumKvState, origin: QuorumKvOrigin, key: string, value: unknown, context: VectorClock, w: number, n: number, now: number): T {
  if (s.pending.length >= s.limits.maxPending) return respond(s, origin, key, 'put', { ok: false, reason: 'overloaded' });
  const top = preferenceList(s, key, n);
  // §4.5: a node outside the key's top N hands the write to the first healthy node of it.
  if (!top.includes(s.id)) return forwardPut(s, origin, key, value, context, w, n, top, now);
  const version: QuorumKvVersion = { value, ts: now, node: s.id };
  const clock = dvvUpdate(getLocal(s, key), context, s.id, version);
  const merged = mergeIntoStore(s, key, clock);
  if ('problem' in merged) return respond(s, origin, key, 'put', { ok: false, reason: merged.problem });
  const seq = nextSeq(merged.state);
  const targets = sloppyTargets(s, key, n);
  const sent = getLocal(merged.state, key);
  const pending: QuorumKvPending = { kind: 'put', seq, origin, key, w, targets, acks: [s.id], context: dvvJoin(sent), done: false, deadline: now + s.requestTimeoutMs };
  const sends = targets
    .filter((t) => t.node !== s.id)
    .map((t) => send(t.node, t.hint === undefined ? { type: 'write', seq, key, clock: sent } : { type: 'write', seq, key, clock: sent, hint: t.hint }) as QuorumKvOutput);
  const next = { ...merged.state, seq, pending: [...merged.state.pending, pending] };
  const t = onWriteAck(next, pending, undefined, now);
  return transition(t.state, [...merged.outputs, ...sends, ...t.outputs]);
}

function getLocal(s: QuorumKvState, key: string): QuorumKvClock {
  return getOwn(s.store, key) ?? DVV_EMPTY;
}

function forwardPut(s: QuorumKvState, origin: QuorumKvOrigin, key: string, value: unknown, context: VectorClock, w: number, n: number, top: readonly NodeId[], now: number): T {
  const to = top.find((x) => !isDown(s, x));
  if (to === undefined || origin.node !== undefined) return respond(s, origin, key, 'put', { ok: false, reason: 'no healthy replica of the key' });
  const seq = nextSeq(s);
  const pending: QuorumKvPending = { kind: 'forward', seq, origin, key, to, deadline: now + s.requestTimeoutMs };
  return transition({ ...s, seq, pending: [...s.pending, pending] }, [send(to, { type: 'forward', seq, key, value, context, w, n })]);
}

// ---------------------------------------------------------------------------------------------
// Messages

function onMessage(s: QuorumKvState, from: NodeId, m: QuorumKvMessage, now: number): T {
  switch (m.type) {
    case 'read':
      // A joiner's replica counts for no read before its bootstrap is over: it stays silent.
      if (!isReady(s)) return transition(s);
      return transition(s, [send(from, { type: 'read-reply', seq: m.seq, key: m.key, clock: localClock(s, m.key) })]);
    case 'write':
    case 'handoff':
      return onWrite(s, from, m, now);
    case 'read-reply':
    case 'write-ack':
    case 'forward-reply':
      return onReply(s, from, m, now);
    case 'forward':
      return onForward(s, from, m, now);
    case 'handoff-ack':
      return onHandoffAck(s, from, m.key, m.version);
    case 'tree':
      return onTree(s, from, m.indices, m.hashes, m.reply);
    case 'members':
      return onMembers(s, from, m.nodes, m.reply, now);
    case 'bootstrap':
      return onBootstrap(s, from, m.after);
    case 'transfer':
      return onTransfer(s, from, m, now);
  }
}

function peerClock(s: QuorumKvState, from: NodeId, raw: unknown): QuorumKvClock | T {
  const problem = dvvProblem(raw, clockLimits(s));
  if (problem !== undefined) return reject(s, from, `clock: ${problem}`);
  return dvvCopy(raw, (x) => x as QuorumKvVersion);
}

function onWrite(s: QuorumKvState, from: NodeId, m: Extract<QuorumKvMessage, { type: 'write' | 'handoff' }>, now: number): T {
  const clock = peerClock(s, from, m.clock);
  if ('outputs' in clock) return clock;
  const hint = m.type === 'write' ? m.hint : undefined;
  if (hint !== undefined && (!s.nodes.includes(hint) || hint === s.id)) return reject(s, from, `hint: not another member: ${JSON.stringify(hint.slice(0, 64))}`);
  const merged = hint === undefined ? mergeIntoStore(s, m.key, clock) : mergeIntoHints(s, m.key, hint, clock, now);
  if ('problem' in merged) return reject(s, from, merged.problem);
  const state = hint !== undefined && merged.state.handoff.at === null ? { ...merged.state, handoff: startTimer(now, s.handoffIntervalMs) } : merged.state;
  if (m.type === 'handoff') return transition(state, [...merged.outputs, send(from, { type: 'handoff-ack', key: m.key, version: m.version })]);
  if (m.repair === true) return transition(state, merged.outputs);
  return transition(state, [...merged.outputs, send(from, { type: 'write-ack', seq: m.seq, key: m.key })]);
}

function onReply(s: QuorumKvState, from: NodeId, m: Extract<QuorumKvMessage, { type: 'read-reply' | 'write-ack' | 'forward-reply' }>, now: number): T {
  const p = s.pending.find((x) => x.seq === m.seq);
  if (p === undefined) return reject(s, from, `reply to no pending request (seq ${m.seq})`);
  if (m.type === 'forward-reply') {
    if (p.kind !== 'forward' || p.to !== from) return reject(s, from, 'forward reply from a node the request was not forwarded to');
    const context = m.context === undefined ? { ok: true as const, value: {} } : parseVectorClock(m.context, { maxEntries: s.nodes.length });
    if (!context.ok) return reject(s, from, `context: ${context.reason}`);
    const rest = { ...s, pending: s.pending.filter((x) => x !== p) };
    return respond(rest, p.origin, p.key, 'put', m.ok ? { ok: true, context: context.value } : { ok: false, reason: `forwarded: ${m.reason ?? 'failed'}` });
  }
  if (p.kind === 'forward' || p.key !== m.key || !p.targets.some((t) => t.node === from)) return reject(s, from, 'reply from a node the request did not go to');
  if (m.type === 'write-ack') return p.kind === 'put' ? onWriteAck(s, p, from, now) : reject(s, from, 'write ack for a read');
  if (p.kind !== 'get') return reject(s, from, 'read reply for a write');
  const clock = peerClock(s, from, m.clock);
  if ('outputs' in clock) return clock;
  return onReadReply(s, p, { node: from, clock }, now);
}

function onForward(s: QuorumKvState, from: NodeId, m: Extract<QuorumKvMessage, { type: 'forward' }>, now: number): T {
  if (s.pending.some((p) => p.origin.node === from && p.origin.id === m.seq)) return reject(s, from, 'duplicate forward');
  if (m.n > s.nodes.length || m.w > m.n) return reject(s, from, `n and w out of range (n ${m.n}, w ${m.w})`);
  const p = plainDataProblem(m.value, 'value', { maxDepth: 64, maxBytes: s.limits.maxValueBytes });
  if (p !== undefined) return reject(s, from, p);
  const context = parseVectorClock(m.context, { maxEntries: s.nodes.length });
  if (!context.ok) return reject(s, from, `context: ${context.reason}`);
  return coordinatePut(s, { node: from, id: m.seq }, m.key, m.value, context.value, m.w, m.n, now);
}

// ---------------------------------------------------------------------------------------------
// Hinted handoff (Dynamo §4.6) and deadlines

function handoffTo(t: T, owner: NodeId, now: number): T {
  const s = t.state;
  const sends = s.hints.filter((h) => h.owner === owner).map((h) => send(owner, { type: 'handoff', key: h.key, clock: h.clock, version: h.version }) as QuorumKvOutput);
  if (sends.length === 0) return t;
  return transition({ ...s, handoff: startTimer(now, s.handoffIntervalMs) }, [...t.outputs, ...sends]);
}

function onHandoffAck(s: QuorumKvState, from: NodeId, key: string, version: number): T {
  const hints = s.hints.filter((h) => !(h.key === key && h.owner === from && h.version === version));
  if (hints.length === s.hints.length) return reject(s, from, 'handoff ack for no held hint');
  const stats = { ...s.stats, hintsDelivered: s.stats.hintsDelivered + 1 };
  return transition({ ...s, hints, stats, handoff: hints.length === 0 ? STOPPED_TIMER : s.handoff }, [{ type: 'persist', record: { type: 'hints', hints } }]);
}

function onTick(s: QuorumKvState, now: number): T {
  let t: T = transition(s);
  for (const p of s.pending) {
    if (now < p.deadline) continue;
    const cur = t.state.pending.find((x) => x.seq === p.seq);
    if (cur === undefined) continue;
    const next = cur.kind === 'get' ? finishGet(t.state, cur, 'timeout', now) : cur.kind === 'put' ? finishPut(t.state, cur, 'timeout') : respond({ ...t.state, pending: t.state.pending.filter((x) => x !== cur) }, cur.origin, cur.key, 'put', { ok: false, reason: 'timeout' });
    t = transition(next.state, [...t.outputs, ...next.outputs]);
  }
  if (timerDue(t.state.handoff, now)) t = handoffTick(t, now);
  if (timerDue(t.state.membership, now)) t = membershipTick(t, now);
  return timerDue(t.state.antiEntropy, now) ? antiEntropyTick(t, now) : t;
}

function handoffTick(t: T, now: number): T {
  const s = t.state;
  const expired = s.hints.filter((h) => h.since + s.hintWindowMs <= now);
  const hints = expired.length === 0 ? s.hints : s.hints.filter((h) => !expired.includes(h));
  const outputs: QuorumKvOutput[] = [...t.outputs];
  if (expired.length > 0) outputs.push({ type: 'persist', record: { type: 'hints', hints } });
  for (const h of expired) outputs.push({ type: 'hint-dropped', key: h.key, owner: h.owner });
  for (const h of hints) if (!isDown(s, h.owner)) outputs.push(send(h.owner, { type: 'handoff', key: h.key, clock: h.clock, version: h.version }));
  const stats = expired.length === 0 ? s.stats : { ...s.stats, hintsDropped: s.stats.hintsDropped + expired.length };
  const handoff = hints.length === 0 ? STOPPED_TIMER : startTimer(now, s.handoffIntervalMs);
  return transition({ ...s, hints, stats, handoff }, outputs);
}
