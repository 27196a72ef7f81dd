import type { Machine, MessageInput, NodeId, PrngState, RejectedOutput, SendOutput, TickInput, Timer, Transition } from '../core/index.js';
import { ConfigError, MAX_COUNTER, checkMembers, earliest, getOwn, hasOwn, nextInt, nextShuffle, nonNegativeInt, parse, positiveInt, reject, seedPrng, send, setOwn, startTimer, stopTimer, timerDeadline, timerDue, transition, v, withOwn, stepByType } from '../core/index.js';

/**
 * Configuration of a {@link swim} member. Defaults follow the paper's structure and memberlist's
 * LAN profile for the Lifeguard constants.
 *
 * @example
 * ```ts
 * import { swim } from 'distkit/election';
 * let s = swim.init({ id: 'm1', nodes: ['m1', 'm2', 'm3'], seed: 1, protocolPeriodMs: 1000 });
 * s = swim.step(s, { type: 'tick', now: 0 }).state;
 * const probe = swim.step(s, { type: 'tick', now: 1000 });
 * s = probe.state;
 * // Each protocol period probes one member, chosen round-robin in a shuffled order.
 * probe.outputs.filter((o) => o.type === 'send').length; //=> 1
 * ```
 */
export interface SwimConfig {
  /** This member's id. */
  readonly id: NodeId;
  /** The initial membership, this member included. */
  readonly nodes: readonly NodeId[];
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
   * not probe in lockstep; false starts at the first input (the paper's synchronous-rounds model).
   */
  readonly randomStart?: boolean;
  /**
   * When a fresh member wants its first tick (host ms, default 0): `nextDeadline` of a fresh
   * state returns it, so a host ticks the member at once instead of waiting for an input. The
   * first input of any kind starts the protocol clock.
   */
  readonly startMs?: number;
  /** Pings relayed for ping-req at once at most (default {@link SWIM_MAX_RELAYS}). */
  readonly maxRelays?: number;
}

/**
 * The default bound on pings a member relays at once for other members' `ping-req`s. Each member
 * asks k helpers per period, so a helper relays about k at a time; a flood beyond the bound is
 * rejected, naming it.
 *
 * @example
 * ```ts
 * import { SWIM_MAX_RELAYS } from 'distkit/election';
 * SWIM_MAX_RELAYS; //=> 64
 * ```
 */
export const SWIM_MAX_RELAYS = 64;



/**
 * A membership update, disseminated by piggybacking. `by` names the suspecting member of a
 * `suspect` update (Lifeguard counts independent suspicions).
 *
 * @example
 * ```ts
 * import { swim } from 'distkit/election';
 * const s = swim.init({ id: 'm1', nodes: ['m1', 'm2', 'm3'], seed: 1 });
 * // A gossiped update: m2 says m3 is suspect.
 * const update = { node: 'm3', status: 'suspect', incarnation: 0, by: 'm2' } as const;
 * const t = swim.step(s, { type: 'message', from: 'm2', message: { type: 'ping', seq: 1, updates: [update] }, now: 5 });
 * t.state.members['m3']?.status; //=> 'suspect'
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
 * A member's status: `alive`, `suspect` (failed a probe, may refute), `dead` (confirmed failed; not
 * probed, but answered and told so, and revived by an `alive` with a higher incarnation).
 *
 * @example
 * ```ts
 * import { swim } from 'distkit/election';
 * const s = swim.init({ id: 'm1', nodes: ['m1', 'm2'], seed: 1 });
 * s.members['m2']?.status; //=> 'alive'
 * ```
 */
export type SwimStatus = 'alive' | 'suspect' | 'dead';

/**
 * A SWIM message (§3, §4): `ping` / `ack` and `ping-req` (ask a helper to ping `target`), each
 * carrying piggybacked updates.
 *
 * @example
 * ```ts
 * import { swim } from 'distkit/election';
 * let s = swim.init({ id: 'm1', nodes: ['m1', 'm2', 'm3'], seed: 1, protocolPeriodMs: 1000 });
 * s = swim.step(s, { type: 'tick', now: 0 }).state;
 * const probe = swim.step(s, { type: 'tick', now: 1000 });
 * s = probe.state;
 * probe.outputs.find((o) => o.type === 'send'); //=> { type: 'send', to: 'm2', message: { type: 'ping', seq: 0, updates: [] } }
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
 * import { swim } from 'distkit/election';
 * swim.init({ id: 'm1', nodes: ['m1', 'm2'], seed: 1 }).members['m2']; //=> { status: 'alive', incarnation: 0, suspectSince: null, confirmations: [] }
 * ```
 */
export interface SwimMember {
  /** Status. */
  readonly status: SwimStatus;
  /** Highest incarnation heard of. */
  readonly incarnation: number;
  /** When the suspicion started (host ms, from the input that raised it), null when not suspect. */
  readonly suspectSince: number | null;
  /** Members that independently suspected it (Lifeguard). */
  readonly confirmations: readonly NodeId[];
}

/**
 * State of a {@link swim} member.
 *
 * @example
 * ```ts
 * import { swim } from 'distkit/election';
 * swim.init({ id: 'a', nodes: ['a', 'b'], seed: 1 }).members.b?.status; //=> 'alive'
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
  /** Bound on `relays`. */
  readonly maxRelays: number;
  /** Whether the first input has started the protocol clock. */
  readonly started: boolean;
  /** This member's incarnation number (at most MAX_COUNTER). */
  readonly incarnation: number;
  /** The other members (own keys only: a peer may be named `constructor`). */
  readonly members: Readonly<Record<NodeId, SwimMember>>;
  /** Current round-robin probe order (§4.3). */
  readonly probeOrder: readonly NodeId[];
  /** Position in `probeOrder`. */
  readonly probeIndex: number;
  /** Start of the next protocol period (before the start: when the member wants its first tick). */
  readonly periodTimer: Timer;
  /** The probe of the current period; `timer` is the direct ack's timeout while `phase` is `direct`. */
  readonly probe: { readonly target: NodeId; readonly seq: number; readonly phase: 'direct' | 'indirect' | 'acked'; readonly timer: Timer } | null;
  /** Next sequence number (wraps to 0 before MAX_COUNTER). */
  readonly seq: number;
  /**
   * Pings sent on behalf of a ping-req: our seq, who asked, their seq, and a timer of one period
   * started when the ping-req arrived. At most `maxRelays`.
   */
  readonly relays: readonly { readonly seq: number; readonly origin: NodeId; readonly originSeq: number; readonly timer: Timer }[];
  /**
   * Members that told this one a suspicion or death of it older than its incarnation: each is
   * owed this member's `alive`, sent with the next message to it (at most one per member).
   */
  readonly owed: readonly NodeId[];
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
 * import { swim } from 'distkit/election';
 * const s = swim.init({ id: 'm1', nodes: ['m1', 'm2', 'm3'], seed: 1 });
 * const update = { node: 'm3', status: 'dead', incarnation: 0, by: 'm2' } as const;
 * swim.step(s, { type: 'message', from: 'm2', message: { type: 'ping', seq: 1, updates: [update] }, now: 5 }).outputs.find((o) => o.type === 'member'); //=> { type: 'member', node: 'm3', status: 'dead', incarnation: 0 }
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
 * import { swim } from 'distkit/election';
 * const s = swim.init({ id: 'm3', nodes: ['m1', 'm2', 'm3'], seed: 1 });
 * // m3 hears it is suspected: it refutes with a higher incarnation (SWIM §4.2).
 * const update = { node: 'm3', status: 'suspect', incarnation: 0, by: 'm1' } as const;
 * swim.step(s, { type: 'message', from: 'm1', message: { type: 'ping', seq: 1, updates: [update] }, now: 5 }).outputs.find((o) => o.type === 'refuted'); //=> { type: 'refuted', incarnation: 1 }
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
 * import { swim } from 'distkit/election';
 * const s = swim.init({ id: 'm1', nodes: ['m1', 'm2'], seed: 1 });
 * swim.step(s, { type: 'message', from: 'm2', message: { type: 'ping', seq: 7, updates: [] }, now: 5 }).outputs; //=> [{ type: 'send', to: 'm2', message: { type: 'ack', seq: 7, updates: [] } }]
 * ```
 */
export type SwimInput = MessageInput<unknown> | TickInput;
/**
 * Outputs of {@link swim}.
 *
 * @example
 * ```ts
 * import { swim } from 'distkit/election';
 * let s = swim.init({ id: 'm1', nodes: ['m1', 'm2', 'm3'], seed: 1, protocolPeriodMs: 1000 });
 * s = swim.step(s, { type: 'tick', now: 0 }).state;
 * const probe = swim.step(s, { type: 'tick', now: 1000 });
 * s = probe.state;
 * // Nobody answers the probe: after the ping timeout, indirect probes go through the others.
 * swim.step(s, { type: 'tick', now: 2000 }).outputs.map((o) => o.type); //=> ['send', 'member', 'send']
 * ```
 */
export type SwimOutput = SendOutput<SwimMessage> | RejectedOutput | SwimMemberOutput | SwimRefutedOutput;

type T = Transition<SwimState, SwimOutput>;

const MAX_UPDATES = 64;
const nodeId = v.id();
const counter = v.int({ min: 0, max: MAX_COUNTER });
const updateCheck = v.object({
  node: nodeId,
  status: v.literal('alive', 'suspect', 'dead'),
  incarnation: counter,
  by: v.optional(nodeId),
});
const updates = v.array(updateCheck, { maxLength: MAX_UPDATES });
const messageCheck = v.tagged({
  ping: v.object({ type: v.literal('ping'), seq: counter, updates }),
  ack: v.object({ type: v.literal('ack'), seq: counter, updates }),
  'ping-req': v.object({ type: v.literal('ping-req'), seq: counter, target: nodeId, updates }),
});

/**
 * Lifeguard's suspicion timeout (Dadgar et al., "Lifeguard: Local Health Awareness for More
 * Accurate Failure Detection", 2018, §IV-B), computed as hashicorp/memberlist does: `min` =
 * α·max(1, log10(N))·T' (util.go `suspicionTimeout`), `max` = β·min, and the timeout starts at
 * `max` and shrinks logarithmically towards `min` as independent confirmations C arrive,
 * `max − log(C+1)/log(K+1)·(max − min)` (suspicion.go `remainingSuspicionTime`), reaching `min`
 * at C = K = α − 2. With too few members to give K confirmations (N − 2 < K, N counting this
 * member and the suspect) K is 0 and the timeout is `min` from the start (state.go
 * `suspectNode`: "if n-2 < k { k = 0 }"; suspicion.go `newSuspicion`: "if k < 1 { timeout = min }").
 *
 * @example
 * ```ts
 * import { suspicionTimeoutMs } from 'distkit/election';
 * suspicionTimeoutMs(0, 100, 1000, 4, 6); //=> 48000 (6 × 4 × log10 100 × 1000)
 * suspicionTimeoutMs(2, 100, 1000, 4, 6); //=> 8000
 * suspicionTimeoutMs(0, 3, 1000, 4, 6);   //=> 4000 (3 members cannot give 2 confirmations)
 * ```
 */
export function suspicionTimeoutMs(confirmations: number, members: number, protocolPeriodMs: number, alpha: number, beta: number): number {
  const min = alpha * Math.max(1, Math.log10(Math.max(1, members))) * protocolPeriodMs;
  const max = beta * min;
  const k = members - 2 < alpha - 2 ? 0 : alpha - 2;
  if (k < 1) return Math.floor(min);
  const frac = Math.log(Math.min(confirmations, k) + 1) / Math.log(k + 1);
  return Math.floor(Math.max(min, max - frac * (max - min)));
}

/**
 * How many times an update is piggybacked: λ·⌈log10(N + 1)⌉ for N members, this one included
 * (SWIM §4.1's λ·log N; hashicorp/memberlist util.go `retransmitLimit`, with N its
 * `estNumNodes`).
 *
 * @example
 * ```ts
 * import { retransmitLimit } from 'distkit/election';
 * retransmitLimit(4, 9);  //=> 4
 * retransmitLimit(4, 10); //=> 8
 * ```
 */
export function retransmitLimit(retransmitMult: number, members: number): number {
  return retransmitMult * Math.ceil(Math.log10(members + 1));
}

/**
 * SWIM membership and failure detection (Das, Gupta & Motivala, DSN 2002). Each protocol period a
 * member pings the next member of a shuffled round-robin order (§4.3); without an ack within
 * `pingTimeoutMs` it asks k others to `ping-req` the target (§3.1); without any ack by the period's
 * end the target becomes `suspect` (§4.2), and `dead` unless it refutes with a higher incarnation
 * before the Lifeguard suspicion timeout, which shrinks with independent suspicions. Updates travel
 * piggybacked on pings and acks, each λ·log N times (§4.1). Expected first detection e/(e−1)
 * periods; per-member load is constant in N. A member that restarts after it was declared dead
 * comes back: every message to a peer held suspect or dead carries that verdict, so the restarted
 * member's first probe tells it, and it refutes with a higher incarnation; a stale message from a
 * dead member never revives it.
 *
 * @example
 * ```ts
 * import { swim } from 'distkit/election';
 * let s = swim.init({ id: 'a', nodes: ['a', 'b'], seed: 1 });
 * swim.nextDeadline!(s); //=> 0 (a fresh member asks to be ticked at once)
 * s = swim.step(s, { type: 'tick', now: 0 }).state; // starts the clock, schedules the first period
 * swim.nextDeadline!(s)! >= 0; //=> true
 * ```
 */
export const swim: Machine<SwimConfig, SwimState, SwimInput, SwimOutput> = {
  name: 'swim',
  init(config) {
    const all = checkMembers(config.id, config.nodes);
    if (typeof config.seed !== 'number' || !Number.isFinite(config.seed)) throw new ConfigError('seed', 'must be a finite number');
    const protocolPeriodMs = positiveInt('protocolPeriodMs', config.protocolPeriodMs, 1000);
    const pingTimeoutMs = positiveInt('pingTimeoutMs', config.pingTimeoutMs, Math.min(200, Math.floor(protocolPeriodMs / 3)) || 1);
    if (pingTimeoutMs >= protocolPeriodMs) throw new ConfigError('pingTimeoutMs', 'must be below protocolPeriodMs');
    const startMs = config.startMs ?? 0;
    if (typeof startMs !== 'number' || !Number.isFinite(startMs)) throw new ConfigError('startMs', 'must be a finite number');
    const members: Record<NodeId, SwimMember> = {};
    for (const m of all) if (m !== config.id) setOwn(members, m, { status: 'alive', incarnation: 0, suspectSince: null, confirmations: [] });
    return {
      id: config.id,
      protocolPeriodMs,
      pingTimeoutMs,
      indirectChecks: nonNegativeInt('indirectChecks', config.indirectChecks, 3),
      suspicion: config.suspicion ?? true,
      suspicionMult: positiveInt('suspicionMult', config.suspicionMult, 4),
      suspicionMaxTimeoutMult: positiveInt('suspicionMaxTimeoutMult', config.suspicionMaxTimeoutMult, 6),
      retransmitMult: positiveInt('retransmitMult', config.retransmitMult, 4),
      maxPiggyback: nonNegativeInt('maxPiggyback', config.maxPiggyback, 6),
      randomStart: config.randomStart ?? true,
      maxRelays: positiveInt('maxRelays', config.maxRelays, SWIM_MAX_RELAYS),
      started: false,
      incarnation: 0,
      members,
      probeOrder: [],
      probeIndex: 0,
      // Armed from init: a host ticks a fresh member at startMs instead of waiting for an input.
      periodTimer: { at: startMs, attempt: 0 },
      probe: null,
      seq: 0,
      relays: [],
      owed: [],
      updates: [],
      prng: seedPrng(config.seed),
    };
  },
  step: (state, input) => stepByType<SwimState, SwimInput, SwimOutput>({ tick: (s, _i, now) => onTick(start(s, now), now), message: onMessage }, state, input),
  nextDeadline(s) {
    if (!s.started) return timerDeadline(s.periodTimer);
    const suspicions: number[] = [];
    if (s.suspicion) {
      const n = memberCount(s);
      for (const m of Object.values(s.members)) {
        if (m.status === 'suspect' && m.suspectSince !== null) suspicions.push(m.suspectSince + suspicionTimeout(s, m, n));
      }
    }
    return earliest(s.periodTimer, s.probe !== null && s.probe.phase === 'direct' ? s.probe.timer : null, ...suspicions);
  },
};

/**
 * The first input starts the protocol clock: the first period begins at a random phase of the
 * period (so members do not probe in lockstep), or at once without `randomStart`.
 */
function start(state: SwimState, now: number): SwimState {
  if (state.started) return state;
  if (!state.randomStart) return { ...state, started: true, periodTimer: startTimer(now, 0) };
  const d = nextInt(state.prng, 0, state.protocolPeriodMs);
  return { ...state, started: true, prng: d.state, periodTimer: startTimer(now, d.value) };
}

function onMessage(state: SwimState, input: MessageInput<unknown>, now: number): T {
  const { from, message } = input;
  if (!hasOwn(state.members, from)) return reject(state, from, 'unknown member');
  const parsed = parse(messageCheck, message, 'message');
  if (!parsed.ok) return reject(state, from, parsed.problem);
  const m = parsed.value as SwimMessage;
  for (const u of m.updates) {
    if (u.node !== state.id && !hasOwn(state.members, u.node)) return reject(state, from, 'update about an unknown member');
    if (u.by !== undefined && u.by !== state.id && !hasOwn(state.members, u.by)) return reject(state, from, 'suspicion by an unknown member');
  }
  if (m.type === 'ping-req') {
    if (m.target === state.id || m.target === from || !hasOwn(state.members, m.target)) return reject(state, from, 'ping-req for an unknown target');
    const live = state.relays.filter((r) => !timerDue(r.timer, now));
    if (live.length >= state.maxRelays) return reject(state, from, `${live.length} ping-req relays in progress (maxRelays)`);
  }
  const out: SwimOutput[] = [];
  let s = start(state, now);
  // Checked before a refutation raises our incarnation; the sender is answered by `directed`.
  if (staleAboutSelf(s, m.updates) && !s.owed.includes(from)) s = { ...s, owed: [...s.owed, from] };
  switch (m.type) {
    case 'ping':
      s = applyUpdates(s, m.updates, now, out);
      // Answered whatever we hold of the sender, dead included: the ack tells it (see `directed`).
      return reply(s, from, { type: 'ack', seq: m.seq }, out);
    case 'ping-req': {
      s = applyUpdates(s, m.updates, now, out);
      const seq = s.seq;
      // §3.1: ping the target for the requester; the relay lives one period from the ping-req's
      // arrival, so an ack within that time is forwarded.
      const relays = [...s.relays.filter((r) => !timerDue(r.timer, now)), { seq, origin: from, originSeq: m.seq, timer: startTimer(now, s.protocolPeriodMs) }];
      s = { ...s, seq: nextSeq(seq), relays };
      return reply(s, m.target, { type: 'ping', seq }, out);
    }
    case 'ack': {
      const relay = s.relays.find((r) => r.seq === m.seq && !timerDue(r.timer, now));
      const ours = s.probe !== null && s.probe.seq === m.seq && s.probe.phase !== 'acked';
      if (!ours && relay === undefined) {
        // Late acks of finished probes are normal; acks for numbers never used are forged.
        if (m.seq >= s.seq && !s.relays.some((r) => r.seq === m.seq)) return reject(state, from, `ack for ping ${m.seq} never sent`);
        return transition(applyUpdates(s, m.updates, now, out), out);
      }
      s = applyUpdates(s, m.updates, now, out);
      if (ours) s = { ...s, probe: { ...s.probe!, phase: 'acked', timer: stopTimer(s.probe!.timer) } };
      if (relay !== undefined) {
        s = { ...s, relays: s.relays.filter((r) => r !== relay) };
        return reply(s, relay.origin, { type: 'ack', seq: relay.originSeq }, out);
      }
      return transition(s, out);
    }
  }
}

function nextSeq(seq: number): number {
  return seq < MAX_COUNTER ? seq + 1 : 0;
}

// ---- periods and probes -----------------------------------------------------------------------

function onTick(state: SwimState, now: number): T {
  let s: SwimState = state;
  const out: SwimOutput[] = [];
  // Suspicion timeouts: suspect → dead.
  if (s.suspicion) {
    const n = memberCount(s);
    for (const [node, m] of Object.entries(s.members)) {
      if (m.status === 'suspect' && m.suspectSince !== null && now >= m.suspectSince + suspicionTimeout(s, m, n)) {
        s = setMember(s, node, { ...m, status: 'dead', suspectSince: null }, out);
        s = enqueue(s, { node, status: 'dead', incarnation: m.incarnation });
      }
    }
  }
  // §3.1: no direct ack in time → ask k random members to ping the target for us.
  if (s.probe !== null && s.probe.phase === 'direct' && timerDue(s.probe.timer, now)) {
    const target = s.probe.target;
    const helpers = Object.keys(s.members).filter((m) => m !== target && getOwn(s.members, m)!.status !== 'dead');
    const pick = nextShuffle(s.prng, helpers);
    s = { ...s, prng: pick.state, probe: { ...s.probe, phase: 'indirect', timer: stopTimer(s.probe.timer) } };
    for (const h of pick.value.slice(0, s.indirectChecks)) {
      const t = reply(s, h, { type: 'ping-req', seq: s.probe!.seq, target }, out);
      s = t.state;
    }
  }
  if (timerDue(s.periodTimer, now)) s = newPeriod(s, now, out);
  return transition(s, out);
}

function newPeriod(state: SwimState, now: number, out: SwimOutput[]): SwimState {
  let s = state;
  // End of the previous period: a target that never acked is suspected (or failed outright).
  if (s.probe !== null && s.probe.phase !== 'acked') {
    const node = s.probe.target;
    const m = getOwn(s.members, node)!;
    if (m.status === 'alive') {
      if (s.suspicion) {
        s = setMember(s, node, { ...m, status: 'suspect', suspectSince: now, confirmations: [s.id] }, out);
        s = enqueue(s, { node, status: 'suspect', incarnation: m.incarnation, by: s.id });
      } else {
        s = setMember(s, node, { ...m, status: 'dead', suspectSince: null }, out);
        s = enqueue(s, { node, status: 'dead', incarnation: m.incarnation });
      }
    }
  }
  s = { ...s, probe: null, relays: s.relays.filter((r) => !timerDue(r.timer, now)), periodTimer: startTimer(now, s.protocolPeriodMs) };
  // §4.3 round-robin over a random permutation, reshuffled at the end of each traversal.
  let order = s.probeOrder;
  let index = s.probeIndex;
  let prng = s.prng;
  const isDead = (x: NodeId) => getOwn(s.members, x)?.status !== 'alive' && getOwn(s.members, x)?.status !== 'suspect';
  for (let attempts = 0; attempts < 2; attempts++) {
    while (index < order.length && isDead(order[index]!)) index++;
    if (index < order.length) break;
    const live = Object.keys(s.members).filter((x) => !isDead(x));
    const sh = nextShuffle(prng, live);
    prng = sh.state;
    order = sh.value;
    index = 0;
  }
  s = { ...s, probeOrder: order, prng };
  // A member owed our standing (see `directed`) is probed out of turn: it holds us suspect or dead
  // and would not probe us, and our round-robin turn to it may be a whole round away.
  const owed = s.owed.find((x) => !isDead(x));
  const target = owed ?? order[index];
  if (target === undefined || isDead(target)) return { ...s, probeIndex: index };
  const seq = s.seq;
  s = { ...s, probeIndex: owed === undefined ? index + 1 : index, seq: nextSeq(seq), probe: { target, seq, phase: 'direct', timer: startTimer(now, s.pingTimeoutMs) } };
  return reply(s, target, { type: 'ping', seq }, out).state;
}

// ---- dissemination ----------------------------------------------------------------------------

type Unpiggybacked = { type: 'ping'; seq: number } | { type: 'ack'; seq: number } | { type: 'ping-req'; seq: number; target: NodeId };

/**
 * Sends a message with piggybacked updates (fewest transmissions first, §4.1). Ahead of them go
 * the updates addressed to the receiver alone (see {@link directed}), outside the buffer's
 * transmission counts.
 */
function reply(state: SwimState, to: NodeId, m: Unpiggybacked, out: SwimOutput[]): T {
  const limit = retransmitLimit(state.retransmitMult, memberCount(state));
  const first = directed(state, to).slice(0, state.maxPiggyback);
  const owed = first.some((u) => u.node === state.id) ? state.owed.filter((x) => x !== to) : state.owed;
  const covered = new Set(first.map((u) => u.node));
  const chosen = state.updates
    .map((u, i) => ({ u, i }))
    .filter(({ u }) => !covered.has(u.node))
    .sort((a, b) => a.u.transmits - b.u.transmits || a.i - b.i)
    .slice(0, state.maxPiggyback - first.length);
  const picked = new Set(chosen.map((c) => c.i));
  const updates: (SwimUpdate & { transmits: number })[] = [];
  state.updates.forEach((u, i) => {
    const t = picked.has(i) ? u.transmits + 1 : u.transmits;
    if (t < limit) updates.push({ ...u, transmits: t });
  });
  const payload: SwimUpdate[] = [...first, ...chosen.map(({ u }) => strip(u))];
  out.push(send(to, { ...m, updates: payload } as SwimMessage));
  return transition({ ...state, updates, owed }, out);
}

/**
 * Updates meant for the receiver `to` alone, whatever the buffer holds:
 * - what this member holds against `to`, when it holds it `suspect` or `dead`, so `to` can refute
 *   (Lifeguard §IV-C's buddy system piggybacks a suspicion on pings to the suspect;
 *   memberlist keeps gossiping to a dead node for `GossipToTheDeadTime` "to give it a chance to
 *   refute"). A dead member is not probed any more, but it is answered: a member that restarts
 *   with a fresh state probes the others and learns from the first answer that it was declared
 *   dead, long after that news has left every dissemination buffer;
 * - `alive` at this member's incarnation when `to` told it a suspicion or death of it with an
 *   older incarnation (`owed`): `to` missed the refutation, typically because it restarted and
 *   knows nobody's incarnation, or because the epidemic passed it by while it held this member
 *   dead and so never probed it. Nothing else would ever correct it.
 */
function directed(state: SwimState, to: NodeId): SwimUpdate[] {
  const out: SwimUpdate[] = [];
  const m = getOwn(state.members, to);
  if (m !== undefined && m.status === 'dead') out.push({ node: to, status: 'dead', incarnation: m.incarnation });
  else if (m !== undefined && m.status === 'suspect') out.push({ node: to, status: 'suspect', incarnation: m.incarnation, by: m.confirmations[0] ?? state.id });
  if (state.owed.includes(to)) out.push({ node: state.id, status: 'alive', incarnation: state.incarnation });
  return out;
}

/** Whether `updates` holds a suspicion or death of this member older than its incarnation. */
function staleAboutSelf(state: SwimState, updates: readonly SwimUpdate[]): boolean {
  return updates.some((u) => u.node === state.id && u.status !== 'alive' && u.incarnation < state.incarnation);
}

function strip(u: SwimUpdate & { transmits: number }): SwimUpdate {
  return u.by === undefined ? { node: u.node, status: u.status, incarnation: u.incarnation } : { node: u.node, status: u.status, incarnation: u.incarnation, by: u.by };
}

function enqueue(state: SwimState, u: SwimUpdate): SwimState {
  // A newer update about a node replaces older ones (except other suspicions' confirmations).
  const rest = state.updates.filter((x) => x.node !== u.node || (u.status === 'suspect' && x.status === 'suspect' && x.by !== u.by && x.incarnation === u.incarnation));
  return { ...state, updates: [...rest, { ...strip({ ...u, transmits: 0 }), transmits: 0 }] };
}

function setMember(state: SwimState, node: NodeId, m: SwimMember, out: SwimOutput[]): SwimState {
  const old = getOwn(state.members, node);
  if (old?.status !== m.status) out.push({ type: 'member', node, status: m.status, incarnation: m.incarnation });
  return { ...state, members: withOwn(state.members, node, m) };
}

/**
 * §4.2 ordering of updates: alive(i) beats suspect(j) iff i > j; suspect(i) beats alive(j) iff
 * i ≥ j; dead is final unless the member comes back with a higher incarnation (memberlist's
 * `aliveNode` revives a dead node that way). A suspect or dead update at MAX_COUNTER is ignored:
 * its subject could never refute it, so accepting one would let a peer bury a member for good.
 */
function applyUpdates(state: SwimState, updates: readonly SwimUpdate[], now: number, out: SwimOutput[]): SwimState {
  let s = state;
  for (const u of updates) {
    if (u.status !== 'alive' && u.incarnation >= MAX_COUNTER) continue;
    if (u.node === s.id) {
      // Refutation: somebody suspects (or buried) us with our current incarnation or later.
      if (u.status !== 'alive' && u.incarnation >= s.incarnation) {
        const incarnation = u.incarnation + 1;
        s = enqueue({ ...s, incarnation }, { node: s.id, status: 'alive', incarnation });
        out.push({ type: 'refuted', incarnation });
      }
      // An older suspicion or death is stale; its sender is owed our alive (see `directed`).
      continue;
    }
    const m = getOwn(s.members, u.node)!;
    if (m.status === 'dead') {
      if (u.status === 'alive' && u.incarnation > m.incarnation) {
        s = setMember(s, u.node, { status: 'alive', incarnation: u.incarnation, suspectSince: null, confirmations: [] }, out);
        s = enqueue(s, u);
      }
      continue;
    }
    switch (u.status) {
      case 'alive':
        if (u.incarnation > m.incarnation) {
          s = setMember(s, u.node, { status: 'alive', incarnation: u.incarnation, suspectSince: null, confirmations: [] }, out);
          s = enqueue(s, u);
        }
        break;
      case 'suspect': {
        const by = u.by ?? '?';
        if (u.incarnation > m.incarnation || (m.status === 'alive' && u.incarnation === m.incarnation)) {
          // A suspicion learned by gossip counts from the message's arrival.
          s = setMember(s, u.node, { status: 'suspect', incarnation: u.incarnation, suspectSince: now, confirmations: [by] }, out);
          s = enqueue(s, u);
        } else if (m.status === 'suspect' && u.incarnation === m.incarnation && !m.confirmations.includes(by)) {
          // Lifeguard: an independent confirmation shortens the timeout; pass it on.
          s = { ...s, members: withOwn(s.members, u.node, { ...m, confirmations: [...m.confirmations, by] }) };
          s = enqueue(s, u);
        }
        break;
      }
      case 'dead':
        if (u.incarnation >= m.incarnation) {
          s = setMember(s, u.node, { ...m, status: 'dead', incarnation: u.incarnation, suspectSince: null }, out);
          s = enqueue(s, u);
        }
        break;
    }
  }
  return s;
}

/** N: every member this one knows, itself and dead ones included (memberlist's `estNumNodes`). */
function memberCount(s: SwimState): number {
  return Object.keys(s.members).length + 1;
}

function suspicionTimeout(s: SwimState, m: SwimMember, n: number): number {
  // The suspecter's own suspicion is not a confirmation (memberlist excludes `from`).
  return suspicionTimeoutMs(Math.max(0, m.confirmations.length - 1), n, s.protocolPeriodMs, s.suspicionMult, s.suspicionMaxTimeoutMult);
}
