import {
  ConfigError,
  STOPPED_TIMER,
  assertNever,
  earliest,
  getOwn,
  inputNow,
  parse,
  reject,
  setOwn,
  startTimer,
  timerDeadline,
  timerDue,
  transition,
  v,
  withOwn,
  type Machine,
  type MessageInput,
  type NodeId,
  type RejectedOutput,
  type SendOutput,
  type TickInput,
  type Timer,
  type Transition,
} from '../core/index.js';
import { positiveInt, send } from './common.js';

/**
 * A peer's health as the heartbeat monitor sees it.
 *
 * @example
 * ```ts
 * import type { NodeHealth } from 'distkit/election';
 * const h: NodeHealth = 'suspected';
 * ```
 */
export type NodeHealth = 'healthy' | 'suspected' | 'failed';

/**
 * Configuration of a {@link healthMonitor} node.
 *
 * @example
 * ```ts
 * import type { HealthMonitorConfig } from 'distkit/election';
 * const c: HealthMonitorConfig = { id: 'a', peers: ['b', 'c'], heartbeatIntervalMs: 1000, failureThreshold: 3 };
 * ```
 */
export interface HealthMonitorConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** The nodes that exchange heartbeats with this one (excluding it). */
  readonly peers: readonly NodeId[];
  /** Heartbeat period, both sent and expected. Default 5000 (the notes' 5 s). */
  readonly heartbeatIntervalMs?: number;
  /** Missed heartbeats after which a peer is `failed` (one missed makes it `suspected`). Default 3. */
  readonly failureThreshold?: number;
  /** Send heartbeats (default true); false makes a pure observer. */
  readonly sendHeartbeats?: boolean;
  /**
   * How much later than one interval a heartbeat may arrive before its peer is `suspected`:
   * heartbeats leave every interval but cross the network with varying delays, so the gap
   * between two arrivals exceeds the interval by up to the delay jitter. Default half an interval.
   */
  readonly jitterToleranceMs?: number;
  /**
   * When the machine wants its first tick (host ms, default 0): `nextDeadline` of a fresh state
   * returns it, so a host ticks the node at once and it starts sending heartbeats without waiting
   * for an input. The first input of any kind starts every peer's grace period.
   */
  readonly startMs?: number;
}

/**
 * The heartbeat message.
 *
 * @example
 * ```ts
 * import type { HeartbeatMessage } from 'distkit/election';
 * const m: HeartbeatMessage = { type: 'heartbeat' };
 * ```
 */
export interface HeartbeatMessage {
  /** Discriminant. */
  readonly type: 'heartbeat';
}

/**
 * An event: a peer's health changed.
 *
 * @example
 * ```ts
 * import type { HealthChangedOutput } from 'distkit/election';
 * const e: HealthChangedOutput = { type: 'health', node: 'b', health: 'failed' };
 * ```
 */
export interface HealthChangedOutput {
  /** Discriminant. */
  readonly type: 'health';
  /** The peer. */
  readonly node: NodeId;
  /** Its new health. */
  readonly health: NodeHealth;
}

/**
 * State of a {@link healthMonitor} node.
 *
 * @example
 * ```ts
 * import { healthMonitor } from 'distkit/election';
 * healthMonitor.init({ id: 'a', peers: ['b'] }).health; //=> { b: 'healthy' }
 * ```
 */
export interface HealthMonitorState {
  /** This node. */
  readonly id: NodeId;
  /** Monitored peers. */
  readonly peers: readonly NodeId[];
  /** Heartbeat period. */
  readonly heartbeatIntervalMs: number;
  /** Missed heartbeats for `failed`. */
  readonly failureThreshold: number;
  /** Lateness tolerated before `suspected`. */
  readonly jitterToleranceMs: number;
  /** Whether this node sends heartbeats. */
  readonly sendHeartbeats: boolean;
  /** Whether the first input has started the clock (every peer's grace period). */
  readonly started: boolean;
  /** When this node sends its next heartbeats (before the start: when it wants its first tick). */
  readonly sendTimer: Timer;
  /** Last heartbeat time per peer (the first input counts as one: a grace period). Own keys only. */
  readonly lastHeartbeat: Readonly<Record<NodeId, number>>;
  /** Current health per peer. Own keys only. */
  readonly health: Readonly<Record<NodeId, NodeHealth>>;
}

