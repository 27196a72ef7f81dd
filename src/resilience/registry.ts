import { ConfigError, checkObject, Emitter, InvalidCommandError, assertNever, getOwn, systemClock, withOwn, withoutOwn, positiveMs, numberIn } from '../core/index.js';
import type { Clock, MessageInput, RejectedOutput, Transition, Unsubscribe } from '../core/index.js';
import { localStep } from './local.js';

/**
 * Health of a registered instance, as its owner or a checker reports it.
 *
 * @example
 * ```ts
 * import { serviceRegistryCore as reg } from 'distkit/resilience';
 * let s = reg.init({ defaultTtlMs: 1000 });
 * const added = reg.step(s, { type: 'register', now: 0, registration: { service: 'api', id: 'api-1', address: '10.0.0.5:8080', metadata: { zone: 'eu-1' } } });
 * s = added.state;
 * s = reg.step(s, { type: 'set-health', now: 1, service: 'api', id: 'api-1', health: 'critical' }).state;
 * // A critical instance is not discovered unless asked for.
 * [reg.discover(s, 'api', 2).length, reg.discover(s, 'api', 2, { includeUnhealthy: true }).length]; //=> [0, 1]
 * ```
 */
export type InstanceHealth = 'passing' | 'warning' | 'critical';

/**
 * A registered service instance. Structurally a {@link BalancerNode} (`id`, `weight`, `healthy`,
 * `draining`), so `balancer.setNodes(registry.discover('api'))` works as is.
 *
 * @example
 * ```ts
 * import { serviceRegistryCore as reg } from 'distkit/resilience';
 * let s = reg.init({ defaultTtlMs: 1000 });
 * const added = reg.step(s, { type: 'register', now: 0, registration: { service: 'api', id: 'api-1', address: '10.0.0.5:8080', metadata: { zone: 'eu-1' } } });
 * s = added.state;
 * const i = reg.discover(s, 'api', 10)[0]!;
 * [i.address, i.health, i.expiresAt, i.metadata]; //=> ['10.0.0.5:8080', 'passing', 1000, { zone: 'eu-1' }]
 * ```
 */
export interface ServiceInstance {
  /** Instance id, unique within the service. */
  readonly id: string;
  /** Service name. */
  readonly service: string;
  /** Where to reach it (free form: `host:port`, a URL...). */
  readonly address: string;
  /** String metadata to filter on (zone, version...). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Balancing weight (default 1). */
  readonly weight: number;
  /** Reported health. */
  readonly health: InstanceHealth;
  /** `health !== 'critical'`. */
  readonly healthy: boolean;
  /** Whether it is shutting down (takes no new work). */
  readonly draining: boolean;
  /** When it registered, ms. */
  readonly registeredAt: number;
  /** When it expires without a heartbeat, ms. */
  readonly expiresAt: number;
  /** Its TTL, ms. */
  readonly ttlMs: number;
}

/**
 * A registration request.
 *
 * @example
 * ```ts
 * import { serviceRegistryCore as reg } from 'distkit/resilience';
 * let s = reg.init({ defaultTtlMs: 1000 });
 * const added = reg.step(s, { type: 'register', now: 0, registration: { service: 'api', id: 'api-1', address: '10.0.0.5:8080', metadata: { zone: 'eu-1' } } });
 * s = added.state;
 * added.outputs.map((o) => ('instance' in o ? [o.type, o.instance.id, o.instance.expiresAt] : o.type)); //=> [['registered', 'api-1', 1000]]
 * ```
 */
export interface Registration {
  /** Service name. */
  readonly service: string;
  /** Instance id. */
  readonly id: string;
  /** Where to reach it. */
  readonly address: string;
  /** TTL: the instance expires unless it heartbeats within this (default: the registry's). */
  readonly ttlMs?: number;
  /** Metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Balancing weight. */
  readonly weight?: number;
}

/**
 * The registry's state: plain data, instances by service then id.
 *
 * @example
 * ```ts
 * import { serviceRegistryCore } from 'distkit/resilience';
 * serviceRegistryCore.init({ defaultTtlMs: 30_000 }).services; //=> {}
 * ```
 */
export interface RegistryState {
  /** Default TTL, ms. */
  readonly defaultTtlMs: number;
  /** Instances by service name, then instance id. */
  readonly services: Readonly<Record<string, Readonly<Record<string, ServiceInstance>>>>;
}

/**
 * A change in the registry.
 *
 * @example
 * ```ts
 * import { serviceRegistryCore as reg } from 'distkit/resilience';
 * let s = reg.init({ defaultTtlMs: 1000 });
 * const added = reg.step(s, { type: 'register', now: 0, registration: { service: 'api', id: 'api-1', address: '10.0.0.5:8080', metadata: { zone: 'eu-1' } } });
 * s = added.state;
 * reg.step(s, { type: 'deregister', now: 5, service: 'api', id: 'api-1' }).outputs.map((o) => ('instance' in o ? [o.type, o.instance.id] : o.type)); //=> [['deregistered', 'api-1']]
 * ```
 */
