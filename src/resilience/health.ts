import { ConfigError, checkObject, InvalidCommandError, assertNever, getOwn, hasOwn, inputNow, parse, reject, Emitter, systemClock, backgroundTimers, v, withOwn, withoutOwn, positiveInt, positiveMs } from '../core/index.js';
import type { Clock, MessageInput, RejectedOutput, Timers, Transition, Unsubscribe } from '../core/index.js';
import { healthAfter, heardFrom, nextHealthChange, sweepHealth, type HeartbeatTable, type NodeHealth } from '../election/index.js';
import { orInfinity, type ClockOption, type TimersOption } from './options.js';

/**
 * Settings of the health monitor: the thresholds of distkit/election's heartbeat failure detector
 * ({@link healthAfter}), plus how nodes join the table.
 *
 * @example
 * ```ts
 * import { healthMonitorCore as hm, type HealthSettings } from 'distkit/resilience';
 * const settings: HealthSettings = { suspectAfterMs: 3000, failAfterMs: 10_000 };
 * let s = hm.init(settings);
 * s = hm.step(s, { type: 'heartbeat', from: 'db-1', now: 0 }).state;
 * // Silent for 3 s: suspected; for 10 s: failed.
 * [hm.statusAt(s, 'db-1', 2999), hm.statusAt(s, 'db-1', 3000), hm.statusAt(s, 'db-1', 10_000)]; //=> ['healthy', 'suspected', 'failed']
 * ```
 */
export interface HealthSettings {
  /** Silence after which a node is suspected, ms. */
  readonly suspectAfterMs: number;
  /** Silence after which a node is failed, ms (> suspectAfterMs). */
  readonly failAfterMs: number;
  /** Whether a heartbeat from an unknown node starts tracking it (default true). */
  readonly autoRegister?: boolean;
  /** Nodes watched at most (default {@link HEALTH_MAX_NODES}); a heartbeat that would add one more is rejected. */
  readonly maxNodes?: number;
}

/**
 * The default bound on the nodes a health monitor tracks. With `autoRegister`, every heartbeat
 * from a new id adds a node, so the table needs a limit; a full table rejects new ids.
 *
 * @example
 * ```ts
 * import { HEALTH_MAX_NODES } from 'distkit/resilience';
 * HEALTH_MAX_NODES; //=> 10000
 * ```
 */
export const HEALTH_MAX_NODES = 10_000;

/**
 * The health monitor's state: plain data.
 *
 * @example
 * ```ts
 * import { healthMonitorCore } from 'distkit/resilience';
 * healthMonitorCore.init({ suspectAfterMs: 1000, failAfterMs: 3000 }).nodes; //=> {}
 * ```
 */
export interface HealthState {
  /** Validated settings. */
  readonly settings: Required<HealthSettings>;
  /** Nodes by id: the election detector's heartbeat table. */
  readonly nodes: HeartbeatTable;
}

/**
 * Inputs: a heartbeat from a node (untrusted: `from` is validated), either as a `heartbeat` input
 * or as a network `message` `{ type: 'heartbeat' }` from it; time passing; and local commands to
 * start or stop watching a node. Every input carries the caller's current time `now` (ms).
 *
 * @example
 * ```ts
 * import { healthMonitorCore as hm } from 'distkit/resilience';
 * let s = hm.init({ suspectAfterMs: 3000, failAfterMs: 10_000 });
 * s = hm.step(s, { type: 'heartbeat', from: 'db-1', now: 0 }).state;
 * import type { HealthInput } from 'distkit/resilience';
 * // A heartbeat from a suspected node makes it healthy again.
 * const inputs: HealthInput[] = [{ type: 'tick', now: 4000 }, { type: 'heartbeat', from: 'db-1', now: 4200 }];
 * inputs.flatMap((i) => { const t = hm.step(s, i); s = t.state; return t.outputs; }); //=> [{ type: 'status', node: 'db-1', from: 'healthy', to: 'suspected', now: 4000 }, { type: 'status', node: 'db-1', from: 'suspected', to: 'healthy', now: 4200 }]
 * ```
 */
