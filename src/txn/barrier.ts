/**
 * A reusable, coordinator-based distributed barrier: N parties each `arrive`; the coordinator
 * releases them all once every one has arrived. Generation numbers play the part of the
 * sense-reversal flag of the centralized barrier (Mellor-Crummey & Scott, "Algorithms for
 * Scalable Synchronization on Shared-Memory Multiprocessors", TOCS 1991, §3.1): a fast party that
 * passes generation g and arrives again counts toward g + 1 only, so it cannot slip through the
 * next barrier while a slow party is still leaving the current one. Arrivals are re-sent until
 * released (the pull style of ZooKeeper's barrier recipe), so lost messages and a restarted
 * coordinator only cost time.
 */
import type { DurableMachine, MessageInput, NodeId, PersistOutput, RejectedOutput, SendOutput, TickInput, Timer, Transition } from '../core/index.js';
import { ConfigError, InvalidCommandError, MAX_COUNTER, STOPPED_TIMER, assertNever, canIncrement, checkId, checkIds, earliest, inputNow, nodeIdCheck, parse, positiveMs, reject, send, startTimer, timerDue, transition, v, stepByType } from '../core/index.js';
import { MAX_PARTICIPANTS, distinct } from './common.js';

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/**
 * A message of the barrier protocol.
 *
 * - `arrive` (party → coordinator): the sender reached barrier `generation`; re-sent until released.
 * - `release` (coordinator → party): every party arrived at `generation`; pass it.
 * - `timeout` (coordinator → waiting parties): `generation` has waited `timeoutMs` for `missing`.
 *
 * @example
 * ```ts
 * import { barrierCoordinator } from 'distkit/txn';
 * let s = barrierCoordinator.init({ id: 'c', nodes: ['a', 'b'] });
 * s = barrierCoordinator.step(s, { type: 'message', from: 'a', message: { type: 'arrive', generation: 0 }, now: 0 }).state;
 * const t = barrierCoordinator.step(s, { type: 'message', from: 'b', message: { type: 'arrive', generation: 0 }, now: 5 });
 * // The last arrival releases everyone:
 * t.outputs.filter((o) => o.type === 'send').map((o) => o.message); //=> [{ type: 'release', generation: 0 }, { type: 'release', generation: 0 }]
 * ```
 */
export type BarrierMessage =
  | { readonly type: 'arrive'; readonly generation: number }
  | { readonly type: 'release'; readonly generation: number }
  | { readonly type: 'timeout'; readonly generation: number; readonly missing: readonly NodeId[] };

const generationCheck = v.int({ min: 0, max: MAX_COUNTER });
const barrierMessageCheck = v.tagged({
  arrive: v.object({ type: v.literal('arrive'), generation: generationCheck }),
  release: v.object({ type: v.literal('release'), generation: generationCheck }),
  timeout: v.object({ type: v.literal('timeout'), generation: generationCheck, missing: v.array(nodeIdCheck, { maxLength: MAX_PARTICIPANTS }) }),
});

/**
 * Event: barrier `generation` timed out with `missing` parties not yet arrived. The barrier stays
 * armed (a late party still completes it) and the report repeats every `timeoutMs`; the host
 * decides whether to wait on, replace a party, or give up.
 *
 * @example
 * ```ts
 * import { barrierCoordinator } from 'distkit/txn';
 * let s = barrierCoordinator.init({ id: 'c', nodes: ['a', 'b'], timeoutMs: 100 });
 * s = barrierCoordinator.step(s, { type: 'message', from: 'a', message: { type: 'arrive', generation: 0 }, now: 0 }).state;
 * barrierCoordinator.step(s, { type: 'tick', now: 100 }).outputs.find((o) => o.type === 'timedOut'); //=> { type: 'timedOut', generation: 0, missing: ['b'] }
 * ```
 */
export interface BarrierTimedOutOutput {
  /** Discriminator. */
  readonly type: 'timedOut';
  /** The barrier generation that is waiting. */
  readonly generation: number;
  /** The parties that have not arrived, in configuration order. */
  readonly missing: readonly NodeId[];
}

// ---------------------------------------------------------------------------------------------
// Coordinator
// ---------------------------------------------------------------------------------------------

/**
 * Options of the barrier coordinator.
 *
 * @example
 * ```ts
 * import { barrierCoordinator } from 'distkit/txn';
 * const s = barrierCoordinator.init({ id: 'coord', nodes: ['w1', 'w2', 'w3'], timeoutMs: 2000 });
 * [s.parties, s.timeoutMs]; //=> [['w1', 'w2', 'w3'], 2000]
 * ```
 */
