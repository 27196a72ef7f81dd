import { ConfigError, checkObject, InvalidCommandError, assertNever, getOwn, withOwn, withoutOwn, numberIn } from '../core/index.js';
import type { MessageInput, RejectedOutput, Transition } from '../core/index.js';
import { asCommand, localStep } from './local.js';
import { InsufficientResourcesError } from './errors.js';

/**
 * Amounts per resource name: `cpu`, `memory`, `disk`, `network`, or any user-defined resource
 * (`gpu`, `licenses`...). A resource a node does not list has capacity 0 there.
 *
 * @example
 * ```ts
 * import { resourceManagerCore as rm } from 'distkit/resilience';
 * const s = rm.init({ nodes: [{ id: 'w1', capacity: { cpu: 4, memory: 8192, gpu: 1 } }] });
 * rm.canAllocate(s, { cpu: 4, memory: 8192, gpu: 2 }); //=> false
 * ```
 */
export type ResourceVector = Readonly<Record<string, number>>;

/**
 * Where a task goes among the nodes that fit it: `first-fit` (first in order), `best-fit` (the
 * tightest fit: least total free fraction left), `spread` (the most free fraction left).
 *
 * @example
 * ```ts
 * import { resourceManagerCore as rm } from 'distkit/resilience';
 * // best-fit packs: the fullest node that still fits takes the task.
 * let s = rm.init({ strategy: 'best-fit', nodes: [{ id: 'w1', capacity: { cpu: 8 } }, { id: 'w2', capacity: { cpu: 4 } }] });
 * rm.step(s, { type: 'allocate', now: 0, taskId: 't1', request: { cpu: 2 } }).outputs; //=> [{ type: 'allocated', taskId: 't1', node: 'w2' }]
 * ```
 */
export type PlacementStrategy = 'first-fit' | 'best-fit' | 'spread';

/**
 * A node of the resource manager: capacity and what is in use.
 *
 * @example
 * ```ts
 * import { resourceManagerCore as rm } from 'distkit/resilience';
 * let s = rm.init({ nodes: [{ id: 'w1', capacity: { cpu: 8 } }] });
 * s = rm.step(s, { type: 'allocate', now: 0, taskId: 't1', request: { cpu: 2 } }).state;
 * s.nodes; //=> [{ id: 'w1', capacity: { cpu: 8 }, used: { cpu: 2 } }]
 * ```
 */
export interface ResourceNodeState {
  /** Node id. */
  readonly id: string;
  /** Total capacity. */
  readonly capacity: ResourceVector;
  /** Allocated amounts. */
  readonly used: ResourceVector;
}

/**
 * An allocation: the node a task runs on and what it holds.
 *
 * @example
 * ```ts
 * import { resourceManagerCore as rm } from 'distkit/resilience';
 * let s = rm.init({ nodes: [{ id: 'w1', capacity: { cpu: 8 } }] });
 * s = rm.step(s, { type: 'allocate', now: 0, taskId: 't1', request: { cpu: 2 } }).state;
 * s.allocations; //=> { t1: { node: 'w1', request: { cpu: 2 } } }
 * ```
 */
export interface Allocation {
  /** Node id. */
  readonly node: string;
  /** What the task holds. */
  readonly request: ResourceVector;
}

/**
 * The resource manager's state: plain data.
 *
 * @example
 * ```ts
 * import { resourceManagerCore } from 'distkit/resilience';
 * const s = resourceManagerCore.init({ nodes: [{ id: 'w1', capacity: { cpu: 4 } }] });
 * s.allocations; //=> {}
 * ```
 */
export interface ResourceState {
  /** Placement strategy. */
  readonly strategy: PlacementStrategy;
  /** Nodes in order. */
  readonly nodes: readonly ResourceNodeState[];
  /** Allocations by task id. */
  readonly allocations: Readonly<Record<string, Allocation>>;
}