export type HealthInput =
  | { readonly type: 'heartbeat'; readonly from: string; readonly now: number }
  | MessageInput<unknown>
  | { readonly type: 'tick'; readonly now: number }
  | { readonly type: 'watch'; readonly node: string; readonly now: number }
  | { readonly type: 'unwatch'; readonly node: string; readonly now: number };

/**
 * Outputs: a node's status changed, or an input was rejected.
 *
 * @example
 * ```ts
 * import { healthMonitorCore as hm } from 'distkit/resilience';
 * let s = hm.init({ suspectAfterMs: 3000, failAfterMs: 10_000 });
 * s = hm.step(s, { type: 'heartbeat', from: 'db-1', now: 0 }).state;
 * import type { HealthOutput } from 'distkit/resilience';
 * const o: readonly HealthOutput[] = hm.step(s, { type: 'tick', now: 12_000 }).outputs;
 * o; //=> [{ type: 'status', node: 'db-1', from: 'healthy', to: 'failed', now: 12000 }]
 * ```
 */
export type HealthOutput =
  | { readonly type: 'status'; readonly node: string; readonly from: NodeHealth; readonly to: NodeHealth; readonly now: number }
  | RejectedOutput;

function validate(c: HealthSettings): Required<HealthSettings> {
  checkObject('options', c);
  const suspectAfterMs = positiveMs('suspectAfterMs', c.suspectAfterMs);
  const failAfterMs = orInfinity(c.failAfterMs, (v) => positiveMs('failAfterMs', v));
  if (failAfterMs <= suspectAfterMs) throw new ConfigError('failAfterMs', `must be > suspectAfterMs (${suspectAfterMs}), got ${failAfterMs}`);
  const maxNodes = c.maxNodes === undefined ? HEALTH_MAX_NODES : positiveInt('maxNodes', c.maxNodes);
  return { suspectAfterMs, failAfterMs, autoRegister: c.autoRegister ?? true, maxNodes };
}

const nodeId = v.id();
const heartbeatCheck = v.object({ type: v.literal('heartbeat') });

type HT = Transition<HealthState, HealthOutput>;

function step(state: HealthState, input: HealthInput): Transition<HealthState, HealthOutput> {
  const now = inputNow(input);
  switch (input.type) {
    case 'heartbeat':
      return onHeartbeat(state, input.from, now);
    case 'message': {
      const parsed = parse(heartbeatCheck, input.message, 'message');
      if (!parsed.ok) return reject(state, typeof input.from === 'string' ? input.from : '?', parsed.problem);
      return onHeartbeat(state, input.from, now);
    }
    case 'tick': {
      const swept = sweepHealth(state.nodes, now, state.settings);
      const outputs = swept.changes.map((c): HealthOutput => ({ type: 'status', node: c.node, from: c.from, to: c.to, now }));
      return swept.table === state.nodes ? { state, outputs } : { state: { ...state, nodes: swept.table }, outputs };
    }
    case 'watch': {
      const problem = nodeId(input.node, 'node');
      if (problem !== undefined) throw new InvalidCommandError('watch', problem);
      if (hasOwn(state.nodes, input.node)) return { state, outputs: [] };
      if (Object.keys(state.nodes).length >= state.settings.maxNodes) throw new InvalidCommandError('watch', `already watching ${state.settings.maxNodes} nodes (maxNodes)`);
      return { state: { ...state, nodes: withOwn(state.nodes, input.node, { lastHeartbeat: now, status: 'healthy' }) }, outputs: [] };
    }
    case 'unwatch': {
      if (typeof input.node !== 'string' || !hasOwn(state.nodes, input.node)) return { state, outputs: [] };
      return { state: { ...state, nodes: withoutOwn(state.nodes, input.node) }, outputs: [] };
    }
    default:
      return assertNever(input, 'input');
  }
}