export interface RegistryChange {
  /** What happened. */
  readonly type: 'registered' | 'updated' | 'deregistered' | 'expired' | 'health';
  /** The instance (as it is now, or as it was when removed). */
  readonly instance: ServiceInstance;
}

/**
 * A filter for {@link serviceRegistryCore.discover}.
 *
 * @example
 * ```ts
 * import { serviceRegistryCore as reg } from 'distkit/resilience';
 * let s = reg.init({ defaultTtlMs: 1000 });
 * const added = reg.step(s, { type: 'register', now: 0, registration: { service: 'api', id: 'api-1', address: '10.0.0.5:8080', metadata: { zone: 'eu-1' } } });
 * s = added.state;
 * reg.discover(s, 'api', 10, { metadata: { zone: 'us-2' } }).length; //=> 0
 * ```
 */
export interface DiscoverFilter {
  /** Every key must match exactly. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Include `critical` instances (default false). */
  readonly includeUnhealthy?: boolean;
  /** Include draining instances (default false). */
  readonly includeDraining?: boolean;
}


function checkName(field: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new ConfigError(field, 'must be a non-empty string');
  return v;
}

/** Service names and instance ids are own keys (a service named `__proto__` is a service like any other). */
function lookup(s: RegistryState, service: string, id: string): ServiceInstance | undefined {
  const insts = getOwn(s.services, service);
  return insts === undefined ? undefined : getOwn(insts, id);
}

function put(s: RegistryState, inst: ServiceInstance): RegistryState {
  return { ...s, services: withOwn(s.services, inst.service, withOwn(getOwn(s.services, inst.service) ?? {}, inst.id, inst)) };
}

function drop(s: RegistryState, service: string, id: string): RegistryState {
  const rest = withoutOwn(getOwn(s.services, service) ?? {}, id);
  return { ...s, services: Object.keys(rest).length === 0 ? withoutOwn(s.services, service) : withOwn(s.services, service, rest) };
}

function get(s: RegistryState, service: string, id: string): ServiceInstance {
  const inst = lookup(s, service, id);
  if (inst === undefined) throw new InvalidCommandError('instance', `${JSON.stringify(service)}/${JSON.stringify(id)} is not registered`);
  return inst;
}

type Step = { readonly state: RegistryState; readonly changes: readonly RegistryChange[] };

/**
 * Inputs of the service-registry core: the registry commands, and `tick` to expire instances
 * whose TTL ran out. Every input carries `now`; a network `message` is refused.
 *
 * @example
 * ```ts
 * import { serviceRegistryCore as reg } from 'distkit/resilience';
 * let s = reg.init({ defaultTtlMs: 1000 });
 * const added = reg.step(s, { type: 'register', now: 0, registration: { service: 'api', id: 'api-1', address: '10.0.0.5:8080', metadata: { zone: 'eu-1' } } });
 * s = added.state;
 * // A heartbeat renews the TTL: still there at 1500.
 * s = reg.step(s, { type: 'heartbeat', now: 900, service: 'api', id: 'api-1' }).state;
 * reg.step(s, { type: 'tick', now: 1500 }).outputs; //=> []
 * ```
 */
export type RegistryInput = RegistryCommand | MessageInput<unknown>;

/**
 * The service-registry core's local commands: register, heartbeat, deregister, set health, tick.
 *
 * @example
 * ```ts
 * import { serviceRegistryCore as reg } from 'distkit/resilience';
 * let s = reg.init({ defaultTtlMs: 1000 });
 * const added = reg.step(s, { type: 'register', now: 0, registration: { service: 'api', id: 'api-1', address: '10.0.0.5:8080', metadata: { zone: 'eu-1' } } });
 * s = added.state;
 * reg.step(s, { type: 'tick', now: 1000 }).outputs.map((o) => o.type); //=> ['expired']
 * ```
 */
export type RegistryCommand =
  | { readonly type: 'register'; readonly now: number; readonly registration: Registration }
  | { readonly type: 'heartbeat' | 'deregister'; readonly now: number; readonly service: string; readonly id: string }
  | { readonly type: 'set-health'; readonly now: number; readonly service: string; readonly id: string; readonly health: InstanceHealth; readonly draining?: boolean }
  | { readonly type: 'tick'; readonly now: number };