/**
 * Settings of the resource manager.
 *
 * @example
 * ```ts
 * import { resourceManagerCore as rm } from 'distkit/resilience';
 * // spread balances: the emptiest node takes the task.
 * let s = rm.init({ strategy: 'spread', nodes: [{ id: 'w1', capacity: { cpu: 8 } }, { id: 'w2', capacity: { cpu: 8 } }] });
 * s = rm.step(s, { type: 'allocate', now: 0, taskId: 't1', request: { cpu: 2 } }).state;
 * rm.step(s, { type: 'allocate', now: 1, taskId: 't2', request: { cpu: 2 } }).outputs; //=> [{ type: 'allocated', taskId: 't2', node: 'w2' }]
 * ```
 */
export interface ResourceSettings {
  /** Default `first-fit`. */
  readonly strategy?: PlacementStrategy;
  /** Nodes and capacities. */
  readonly nodes: readonly { readonly id: string; readonly capacity: ResourceVector }[];
}

function checkVector(field: string, v: ResourceVector): ResourceVector {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(field, 'must be an object of amounts per resource');
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) out[k] = numberIn(`${field}.${k}`, x, 0, Infinity);
  return out;
}

function free(n: ResourceNodeState, r: string): number {
  return (n.capacity[r] ?? 0) - (n.used[r] ?? 0);
}

function fits(n: ResourceNodeState, req: ResourceVector): boolean {
  for (const r in req) if ((n.used[r] ?? 0) + req[r]! > (n.capacity[r] ?? 0)) return false;
  return true;
}

/** Σ over the node's resources of free fraction left after placing `req`. */
function leftover(n: ResourceNodeState, req: ResourceVector): number {
  let sum = 0;
  for (const r in n.capacity) {
    const cap = n.capacity[r]!;
    if (cap > 0) sum += (free(n, r) - (req[r] ?? 0)) / cap;
  }
  return sum;
}

function place(s: ResourceState, req: ResourceVector): number {
  let best = -1;
  let bestScore = 0;
  for (let i = 0; i < s.nodes.length; i++) {
    const n = s.nodes[i]!;
    if (!fits(n, req)) continue;
    if (s.strategy === 'first-fit') return i;
    const sc = leftover(n, req);
    if (best < 0 || (s.strategy === 'best-fit' ? sc < bestScore : sc > bestScore)) {
      best = i;
      bestScore = sc;
    }
  }
  return best;
}

function shortage(s: ResourceState, taskId: string, req: ResourceVector): ResourceOutput {
  // The resource short everywhere by the largest fraction; if each fits somewhere alone, the one
  // short on the most nodes (fragmentation).
  let worst: { r: string; frac: number; largest: number } | undefined;
  let mostShort: { r: string; count: number; largest: number } | undefined;
  for (const r in req) {
    const want = req[r]!;
    if (want === 0) continue;
    let largest = 0;
    let shortOn = 0;
    for (const n of s.nodes) {
      const f = free(n, r);
      if (f > largest) largest = f;
      if (f < want) shortOn++;
    }
    const frac = (want - largest) / want;
    if (frac > 0 && (worst === undefined || frac > worst.frac)) worst = { r, frac, largest };
    if (mostShort === undefined || shortOn > mostShort.count) mostShort = { r, count: shortOn, largest };
  }
  const pick = worst ?? mostShort ?? { r: Object.keys(req)[0] ?? 'resources', largest: 0 };
  return { type: 'insufficient', taskId, resource: pick.r, requested: req[pick.r] ?? 0, largestFree: pick.largest };
}

function sameVector(a: ResourceVector, b: ResourceVector): boolean {
  const ka = Object.keys(a).filter((k) => a[k] !== 0);
  const kb = Object.keys(b).filter((k) => b[k] !== 0);
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
}

function addUsed(used: ResourceVector, req: ResourceVector, sign: 1 | -1): ResourceVector {
  const out: Record<string, number> = { ...used };
  for (const r in req) {
    const v = (out[r] ?? 0) + sign * req[r]!;
    out[r] = v < 1e-9 ? 0 : v; // clamp float dust after releases
  }
  return out;
}