function onHeartbeat(state: HealthState, from: unknown, now: number): HT {
  const problem = nodeId(from, 'from');
  if (problem !== undefined) return reject(state, typeof from === 'string' ? from.slice(0, 256) : '?', `heartbeat: ${problem}`);
  const id = from as string;
  // Own properties only: a node named `toString` is not watched just because objects have one.
  const prev = getOwn(state.nodes, id);
  if (prev === undefined) {
    if (!state.settings.autoRegister) return reject(state, id, 'heartbeat from a node that is not watched');
    if (Object.keys(state.nodes).length >= state.settings.maxNodes) return reject(state, id, `already watching ${state.settings.maxNodes} nodes (maxNodes)`);
  }
  const nodes = heardFrom(state.nodes, id, now);
  if (nodes === state.nodes) return { state, outputs: [] };
  const next: HealthState = { ...state, nodes };
  if (prev === undefined || prev.status === 'healthy') return { state: next, outputs: [] };
  return { state: next, outputs: [{ type: 'status', node: id, from: prev.status, to: 'healthy', now }] };
}

/**
 * The pure heartbeat monitor (as in the notes), a table of distkit/election's heartbeat failure
 * detector ({@link healthAfter}, {@link sweepHealth}) that nodes join by heartbeat or `watch`: heartbeats keep a node `healthy`; silence makes it
 * `suspected` after `suspectAfterMs` and `failed` after `failAfterMs`; a heartbeat brings it back.
 * Time arrives in the inputs; `nextDeadline` is the next moment a status can change.
 *
 * @example
 * ```ts
 * import { healthMonitorCore as hm } from 'distkit/resilience';
 * let s = hm.init({ suspectAfterMs: 1000, failAfterMs: 3000 });
 * s = hm.step(s, { type: 'heartbeat', from: 'a', now: 0 }).state;
 * hm.step(s, { type: 'tick', now: 1500 }).outputs; //=> [{ type: 'status', node: 'a', from: 'healthy', to: 'suspected', now: 1500 }]
 * ```
 */
export const healthMonitorCore = {
  /** Name for traces. */
  name: 'health-monitor',
  /** Validates settings (ConfigError naming the option). */
  init(settings: HealthSettings): HealthState {
    return { settings: validate(settings), nodes: {} };
  },
  /** Applies one input. Pure. */
  step,
  /** The next time a status changes without new heartbeats, or `undefined`. */
  nextDeadline(state: HealthState): number | undefined {
    return nextHealthChange(state.nodes, state.settings);
  },
  /** The status of `node` at `now` (undefined when not watched). */
  statusAt(state: HealthState, node: string, now: number): NodeHealth | undefined {
    const n = getOwn(state.nodes, node);
    return n === undefined ? undefined : healthAfter(now - n.lastHeartbeat, state.settings);
  },
};

/**
 * A status change, as seen by {@link HealthMonitor.onChange}.
 *
 * @example
 * ```ts
 * import { HealthMonitor, type HealthChange } from 'distkit/resilience';
 * let t = 0;
 * let fire: (() => void) | undefined;
 * const monitor = new HealthMonitor({ suspectAfterMs: 1000, failAfterMs: 3000, clock: { now: () => t, wallNow: () => t }, timers: { setTimer: (_ms, cb) => { fire = cb; return () => { fire = undefined; }; } } });
 * const changes: HealthChange[] = [];
 * monitor.onChange((c) => changes.push(c));
 * monitor.heartbeat('a');
 * t = 1000; fire?.();
 * t = 3000; fire?.();
 * changes; //=> [{ node: 'a', from: 'healthy', to: 'suspected', now: 1000 }, { node: 'a', from: 'suspected', to: 'failed', now: 3000 }]
 * monitor.stop();
 * ```
 */
export interface HealthChange {
  /** Node id. */
  readonly node: string;
  /** Previous status. */
  readonly from: NodeHealth;
  /** New status. */
  readonly to: NodeHealth;
  /** When, ms. */
  readonly now: number;
}