/**
 * Inputs of {@link healthMonitor}.
 *
 * @example
 * ```ts
 * import type { HealthMonitorInput } from 'distkit/election';
 * const i: HealthMonitorInput = { type: 'message', from: 'b', message: { type: 'heartbeat' }, now: 1200 };
 * ```
 */
export type HealthMonitorInput = MessageInput<unknown> | TickInput;
/**
 * Outputs of {@link healthMonitor}.
 *
 * @example
 * ```ts
 * import type { HealthMonitorOutput } from 'distkit/election';
 * const o: HealthMonitorOutput = { type: 'health', node: 'b', health: 'suspected' };
 * ```
 */
export type HealthMonitorOutput = SendOutput<HeartbeatMessage> | RejectedOutput | HealthChangedOutput;

type T = Transition<HealthMonitorState, HealthMonitorOutput>;

const messageCheck = v.object({ type: v.literal('heartbeat') });

/**
 * The health a peer has after `elapsedMs` without a heartbeat: `healthy` up to one interval (plus
 * `toleranceMs` of lateness), `suspected` after it, `failed` once `failureThreshold` intervals
 * are missed (the notes' `HealthMonitor.check_node_health`, counted from elapsed time instead of
 * calls).
 *
 * @example
 * ```ts
 * import { healthAfter } from 'distkit/election';
 * healthAfter(2500, 1000, 3); //=> 'suspected'
 * healthAfter(3000, 1000, 3); //=> 'failed'
 * healthAfter(1400, 1000, 3, 500); //=> 'healthy'
 * ```
 */
export function healthAfter(elapsedMs: number, heartbeatIntervalMs: number, failureThreshold: number, toleranceMs = 0): NodeHealth {
  const missed = Math.floor(elapsedMs / heartbeatIntervalMs);
  if (missed >= failureThreshold) return 'failed';
  return elapsedMs > heartbeatIntervalMs + toleranceMs ? 'suspected' : 'healthy';
}

/**
 * The notes' heartbeat `HealthMonitor` as a machine: every node sends a heartbeat to its peers each
 * `heartbeatIntervalMs`, and classifies each peer by the time since its last heartbeat — healthy,
 * suspected (one interval missed, beyond `jitterToleranceMs`), failed (`failureThreshold`
 * missed). A heartbeat brings a peer back to healthy. Emits a `health` event on every change.
 * A fresh node asks for a tick at `startMs` (default 0), so a host starts it at once.
 *
 * @example
 * ```ts
 * import { healthMonitor } from 'distkit/election';
 * let s = healthMonitor.init({ id: 'a', peers: ['b'], heartbeatIntervalMs: 100 });
 * healthMonitor.nextDeadline!(s); //=> 0
 * s = healthMonitor.step(s, { type: 'tick', now: 0 }).state;
 * healthMonitor.step(s, { type: 'tick', now: 300 }).outputs.at(-1); //=> { type: 'health', node: 'b', health: 'failed' }
 * ```
 */