/**
 * Inputs of the resource-manager core: place a task (`allocate`, idempotent by task id, on a node
 * of the caller's choosing or by the strategy), free it (`release`), add or remove a node. Every input carries `now`; a network `message` is refused.
 *
 * @example
 * ```ts
 * import { resourceManagerCore as rm } from 'distkit/resilience';
 * const s = rm.init({ nodes: [{ id: 'w1', capacity: { cpu: 1 } }] });
 * rm.step(s, { type: 'allocate', now: 0, taskId: 'job-7', request: { cpu: 2 } }).outputs; //=> [{ type: 'insufficient', taskId: 'job-7', resource: 'cpu', requested: 2, largestFree: 1 }]
 * ```
 */
export type ResourceInput = ResourceCommand | MessageInput<unknown>;

/**
 * The resource-manager core's local commands: allocate for a task (optionally on a given `node`),
 * release it, add a node, remove a node (refused while tasks hold resources on it, unless `evict`).
 *
 * @example
 * ```ts
 * import { resourceManagerCore as rm } from 'distkit/resilience';
 * let s = rm.init({ nodes: [{ id: 'w1', capacity: { cpu: 2 } }] });
 * s = rm.step(s, { type: 'allocate', now: 0, taskId: 'job-7', request: { cpu: 2 } }).state;
 * s = rm.step(s, { type: 'release', now: 1, taskId: 'job-7' }).state;
 * rm.canAllocate(s, { cpu: 2 }); //=> true
 * ```
 */
export type ResourceCommand =
  | { readonly type: 'allocate'; readonly now: number; readonly taskId: string; readonly request: ResourceVector; readonly node?: string }
  | { readonly type: 'release'; readonly now: number; readonly taskId: string }
  | { readonly type: 'add-node'; readonly now: number; readonly node: { readonly id: string; readonly capacity: ResourceVector } }
  | { readonly type: 'remove-node'; readonly now: number; readonly node: string; readonly evict?: boolean };

/**
 * Outputs of the resource-manager core: where a task went, or which resource is short
 * everywhere (the one whose largest free amount falls furthest below the request).
 *
 * @example
 * ```ts
 * import { resourceManagerCore as rm } from 'distkit/resilience';
 * let s = rm.init({ nodes: [{ id: 'w1', capacity: { cpu: 2 } }, { id: 'w2', capacity: { cpu: 2 } }] });
 * s = rm.step(s, { type: 'allocate', now: 0, taskId: 'job-7', request: { cpu: 2 }, node: 'w2' }).state;
 * rm.step(s, { type: 'remove-node', now: 1, node: 'w2', evict: true }).outputs; //=> [{ type: 'evicted', taskId: 'job-7', node: 'w2' }]
 * ```
 */
export type ResourceOutput =
  | { readonly type: 'allocated'; readonly taskId: string; readonly node: string }
  | { readonly type: 'evicted'; readonly taskId: string; readonly node: string }
  | { readonly type: 'insufficient'; readonly taskId: string; readonly resource: string; readonly requested: number; readonly largestFree: number }
  | RejectedOutput;

const NONE: readonly ResourceOutput[] = [];

function rule(state: ResourceState, input: ResourceCommand): Transition<ResourceState, ResourceOutput> {
  // A bad command from the local host (unknown node, bad amount, no key): its ConfigError names the field.
  return asCommand(input.type, () => {
    switch (input.type) {
      case 'allocate':
        return allocate(state, input.taskId, input.request, input.node);
      case 'release':
        return { state: release(state, input.taskId), outputs: NONE };
      case 'add-node':
        return { state: addNode(state, input.node), outputs: NONE };
      case 'remove-node':
        return removeNode(state, input.node, input.evict === true);
      default:
        return assertNever(input, 'input');
    }
  });
}

