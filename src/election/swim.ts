import {
  ConfigError,
  nextInt,
  nextShuffle,
  reject,
  seedPrng,
  transition,
  v,
  type Machine,
  type MessageInput,
  type NodeId,
  type PrngState,
  type RejectedOutput,
  type SendOutput,
  type TickInput,
  type Transition,
} from '../core/index.js';
import { checkMembers, positiveInt, send } from './common.js';

/**
 * Configuration of a {@link swim} member. Defaults follow the paper's structure and memberlist's
 * LAN profile for the Lifeguard constants.
 *
 * @example
 * ```ts
 * import type { SwimConfig } from 'distkit/election';
 * const c: SwimConfig = { id: 'm1', members: ['m1', 'm2', 'm3'], seed: 1, protocolPeriodMs: 1000 };
 * ```
 */
export interface SwimConfig {
  /** This member's id. */
  readonly id: NodeId;
  /** The initial membership, this member included. */
  readonly members: readonly NodeId[];
  /** Seed of the member's PRNG (probe order, ping-req helpers, start offset). */
  readonly seed: number;
  /** Protocol period T', ms. Default 1000. */
  readonly protocolPeriodMs?: number;
  /** Wait for a direct ack before asking helpers, ms (must be below the period). Default 200. */
  readonly pingTimeoutMs?: number;
  /** k, the number of members asked to ping-req a silent target. Default 3. */
  readonly indirectChecks?: number;
  /** Suspect before declaring failure (SWIM §4.2). Default true; false declares failure at once. */
  readonly suspicion?: boolean;
  /** α: the minimum suspicion timeout is α · log10(N) periods. Default 4. */
  readonly suspicionMult?: number;
  /** β: the maximum suspicion timeout is β times the minimum. Default 6. */
  readonly suspicionMaxTimeoutMult?: number;
  /** λ: an update is piggybacked λ · ⌈log10(N + 1)⌉ times. Default 4. */
  readonly retransmitMult?: number;
  /** Updates piggybacked per message at most. Default 6. */
  readonly maxPiggyback?: number;
  /**
   * Start the first period at a random offset within one period (default true), so members do
   * not probe in lockstep; false starts at the first tick (the paper's synchronous-rounds model).
   */
  readonly randomStart?: boolean;
}

/**
 * A membership update, disseminated by piggybacking. `by` names the suspecting member of a
 * `suspect` update (Lifeguard counts independent suspicions).
 *
 * @example
 * ```ts
 * import type { SwimUpdate } from 'distkit/election';
 * const u: SwimUpdate = { node: 'm3', status: 'suspect', incarnation: 2, by: 'm1' };
 * ```
 */
export interface SwimUpdate {
  /** The member the update is about. */
  readonly node: NodeId;
  /** Its status. */
  readonly status: SwimStatus;
  /** Its incarnation number. */
  readonly incarnation: number;
  /** The suspecting member (suspect updates). */
  readonly by?: NodeId;
}

/**
 * A member's status: `alive`, `suspect` (failed a probe, may refute), `dead` (confirmed failed).
 *
 * @example
 * ```ts
 * import type { SwimStatus } from 'distkit/election';
 * const s: SwimStatus = 'suspect';
 * ```
 */
export type SwimStatus = 'alive' | 'suspect' | 'dead';

/**
 * A SWIM message (§3, §4): `ping` / `ack` and `ping-req` (ask a helper to ping `target`), each
 * carrying piggybacked updates.
 *
 * @example
 * ```ts
 * import type { SwimMessage } from 'distkit/election';
 * const m: SwimMessage = { type: 'ping', seq: 7, updates: [] };
 * ```
 */
export type SwimMessage =
  | { readonly type: 'ping'; readonly seq: number; readonly updates: readonly SwimUpdate[] }
  | { readonly type: 'ack'; readonly seq: number; readonly updates: readonly SwimUpdate[] }
  | { readonly type: 'ping-req'; readonly seq: number; readonly target: NodeId; readonly updates: readonly SwimUpdate[] };

/**
 * What a member knows of another.
 *
 * @example
 * ```ts
 * import type { SwimMember } from 'distkit/election';
 * const m: SwimMember = { status: 'alive', incarnation: 0, suspectSince: -1, confirmations: [] };
 * ```
 */
