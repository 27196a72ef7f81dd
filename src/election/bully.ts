import type { Machine, MessageInput, NodeId, RejectedOutput, SendOutput, TickInput, Timer, Transition, InputHandlers } from '../core/index.js';
import { STOPPED_TIMER, checkMembers, compareNodeIds, earliest, nonNegativeInt, parse, positiveInt, reject, send, startTimer, timerDue, transition, v, stepByType } from '../core/index.js';
import type { ElectCommand, LeaderOutput } from './common.js';

/**
 * Configuration of a {@link bully} node.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const ids = ['n1', 'n2', 'n3', 'n4'];
 * const nodes = ids.map((id) => ({ id, machine: bully, config: { id, nodes: ids, heartbeatIntervalMs: 100 } }));
 * const leaders: string[] = [];
 * const onOutput = (e: { node: string; output: unknown }) => { const o = e.output as { type: string; leader?: string }; if (o.type === 'leader') leaders.push(`${e.node}:${o.leader}`); };
 * // n1 starts an election; the highest id, n4, wins and tells everyone.
 * simulate({ seed: 1, nodes, onOutput, maxTimeMs: 300, commands: [{ at: 0, node: 'n1', input: { type: 'elect' } }] });
 * [...new Set(leaders.map((l) => l.split(':')[1]))]; //=> ['n4']
 * ```
 */
export interface BullyConfig extends Partial<BullyTimings> {
  /** This node's id. */
  readonly id: NodeId;
  /** Every participant; "higher" is by {@link compareNodeIds}. */
  readonly nodes: readonly NodeId[];
}

/**
 * The timeouts of a {@link bully} node: optional in {@link BullyConfig}, resolved (defaults
 * applied) in {@link BullyState}.
 *
 * @example
 * ```ts
 * import { bully } from 'distkit/election';
 * bully.init({ id: 'a', nodes: ['a', 'b'], heartbeatIntervalMs: 100 }).leaderTimeoutMs; //=> 300
 * ```
 */
export interface BullyTimings {
  /** How long to wait for an OK from a higher node before taking over. Default 1000. */
  readonly okTimeoutMs: number;
  /** After an OK, how long to wait for the COORDINATOR message before starting over. Default 3000. */
  readonly coordinatorTimeoutMs: number;
  /** The leader's heartbeat period; 0 (default) disables leader monitoring. */
  readonly heartbeatIntervalMs: number;
  /** Followers start an election after this long without hearing the leader. Default 3 heartbeats. */
  readonly leaderTimeoutMs: number;
}

/**
 * A bully message: ELECTION (to higher nodes), OK (answer from a higher node), COORDINATOR (the
 * winner's announcement), and the optional leader `heartbeat`.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const ids = ['n1', 'n2', 'n3', 'n4'];
 * const nodes = ids.map((id) => ({ id, machine: bully, config: { id, nodes: ids, heartbeatIntervalMs: 100 } }));
 * const leaders: string[] = [];
 * const onOutput = (e: { node: string; output: unknown }) => { const o = e.output as { type: string; leader?: string }; if (o.type === 'leader') leaders.push(`${e.node}:${o.leader}`); };
 * const r = simulate({ seed: 1, nodes, maxTimeMs: 300, commands: [{ at: 0, node: 'n1', input: { type: 'elect' } }] });
 * [...new Set(r.trace.flatMap((e) => (e.kind === 'send' ? [(e.message as { type: string }).type] : [])))].sort(); //=> ['coordinator', 'election', 'heartbeat', 'ok']
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
export interface BullyState extends BullyTimings {
  /** This node. */
  readonly id: NodeId;
  /** Nodes above this one. */
  readonly higher: readonly NodeId[];
  /** Nodes below this one. */
  readonly lower: readonly NodeId[];
  /** The leader this node knows, or null. */
  readonly leader: NodeId | null;
  /** `idle`, `electing` (ELECTION sent, waiting for OK), `waiting` (OK received, waiting for COORDINATOR). */
  readonly phase: 'idle' | 'electing' | 'waiting';
  /**
   * The one timer: the current phase's timeout, or (idle) the leader's next heartbeat or a
   * follower's leader-silence timeout. Restarted from the `now` of the input that set it.
   */
  readonly timer: Timer;
}