/** The index of node `id`; an unknown id is the caller's mistake (ConfigError naming `field`). */
function nodeIndex(state: ResourceState, id: unknown, field: string): number {
  const i = typeof id === 'string' ? state.nodes.findIndex((n) => n.id === id) : -1;
  if (i < 0) throw new ConfigError(field, `unknown node ${JSON.stringify(id)}; known: ${state.nodes.map((n) => n.id).join(', ') || 'none'}`);
  return i;
}

/**
 * Places task `taskId` on `node` when given, else where the strategy says. Idempotent: a task
 * already placed with the same request gets its node again and the same state; a different
 * request (or a different node) for it throws InvalidCommandError.
 */
function allocate(state: ResourceState, taskId: string, request: ResourceVector, on?: string): Transition<ResourceState, ResourceOutput> {
  if (typeof taskId !== 'string' || taskId === '') throw new ConfigError('taskId', 'must be a non-empty string');
  const req = checkVector('request', request);
  const existing = getOwn(state.allocations, taskId);
  if (existing !== undefined) {
    if (!sameVector(existing.request, req) || (on !== undefined && on !== existing.node)) {
      throw new InvalidCommandError('allocate', `task ${JSON.stringify(taskId)} already holds a different allocation on ${existing.node}; release it first`);
    }
    return { state, outputs: [{ type: 'allocated', taskId, node: existing.node }] };
  }
  const i = on === undefined ? place(state, req) : nodeIndex(state, on, 'node');
  if (i < 0) return { state, outputs: [shortage(state, taskId, req)] };
  if (!fits(state.nodes[i]!, req)) return { state, outputs: [shortage({ ...state, nodes: [state.nodes[i]!] }, taskId, req)] };
  const nodes = state.nodes.slice();
  const n = nodes[i]!;
  nodes[i] = { ...n, used: addUsed(n.used, req, 1) };
  return { state: { ...state, nodes, allocations: withOwn(state.allocations, taskId, { node: n.id, request: req }) }, outputs: [{ type: 'allocated', taskId, node: n.id }] };
}

/** Frees what task `taskId` holds. Idempotent: an unknown task leaves the state as it is. */
function release(state: ResourceState, taskId: string): ResourceState {
  const a = getOwn(state.allocations, taskId);
  if (a === undefined) return state;
  const nodes = state.nodes.map((n) => (n.id === a.node ? { ...n, used: addUsed(n.used, a.request, -1) } : n));
  return { ...state, nodes, allocations: withoutOwn(state.allocations, taskId) };
}

/** Adds a node (its id must be new). */
function addNode(state: ResourceState, node: { readonly id: string; readonly capacity: ResourceVector }): ResourceState {
  if (node === null || typeof node !== 'object' || typeof node.id !== 'string' || node.id === '') throw new ConfigError('node.id', 'must be a non-empty string');
  if (state.nodes.some((n) => n.id === node.id)) throw new ConfigError('node.id', `duplicate node id ${JSON.stringify(node.id)}`);
  return { ...state, nodes: [...state.nodes, { id: node.id, capacity: checkVector('node.capacity', node.capacity), used: {} }] };
}

/**
 * Removes node `id`. While tasks hold resources on it the removal is refused (InvalidCommandError
 * naming them) unless `evict`, which releases each of them with an `evicted` output so the caller
 * can place them again.
 */
function removeNode(state: ResourceState, id: string, evict: boolean): Transition<ResourceState, ResourceOutput> {
  const i = nodeIndex(state, id, 'node');
  const held = Object.keys(state.allocations).filter((t) => getOwn(state.allocations, t)!.node === id);
  if (held.length > 0 && !evict) {
    throw new InvalidCommandError('remove-node', `node ${JSON.stringify(id)} still holds tasks ${held.map((t) => JSON.stringify(t)).join(', ')}; release them or pass evict`);
  }
  let allocations = state.allocations;
  for (const t of held) allocations = withoutOwn(allocations, t);
  const nodes = state.nodes.filter((_, k) => k !== i);
  return { state: { ...state, nodes, allocations }, outputs: held.map((taskId) => ({ type: 'evicted', taskId, node: id })) };
}