export interface SwimMember {
  /** Status. */
  readonly status: SwimStatus;
  /** Highest incarnation heard of. */
  readonly incarnation: number;
  /** When the suspicion started (own clock), -1 when not suspect. */
  readonly suspectSince: number;
  /** Members that independently suspected it (Lifeguard). */
  readonly confirmations: readonly NodeId[];
}

/**
 * State of a {@link swim} member.
 *
 * @example
 * ```ts
 * import { swim } from 'distkit/election';
 * swim.init({ id: 'a', members: ['a', 'b'], seed: 1 }).members.b?.status; //=> 'alive'
 * ```
 */
export interface SwimState {
  /** This member. */
  readonly id: NodeId;
  /** T'. */
  readonly protocolPeriodMs: number;
  /** Direct ping timeout. */
  readonly pingTimeoutMs: number;
  /** k. */
  readonly indirectChecks: number;
  /** Suspicion on. */
  readonly suspicion: boolean;
  /** α. */
  readonly suspicionMult: number;
  /** β. */
  readonly suspicionMaxTimeoutMult: number;
  /** λ. */
  readonly retransmitMult: number;
  /** Piggyback limit. */
  readonly maxPiggyback: number;
  /** Random first-period offset. */
  readonly randomStart: boolean;
  /** Last tick time; -1 before the first. */
  readonly now: number;
  /** This member's incarnation number. */
  readonly incarnation: number;
  /** The other members. */
  readonly members: Readonly<Record<NodeId, SwimMember>>;
  /** Current round-robin probe order (§4.3). */
  readonly probeOrder: readonly NodeId[];
  /** Position in `probeOrder`. */
  readonly probeIndex: number;
  /** Start of the next protocol period. */
  readonly nextPeriodAt: number;
  /** The probe of the current period. */
  readonly probe: { readonly target: NodeId; readonly seq: number; readonly phase: 'direct' | 'indirect' | 'acked'; readonly deadline: number } | null;
  /** Next sequence number. */
  readonly seq: number;
  /** Pings sent on behalf of a ping-req: our seq, who asked, their seq, until when. */
  readonly relays: readonly { readonly seq: number; readonly origin: NodeId; readonly originSeq: number; readonly deadline: number }[];
  /** Dissemination buffer with transmit counts. */
  readonly updates: readonly (SwimUpdate & { readonly transmits: number })[];
  /** PRNG. */
  readonly prng: PrngState;
}

/**
 * An event: this member's view of `node` changed.
 *
 * @example
 * ```ts
 * import type { SwimMemberOutput } from 'distkit/election';
 * const e: SwimMemberOutput = { type: 'member', node: 'm3', status: 'dead', incarnation: 0 };
 * ```
 */
export interface SwimMemberOutput {
  /** Discriminant. */
  readonly type: 'member';
  /** The member. */
  readonly node: NodeId;
  /** Its new status. */
  readonly status: SwimStatus;
  /** Its incarnation. */
  readonly incarnation: number;
}

/**
 * An event: this member refuted a suspicion about itself with a new incarnation (§4.2).
 *
 * @example
 * ```ts
 * import type { SwimRefutedOutput } from 'distkit/election';
 * const e: SwimRefutedOutput = { type: 'refuted', incarnation: 3 };
 * ```
 */
export interface SwimRefutedOutput {
  /** Discriminant. */
  readonly type: 'refuted';
  /** The new incarnation. */
  readonly incarnation: number;
}

/**
 * Inputs of {@link swim}.
 *
 * @example
 * ```ts
 * import type { SwimInput } from 'distkit/election';
 * const i: SwimInput = { type: 'tick', now: 1000 };
 * ```
 */
export type SwimInput = MessageInput<unknown> | TickInput;
/**
 * Outputs of {@link swim}.
 *
 * @example
 * ```ts
 * import type { SwimOutput } from 'distkit/election';
 * const o: SwimOutput = { type: 'member', node: 'm2', status: 'suspect', incarnation: 0 };
 * ```
 */