export interface BarrierCoordinatorConfig {
  /** The coordinator's node id. */
  readonly id: NodeId;
  /** The N parties, every node that runs {@link barrierParty} (distinct, non-empty, not including the coordinator's id). */
  readonly nodes: readonly NodeId[];
  /** Report the missing parties when a generation has waited this long since its first arrival. Default 5000. */
  readonly timeoutMs?: number;
}

/**
 * State of the barrier coordinator.
 *
 * @example
 * ```ts
 * import { barrierCoordinator } from 'distkit/txn';
 * barrierCoordinator.init({ id: 'c', nodes: ['a', 'b'] }).generation; //=> 0
 * ```
 */
export interface BarrierCoordinatorState {
  /** Node id. */
  readonly id: NodeId;
  /** The parties. */
  readonly parties: readonly NodeId[];
  /** See {@link BarrierCoordinatorConfig.timeoutMs}. */
  readonly timeoutMs: number;
  /** The open generation: every earlier one has been released. */
  readonly generation: number;
  /** Parties arrived at the open generation, in arrival order. */
  readonly arrived: readonly NodeId[];
  /** When the open generation reports a timeout; started by its first arrival, stopped before. */
  readonly deadline: Timer;
}

/**
 * What the coordinator keeps durable: the open generation (written before a release is sent, so
 * a restarted coordinator never re-opens a generation it released).
 *
 * @example
 * ```ts
 * import { barrierCoordinator } from 'distkit/txn';
 * let s = barrierCoordinator.init({ id: 'c', nodes: ['a', 'b'] });
 * s = barrierCoordinator.step(s, { type: 'message', from: 'a', message: { type: 'arrive', generation: 0 }, now: 0 }).state;
 * const t = barrierCoordinator.step(s, { type: 'message', from: 'b', message: { type: 'arrive', generation: 0 }, now: 5 });
 * barrierCoordinator.durable(t.state); //=> { generation: 1 }
 * ```
 */
export interface BarrierCoordinatorDurable {
  /** The open generation. */
  readonly generation: number;
}

/**
 * Event: the coordinator released `generation` (every party arrived).
 *
 * @example
 * ```ts
 * import { barrierCoordinator } from 'distkit/txn';
 * let s = barrierCoordinator.init({ id: 'c', nodes: ['a', 'b'] });
 * s = barrierCoordinator.step(s, { type: 'message', from: 'a', message: { type: 'arrive', generation: 0 }, now: 0 }).state;
 * const t = barrierCoordinator.step(s, { type: 'message', from: 'b', message: { type: 'arrive', generation: 0 }, now: 5 });
 * t.outputs.at(-1); //=> { type: 'released', generation: 0 }
 * ```
 */
export interface BarrierReleasedOutput {
  /** Discriminator. */
  readonly type: 'released';
  /** The generation released. */
  readonly generation: number;
}

/**
 * Outputs of the barrier coordinator.
 *
 * @example
 * ```ts
 * import { barrierCoordinator } from 'distkit/txn';
 * let s = barrierCoordinator.init({ id: 'c', nodes: ['a', 'b'] });
 * s = barrierCoordinator.step(s, { type: 'message', from: 'a', message: { type: 'arrive', generation: 0 }, now: 0 }).state;
 * const t = barrierCoordinator.step(s, { type: 'message', from: 'b', message: { type: 'arrive', generation: 0 }, now: 5 });
 * t.outputs[0]; //=> { type: 'persist', record: { generation: 1 } }
 * ```
 */
export type BarrierCoordinatorOutput =
  | SendOutput<BarrierMessage>
  | PersistOutput<BarrierCoordinatorDurable>
  | RejectedOutput
  | BarrierReleasedOutput
  | BarrierTimedOutOutput;

type CT = Transition<BarrierCoordinatorState, BarrierCoordinatorOutput>;

function coordinatorInit(c: BarrierCoordinatorConfig): BarrierCoordinatorState {
  const id = checkId('id', c.id);
  const parties = checkIds('nodes', c.nodes);
  if (parties.length > MAX_PARTICIPANTS) throw new ConfigError('nodes', `must list 1..${MAX_PARTICIPANTS} parties`);
  if (parties.includes(id)) throw new ConfigError('nodes', 'must not include the coordinator id (give a co-located party its own id)');
  return { id, parties, timeoutMs: positiveMs('timeoutMs', c.timeoutMs, 5000), generation: 0, arrived: [], deadline: STOPPED_TIMER };
}