/**
 * The pure resource-manager core: capacity vectors per node, allocate/release idempotent by task
 * id, and placement by strategy. It never over-allocates: a task goes only to a node where every
 * requested resource fits; otherwise an `insufficient` output names the short resource. A machine
 * like {@link circuitBreakerCore}: `allocate`, `release` and `add-node` inputs.
 *
 * @example
 * ```ts
 * import { resourceManagerCore as rm } from 'distkit/resilience';
 * const s = rm.init({ nodes: [{ id: 'w1', capacity: { cpu: 4, memory: 8 } }] });
 * const a = rm.step(s, { type: 'allocate', now: 0, taskId: 'task-1', request: { cpu: 2, memory: 4 } });
 * a.outputs; //=> [{ type: 'allocated', taskId: 'task-1', node: 'w1' }]
 * rm.canAllocate(a.state, { cpu: 4 }); //=> false
 * ```
 */
export const resourceManagerCore = {
  /** Name for traces. */
  name: 'resource-manager',
  /** Validates settings (ConfigError naming the option). */
  init(settings: ResourceSettings): ResourceState {
    checkObject('options', settings);
    const strategy = settings.strategy ?? 'first-fit';
    if (strategy !== 'first-fit' && strategy !== 'best-fit' && strategy !== 'spread') {
      throw new ConfigError('strategy', `must be 'first-fit', 'best-fit' or 'spread', got ${JSON.stringify(strategy)}`);
    }
    if (!Array.isArray(settings.nodes)) throw new ConfigError('nodes', 'must be an array');
    const seen = new Set<string>();
    const nodes = settings.nodes.map((n, i) => {
      if (n === null || typeof n !== 'object' || typeof n.id !== 'string' || n.id === '') throw new ConfigError(`nodes[${i}].id`, 'must be a non-empty string');
      if (seen.has(n.id)) throw new ConfigError(`nodes[${i}].id`, `duplicate node id ${JSON.stringify(n.id)}`);
      seen.add(n.id);
      return { id: n.id, capacity: checkVector(`nodes[${i}].capacity`, n.capacity), used: {} };
    });
    return { strategy, nodes, allocations: {} };
  },
  /** Whether `node` (when given; else some node) can take `request` now. An unknown node cannot. */
  canAllocate(state: ResourceState, request: ResourceVector, node?: string): boolean {
    const req = checkVector('request', request);
    return state.nodes.some((n) => (node === undefined || n.id === node) && fits(n, req));
  },
  /** Applies one input; pure. */
  step: localStep('resource manager', rule),
  /** Free amounts per node id. */
  available(state: ResourceState): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const n of state.nodes) {
      const f: Record<string, number> = {};
      for (const r in n.capacity) f[r] = free(n, r);
      out[n.id] = f;
    }
    return out;
  },
};

/**
 * A resource manager holding the state for you (see {@link resourceManagerCore}). The caller may
 * pick the node; `tryAllocate` (and the notes' `allocateResources`) report a failed placement as
 * a value, `allocate` throws it.
 *
 * @example
 * ```ts
 * import { ResourceManager } from 'distkit/resilience';
 * const rm = new ResourceManager({ strategy: 'best-fit', nodes: [{ id: 'w1', capacity: { cpu: 8, memory: 16 } }] });
 * rm.registerNode('w2', { cpu: 2, memory: 4 });
 * rm.allocate('job-7', { cpu: 2, memory: 4 }); //=> 'w2'
 * rm.allocate('job-8', { cpu: 1 }, 'w1'); //=> 'w1'
 * rm.tryAllocate('job-9', { cpu: 64 }); //=> undefined
 * rm.available('w1'); //=> { cpu: 7, memory: 16 }
 * rm.release('job-7');
 * ```
 */