export type SwimOutput = SendOutput<SwimMessage> | RejectedOutput | SwimMemberOutput | SwimRefutedOutput;

type T = Transition<SwimState, SwimOutput>;

const MAX_UPDATES = 64;
const nodeId = v.string({ minLength: 1, maxLength: 256 });
const updateCheck = v.object({
  node: nodeId,
  status: v.literal('alive', 'suspect', 'dead'),
  incarnation: v.int({ min: 0 }),
  by: v.optional(nodeId),
});
const updates = v.array(updateCheck, { maxLength: MAX_UPDATES });
const messageCheck = v.tagged({
  ping: v.object({ type: v.literal('ping'), seq: v.int({ min: 0 }), updates }),
  ack: v.object({ type: v.literal('ack'), seq: v.int({ min: 0 }), updates }),
  'ping-req': v.object({ type: v.literal('ping-req'), seq: v.int({ min: 0 }), target: nodeId, updates }),
});

/**
 * Lifeguard's suspicion timeout (Dadgar et al., "Lifeguard: Local Health Awareness for More
 * Accurate Failure Detection", 2018, §IV-B; memberlist's `remainingSuspicionTime`): starts at
 * `max` = β·min and shrinks logarithmically towards `min` = α·log10(N)·T' as independent
 * suspicions C arrive, reaching `min` at C = K = α − 2 confirmations.
 *
 * @example
 * ```ts
 * import { suspicionTimeoutMs } from 'distkit/election';
 * suspicionTimeoutMs(0, 100, 1000, 4, 6); //=> 48000 (6 × 4 × log10(100) × 1000)
 * suspicionTimeoutMs(2, 100, 1000, 4, 6); //=> 8000
 * ```
 */
export function suspicionTimeoutMs(confirmations: number, members: number, protocolPeriodMs: number, alpha: number, beta: number): number {
  const min = alpha * Math.max(1, Math.log10(Math.max(1, members))) * protocolPeriodMs;
  const max = beta * min;
  const k = Math.max(1, alpha - 2);
  const frac = Math.log(Math.min(confirmations, k) + 1) / Math.log(k + 1);
  return Math.floor(Math.max(min, max - frac * (max - min)));
}

/**
 * SWIM membership and failure detection (Das, Gupta & Motivala, DSN 2002). Each protocol period a
 * member pings the next member of a shuffled round-robin order (§4.3); without an ack within
 * `pingTimeoutMs` it asks k others to `ping-req` the target (§3.1); without any ack by the period's
 * end the target becomes `suspect` (§4.2), and `dead` unless it refutes with a higher incarnation
 * before the Lifeguard suspicion timeout, which shrinks with independent suspicions. Updates travel
 * piggybacked on pings and acks, each λ·log N times (§4.1). Expected first detection e/(e−1)
 * periods; per-member load is constant in N.
 *
 * @example
 * ```ts
 * import { swim } from 'distkit/election';
 * let s = swim.init({ id: 'a', members: ['a', 'b'], seed: 1 });
 * s = swim.step(s, { type: 'tick', now: 0 }).state; // schedules the first period
 * swim.nextDeadline!(s)! >= 0; //=> true
 * ```
 */
