import {
  ConfigError,
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
  /** Whether this node sends heartbeats. */
  readonly sendHeartbeats: boolean;
  /** Last tick time; -1 before the first. */
  readonly now: number;
  /** When this node sends its next heartbeats. */
  readonly nextSendAt: number;
  /** Last heartbeat time per peer (the first tick counts as one: a grace period). */
  readonly lastHeartbeat: Readonly<Record<NodeId, number>>;
  /** Current health per peer. */
  readonly health: Readonly<Record<NodeId, NodeHealth>>;
}

/**
 * Inputs of {@link healthMonitor}.
 *
 * @example
 * ```ts
 * import type { HealthMonitorInput } from 'distkit/election';
 * const i: HealthMonitorInput = { type: 'message', from: 'b', message: { type: 'heartbeat' } };
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
 * The health a peer has after `elapsedMs` without a heartbeat: `healthy` up to one interval,
 * `suspected` after it, `failed` once `failureThreshold` intervals are missed (the notes'
 * `HealthMonitor.check_node_health`, counted from elapsed time instead of calls).
 *
 * @example
 * ```ts
 * import { healthAfter } from 'distkit/election';
 * healthAfter(2500, 1000, 3); //=> 'suspected'
 * healthAfter(3000, 1000, 3); //=> 'failed'
 * ```
 */
export function healthAfter(elapsedMs: number, heartbeatIntervalMs: number, failureThreshold: number): NodeHealth {
  const missed = Math.floor(elapsedMs / heartbeatIntervalMs);
  if (missed >= failureThreshold) return 'failed';
  return elapsedMs > heartbeatIntervalMs ? 'suspected' : 'healthy';
}

/**
 * The notes' heartbeat `HealthMonitor` as a machine: every node sends a heartbeat to its peers each
 * `heartbeatIntervalMs`, and classifies each peer by the time since its last heartbeat — healthy,
 * suspected (one interval missed), failed (`failureThreshold` missed). A heartbeat brings a peer
 * back to healthy. Emits a `health` event on every change.
 *
 * @example
 * ```ts
 * import { healthMonitor } from 'distkit/election';
 * let s = healthMonitor.init({ id: 'a', peers: ['b'], heartbeatIntervalMs: 100 });
 * s = healthMonitor.step(s, { type: 'tick', now: 0 }).state;
 * healthMonitor.step(s, { type: 'tick', now: 300 }).outputs.at(-1); //=> { type: 'health', node: 'b', health: 'failed' }
 * ```
 */
export const healthMonitor: Machine<HealthMonitorConfig, HealthMonitorState, HealthMonitorInput, HealthMonitorOutput> = {
  name: 'health-monitor',
  init(config) {
    if (typeof config.id !== 'string' || config.id.length === 0) throw new ConfigError('id', 'must be a non-empty string');
    if (!Array.isArray(config.peers) || config.peers.includes(config.id) || new Set(config.peers).size !== config.peers.length) {
      throw new ConfigError('peers', 'must be an array of distinct ids, not including this node');
    }
    const failureThreshold = positiveInt('failureThreshold', config.failureThreshold, 3);
    if (failureThreshold < 2) throw new ConfigError('failureThreshold', 'must be at least 2');
    return {
      id: config.id,
      peers: config.peers.slice(),
      heartbeatIntervalMs: positiveInt('heartbeatIntervalMs', config.heartbeatIntervalMs, 5000),
      failureThreshold,
      sendHeartbeats: config.sendHeartbeats ?? true,
      now: -1,
      nextSendAt: 0,
      lastHeartbeat: Object.fromEntries(config.peers.map((p) => [p, 0])),
      health: Object.fromEntries(config.peers.map((p) => [p, 'healthy' as NodeHealth])),
    };
  },
  step(state, input): T {
    if (input.type === 'tick') return onTick(state, input.now);
    const { from, message } = input;
    if (!state.peers.includes(from)) return reject(state, from, `unknown sender ${JSON.stringify(from)}`);
    const problem = messageCheck(message, 'message');
    if (problem !== undefined) return reject(state, from, problem);
    if (state.now < 0) return reject(state, from, 'heartbeat before the first tick');
    const s: HealthMonitorState = { ...state, lastHeartbeat: { ...state.lastHeartbeat, [from]: state.now } };
    if (state.health[from] === 'healthy') return transition(s);
    return transition({ ...s, health: { ...s.health, [from]: 'healthy' } }, [{ type: 'health', node: from, health: 'healthy' }]);
  },
  nextDeadline(s) {
    if (s.now < 0) return undefined;
    let d = s.sendHeartbeats ? s.nextSendAt : Infinity;
    // The next moment a peer's health may change.
    for (const p of s.peers) {
      const last = s.lastHeartbeat[p] ?? 0;
      const h = s.health[p];
      if (h === 'healthy') d = Math.min(d, last + s.heartbeatIntervalMs + 1);
      else if (h === 'suspected') d = Math.min(d, last + s.heartbeatIntervalMs * s.failureThreshold);
    }
    return d === Infinity ? undefined : d;
  },
};

function onTick(state: HealthMonitorState, at: number): T {
  let s: HealthMonitorState = state;
  if (s.now < 0) {
    // The first tick starts the clock: every peer gets one interval of grace.
    s = { ...s, now: at, nextSendAt: at, lastHeartbeat: Object.fromEntries(s.peers.map((p) => [p, at])) };
  } else {
    s = { ...s, now: Math.max(s.now, at) };
  }
  const outputs: HealthMonitorOutput[] = [];
  if (s.sendHeartbeats && s.now >= s.nextSendAt) {
    for (const p of s.peers) outputs.push(send(p, { type: 'heartbeat' }));
    s = { ...s, nextSendAt: s.now + s.heartbeatIntervalMs };
  }
  let health: Record<NodeId, NodeHealth> | undefined;
  for (const p of s.peers) {
    const h = healthAfter(s.now - (s.lastHeartbeat[p] ?? s.now), s.heartbeatIntervalMs, s.failureThreshold);
    if (h !== s.health[p]) {
      health ??= { ...s.health };
      health[p] = h;
      outputs.push({ type: 'health', node: p, health: h });
    }
  }
  return transition(health ? { ...s, health } : s, outputs);
}