function missingOf(s: BarrierCoordinatorState): NodeId[] {
  return s.parties.filter((p) => !s.arrived.includes(p));
}

function coordinatorMessage(s: BarrierCoordinatorState, input: MessageInput, now: number): CT {
  const from = input.from;
  if (!s.parties.includes(from)) return reject(s, from, 'message from a node that is not a party of this barrier');
  const parsed = parse(barrierMessageCheck, input.message, 'message');
  if (!parsed.ok) return reject(s, from, parsed.problem);
  const m = parsed.value as BarrierMessage;
  if (m.type !== 'arrive') return reject(s, from, `the coordinator does not accept ${m.type} messages`);
  const g = m.generation;
  if (g === s.generation - 1) {
    // Its release was lost (or it restarted before hearing it): generation g is complete, say so again.
    return transition(s, [send(from, { type: 'release', generation: g })]);
  }
  if (g < s.generation) return reject(s, from, `arrive for generation ${g}, long released (open generation ${s.generation})`);
  // A party reaches g + 1 only after g was released, so anything past the open generation is forged.
  if (g > s.generation) return reject(s, from, `arrive for generation ${g} from the future (open generation ${s.generation})`);
  if (s.arrived.includes(from)) return transition(s); // a re-sent arrive: already counted
  const arrived = [...s.arrived, from];
  // The open generation's timeout counts from its first arrival.
  const deadline = s.arrived.length === 0 ? startTimer(now, s.timeoutMs) : s.deadline;
  if (arrived.length < s.parties.length) return transition({ ...s, arrived, deadline });
  if (!canIncrement(g)) return reject(s, from, `generation ${g} cannot be passed: MAX_COUNTER reached`);
  // MCS §3.1: the last arrival flips the generation (the sense) and releases everyone.
  const next = g + 1;
  const outputs: BarrierCoordinatorOutput[] = [{ type: 'persist', record: { generation: next } }];
  for (const p of s.parties) outputs.push(send(p, { type: 'release', generation: g }));
  outputs.push({ type: 'released', generation: g });
  return transition({ ...s, generation: next, arrived: [], deadline: STOPPED_TIMER }, outputs);
}

function coordinatorTick(s: BarrierCoordinatorState, now: number): CT {
  if (!timerDue(s.deadline, now)) return transition(s);
  const missing = missingOf(s);
  const outputs: BarrierCoordinatorOutput[] = [{ type: 'timedOut', generation: s.generation, missing }];
  for (const p of s.arrived) outputs.push(send(p, { type: 'timeout', generation: s.generation, missing }));
  return transition({ ...s, deadline: startTimer(now, s.timeoutMs) }, outputs);
}

/**
 * The barrier coordinator (the centralized barrier of Mellor-Crummey & Scott 1991 §3.1, with a
 * generation number for the sense flag): counts the arrivals of the open generation, releases
 * every party (and opens the next generation) when all N have arrived, answers a re-sent arrival
 * for the previous generation with its release again, and reports the missing parties after
 * `timeoutMs`. Arrivals from non-parties, for generations long released, or from the future are
 * rejected.
 *
 * @example
 * ```ts
 * import { barrierCoordinator } from 'distkit/txn';
 * let s = barrierCoordinator.init({ id: 'c', nodes: ['a', 'b'] });
 * s = barrierCoordinator.step(s, { type: 'message', from: 'a', message: { type: 'arrive', generation: 0 }, now: 0 }).state;
 * const t = barrierCoordinator.step(s, { type: 'message', from: 'b', message: { type: 'arrive', generation: 0 }, now: 5 });
 * t.outputs.map((o) => o.type); //=> ['persist', 'send', 'send', 'released']
 * ```
 */
export const barrierCoordinator: DurableMachine<
  BarrierCoordinatorConfig,
  BarrierCoordinatorState,
  MessageInput | TickInput,
  BarrierCoordinatorOutput,
  BarrierCoordinatorDurable
