/**
 * The quorum key-value store's coordinator side: counting R replies and W acknowledgements,
 * answering the client, and read repair (Dynamo §4.5, §5).
 *
 * @packageDocumentation
 */
import type { VectorClock } from '../clocks/index.js';
import { canonicalJson, send, transition, type NodeId, type Transition } from '../core/index.js';
import { DVV_EMPTY, dvvJoin, dvvLww, dvvSync, dvvValues } from './dvv.js';
import { mergeIntoHints, mergeIntoStore, newerVersion } from './quorum-kv-store.js';
import type { QuorumKvClock, QuorumKvOrigin, QuorumKvOutput, QuorumKvPending, QuorumKvState } from './quorum-kv-types.js';

type T = Transition<QuorumKvState, QuorumKvOutput>;
type Get = Extract<QuorumKvPending, { kind: 'get' }>;
type Put = Extract<QuorumKvPending, { kind: 'put' }>;

/** What a request came to: the values and context of a read, the context of a write, or why it failed. */
export type QuorumKvResult = { readonly ok: true; readonly context: VectorClock; readonly values?: readonly unknown[] } | { readonly ok: false; readonly reason: string };

/** Answers a request's origin: an output for a local client, a `forward-reply` for a peer. */
export function respond(s: QuorumKvState, origin: QuorumKvOrigin, key: string, op: 'get' | 'put', result: QuorumKvResult): T {
  if (origin.node !== undefined) {
    const reply = result.ok ? { type: 'forward-reply' as const, seq: origin.id, ok: true, context: result.context } : { type: 'forward-reply' as const, seq: origin.id, ok: false, reason: result.reason };
    return transition(s, [send(origin.node, reply)]);
  }
  if (!result.ok) return transition(s, [{ type: 'request-failed', id: origin.id, key, op, reason: result.reason }]);
  if (op === 'put') return transition(s, [{ type: 'put-ok', id: origin.id, key, context: result.context }]);
  return transition(s, [{ type: 'get-ok', id: origin.id, key, values: result.values ?? [], context: result.context }]);
}

function replace(s: QuorumKvState, p: QuorumKvPending, next: QuorumKvPending | undefined): QuorumKvState {
  return { ...s, pending: next === undefined ? s.pending.filter((x) => x.seq !== p.seq) : s.pending.map((x) => (x.seq === p.seq ? next : x)) };
}

function mergedReplies(s: QuorumKvState, p: Get): QuorumKvClock {
  let c: QuorumKvClock = DVV_EMPTY;
  for (const r of p.replies) c = dvvSync(c, r.clock);
  return s.lastWriterWins ? dvvLww(c, newerVersion) : c;
}

/** Records a read reply (`undefined`: none, just re-count); answers at R replies, repairs at N. */
export function onReadReply(s: QuorumKvState, p: Get, reply: { readonly node: NodeId; readonly clock: QuorumKvClock } | undefined, now: number): T {
  if (reply !== undefined && p.replies.some((x) => x.node === reply.node)) return transition(s);
  const cur: Get = reply === undefined ? p : { ...p, replies: [...p.replies, reply] };
  let t: T = transition(replace(s, p, cur));
  if (!cur.done && cur.replies.length >= cur.r) {
    const merged = mergedReplies(s, cur);
    const done: Get = { ...cur, done: true };
    t = respond(replace(s, p, done), cur.origin, cur.key, 'get', { ok: true, context: dvvJoin(merged), values: dvvValues(merged).map((x) => x.value) });
    if (done.replies.length === done.targets.length) {
      const f = finishGet(t.state, done, 'complete', now);
      return transition(f.state, [...t.outputs, ...f.outputs]);
    }
    return t;
  }
  return cur.replies.length === cur.targets.length ? finishGet(t.state, cur, 'incomplete', now) : t;
}

/**
 * Closes a read: fails it if it never reached R, then (Dynamo §5, read repair) sends the merged
 * version to every replica that answered with a different one.
 */
export function finishGet(s: QuorumKvState, p: Get, reason: string, now: number): T {
  const t: T = p.done ? transition(replace(s, p, undefined), []) : respond(replace(s, p, undefined), p.origin, p.key, 'get', { ok: false, reason });
  if (p.replies.length === 0) return t;
  const merged = mergedReplies(s, p);
  const text = canonicalJson(merged);
  let state = t.state;
  const outputs: QuorumKvOutput[] = [...t.outputs];
  let repairs = 0;
  for (const r of p.replies) {
    if (canonicalJson(r.clock) === text) continue;
    const hint = p.targets.find((x) => x.node === r.node)?.hint;
    repairs++;
    if (r.node !== s.id) {
      outputs.push(send(r.node, hint === undefined ? { type: 'write', seq: p.seq, key: p.key, clock: merged, repair: true } : { type: 'write', seq: p.seq, key: p.key, clock: merged, hint, repair: true }));
      continue;
    }
    const local = hint === undefined ? mergeIntoStore(state, p.key, merged) : mergeIntoHints(state, p.key, hint, merged, now);
    if ('problem' in local) continue;
    state = local.state;
    outputs.push(...local.outputs);
  }
  if (repairs > 0) state = { ...state, stats: { ...state.stats, readRepairs: state.stats.readRepairs + repairs } };
  return transition(state, outputs);
}

/** Records a write acknowledgement (`undefined`: the coordinator's own); answers at W. */
export function onWriteAck(s: QuorumKvState, p: Put, from: NodeId | undefined, _now: number): T {
  if (from !== undefined && p.acks.includes(from)) return transition(s);
  const cur: Put = from === undefined ? p : { ...p, acks: [...p.acks, from] };
  const all = cur.acks.length === cur.targets.length;
  if (cur.done || cur.acks.length < cur.w) return transition(replace(s, p, all ? undefined : cur));
  return respond(replace(s, p, all ? undefined : { ...cur, done: true }), cur.origin, cur.key, 'put', { ok: true, context: cur.context });
}

/** Closes a write at its deadline: fails it if it never reached W (it may still have been applied). */
export function finishPut(s: QuorumKvState, p: Put, reason: string): T {
  const rest = replace(s, p, undefined);
  return p.done ? transition(rest) : respond(rest, p.origin, p.key, 'put', { ok: false, reason });
}