export const swim: Machine<SwimConfig, SwimState, SwimInput, SwimOutput> = {
  name: 'swim',
  init(config) {
    const all = checkMembers(config.id, config.members, 'members');
    if (typeof config.seed !== 'number' || !Number.isFinite(config.seed)) throw new ConfigError('seed', 'must be a finite number');
    const protocolPeriodMs = positiveInt('protocolPeriodMs', config.protocolPeriodMs, 1000);
    const pingTimeoutMs = positiveInt('pingTimeoutMs', config.pingTimeoutMs, Math.min(200, Math.floor(protocolPeriodMs / 3)) || 1);
    if (pingTimeoutMs >= protocolPeriodMs) throw new ConfigError('pingTimeoutMs', 'must be below protocolPeriodMs');
    const others = all.filter((m) => m !== config.id);
    return {
      id: config.id,
      protocolPeriodMs,
      pingTimeoutMs,
      indirectChecks: positiveInt('indirectChecks', config.indirectChecks, 3, true),
      suspicion: config.suspicion ?? true,
      suspicionMult: positiveInt('suspicionMult', config.suspicionMult, 4),
      suspicionMaxTimeoutMult: positiveInt('suspicionMaxTimeoutMult', config.suspicionMaxTimeoutMult, 6),
      retransmitMult: positiveInt('retransmitMult', config.retransmitMult, 4),
      maxPiggyback: positiveInt('maxPiggyback', config.maxPiggyback, 6, true),
      randomStart: config.randomStart ?? true,
      now: -1,
      incarnation: 0,
      members: Object.fromEntries(others.map((m) => [m, { status: 'alive', incarnation: 0, suspectSince: -1, confirmations: [] }])),
      probeOrder: [],
      probeIndex: 0,
      nextPeriodAt: 0,
      probe: null,
      seq: 0,
      relays: [],
      updates: [],
      prng: seedPrng(config.seed),
    };
  },
  step(state, input): T {
    if (input.type === 'tick') return onTick(state, input.now);
    const { from, message } = input;
    if (state.members[from] === undefined) return reject(state, from, `unknown member ${JSON.stringify(from)}`);
    const problem = messageCheck(message, 'message');
    if (problem !== undefined) return reject(state, from, problem);
    if (state.now < 0) return reject(state, from, 'message before the first tick');
    const m = message as SwimMessage;
    for (const u of m.updates) {
      if (u.node !== state.id && state.members[u.node] === undefined) return reject(state, from, `update about unknown member ${JSON.stringify(u.node)}`);
      if (u.by !== undefined && u.by !== state.id && state.members[u.by] === undefined) return reject(state, from, `suspicion by unknown member ${JSON.stringify(u.by)}`);
    }
    const out: SwimOutput[] = [];
    let s = state;
    switch (m.type) {
      case 'ping':
        s = applyUpdates(s, m.updates, out);
        return reply(s, from, { type: 'ack', seq: m.seq }, out);
      case 'ping-req': {
        if (m.target === state.id || state.members[m.target] === undefined) return reject(state, from, `ping-req for unknown target ${JSON.stringify(m.target)}`);
        s = applyUpdates(s, m.updates, out);
        const seq = s.seq;
        s = { ...s, seq: seq + 1, relays: [...s.relays, { seq, origin: from, originSeq: m.seq, deadline: s.now + s.protocolPeriodMs }] };
        return reply(s, m.target, { type: 'ping', seq }, out);
      }
      case 'ack': {
        const relay = s.relays.find((r) => r.seq === m.seq);
        const ours = s.probe !== null && s.probe.seq === m.seq && s.probe.phase !== 'acked';
        if (!ours && relay === undefined) {
          // Late acks of finished probes are normal; acks for numbers never used are forged.
          if (m.seq >= s.seq) return reject(state, from, `ack for ping ${m.seq} never sent`);
          return transition(applyUpdates(s, m.updates, out), out);
        }
        s = applyUpdates(s, m.updates, out);
        if (ours) s = { ...s, probe: { ...s.probe!, phase: 'acked' } };
        if (relay !== undefined) {
          s = { ...s, relays: s.relays.filter((r) => r !== relay) };
          return reply(s, relay.origin, { type: 'ack', seq: relay.originSeq }, out);
        }
        return transition(s, out);
      }
    }
  },
  nextDeadline(s) {
    if (s.now < 0) return undefined;
    let d = s.nextPeriodAt;
    if (s.probe !== null && s.probe.phase === 'direct') d = Math.min(d, s.probe.deadline);
    if (s.suspicion) {
      const n = liveCount(s);
      for (const m of Object.values(s.members)) {
        if (m.status === 'suspect') d = Math.min(d, m.suspectSince + suspicionTimeout(s, m, n));
      }
    }
    return d;
  },
};

// ---- periods and probes -----------------------------------------------------------------------