> = {
  name: 'barrier-coordinator',
  init: coordinatorInit,
  step: (s, input) => stepByType<BarrierCoordinatorState, MessageInput | TickInput, BarrierCoordinatorOutput>({ message: coordinatorMessage, tick: (c, _i, now) => coordinatorTick(c, now) }, s, input),
  nextDeadline: (s) => earliest(s.deadline),
  durable: (s) => ({ generation: s.generation }),
  // Arrivals were volatile: the parties re-send them, so the open generation fills up again.
  recover: (config, d) => ({ ...coordinatorInit(config), generation: d.generation }),
};

// ---------------------------------------------------------------------------------------------
// Party
// ---------------------------------------------------------------------------------------------

/**
 * Options of a barrier party.
 *
 * @example
 * ```ts
 * import { barrierParty } from 'distkit/txn';
 * let w = barrierParty.init({ id: 'w1', coordinator: 'coord', resendIntervalMs: 100 });
 * w = barrierParty.step(w, { type: 'arrive', now: 0 }).state;
 * // No release yet: the arrival is sent again every resendIntervalMs.
 * barrierParty.step(w, { type: 'tick', now: 100 }).outputs; //=> [{ type: 'send', to: 'coord', message: { type: 'arrive', generation: 0 } }]
 * ```
 */
export interface BarrierPartyConfig {
  /** This party's node id. */
  readonly id: NodeId;
  /** The coordinator's node id. */
  readonly coordinator: NodeId;
  /** A waiting party re-sends its arrival this often, until released. Default 200. */
  readonly resendIntervalMs?: number;
}

/**
 * State of a barrier party.
 *
 * @example
 * ```ts
 * import { barrierParty } from 'distkit/txn';
 * barrierParty.init({ id: 'w1', coordinator: 'c' }).waiting; //=> false
 * ```
 */
export interface BarrierPartyState {
  /** Node id. */
  readonly id: NodeId;
  /** The coordinator. */
  readonly coordinator: NodeId;
  /** See {@link BarrierPartyConfig.resendIntervalMs}. */
  readonly resendIntervalMs: number;
  /** The next generation this party arrives at (= the number of barriers it has passed). */
  readonly generation: number;
  /** Arrived at `generation` and not yet released. */
  readonly waiting: boolean;
  /** When the arrival is re-sent; stopped when not waiting. */
  readonly resendAt: Timer;
}

/**
 * What a party keeps durable: how many barriers it has passed (written before it passes one).
 *
 * @example
 * ```ts
 * import { barrierParty } from 'distkit/txn';
 * let w = barrierParty.init({ id: 'w1', coordinator: 'c' });
 * w = barrierParty.step(w, { type: 'arrive', now: 0 }).state;
 * const t = barrierParty.step(w, { type: 'message', from: 'c', message: { type: 'release', generation: 0 }, now: 5 });
 * barrierParty.durable(t.state); //=> { generation: 1 }
 * ```
 */
export interface BarrierPartyDurable {
  /** The next generation to arrive at. */
  readonly generation: number;
}

/**
 * Local command: this party reached the barrier.
 *
 * @example
 * ```ts
 * import { barrierParty } from 'distkit/txn';
 * const w = barrierParty.init({ id: 'w1', coordinator: 'c' });
 * barrierParty.step(w, { type: 'arrive', now: 0 }).state.waiting; //=> true
 * ```
 */
export interface BarrierArriveCommand {
  /** Discriminator. */
  readonly type: 'arrive';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
}

/**
 * Event: every party arrived at `generation`; this party may go on.
 *
 * @example
 * ```ts
 * import { barrierParty } from 'distkit/txn';
 * let w = barrierParty.init({ id: 'w1', coordinator: 'c' });
 * w = barrierParty.step(w, { type: 'arrive', now: 0 }).state;
 * const t = barrierParty.step(w, { type: 'message', from: 'c', message: { type: 'release', generation: 0 }, now: 5 });
 * t.outputs.find((o) => o.type === 'passed'); //=> { type: 'passed', generation: 0 }
 * ```
 */
export interface BarrierPassedOutput {
  /** Discriminator. */
  readonly type: 'passed';
  /** The generation passed. */
  readonly generation: number;
}

/**
 * Outputs of a barrier party.
 *
 * @example
 * ```ts
 * import { barrierParty } from 'distkit/txn';
 * let w = barrierParty.init({ id: 'w1', coordinator: 'c' });
 * w = barrierParty.step(w, { type: 'arrive', now: 0 }).state;
 * const t = barrierParty.step(w, { type: 'message', from: 'c', message: { type: 'release', generation: 0 }, now: 5 });
 * t.outputs.map((o) => o.type); //=> ['persist', 'passed']
 * ```
 */
