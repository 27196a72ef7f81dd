import { ConfigError, STOPPED_TIMER, assertNever, checkId, checkIds, earliest, getOwn, inputNow, nonNegativeInt, parse } from '../core/index.js';
import { positiveInt, reject, send, setOwn, startTimer, timerDeadline, timerDue, transition, v, withOwn } from '../core/index.js';
import type { Machine, MessageInput, NodeId, RejectedOutput, SendOutput, TickInput, Timer, Transition } from '../core/index.js';

/**
 * A node's health as a heartbeat failure detector sees it: `healthy` (heard from recently),
 * `suspected` (silent past the suspicion threshold), `failed` (silent past the failure threshold).
 *
 * @example
 * ```ts
 * import { healthMonitor } from 'distkit/election';
 * let s = healthMonitor.init({ id: 'a', peers: ['b'], heartbeatIntervalMs: 1000, failureThreshold: 3 });
 * s = healthMonitor.step(s, { type: 'message', from: 'b', message: { type: 'heartbeat' }, now: 500 }).state;
 * // Silent for longer than the suspect threshold:
 * healthMonitor.step(s, { type: 'tick', now: 3000 }).state.nodes['b']?.status; //=> 'suspected'
 * ```
 */
export type NodeHealth = 'healthy' | 'suspected' | 'failed';

/**
 * The silences (ms) at which a heartbeat failure detector suspects and then fails a node
 * (`suspectAfterMs < failAfterMs`; `failAfterMs` may be `Infinity`).
 *
 * @example
 * ```ts
 * import { healthAfter, type HealthThresholds } from 'distkit/election';
 * const t: HealthThresholds = { suspectAfterMs: 1500, failAfterMs: 3000 };
 * [healthAfter(1000, t), healthAfter(2000, t), healthAfter(5000, t)]; //=> ['healthy', 'suspected', 'failed']
 * ```
 */
export interface HealthThresholds {
  /** Silence at which a node becomes `suspected`, ms. */
  readonly suspectAfterMs: number;
  /** Silence at which a node becomes `failed`, ms. */
  readonly failAfterMs: number;
}

/**
 * What a heartbeat failure detector knows of one node.
 *
 * @example
 * ```ts
 * import { healthMonitor } from 'distkit/election';
 * let s = healthMonitor.init({ id: 'a', peers: ['b'], heartbeatIntervalMs: 1000, failureThreshold: 3 });
 * s = healthMonitor.step(s, { type: 'message', from: 'b', message: { type: 'heartbeat' }, now: 500 }).state;
 * s.nodes['b']; //=> { lastHeartbeat: 500, status: 'healthy' }
 * ```
 */
export interface MonitoredNode {
  /** Time of the last heartbeat (or of the start of watching), ms. */
  readonly lastHeartbeat: number;
  /** Status as of the last input. */
  readonly status: NodeHealth;
}

/**
 * The table of a heartbeat failure detector: what it knows of each node, by id (own keys only).
 *
 * @example
 * ```ts
 * import { heardFrom, sweepHealth, type HeartbeatTable } from 'distkit/election';
 * let t: HeartbeatTable = { db: { lastHeartbeat: 0, status: 'healthy' }, cache: { lastHeartbeat: 0, status: 'healthy' } };
 * t = heardFrom(t, 'cache', 1800);
 * sweepHealth(t, 2000, { suspectAfterMs: 1500, failAfterMs: 3000 }).changes; //=> [{ node: 'db', from: 'healthy', to: 'suspected' }]
 * ```
 */
export type HeartbeatTable = Readonly<Record<NodeId, MonitoredNode>>;

/**
 * A status change found by {@link sweepHealth}.
 *
 * @example
 * ```ts
 * import { healthMonitor } from 'distkit/election';
 * let s = healthMonitor.init({ id: 'a', peers: ['b'], heartbeatIntervalMs: 1000, failureThreshold: 3 });
 * s = healthMonitor.step(s, { type: 'message', from: 'b', message: { type: 'heartbeat' }, now: 500 }).state;
 * healthMonitor.step(s, { type: 'tick', now: 3000 }).outputs.filter((o) => o.type === 'health'); //=> [{ type: 'health', node: 'b', health: 'suspected' }]
 * ```
 */
export interface HealthTransition {
  /** The node. */
  readonly node: NodeId;
  /** Its previous status. */
  readonly from: NodeHealth;
  /** Its new status. */
  readonly to: NodeHealth;
}

/**
 * The heartbeat failure detector's one rule (Chandra & Toueg's eventually-perfect detector built
 * from timeouts; the notes' `HealthMonitor.check_node_health` counted from elapsed time): a node
 * silent for `silentMs` is `failed` from `failAfterMs` on, `suspected` from `suspectAfterMs` on,
 * `healthy` before.
 *
 * @example
 * ```ts
 * import { healthAfter } from 'distkit/election';
 * const t = { suspectAfterMs: 1000, failAfterMs: 3000 };
 * healthAfter(999, t); //=> 'healthy'
 * healthAfter(1000, t); //=> 'suspected'
 * healthAfter(3000, t); //=> 'failed'
 * ```
 */