/**
 * Options of {@link HealthMonitor}.
 *
 * @example
 * ```ts
 * import { HealthMonitor } from 'distkit/resilience';
 * let t = 0;
 * const monitor = new HealthMonitor({ suspectAfterMs: 2000, failAfterMs: 6000, clock: { now: () => t, wallNow: () => t } });
 * monitor.heartbeat('worker-1');
 * monitor.watch('worker-2'); // watched from now, no heartbeat yet
 * t = 2500;
 * monitor.statuses(); //=> { 'worker-1': 'suspected', 'worker-2': 'suspected' }
 * monitor.stop();
 * ```
 */
export interface HealthMonitorOptions extends HealthSettings, ClockOption, TimersOption {}

/**
 * Heartbeat monitor over {@link healthMonitorCore}. Arms one (unref'd) timer at the next deadline
 * so `onChange` fires on time; `status` is always computed at the current time.
 *
 * @example
 * ```ts
 * import { HealthMonitor } from 'distkit/resilience';
 * const monitor = new HealthMonitor({ suspectAfterMs: 2000, failAfterMs: 6000 });
 * monitor.onChange(({ node, to }) => console.log(`${node} is ${to}`));
 * monitor.heartbeat('worker-1');
 * monitor.status('worker-1'); //=> 'healthy'
 * monitor.stop();
 * ```
 */
export class HealthMonitor {
  private s: HealthState;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private cancel: (() => void) | undefined;
  private armedAt: number | undefined;
  private readonly changes = new Emitter<HealthChange>();

  constructor(options: HealthMonitorOptions) {
    this.s = healthMonitorCore.init(options);
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? backgroundTimers;
  }

  /** The core state (plain data). */
  get snapshot(): HealthState {
    return this.s;
  }

  /** Records a heartbeat from `node` now. */
  heartbeat(node: string): void {
    this.apply({ type: 'heartbeat', from: node, now: this.clock.now() });
  }

  /** Starts watching `node` (healthy until silent too long). */
  watch(node: string): void {
    this.apply({ type: 'watch', node, now: this.clock.now() });
  }

  /** Stops watching `node`. */
  unwatch(node: string): void {
    this.apply({ type: 'unwatch', node, now: this.clock.now() });
  }

  /** The status of `node` now, or `undefined` if not watched. */
  status(node: string): NodeHealth | undefined {
    return healthMonitorCore.statusAt(this.s, node, this.clock.now());
  }

  /** Every watched node's status now. */
  statuses(): Record<string, NodeHealth> {
    this.apply({ type: 'tick', now: this.clock.now() });
    const out: Record<string, NodeHealth> = {};
    for (const [id, n] of Object.entries(this.s.nodes)) out[id] = n.status;
    return out;
  }

  /** Listens for status changes. */
  onChange(listener: (change: HealthChange) => void): Unsubscribe {
    return this.changes.on(listener);
  }

  /** Cancels the pending timer (the monitor still answers `status`). */
  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
    this.armedAt = undefined;
  }

  private apply(input: HealthInput): void {
    const t = healthMonitorCore.step(this.s, input);
    this.s = t.state;
    for (const o of t.outputs) {
      if (o.type === 'status') {
        this.changes.emit({ node: o.node, from: o.from, to: o.to, now: o.now });
      } else {
        throw new ConfigError('node', o.reason);
      }
    }
    this.arm();
  }

  private arm(): void {
    const at = healthMonitorCore.nextDeadline(this.s);
    if (at === this.armedAt) return;
    this.stop();
    if (at === undefined) return;
    this.armedAt = at;
    this.cancel = this.timers.setTimer(Math.max(0, at - this.clock.now()), () => {
      this.cancel = undefined;
      this.armedAt = undefined;
      this.apply({ type: 'tick', now: this.clock.now() });
    });
  }
}