export type BarrierPartyOutput =
  | SendOutput<BarrierMessage>
  | PersistOutput<BarrierPartyDurable>
  | RejectedOutput
  | BarrierPassedOutput
  | BarrierTimedOutOutput;

type PT = Transition<BarrierPartyState, BarrierPartyOutput>;

function partyInit(c: BarrierPartyConfig): BarrierPartyState {
  const id = checkId('id', c.id);
  const coordinator = checkId('coordinator', c.coordinator);
  if (coordinator === id) throw new ConfigError('coordinator', 'must differ from the party id');
  return { id, coordinator, resendIntervalMs: positiveMs('resendIntervalMs', c.resendIntervalMs, 200), generation: 0, waiting: false, resendAt: STOPPED_TIMER };
}

function partyMessage(s: BarrierPartyState, input: MessageInput): PT {
  const from = input.from;
  if (from !== s.coordinator) return reject(s, from, 'message from a node that is not the barrier coordinator');
  const parsed = parse(barrierMessageCheck, input.message, 'message');
  if (!parsed.ok) return reject(s, from, parsed.problem);
  const m = parsed.value as BarrierMessage;
  switch (m.type) {
    case 'release': {
      if (m.generation < s.generation) return reject(s, from, `stale release of generation ${m.generation} (already passed)`);
      if (m.generation > s.generation) return reject(s, from, `release of generation ${m.generation} from the future (at ${s.generation})`);
      // A party restarted while waiting has not arrived again: it passes when it does (the re-sent arrival is answered).
      if (!s.waiting) return reject(s, from, `release of generation ${m.generation} before this party arrived`);
      if (!canIncrement(s.generation)) return reject(s, from, `generation ${s.generation} cannot be passed: MAX_COUNTER reached`);
      const next = s.generation + 1;
      return transition({ ...s, generation: next, waiting: false, resendAt: STOPPED_TIMER }, [
        { type: 'persist', record: { generation: next } },
        { type: 'passed', generation: m.generation },
      ]);
    }
    case 'timeout':
      if (!s.waiting || m.generation !== s.generation) return reject(s, from, `timeout for generation ${m.generation}, which this party is not waiting at`);
      return transition(s, [{ type: 'timedOut', generation: m.generation, missing: m.missing }]);
    case 'arrive':
      return reject(s, from, 'a party does not accept arrive messages');
    default:
      return assertNever(m, 'message');
  }
}

/**
 * A barrier party: `arrive` sends its arrival for its current generation (and re-sends it every
 * `resendIntervalMs` until released); a `release` of that generation from the coordinator
 * yields `passed` and moves it to the next generation. Releases of other generations, and
 * anything from a node other than the coordinator, are rejected.
 *
 * @example
 * ```ts
 * import { barrierParty } from 'distkit/txn';
 * const s = barrierParty.init({ id: 'w1', coordinator: 'c' });
 * const t = barrierParty.step(s, { type: 'arrive', now: 0 });
 * t.outputs; //=> [{ type: 'send', to: 'c', message: { type: 'arrive', generation: 0 } }]
 * ```
 */
export const barrierParty: DurableMachine<
  BarrierPartyConfig,
  BarrierPartyState,
  MessageInput | TickInput | BarrierArriveCommand,
  BarrierPartyOutput,
  BarrierPartyDurable
> = {
  name: 'barrier-party',
  init: partyInit,
  step(s, input) {
    const now = inputNow(input);
    switch (input.type) {
      case 'arrive': {
        if (s.waiting) throw new InvalidCommandError('arrive', `party ${s.id} is already waiting at generation ${s.generation}`);
        const next = { ...s, waiting: true, resendAt: startTimer(now, s.resendIntervalMs) };
        return transition(next, [send(s.coordinator, { type: 'arrive', generation: s.generation })]);
      }
      case 'message':
        return partyMessage(s, input);
      case 'tick': {
        if (!timerDue(s.resendAt, now)) return transition(s);
        return transition({ ...s, resendAt: startTimer(now, s.resendIntervalMs) }, [send(s.coordinator, { type: 'arrive', generation: s.generation })]);
      }
      default:
        return assertNever(input, 'input');
    }
  },
  nextDeadline: (s) => earliest(s.resendAt),
  durable: (s) => ({ generation: s.generation }),
  recover: (config, d) => ({ ...partyInit(config), generation: d.generation }),
};