/**
 * Inputs of {@link bully}.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const ids = ['n1', 'n2', 'n3', 'n4'];
 * const nodes = ids.map((id) => ({ id, machine: bully, config: { id, nodes: ids, heartbeatIntervalMs: 100 } }));
 * const leaders: string[] = [];
 * const onOutput = (e: { node: string; output: unknown }) => { const o = e.output as { type: string; leader?: string }; if (o.type === 'leader') leaders.push(`${e.node}:${o.leader}`); };
 * // The leader crashes: heartbeats stop, a follower notices and the next highest takes over.
 * simulate({ seed: 1, nodes, onOutput, maxTimeMs: 3000, commands: [{ at: 0, node: 'n1', input: { type: 'elect' } }], faults: [{ at: 500, fault: { type: 'crash', node: 'n4' } }] });
 * leaders.at(-1); //=> 'n1:n3'
 * ```
 */
export type BullyInput = MessageInput<unknown> | TickInput | ElectCommand;
/**
 * Outputs of {@link bully}.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const ids = ['n1', 'n2', 'n3', 'n4'];
 * const nodes = ids.map((id) => ({ id, machine: bully, config: { id, nodes: ids, heartbeatIntervalMs: 100 } }));
 * const leaders: string[] = [];
 * const onOutput = (e: { node: string; output: unknown }) => { const o = e.output as { type: string; leader?: string }; if (o.type === 'leader') leaders.push(`${e.node}:${o.leader}`); };
 * import type { BullyOutput } from 'distkit/election';
 * const s = bully.init({ id: 'n4', nodes: ids });
 * // The highest id elects itself at once.
 * const outputs: readonly BullyOutput[] = bully.step(s, { type: 'elect', now: 0 }).outputs;
 * outputs.map((o) => (o.type === 'send' ? `${o.to} ${o.message.type}` : o.type)); //=> ['n1 coordinator', 'n2 coordinator', 'n3 coordinator', 'leader']
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
 * election of its own, so a recovering higher node takes over. Every timeout is one {@link Timer}
 * started from the `now` of the input that set it. O(N²) messages
 * in the worst case (the lowest node starts).
 *
 * @example
 * ```ts
 * import { bully } from 'distkit/election';
 * const top = bully.init({ id: 'n3', nodes: ['n1', 'n2', 'n3'] });
 * bully.step(top, { type: 'elect', now: 0 }).outputs.at(-1); //=> { type: 'leader', leader: 'n3' }
 * ```
 */
export const bully: Machine<BullyConfig, BullyState, BullyInput, BullyOutput> = {
  name: 'bully',
  init(config) {
    const nodes = checkMembers(config.id, config.nodes);
    const heartbeatIntervalMs = nonNegativeInt('heartbeatIntervalMs', config.heartbeatIntervalMs, 0);
    return {
      id: config.id,
      higher: nodes.filter((n) => compareNodeIds(n, config.id) > 0),
      lower: nodes.filter((n) => compareNodeIds(n, config.id) < 0),
      okTimeoutMs: positiveInt('okTimeoutMs', config.okTimeoutMs, 1000),
      coordinatorTimeoutMs: positiveInt('coordinatorTimeoutMs', config.coordinatorTimeoutMs, 3000),
      heartbeatIntervalMs,
      leaderTimeoutMs: positiveInt('leaderTimeoutMs', config.leaderTimeoutMs, 3 * heartbeatIntervalMs || 1),
      leader: null,
      phase: 'idle',
      timer: STOPPED_TIMER,
    };
  },
  step: (state, input) => stepByType(inputs, state, input),
  nextDeadline: (s) => earliest(s.timer),
};