function onTick(state: SwimState, at: number): T {
  let s: SwimState = state;
  const out: SwimOutput[] = [];
  if (s.now < 0) {
    // First tick: start at a random phase of the period, so members do not probe in lockstep.
    if (!s.randomStart) return transition({ ...s, now: at, nextPeriodAt: at });
    const d = nextInt(s.prng, 0, s.protocolPeriodMs);
    return transition({ ...s, now: at, prng: d.state, nextPeriodAt: at + d.value });
  }
  s = { ...s, now: Math.max(s.now, at) };
  // Suspicion timeouts: suspect → dead.
  if (s.suspicion) {
    const n = liveCount(s);
    for (const [node, m] of Object.entries(s.members)) {
      if (m.status === 'suspect' && s.now >= m.suspectSince + suspicionTimeout(s, m, n)) {
        s = setMember(s, node, { ...m, status: 'dead', suspectSince: -1 }, out);
        s = enqueue(s, { node, status: 'dead', incarnation: m.incarnation });
      }
    }
  }
  // §3.1: no direct ack in time → ask k random members to ping the target for us.
  if (s.probe !== null && s.probe.phase === 'direct' && s.now >= s.probe.deadline) {
    const target = s.probe.target;
    const helpers = Object.keys(s.members).filter((m) => m !== target && s.members[m]!.status !== 'dead');
    const pick = nextShuffle(s.prng, helpers);
    s = { ...s, prng: pick.state, probe: { ...s.probe, phase: 'indirect' } };
    for (const h of pick.value.slice(0, s.indirectChecks)) {
      const t = reply(s, h, { type: 'ping-req', seq: s.probe!.seq, target }, out);
      s = t.state;
    }
  }
  if (s.now >= s.nextPeriodAt) s = newPeriod(s, out);
  return transition(s, out);
}

function newPeriod(state: SwimState, out: SwimOutput[]): SwimState {
  let s = state;
  // End of the previous period: a target that never acked is suspected (or failed outright).
  if (s.probe !== null && s.probe.phase !== 'acked') {
    const node = s.probe.target;
    const m = s.members[node]!;
    if (m.status === 'alive') {
      if (s.suspicion) {
        s = setMember(s, node, { ...m, status: 'suspect', suspectSince: s.now, confirmations: [s.id] }, out);
        s = enqueue(s, { node, status: 'suspect', incarnation: m.incarnation, by: s.id });
      } else {
        s = setMember(s, node, { ...m, status: 'dead', suspectSince: -1 }, out);
        s = enqueue(s, { node, status: 'dead', incarnation: m.incarnation });
      }
    }
  }
  s = { ...s, probe: null, relays: s.relays.filter((r) => r.deadline > s.now), nextPeriodAt: s.now + s.protocolPeriodMs };
  // §4.3 round-robin over a random permutation, reshuffled at the end of each traversal.
  let order = s.probeOrder;
  let index = s.probeIndex;
  let prng = s.prng;
  for (let attempts = 0; attempts < 2; attempts++) {
    while (index < order.length && s.members[order[index]!]?.status === 'dead') index++;
    if (index < order.length) break;
    const live = Object.keys(s.members).filter((m) => s.members[m]!.status !== 'dead');
    const sh = nextShuffle(prng, live);
    prng = sh.state;
    order = sh.value;
    index = 0;
  }
  s = { ...s, probeOrder: order, prng };
  const target = order[index];
  if (target === undefined || s.members[target]?.status === 'dead') return { ...s, probeIndex: index };
  const seq = s.seq;
  s = { ...s, probeIndex: index + 1, seq: seq + 1, probe: { target, seq, phase: 'direct', deadline: s.now + s.pingTimeoutMs } };
  return reply(s, target, { type: 'ping', seq }, out).state;
}

// ---- dissemination ----------------------------------------------------------------------------

type Unpiggybacked = { type: 'ping'; seq: number } | { type: 'ack'; seq: number } | { type: 'ping-req'; seq: number; target: NodeId };

/** Sends a message with piggybacked updates (fewest transmissions first, §4.1). */
function reply(state: SwimState, to: NodeId, m: Unpiggybacked, out: SwimOutput[]): T {
  const limit = state.retransmitMult * Math.ceil(Math.log10(liveCount(state) + 2));
  const chosen = state.updates
    .map((u, i) => ({ u, i }))
    .sort((a, b) => a.u.transmits - b.u.transmits || a.i - b.i)
    .slice(0, state.maxPiggyback);
  const picked = new Set(chosen.map((c) => c.i));
  const updates: (SwimUpdate & { transmits: number })[] = [];
  state.updates.forEach((u, i) => {
    const t = picked.has(i) ? u.transmits + 1 : u.transmits;
    if (t < limit) updates.push({ ...u, transmits: t });
  });
  const payload: SwimUpdate[] = chosen.map(({ u }) => strip(u));
  out.push(send(to, { ...m, updates: payload } as SwimMessage));
  return transition({ ...state, updates }, out);
}