export class ResourceManager {
  private s: ResourceState;

  constructor(settings: ResourceSettings = { nodes: [] }) {
    this.s = resourceManagerCore.init(settings);
  }

  /** The core state (plain data). */
  get snapshot(): ResourceState {
    return this.s;
  }

  /** Whether `node` (when given; else some node) can take `request` now. */
  canAllocate(request: ResourceVector, node?: string): boolean {
    return resourceManagerCore.canAllocate(this.s, request, node);
  }

  /**
   * Places a task and returns its node (idempotent by task id): on `node` when given, else where
   * the strategy says. Throws {@link InsufficientResourcesError} when it does not fit.
   */
  allocate(taskId: string, request: ResourceVector, node?: string): string {
    const o = this.place(taskId, request, node);
    if (o?.type === 'insufficient') throw new InsufficientResourcesError(o.taskId, o.resource, o.requested, o.largestFree);
    return o?.type === 'allocated' ? o.node : '';
  }

  /** Like {@link ResourceManager.allocate}, but a task that fits nowhere gives `undefined`. */
  tryAllocate(taskId: string, request: ResourceVector, node?: string): string | undefined {
    const o = this.place(taskId, request, node);
    return o?.type === 'allocated' ? o.node : undefined;
  }

  /** Frees a task's resources (idempotent). */
  release(taskId: string): void {
    this.apply({ type: 'release', now: 0, taskId });
  }

  /** Adds a node. */
  addNode(node: { readonly id: string; readonly capacity: ResourceVector }): void {
    this.apply({ type: 'add-node', now: 0, node });
  }

  /**
   * Removes a node and returns the tasks it evicted. Refused (InvalidCommandError) while tasks
   * hold resources on it, unless `evict` releases them.
   */
  removeNode(id: string, options: { readonly evict?: boolean } = {}): string[] {
    const t = resourceManagerCore.step(this.s, { type: 'remove-node', now: 0, node: id, evict: options.evict === true });
    this.s = t.state;
    return t.outputs.flatMap((o) => (o.type === 'evicted' ? [o.taskId] : []));
  }

  /** Free amounts per node id, or of one node. */
  available(): Record<string, Record<string, number>>;
  available(node: string): Record<string, number>;
  available(node?: string): Record<string, Record<string, number>> | Record<string, number> {
    const all = resourceManagerCore.available(this.s);
    if (node === undefined) return all;
    nodeIndex(this.s, node, 'node');
    return all[node]!;
  }

  /** The notes' `register_node(node_id, resources)`: adds a node with that capacity. */
  registerNode(nodeId: string, resources: ResourceVector): void {
    this.addNode({ id: nodeId, capacity: resources });
  }

  /** The notes' `allocate_resources(node_id, task_id, requirements)`: `false` when the node is unknown or the task does not fit there. */
  allocateResources(nodeId: string, taskId: string, requirements: ResourceVector): boolean {
    if (!this.s.nodes.some((n) => n.id === nodeId)) return false;
    return this.tryAllocate(taskId, requirements, nodeId) !== undefined;
  }

  /** The notes' `release_resources(node_id, task_id)`: frees the task's resources. */
  releaseResources(_nodeId: string, taskId: string): void {
    this.release(taskId);
  }

  /** The notes' `get_available_resources(node_id)`: free amounts on that node. */
  getAvailableResources(nodeId: string): Record<string, number> {
    return this.available(nodeId);
  }

  private place(taskId: string, request: ResourceVector, node: string | undefined): ResourceOutput | undefined {
    return this.apply(node === undefined ? { type: 'allocate', now: 0, taskId, request } : { type: 'allocate', now: 0, taskId, request, node });
  }

  /** Steps the core (placement does not depend on time) and returns its output. */
  private apply(input: ResourceInput): ResourceOutput | undefined {
    const t = resourceManagerCore.step(this.s, input);
    this.s = t.state;
    return t.outputs[0];
  }
}