export const healthMonitor: Machine<HealthMonitorConfig, HealthMonitorState, HealthMonitorInput, HealthMonitorOutput> = {
  name: 'health-monitor',
  init(config) {
    if (typeof config.id !== 'string' || config.id.length === 0) throw new ConfigError('id', 'must be a non-empty string');
    if (
      !Array.isArray(config.peers) ||
      config.peers.some((p) => typeof p !== 'string' || p.length === 0) ||
      config.peers.includes(config.id) ||
      new Set(config.peers).size !== config.peers.length
    ) {
      throw new ConfigError('peers', 'must be an array of distinct non-empty ids, not including this node');
    }
    const failureThreshold = positiveInt('failureThreshold', config.failureThreshold, 3);
    if (failureThreshold < 2) throw new ConfigError('failureThreshold', 'must be at least 2');
    const heartbeatIntervalMs = positiveInt('heartbeatIntervalMs', config.heartbeatIntervalMs, 5000);
    const jitterToleranceMs = positiveInt('jitterToleranceMs', config.jitterToleranceMs, Math.floor(heartbeatIntervalMs / 2), true);
    if (jitterToleranceMs >= heartbeatIntervalMs) throw new ConfigError('jitterToleranceMs', 'must be below heartbeatIntervalMs');
    const startMs = config.startMs ?? 0;
    if (typeof startMs !== 'number' || !Number.isFinite(startMs)) throw new ConfigError('startMs', 'must be a finite number');
    const lastHeartbeat: Record<NodeId, number> = {};
    const health: Record<NodeId, NodeHealth> = {};
    for (const p of config.peers) {
      setOwn(lastHeartbeat, p, startMs);
      setOwn(health, p, 'healthy');
    }
    return {
      id: config.id,
      peers: config.peers.slice(),
      heartbeatIntervalMs,
      failureThreshold,
      jitterToleranceMs,
      sendHeartbeats: config.sendHeartbeats ?? true,
      started: false,
      // Armed from init: a host ticks a fresh node at startMs instead of waiting for an input.
      sendTimer: { at: startMs, attempt: 0 },
      lastHeartbeat,
      health,
    };
  },
  step(state, input): T {
    const now = inputNow(input);
    switch (input.type) {
      case 'tick':
        return onTick(start(state, now), now);
      case 'message':
        return onHeartbeat(state, input, now);
      default:
        return assertNever(input, 'input');
    }
  },
  nextDeadline(s) {
    if (!s.started) return timerDeadline(s.sendTimer);
    // The send timer and the next moment a peer's health may change.
    const limits: number[] = [];
    for (const p of s.peers) {
      const last = getOwn(s.lastHeartbeat, p) ?? 0;
      const h = getOwn(s.health, p);
      if (h === 'healthy') limits.push(last + s.heartbeatIntervalMs + s.jitterToleranceMs + 1);
      else if (h === 'suspected') limits.push(last + s.heartbeatIntervalMs * s.failureThreshold);
    }
    return earliest(s.sendHeartbeats ? s.sendTimer : null, ...limits);
  },
};

/** The first input starts the clock: every peer gets one interval of grace from it. */
function start(state: HealthMonitorState, now: number): HealthMonitorState {
  if (state.started) return state;
  const lastHeartbeat: Record<NodeId, number> = {};
  for (const p of state.peers) setOwn(lastHeartbeat, p, now);
  return { ...state, started: true, lastHeartbeat, sendTimer: state.sendHeartbeats ? startTimer(now, 0) : STOPPED_TIMER };
}

function onHeartbeat(state: HealthMonitorState, input: MessageInput<unknown>, now: number): T {
  const { from, message } = input;
  if (!state.peers.includes(from)) return reject(state, from, 'unknown sender');
  const parsed = parse(messageCheck, message, 'message');
  if (!parsed.ok) return reject(state, from, parsed.problem);
  // The heartbeat arrived now: its peer is heard from at the message's own time, not at the last tick.
  const s0 = start(state, now);
  const s: HealthMonitorState = { ...s0, lastHeartbeat: withOwn(s0.lastHeartbeat, from, now) };
  if (getOwn(s.health, from) === 'healthy') return transition(s);
  return transition({ ...s, health: withOwn(s.health, from, 'healthy') }, [{ type: 'health', node: from, health: 'healthy' }]);
}

function onTick(state: HealthMonitorState, now: number): T {
  let s: HealthMonitorState = state;
  const outputs: HealthMonitorOutput[] = [];
  if (s.sendHeartbeats && timerDue(s.sendTimer, now)) {
    for (const p of s.peers) outputs.push(send(p, { type: 'heartbeat' }));
    s = { ...s, sendTimer: startTimer(now, s.heartbeatIntervalMs) };
  }
  let health: Record<NodeId, NodeHealth> | undefined;
  for (const p of s.peers) {
    const h = healthAfter(now - (getOwn(s.lastHeartbeat, p) ?? now), s.heartbeatIntervalMs, s.failureThreshold, s.jitterToleranceMs);
    if (h !== getOwn(s.health, p)) {
      health ??= { ...s.health };
      setOwn(health, p, h);
      outputs.push({ type: 'health', node: p, health: h });
    }
  }
  return transition(health ? { ...s, health } : s, outputs);
}