function strip(u: SwimUpdate & { transmits: number }): SwimUpdate {
  return u.by === undefined ? { node: u.node, status: u.status, incarnation: u.incarnation } : { node: u.node, status: u.status, incarnation: u.incarnation, by: u.by };
}

function enqueue(state: SwimState, u: SwimUpdate): SwimState {
  // A newer update about a node replaces older ones (except other suspicions' confirmations).
  const rest = state.updates.filter((x) => x.node !== u.node || (u.status === 'suspect' && x.status === 'suspect' && x.by !== u.by && x.incarnation === u.incarnation));
  return { ...state, updates: [...rest, { ...u, transmits: 0 }] };
}

function setMember(state: SwimState, node: NodeId, m: SwimMember, out: SwimOutput[]): SwimState {
  const old = state.members[node];
  if (old === undefined || old.status !== m.status || old.incarnation !== m.incarnation) {
    if (old?.status !== m.status) out.push({ type: 'member', node, status: m.status, incarnation: m.incarnation });
  }
  return { ...state, members: { ...state.members, [node]: m } };
}

/** §4.2 ordering of updates: alive(i) beats suspect(j) iff i > j; suspect(i) beats alive(j) iff i ≥ j; dead is final. */
function applyUpdates(state: SwimState, updates: readonly SwimUpdate[], out: SwimOutput[]): SwimState {
  let s = state;
  for (const u of updates) {
    if (u.node === s.id) {
      // Refutation: somebody suspects (or buried) us with our current incarnation or later.
      if (u.status !== 'alive' && u.incarnation >= s.incarnation) {
        const incarnation = u.incarnation + 1;
        s = enqueue({ ...s, incarnation }, { node: s.id, status: 'alive', incarnation });
        out.push({ type: 'refuted', incarnation });
      }
      continue;
    }
    const m = s.members[u.node]!;
    if (m.status === 'dead') continue;
    switch (u.status) {
      case 'alive':
        if (u.incarnation > m.incarnation) {
          s = setMember(s, u.node, { status: 'alive', incarnation: u.incarnation, suspectSince: -1, confirmations: [] }, out);
          s = enqueue(s, u);
        }
        break;
      case 'suspect': {
        const by = u.by ?? '?';
        if (u.incarnation > m.incarnation || (m.status === 'alive' && u.incarnation === m.incarnation)) {
          s = setMember(s, u.node, { status: 'suspect', incarnation: u.incarnation, suspectSince: s.now, confirmations: [by] }, out);
          s = enqueue(s, u);
        } else if (m.status === 'suspect' && u.incarnation === m.incarnation && !m.confirmations.includes(by)) {
          // Lifeguard: an independent confirmation shortens the timeout; pass it on.
          s = { ...s, members: { ...s.members, [u.node]: { ...m, confirmations: [...m.confirmations, by] } } };
          s = enqueue(s, u);
        }
        break;
      }
      case 'dead':
        if (u.incarnation >= m.incarnation) {
          s = setMember(s, u.node, { ...m, status: 'dead', incarnation: u.incarnation, suspectSince: -1 }, out);
          s = enqueue(s, u);
        }
        break;
    }
  }
  return s;
}

function liveCount(s: SwimState): number {
  let n = 1;
  for (const m of Object.values(s.members)) if (m.status !== 'dead') n++;
  return n;
}

function suspicionTimeout(s: SwimState, m: SwimMember, n: number): number {
  // The suspecter's own suspicion is not a confirmation (memberlist excludes `from`).
  return suspicionTimeoutMs(Math.max(0, m.confirmations.length - 1), n, s.protocolPeriodMs, s.suspicionMult, s.suspicionMaxTimeoutMult);
}
