import {
  reject,
  transition,
  v,
  type Machine,
  type MessageInput,
  type NodeId,
  type RejectedOutput,
  type SendOutput,
  type TickInput,
  type Transition,
} from '../core/index.js';
import { checkMembers, compareNodeIds, positiveInt, send, type ElectCommand, type LeaderOutput } from './common.js';

/**
 * Configuration of a {@link bully} node.
 *
 * @example
 * ```ts
 * import type { BullyConfig } from 'distkit/election';
 * const c: BullyConfig = { id: 'n3', nodes: ['n1', 'n2', 'n3', 'n4'], heartbeatIntervalMs: 500 };
 * ```
 */
export interface BullyConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** Every participant; "higher" is by {@link compareNodeIds}. */
  readonly nodes: readonly NodeId[];
  /** How long to wait for an OK from a higher node before taking over. Default 1000. */
  readonly okTimeoutMs?: number;
  /** After an OK, how long to wait for the COORDINATOR message before starting over. Default 3000. */
  readonly coordinatorTimeoutMs?: number;
  /** The leader's heartbeat period; 0 (default) disables leader monitoring. */
  readonly heartbeatIntervalMs?: number;
  /** Followers start an election after this long without hearing the leader. Default 3 heartbeats. */
  readonly leaderTimeoutMs?: number;
}

/**
 * A bully message: ELECTION (to higher nodes), OK (answer from a higher node), COORDINATOR (the
 * winner's announcement), and the optional leader `heartbeat`.
 *
 * @example
 * ```ts
 * import type { BullyMessage } from 'distkit/election';
 * const m: BullyMessage = { type: 'coordinator' };
 * ```
 */
export interface BullyMessage {
  /** The kind of message. */
  readonly type: 'election' | 'ok' | 'coordinator' | 'heartbeat';
}

/**
 * State of a {@link bully} node.
 *
 * @example
 * ```ts
 * import { bully } from 'distkit/election';
 * bully.init({ id: 'a', nodes: ['a', 'b'] }).leader; //=> null
 * ```
 */
export interface BullyState {
  /** This node. */
  readonly id: NodeId;
  /** Nodes above this one. */
  readonly higher: readonly NodeId[];
  /** Nodes below this one. */
  readonly lower: readonly NodeId[];
  /** OK timeout. */
  readonly okTimeoutMs: number;
  /** COORDINATOR timeout. */
  readonly coordinatorTimeoutMs: number;
  /** Heartbeat period, 0 = off. */
  readonly heartbeatIntervalMs: number;
  /** Leader silence that triggers an election. */
  readonly leaderTimeoutMs: number;
  /** Last tick time. */
  readonly now: number;
  /** The leader this node knows, or null. */
  readonly leader: NodeId | null;
  /** `idle`, `electing` (ELECTION sent, waiting for OK), `waiting` (OK received, waiting for COORDINATOR). */
  readonly phase: 'idle' | 'electing' | 'waiting';
  /** Deadline of the current phase, or of the next heartbeat / leader check; null if none. */
  readonly deadline: number | null;
  /** Last time the leader was heard from. */
  readonly lastLeaderContact: number;
  /**
   * Timers set by a message or command between ticks, from a `now` that may be stale: the deadline
   * is then due at once, and the next tick re-bases it (and the leader contact) on its own time.
   */
  readonly rebase: { readonly deadlineInMs: number; readonly contact: boolean } | null;
}

/**
 * Inputs of {@link bully}.
 *
 * @example
 * ```ts
 * import type { BullyInput } from 'distkit/election';
 * const i: BullyInput = { type: 'elect' };
 * ```
 */
export type BullyInput = MessageInput<unknown> | TickInput | ElectCommand;
/**
 * Outputs of {@link bully}.
 *
 * @example
 * ```ts
 * import type { BullyOutput } from 'distkit/election';
 * const o: BullyOutput = { type: 'leader', leader: 'n5' };
 * ```
 */
export type BullyOutput = SendOutput<BullyMessage> | RejectedOutput | LeaderOutput;

type T = Transition<BullyState, BullyOutput>;

const messageCheck = v.object({ type: v.literal('election', 'ok', 'coordinator', 'heartbeat') });

/**
 * The bully algorithm (Garcia-Molina, "Elections in a Distributed Computing System", IEEE TC 1982):
 * a node starts an election by sending ELECTION to every higher node; a higher node answers OK and
 * runs its own election; a node that hears no OK within `okTimeoutMs` wins and announces
 * COORDINATOR to the lower nodes. A node that hears COORDINATOR from a lower node bullies it with an
 * election of its own, so a recovering higher node takes over. Timeouts are ticks. O(N²) messages
 * in the worst case (the lowest node starts).
 *
 * @example
 * ```ts
 * import { bully } from 'distkit/election';
 * const top = bully.init({ id: 'n3', nodes: ['n1', 'n2', 'n3'] });
 * bully.step(top, { type: 'elect' }).outputs.at(-1); //=> { type: 'leader', leader: 'n3' }
 * ```
 */