/**
 * Outputs of the service-registry core: the changes an input made (for change events).
 *
 * @example
 * ```ts
 * import { serviceRegistryCore as reg } from 'distkit/resilience';
 * let s = reg.init({ defaultTtlMs: 1000 });
 * const added = reg.step(s, { type: 'register', now: 0, registration: { service: 'api', id: 'api-1', address: '10.0.0.5:8080', metadata: { zone: 'eu-1' } } });
 * s = added.state;
 * added.outputs.map((o) => o.type); //=> ['registered']
 * ```
 */
export type RegistryOutput = RegistryChange | RejectedOutput;

const commands = {
  /** Registers (or re-registers, updating) an instance at `now`. */
  register(state: RegistryState, r: Registration, now: number): Step {
    checkObject('registration', r);
    const service = checkName('service', r.service);
    const id = checkName('id', r.id);
    if (typeof r.address !== 'string') throw new ConfigError('address', 'must be a string');
    const ttlMs = r.ttlMs === undefined ? state.defaultTtlMs : positiveMs('ttlMs', r.ttlMs);
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.metadata ?? {})) {
      if (typeof v !== 'string') throw new ConfigError(`metadata.${k}`, 'must be a string');
      metadata[k] = v;
    }
    const prev = lookup(state, service, id);
    const inst: ServiceInstance = {
      id,
      service,
      address: r.address,
      metadata,
      weight: r.weight === undefined ? 1 : numberIn('weight', r.weight, 0, Infinity),
      health: prev?.health ?? 'passing',
      healthy: prev?.healthy ?? true,
      draining: prev?.draining ?? false,
      registeredAt: prev?.registeredAt ?? now,
      expiresAt: now + ttlMs,
      ttlMs,
    };
    return { state: put(state, inst), changes: [{ type: prev === undefined ? 'registered' : 'updated', instance: inst }] };
  },
  /** Renews an instance's TTL at `now`. */
  heartbeat(state: RegistryState, service: string, id: string, now: number): Step {
    const inst = get(state, service, id);
    return { state: put(state, { ...inst, expiresAt: now + inst.ttlMs }), changes: [] };
  },
  /** Removes an instance (absent is fine: no change). */
  deregister(state: RegistryState, service: string, id: string): Step {
    const inst = lookup(state, service, id);
    if (inst === undefined) return { state, changes: [] };
    return { state: drop(state, service, id), changes: [{ type: 'deregistered', instance: inst }] };
  },
  /** Sets an instance's health (and/or draining flag). */
  setHealth(state: RegistryState, service: string, id: string, health: InstanceHealth, draining?: boolean): Step {
    if (health !== 'passing' && health !== 'warning' && health !== 'critical') throw new ConfigError('health', `must be passing, warning or critical; got ${JSON.stringify(health)}`);
    const inst = get(state, service, id);
    const next: ServiceInstance = { ...inst, health, healthy: health !== 'critical', draining: draining ?? inst.draining };
    if (next.health === inst.health && next.draining === inst.draining) return { state, changes: [] };
    return { state: put(state, next), changes: [{ type: 'health', instance: next }] };
  },
  /** Removes every instance whose TTL has run out at `now`. */
  expire(state: RegistryState, now: number): Step {
    let s = state;
    const changes: RegistryChange[] = [];
    for (const insts of Object.values(state.services)) {
      for (const inst of Object.values(insts)) {
        if (inst.expiresAt <= now) {
          s = drop(s, inst.service, inst.id);
          changes.push({ type: 'expired', instance: inst });
        }
      }
    }
    return { state: s, changes };
  },
};

function rule(state: RegistryState, input: RegistryCommand, now: number): Transition<RegistryState, RegistryOutput> {
  let r: Step;
  switch (input.type) {
    case 'register':
      r = commands.register(state, input.registration, now);
      break;
    case 'heartbeat':
      r = commands.heartbeat(state, input.service, input.id, now);
      break;
    case 'deregister':
      r = commands.deregister(state, input.service, input.id);
      break;
    case 'set-health':
      r = commands.setHealth(state, input.service, input.id, input.health, input.draining);
      break;
    case 'tick':
      r = commands.expire(state, now);
      break;
    default:
      return assertNever(input, 'input');
  }
  return { state: r.state, outputs: r.changes };
}

/**
 * The pure service-registry core, a machine like {@link circuitBreakerCore}: `register` /
 * `heartbeat` / `deregister` with TTLs, `set-health` (health and draining flags), expiry on
 * `tick`, and the query `discover` with metadata filters. Outputs are the changes made.
 *
 * @example
 * ```ts
 * import { serviceRegistryCore as reg } from 'distkit/resilience';
 * let s = reg.init({ defaultTtlMs: 1000 });
 * s = reg.step(s, { type: 'register', now: 0, registration: { service: 'api', id: 'a', address: '10.0.0.1:80' } }).state;
 * reg.discover(s, 'api', 500).map((i) => i.id); //=> ['a']
 * reg.step(s, { type: 'tick', now: 1000 }).outputs[0]?.type; //=> 'expired'
 * ```
 */