const inputs: InputHandlers<BullyState, BullyInput, BullyOutput> = {
  elect: (s, _input, now) => startElection(s, now),
  tick: (s, _input, now) => onTick(s, now),
  message: (s, input, now) => onMessage(s, input, now),
};

function onMessage(state: BullyState, input: MessageInput<unknown>, now: number): T {
  const { from, message } = input;
  const isHigher = state.higher.includes(from);
  const isLower = state.lower.includes(from);
  if (!isHigher && !isLower) return reject(state, from, 'unknown sender');
  const parsed = parse(messageCheck, message, 'message');
  if (!parsed.ok) return reject(state, from, parsed.problem);
  switch (parsed.value.type) {
    case 'election':
      if (!isLower) return reject(state, from, 'ELECTION from a higher node');
      // Answer OK and hold an election of our own, unless one is running. A leader just
      // tells the caller (it may have missed the announcement, e.g. after recovering).
      if (state.leader === state.id && state.phase === 'idle') {
        return transition(state, [send(from, { type: 'ok' }), send(from, { type: 'coordinator' })]);
      }
      return chain(transition(state, [send(from, { type: 'ok' })]), (s) => (s.phase === 'idle' ? startElection(s, now) : transition(s)));
    case 'ok':
      if (!isHigher) return reject(state, from, 'OK from a lower node');
      if (state.phase !== 'electing') return transition(state); // late OK: harmless
      return transition({ ...state, phase: 'waiting', timer: startTimer(now, state.coordinatorTimeoutMs) });
    case 'coordinator':
    case 'heartbeat':
      if (isLower) return startElection(state, now); // we are alive and higher: bully it
      return acceptLeader(state, from, now);
  }
}

function startElection(state: BullyState, now: number): T {
  if (state.higher.length === 0) return becomeLeader(state, now);
  return transition(
    { ...state, phase: 'electing', timer: startTimer(now, state.okTimeoutMs) },
    state.higher.map((h) => send(h, { type: 'election' })),
  );
}

function becomeLeader(state: BullyState, now: number): T {
  const s: BullyState = {
    ...state,
    leader: state.id,
    phase: 'idle',
    timer: state.heartbeatIntervalMs > 0 ? startTimer(now, state.heartbeatIntervalMs) : STOPPED_TIMER,
  };
  const outputs: BullyOutput[] = state.lower.map((l) => send(l, { type: 'coordinator' }));
  if (state.leader !== state.id) outputs.push({ type: 'leader', leader: state.id });
  return transition(s, outputs);
}

function acceptLeader(state: BullyState, leader: NodeId, now: number): T {
  const s: BullyState = {
    ...state,
    leader,
    phase: 'idle',
    // Garcia-Molina's "check on the coordinator": silence for leaderTimeoutMs starts an election.
    timer: state.heartbeatIntervalMs > 0 ? startTimer(now, state.leaderTimeoutMs) : STOPPED_TIMER,
  };
  return transition(s, state.leader === leader ? [] : [{ type: 'leader', leader }]);
}

function onTick(state: BullyState, now: number): T {
  if (!timerDue(state.timer, now)) return transition(state);
  switch (state.phase) {
    case 'electing':
      return becomeLeader(state, now); // no higher node answered
    case 'waiting':
      return startElection(state, now); // the winner died before announcing
    case 'idle':
      if (state.leader === state.id) {
        return transition(
          { ...state, timer: startTimer(now, state.heartbeatIntervalMs) },
          state.lower.map((l) => send(l, { type: 'heartbeat' })),
        );
      }
      return startElection(state, now); // the leader fell silent
  }
}

function chain(t: T, f: (s: BullyState) => T): T {
  const u = f(t.state);
  return transition(u.state, [...t.outputs, ...u.outputs]);
}