export function healthAfter(silentMs: number, thresholds: HealthThresholds): NodeHealth {
  if (silentMs >= thresholds.failAfterMs) return 'failed';
  return silentMs >= thresholds.suspectAfterMs ? 'suspected' : 'healthy';
}

/**
 * The table after a heartbeat from `node` at `now`: the node is `healthy`, last heard at the later
 * of `now` and what was known (heartbeats may be stepped out of order). Returns the same table
 * when nothing changed. The caller decides whether `node` may be added.
 *
 * @example
 * ```ts
 * import { heardFrom } from 'distkit/election';
 * heardFrom({ a: { lastHeartbeat: 0, status: 'suspected' } }, 'a', 50); //=> { a: { lastHeartbeat: 50, status: 'healthy' } }
 * ```
 */
export function heardFrom(table: HeartbeatTable, node: NodeId, now: number): HeartbeatTable {
  const prev = getOwn(table, node);
  const lastHeartbeat = Math.max(prev?.lastHeartbeat ?? now, now);
  if (prev !== undefined && prev.lastHeartbeat === lastHeartbeat && prev.status === 'healthy') return table;
  return withOwn(table, node, { lastHeartbeat, status: 'healthy' });
}

/**
 * Classifies the nodes `ids` (default: every node of the table, in key order) by their silence at
 * `now`: the new table (the same one when nothing changed) and the changes, in `ids` order.
 *
 * @example
 * ```ts
 * import { sweepHealth } from 'distkit/election';
 * const r = sweepHealth({ a: { lastHeartbeat: 0, status: 'healthy' } }, 1500, { suspectAfterMs: 1000, failAfterMs: 3000 });
 * r.changes; //=> [{ node: 'a', from: 'healthy', to: 'suspected' }]
 * ```
 */
export function sweepHealth(
  table: HeartbeatTable,
  now: number,
  thresholds: HealthThresholds,
  ids: readonly NodeId[] = Object.keys(table),
): { readonly table: HeartbeatTable; readonly changes: readonly HealthTransition[] } {
  let next: Record<NodeId, MonitoredNode> | undefined;
  const changes: HealthTransition[] = [];
  for (const id of ids) {
    const n = getOwn(table, id);
    if (n === undefined) continue;
    const status = healthAfter(now - n.lastHeartbeat, thresholds);
    if (status === n.status) continue;
    next ??= { ...table };
    setOwn(next, id, { lastHeartbeat: n.lastHeartbeat, status });
    changes.push({ node: id, from: n.status, to: status });
  }
  return { table: next ?? table, changes };
}

/**
 * The next time a status in the table changes without new heartbeats, or `undefined`.
 *
 * @example
 * ```ts
 * import { nextHealthChange } from 'distkit/election';
 * nextHealthChange({ a: { lastHeartbeat: 100, status: 'healthy' } }, { suspectAfterMs: 1000, failAfterMs: 3000 }); //=> 1100
 * ```
 */
export function nextHealthChange(table: HeartbeatTable, thresholds: HealthThresholds): number | undefined {
  let at: number | undefined;
  for (const id of Object.keys(table)) {
    const n = getOwn(table, id)!;
    const t = n.status === 'healthy' ? n.lastHeartbeat + thresholds.suspectAfterMs : n.status === 'suspected' ? n.lastHeartbeat + thresholds.failAfterMs : undefined;
    if (t !== undefined && Number.isFinite(t) && (at === undefined || t < at)) at = t;
  }
  return at;
}

/**
 * Configuration of a {@link healthMonitor} node.
 *
 * @example
 * ```ts
 * import { healthMonitor } from 'distkit/election';
 * const s = healthMonitor.init({ id: 'a', peers: ['b', 'c'], heartbeatIntervalMs: 1000, failureThreshold: 3 });
 * // Heartbeats to every peer on the first tick.
 * healthMonitor.step(s, { type: 'tick', now: 0 }).outputs.filter((o) => o.type === 'send').map((o) => o.to); //=> ['b', 'c']
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
 * import { healthMonitor } from 'distkit/election';
 * const s = healthMonitor.init({ id: 'a', peers: ['b'] });
 * healthMonitor.step(s, { type: 'tick', now: 0 }).outputs.find((o) => o.type === 'send'); //=> { type: 'send', to: 'b', message: { type: 'heartbeat' } }
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
 * import { healthMonitor } from 'distkit/election';
 * let s = healthMonitor.init({ id: 'a', peers: ['b'], heartbeatIntervalMs: 1000, failureThreshold: 3 });
 * s = healthMonitor.step(s, { type: 'message', from: 'b', message: { type: 'heartbeat' }, now: 500 }).state;
 * // Long silent: failed.
 * healthMonitor.step(s, { type: 'tick', now: 10_000 }).outputs.find((o) => o.type === 'health'); //=> { type: 'health', node: 'b', health: 'failed' }
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
 * healthMonitor.init({ id: 'a', peers: ['b'] }).nodes; //=> { b: { lastHeartbeat: 0, status: 'healthy' } }
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
  /** The detector's thresholds: suspected when more than `jitterToleranceMs` late, failed after `failureThreshold` intervals. */
  readonly thresholds: HealthThresholds;
  /** Whether this node sends heartbeats. */
  readonly sendHeartbeats: boolean;
  /** Whether the first input has started the clock (every peer's grace period). */
  readonly started: boolean;
  /** When this node sends its next heartbeats (before the start: when it wants its first tick). */
  readonly sendTimer: Timer;
  /** Each peer's last heartbeat (the first input counts as one: a grace period) and health. */
  readonly nodes: HeartbeatTable;
}