export const serviceRegistryCore = {
  /** Name for traces. */
  name: 'service-registry',
  /** Validates settings (ConfigError naming the option). */
  init(settings: { readonly defaultTtlMs?: number } = {}): RegistryState {
    return { defaultTtlMs: settings.defaultTtlMs === undefined ? 30_000 : positiveMs('defaultTtlMs', settings.defaultTtlMs), services: {} };
  },
  /** Applies one input; pure. */
  step: localStep('service registry', rule),
  /** Live instances of `service` at `now` that pass `filter`, sorted by id. */
  discover(state: RegistryState, service: string, now: number, filter: DiscoverFilter = {}): ServiceInstance[] {
    const out: ServiceInstance[] = [];
    for (const inst of Object.values(getOwn(state.services, service) ?? {})) {
      if (inst.expiresAt <= now) continue;
      if (!inst.healthy && filter.includeUnhealthy !== true) continue;
      if (inst.draining && filter.includeDraining !== true) continue;
      if (filter.metadata !== undefined && !Object.entries(filter.metadata).every(([k, v]) => inst.metadata[k] === v)) continue;
      out.push(inst);
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  },
  /** The earliest expiry, or `undefined` when empty. */
  nextDeadline(state: RegistryState): number | undefined {
    let next: number | undefined;
    for (const insts of Object.values(state.services)) for (const i of Object.values(insts)) if (next === undefined || i.expiresAt < next) next = i.expiresAt;
    return next;
  },
};

/**
 * A service registry over {@link serviceRegistryCore} with change events. Expiry is evaluated
 * lazily on every operation at the clock's time (no background timer); call `expire()` to sweep.
 *
 * @example
 * ```ts
 * import { LoadBalancer, ServiceRegistry } from 'distkit/resilience';
 * const registry = new ServiceRegistry({ defaultTtlMs: 15_000 });
 * registry.register({ service: 'api', id: 'api-1', address: '10.0.0.5:8080', metadata: { zone: 'eu-1' } });
 * const lb = new LoadBalancer({ strategy: 'round-robin', nodes: registry.discover('api') });
 * registry.onChange(() => lb.setNodes(registry.discover('api')));
 * ```
 */
export class ServiceRegistry {
  private s: RegistryState;
  private readonly clock: Clock;
  private readonly changes = new Emitter<RegistryChange>();

  constructor(options: { readonly defaultTtlMs?: number; readonly clock?: Clock } = {}) {
    this.s = serviceRegistryCore.init(options);
    this.clock = options.clock ?? systemClock;
  }

  /** The core state (plain data). */
  get snapshot(): RegistryState {
    return this.s;
  }

  /** Registers or updates an instance. */
  register(r: Registration): ServiceInstance {
    const now = this.sweep();
    this.apply({ type: 'register', now, registration: r });
    return lookup(this.s, r.service, r.id)!;
  }

  /** Renews an instance's TTL (InvalidCommandError if it is not registered, e.g. expired). */
  heartbeat(service: string, id: string): void {
    const now = this.sweep();
    this.apply({ type: 'heartbeat', now, service, id });
  }

  /** Removes an instance. */
  deregister(service: string, id: string): void {
    const now = this.sweep();
    this.apply({ type: 'deregister', now, service, id });
  }

  /** Sets an instance's health (and optionally its draining flag). */
  setHealth(service: string, id: string, health: InstanceHealth, draining?: boolean): void {
    const now = this.sweep();
    this.apply(draining === undefined ? { type: 'set-health', now, service, id, health } : { type: 'set-health', now, service, id, health, draining });
  }

  /** Live, healthy, non-draining instances of `service` matching `filter`. */
  discover(service: string, filter: DiscoverFilter = {}): ServiceInstance[] {
    const now = this.sweep();
    return serviceRegistryCore.discover(this.s, service, now, filter);
  }

  /** Service names with live instances. */
  services(): string[] {
    this.sweep();
    return Object.keys(this.s.services).sort();
  }

  /** Removes expired instances now (emitting `expired` changes). */
  expire(): void {
    this.sweep();
  }

  /** Listens for changes. */
  onChange(listener: (change: RegistryChange) => void): Unsubscribe {
    return this.changes.on(listener);
  }

  private sweep(): number {
    const now = this.clock.now();
    const next = serviceRegistryCore.nextDeadline(this.s);
    if (next !== undefined && next <= now) this.apply({ type: 'tick', now });
    return now;
  }

  private apply(input: RegistryInput): void {
    const t = serviceRegistryCore.step(this.s, input);
    this.s = t.state;
    for (const c of t.outputs) if (c.type !== 'rejected') this.changes.emit(c);
  }
}