export const bully: Machine<BullyConfig, BullyState, BullyInput, BullyOutput> = {
  name: 'bully',
  init(config) {
    const nodes = checkMembers(config.id, config.nodes);
    const heartbeatIntervalMs = positiveInt('heartbeatIntervalMs', config.heartbeatIntervalMs, 0, true);
    return {
      id: config.id,
      higher: nodes.filter((n) => compareNodeIds(n, config.id) > 0),
      lower: nodes.filter((n) => compareNodeIds(n, config.id) < 0),
      okTimeoutMs: positiveInt('okTimeoutMs', config.okTimeoutMs, 1000),
      coordinatorTimeoutMs: positiveInt('coordinatorTimeoutMs', config.coordinatorTimeoutMs, 3000),
      heartbeatIntervalMs,
      leaderTimeoutMs: positiveInt('leaderTimeoutMs', config.leaderTimeoutMs, 3 * heartbeatIntervalMs || 1),
      now: 0,
      leader: null,
      phase: 'idle',
      deadline: null,
      lastLeaderContact: 0,
      rebase: null,
    };
  },
  step(state, input): T {
    switch (input.type) {
      case 'elect':
        return fromStaleClock(state, startElection(state));
      case 'tick': {
        const now = Math.max(state.now, input.now);
        const r = state.rebase;
        if (r !== null) {
          return transition({ ...state, now, deadline: now + r.deadlineInMs, lastLeaderContact: r.contact ? now : state.lastLeaderContact, rebase: null });
        }
        return onTick({ ...state, now });
      }
      case 'message':
        return fromStaleClock(state, onMessage(state, input));
    }
  },
  nextDeadline: (s) => s.deadline ?? undefined,
};

function onMessage(state: BullyState, input: MessageInput<unknown>): T {
  const { from, message } = input;
  const isHigher = state.higher.includes(from);
  const isLower = state.lower.includes(from);
  if (!isHigher && !isLower) return reject(state, from, `unknown sender ${JSON.stringify(from)}`);
  const problem = messageCheck(message, 'message');
  if (problem !== undefined) return reject(state, from, problem);
  switch ((message as BullyMessage).type) {
    case 'election':
      if (!isLower) return reject(state, from, 'ELECTION from a higher node');
      // Answer OK and hold an election of our own, unless one is running. A leader just
      // tells the caller (it may have missed the announcement, e.g. after recovering).
      if (state.leader === state.id && state.phase === 'idle') {
        return transition(state, [send(from, { type: 'ok' }), send(from, { type: 'coordinator' })]);
      }
      return chain(transition(state, [send(from, { type: 'ok' })]), (s) => (s.phase === 'idle' ? startElection(s) : transition(s)));
    case 'ok':
      if (!isHigher) return reject(state, from, 'OK from a lower node');
      if (state.phase !== 'electing') return transition(state); // late OK: harmless
      return transition({ ...state, phase: 'waiting', deadline: state.now + state.coordinatorTimeoutMs });
    case 'coordinator':
    case 'heartbeat':
      if (isLower) return startElection(state); // we are alive and higher: bully it
      return acceptLeader(state, from);
  }
}

/**
 * A message or command sets its timers from the last tick's `now`, which may lie far in the past
 * (a host ticks only at deadlines). Timing out from it would suspect a leader that just spoke or
 * give up on an OK that is not late, so the new deadline is made due at once and the tick that
 * follows re-bases it on the real time.
 */
function fromStaleClock(before: BullyState, t: T): T {
  const s = t.state;
  if (s === before) return t;
  if (s.deadline === null) return s.rebase === null ? t : transition({ ...s, rebase: null }, t.outputs);
  if (s.rebase !== null && s.deadline === before.deadline) return t; // its re-base is still pending
  const contact = s.lastLeaderContact !== before.lastLeaderContact || (before.rebase?.contact === true && s.phase === 'idle');
  return transition({ ...s, deadline: s.now, rebase: { deadlineInMs: s.deadline - s.now, contact } }, t.outputs);
}

function startElection(state: BullyState): T {
  if (state.higher.length === 0) return becomeLeader(state);
  return transition(
    { ...state, phase: 'electing', deadline: state.now + state.okTimeoutMs },
    state.higher.map((h) => send(h, { type: 'election' })),
  );
}

function becomeLeader(state: BullyState): T {
  const s: BullyState = {
    ...state,
    leader: state.id,
    phase: 'idle',
    deadline: state.heartbeatIntervalMs > 0 ? state.now + state.heartbeatIntervalMs : null,
  };
  const outputs: BullyOutput[] = state.lower.map((l) => send(l, { type: 'coordinator' }));
  if (state.leader !== state.id) outputs.push({ type: 'leader', leader: state.id });
  return transition(s, outputs);
}

function acceptLeader(state: BullyState, leader: NodeId): T {
  const s: BullyState = {
    ...state,
    leader,
    phase: 'idle',
    lastLeaderContact: state.now,
    deadline: state.heartbeatIntervalMs > 0 ? state.now + state.leaderTimeoutMs : null,
  };
  return transition(s, state.leader === leader ? [] : [{ type: 'leader', leader }]);
}

function onTick(state: BullyState): T {
  if (state.deadline === null || state.now < state.deadline) return transition(state);
  switch (state.phase) {
    case 'electing':
      return becomeLeader(state); // no higher node answered
    case 'waiting':
      return startElection(state); // the winner died before announcing
    case 'idle':
      if (state.leader === state.id) {
        return transition(
          { ...state, deadline: state.now + state.heartbeatIntervalMs },
          state.lower.map((l) => send(l, { type: 'heartbeat' })),
        );
      }
      if (state.now - state.lastLeaderContact >= state.leaderTimeoutMs) return startElection(state);
      return transition({ ...state, deadline: state.lastLeaderContact + state.leaderTimeoutMs });
  }
}

function chain(t: T, f: (s: BullyState) => T): T {
  const u = f(t.state);
  return transition(u.state, [...t.outputs, ...u.outputs]);
}