/**
 * Inputs of {@link healthMonitor}.
 *
 * @example
 * ```ts
 * import { healthMonitor } from 'distkit/election';
 * let s = healthMonitor.init({ id: 'a', peers: ['b'], heartbeatIntervalMs: 1000, failureThreshold: 3 });
 * s = healthMonitor.step(s, { type: 'message', from: 'b', message: { type: 'heartbeat' }, now: 500 }).state;
 * s.nodes['b']?.lastHeartbeat; //=> 500
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
    const id = checkId('id', config.id);
    const peers = checkIds('peers', config.peers, { allowEmpty: true });
    if (peers.includes(id)) throw new ConfigError('peers', 'must not include this node');
    const failureThreshold = positiveInt('failureThreshold', config.failureThreshold, 3);
    if (failureThreshold < 2) throw new ConfigError('failureThreshold', 'must be at least 2');
    const heartbeatIntervalMs = positiveInt('heartbeatIntervalMs', config.heartbeatIntervalMs, 5000);
    const jitterToleranceMs = nonNegativeInt('jitterToleranceMs', config.jitterToleranceMs, Math.floor(heartbeatIntervalMs / 2));
    if (jitterToleranceMs >= heartbeatIntervalMs) throw new ConfigError('jitterToleranceMs', 'must be below heartbeatIntervalMs');
    const startMs = config.startMs ?? 0;
    if (typeof startMs !== 'number' || !Number.isFinite(startMs)) throw new ConfigError('startMs', 'must be a finite number');
    return {
      id,
      peers,
      heartbeatIntervalMs,
      failureThreshold,
      jitterToleranceMs,
      // Times are whole ms: a heartbeat more than `jitterToleranceMs` late is one at least 1 ms later.
      thresholds: { suspectAfterMs: heartbeatIntervalMs + jitterToleranceMs + 1, failAfterMs: heartbeatIntervalMs * failureThreshold },
      sendHeartbeats: config.sendHeartbeats ?? true,
      started: false,
      // Armed from init: a host ticks a fresh node at startMs instead of waiting for an input.
      sendTimer: { at: startMs, attempt: 0 },
      nodes: freshTable(peers, startMs),
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
    return earliest(s.sendHeartbeats ? s.sendTimer : null, nextHealthChange(s.nodes, s.thresholds));
  },
};

/** Every peer healthy, last heard at `now`. */
function freshTable(peers: readonly NodeId[], now: number): HeartbeatTable {
  const nodes: Record<NodeId, MonitoredNode> = {};
  for (const p of peers) setOwn(nodes, p, { lastHeartbeat: now, status: 'healthy' });
  return nodes;
}

/** The first input starts the clock: every peer gets one interval of grace from it. */
function start(state: HealthMonitorState, now: number): HealthMonitorState {
  if (state.started) return state;
  return { ...state, started: true, nodes: freshTable(state.peers, now), sendTimer: state.sendHeartbeats ? startTimer(now, 0) : STOPPED_TIMER };
}

function onHeartbeat(state: HealthMonitorState, input: MessageInput<unknown>, now: number): T {
  const { from, message } = input;
  if (!state.peers.includes(from)) return reject(state, from, 'unknown sender');
  const parsed = parse(messageCheck, message, 'message');
  if (!parsed.ok) return reject(state, from, parsed.problem);
  // The heartbeat arrived now: its peer is heard from at the message's own time, not at the last tick.
  const s0 = start(state, now);
  const was = getOwn(s0.nodes, from)?.status;
  const s: HealthMonitorState = { ...s0, nodes: heardFrom(s0.nodes, from, now) };
  if (was === 'healthy') return transition(s);
  return transition(s, [{ type: 'health', node: from, health: 'healthy' }]);
}

function onTick(state: HealthMonitorState, now: number): T {
  let s: HealthMonitorState = state;
  const outputs: HealthMonitorOutput[] = [];
  if (s.sendHeartbeats && timerDue(s.sendTimer, now)) {
    for (const p of s.peers) outputs.push(send(p, { type: 'heartbeat' }));
    s = { ...s, sendTimer: startTimer(now, s.heartbeatIntervalMs) };
  }
  const swept = sweepHealth(s.nodes, now, s.thresholds, s.peers);
  for (const c of swept.changes) outputs.push({ type: 'health', node: c.node, health: c.to });
  return transition(swept.table === s.nodes ? s : { ...s, nodes: swept.table }, outputs);
}
