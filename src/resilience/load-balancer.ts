import { ConfigError, checkObject, assertNever, nextInt, seedPrng, numberIn, intIn, nonNegativeInt } from '../core/index.js';
import type { MessageInput, PrngState, RejectedOutput, Transition } from '../core/index.js';
import { asCommand, localStep } from './local.js';
import { NoNodeAvailableError } from './errors.js';
import { HashRing } from '../hashing/index.js';
import { neverAborted, type AbortSignalLike, type PolicyContext } from './signals.js';
import type { Policy } from './wrap.js';
import type { RegistryChange, ServiceInstance } from './registry.js';
import type { Unsubscribe } from '../core/index.js';

/** `o` without its undefined fields (node records stay plain JSON). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * What a {@link LoadBalancer} gives the function it runs: the policy context plus the node picked.
 *
 * @example
 * ```ts
 * import { LoadBalancer, type NodeContext } from 'distkit/resilience';
 * const lb = new LoadBalancer({ strategy: 'round-robin', nodes: [{ id: 'a' }, { id: 'b' }] });
 * // The function learns which node it was given.
 * const call = ({ node }: NodeContext) => `GET http://${node}/api`;
 * [await lb.execute(call), await lb.execute(call), await lb.execute(call)]; //=> ['GET http://a/api', 'GET http://b/api', 'GET http://a/api']
 * ```
 */
export interface NodeContext extends PolicyContext {
  /** The node chosen for this call. */
  readonly node: string;
}

/**
 * How a {@link LoadBalancer} picks a node.
 * - `round-robin`: each eligible node in turn.
 * - `weighted-round-robin`: smooth weighted round robin (nginx's algorithm): node `i` gets
 *   `weight_i / Σweight` of the picks, interleaved rather than in runs.
 * - `random`: uniform over eligible nodes.
 * - `least-connections`: fewest active requests (ties: first in order).
 * - `p2c`: power of two choices (Mitzenmacher 2001): two random eligible nodes, the one with fewer
 *   active requests.
 * - `resource`: highest headroom score `w.cpu·(1−cpu) + w.memory·(1−memory) + w.network·(1−network)`
 *   (weights 0.4 / 0.4 / 0.2 by default, as in the notes).
 * - `consistent-hash`: affinity: the same key goes to the same node while it is eligible (hash ring
 *   with virtual nodes; an ineligible owner passes its keys to the next node clockwise).
 *
 * @example
 * ```ts
 * import { loadBalancerCore as lb } from 'distkit/resilience';
 * // Power of two choices: two random healthy nodes, the less loaded one wins.
 * let s = lb.init({ strategy: 'p2c', nodes: [{ id: 'a' }, { id: 'b' }], seed: 1 });
 * s = lb.step(s, { type: 'report', now: 0, node: 'a', load: { activeConnections: 9 } }).state;
 * lb.step(s, { type: 'pick', now: 1 }).outputs; //=> [{ type: 'picked', node: 'b' }]
 * ```
 */
export type BalancingStrategy =
  | 'round-robin'
  | 'weighted-round-robin'
  | 'random'
  | 'least-connections'
  | 'p2c'
  | 'resource'
  | 'consistent-hash';

/**
 * A node as the balancer sees it. Utilizations are in [0, 1].
 *
 * @example
 * ```ts
 * import { loadBalancerCore as lb } from 'distkit/resilience';
 * const s = lb.init({ strategy: 'weighted-round-robin', nodes: [{ id: 'api-1', weight: 2 }, { id: 'api-2' }] });
 * const picks: string[] = [];
 * let st = s;
 * for (let i = 0; i < 3; i++) {
 *   const p = lb.step(st, { type: 'pick', now: i });
 *   st = p.state;
 *   for (const o of p.outputs) if (o.type === 'picked') picks.push(o.node);
 * }
 * picks; //=> ['api-1', 'api-2', 'api-1']
 * ```
 */
export interface BalancerNode {
  /** Unique id. */
  readonly id: string;
  /** Relative weight (default 1), for weighted round robin and the hash ring. */
  readonly weight?: number;
  /** Whether it may take requests (default true). */
  readonly healthy?: boolean;
  /** Draining nodes finish what they have but take nothing new (default false). */
  readonly draining?: boolean;
  /** CPU utilization in [0, 1]. */
  readonly cpu?: number;
  /** Memory utilization in [0, 1]. */
  readonly memory?: number;
  /** Network utilization in [0, 1]. */
  readonly network?: number;
  /**
   * Connections the node reports having (the notes' `active_connections`, which may include other
   * balancers' clients). `least-connections` and `p2c` rank a node by the larger of this and the
   * requests this balancer has in flight on it, so neither is counted twice.
   */
  readonly activeConnections?: number;
}

/**
 * A node with its defaults filled in, as kept in {@link BalancerState}.
 *
 * @example
 * ```ts
 * import { loadBalancerCore as lb } from 'distkit/resilience';
 * lb.init({ strategy: 'round-robin', nodes: [{ id: 'a' }] }).nodes; //=> [{ id: 'a', weight: 1, healthy: true, draining: false }]
 * ```
 */
export interface NormalizedNode extends BalancerNode {
  /** Relative weight. */
  readonly weight: number;
  /** Whether it may take requests. */
  readonly healthy: boolean;
  /** Whether it is draining. */
  readonly draining: boolean;
}

/**
 * Weights of the `resource` score (default `{ cpu: 0.4, memory: 0.4, network: 0.2 }`).
 *
 * @example
 * ```ts
 * import { loadBalancerCore as lb } from 'distkit/resilience';
 * let s = lb.init({ strategy: 'resource', nodes: [{ id: 'a' }, { id: 'b' }], resourceWeights: { cpu: 0.6, memory: 0.3, network: 0.1 } });
 * s = lb.step(s, { type: 'report', now: 0, node: 'a', load: { cpu: 0.9, memory: 0.2, network: 0 } }).state;
 * s = lb.step(s, { type: 'report', now: 0, node: 'b', load: { cpu: 0.2, memory: 0.6, network: 0 } }).state;
 * lb.step(s, { type: 'pick', now: 1 }).outputs; //=> [{ type: 'picked', node: 'b' }]
 * ```
 */
export interface ResourceWeights {
  /** Weight of CPU headroom. */
  readonly cpu: number;
  /** Weight of memory headroom. */
  readonly memory: number;
  /** Weight of network headroom. */
  readonly network: number;
}

/**
 * Settings of the balancer core.
 *
 * @example
 * ```ts
 * import { loadBalancerCore as lb } from 'distkit/resilience';
 * const s = lb.init({ strategy: 'round-robin', nodes: [{ id: 'a' }, { id: 'b' }] });
 * s.strategy; //=> 'round-robin'
 * ```
 */
export interface BalancerSettings {
  /** The strategy. */
  readonly strategy: BalancingStrategy;
  /** The nodes (ids unique). */
  readonly nodes: readonly BalancerNode[];
  /** PRNG seed for `random` and `p2c` (default 1). */
  readonly seed?: number;
  /** Weights of the `resource` score. */
  readonly resourceWeights?: ResourceWeights;
  /** Virtual nodes per unit of weight on the hash ring (default 100). */
  readonly vnodes?: number;
}

/**
 * The balancer core's state: plain data.
 *
 * @example
 * ```ts
 * import { loadBalancerCore } from 'distkit/resilience';
 * const s = loadBalancerCore.init({ strategy: 'least-connections', nodes: [{ id: 'a' }] });
 * loadBalancerCore.activeByNode(s); //=> { a: 0 }
 * ```
 */
export interface BalancerState {
  /** The strategy. */
  readonly strategy: BalancingStrategy;
  /** Nodes, normalized (weight, healthy, draining present). */
  readonly nodes: readonly NormalizedNode[];
  /**
   * Active (outstanding) requests per node, aligned with `nodes`, in chunks of 32 (a persistent
   * array: counting a pick copies one chunk and the chunk list, not every node's count).
   */
  readonly active: readonly (readonly number[])[];
  /** Smooth WRR current weights, aligned with `nodes`. */
  readonly current: readonly number[];
  /** Next round-robin position. */
  readonly cursor: number;
  /** PRNG state. */
  readonly prng: PrngState;
  /** Weights of the resource score. */
  readonly resourceWeights: ResourceWeights;
  /** Virtual nodes per unit of weight. */
  readonly vnodes: number;
  /** Position of each node id in `nodes`. */
  readonly positions: Readonly<Record<string, number>>;
}

const STRATEGIES: readonly string[] = ['round-robin', 'weighted-round-robin', 'random', 'least-connections', 'p2c', 'resource', 'consistent-hash'];
const DEFAULT_WEIGHTS: ResourceWeights = { cpu: 0.4, memory: 0.4, network: 0.2 };

function normalizeNodes(nodes: readonly BalancerNode[]): NormalizedNode[] {
  if (!Array.isArray(nodes)) throw new ConfigError('nodes', 'must be an array');
  const seen = new Set<string>();
  return nodes.map((n, i) => {
    if (n === null || typeof n !== 'object' || typeof n.id !== 'string' || n.id === '') throw new ConfigError(`nodes[${i}].id`, 'must be a non-empty string');
    if (seen.has(n.id)) throw new ConfigError(`nodes[${i}].id`, `duplicate node id ${JSON.stringify(n.id)}`);
    seen.add(n.id);
    const out: { -readonly [K in keyof BalancerNode]: BalancerNode[K] } & { weight: number; healthy: boolean; draining: boolean; id: string } = {
      id: n.id,
      weight: n.weight === undefined ? 1 : numberIn(`nodes[${i}].weight`, n.weight, 0, Infinity),
      healthy: n.healthy ?? true,
      draining: n.draining ?? false,
    };
    if (n.cpu !== undefined) out.cpu = numberIn(`nodes[${i}].cpu`, n.cpu, 0, 1);
    if (n.memory !== undefined) out.memory = numberIn(`nodes[${i}].memory`, n.memory, 0, 1);
    if (n.network !== undefined) out.network = numberIn(`nodes[${i}].network`, n.network, 0, 1);
    if (n.activeConnections !== undefined) out.activeConnections = nonNegativeInt(`nodes[${i}].activeConnections`, n.activeConnections);
    return out;
  });
}

function eligible(s: BalancerState, i: number): boolean {
  const n = s.nodes[i]!;
  return n.healthy && !n.draining;
}

/** Why no node is eligible: how many are unhealthy, draining, or of weight 0. */
function noNode(s: BalancerState): string {
  if (s.nodes.length === 0) return 'the balancer has no nodes';
  const unhealthy = s.nodes.filter((n) => !n.healthy).length;
  const draining = s.nodes.filter((n) => n.healthy && n.draining).length;
  const zero = s.strategy === 'weighted-round-robin' ? s.nodes.filter((n) => n.healthy && !n.draining && n.weight === 0).length : 0;
  return `${s.nodes.length} node(s): ${unhealthy} unhealthy, ${draining} draining${zero > 0 ? `, ${zero} with weight 0` : ''}`;
}

const CHUNK = 32;

function activeAt(s: BalancerState, i: number): number {
  return s.active[i >>> 5]![i & (CHUNK - 1)]!;
}

/** The connection count a node is ranked by: its reported connections or this balancer's in-flight requests, whichever is larger. */
function connectionsAt(s: BalancerState, i: number): number {
  const reported = s.nodes[i]!.activeConnections;
  const mine = activeAt(s, i);
  return reported !== undefined && reported > mine ? reported : mine;
}

function chunked(counts: readonly number[]): (readonly number[])[] {
  const out: (readonly number[])[] = [];
  for (let i = 0; i < counts.length; i += CHUNK) out.push(counts.slice(i, i + CHUNK));
  return out;
}

function withActive(s: BalancerState, i: number, delta: number): readonly (readonly number[])[] {
  const outer = s.active.slice();
  const chunk = outer[i >>> 5]!.slice();
  chunk[i & (CHUNK - 1)] = Math.max(0, chunk[i & (CHUNK - 1)]! + delta);
  outer[i >>> 5] = chunk;
  return outer;
}

/** The state with some of the per-pick fields replaced (explicit, cheaper than a spread). */
function make(
  s: BalancerState,
  cursor: number,
  current: readonly number[],
  active: readonly (readonly number[])[],
  prng: PrngState,
): BalancerState {
  return { strategy: s.strategy, nodes: s.nodes, active, current, cursor, prng, resourceWeights: s.resourceWeights, vnodes: s.vnodes, positions: s.positions };
}

function randomEligible(s: BalancerState, prng: PrngState): { index: number; prng: PrngState } {
  const n = s.nodes.length;
  if (n === 0) return { index: -1, prng };
  // Fast path: draw over all nodes, accept if eligible (a few tries), else draw among eligible ones.
  let p = prng;
  for (let t = 0; t < 4; t++) {
    const d = nextInt(p, 0, n);
    p = d.state;
    if (eligible(s, d.value)) return { index: d.value, prng: p };
  }
  const ok: number[] = [];
  for (let i = 0; i < n; i++) if (eligible(s, i)) ok.push(i);
  if (ok.length === 0) return { index: -1, prng: p };
  const d = nextInt(p, 0, ok.length);
  return { index: ok[d.value]!, prng: d.state };
}

/** Headroom score of the notes: weighted sum of (1 − utilization); an unknown utilization counts as 0. */
function score(w: ResourceWeights, n: BalancerNode): number {
  return w.cpu * (1 - (n.cpu ?? 0)) + w.memory * (1 - (n.memory ?? 0)) + w.network * (1 - (n.network ?? 0));
}

function choose(s: BalancerState, key: string | undefined): { index: number; state: BalancerState } {
  const n = s.nodes.length;
  switch (s.strategy) {
    case 'round-robin': {
      for (let k = 0; k < n; k++) {
        const i = (s.cursor + k) % n;
        if (eligible(s, i)) return { index: i, state: make(s, (i + 1) % n, s.current, s.active, s.prng) };
      }
      return { index: -1, state: s };
    }
    case 'weighted-round-robin': {
      // Smooth weighted round robin (nginx, ngx_http_upstream_get_peer).
      const current = s.current.slice();
      let total = 0;
      let best = -1;
      for (let i = 0; i < n; i++) {
        const node = s.nodes[i]!;
        if (!node.healthy || node.draining || node.weight <= 0) continue;
        current[i] = current[i]! + node.weight;
        total += node.weight;
        if (best < 0 || current[i]! > current[best]!) best = i;
      }
      if (best < 0) return { index: -1, state: s };
      current[best] = current[best]! - total;
      return { index: best, state: make(s, s.cursor, current, s.active, s.prng) };
    }
    case 'random': {
      const r = randomEligible(s, s.prng);
      return { index: r.index, state: r.index < 0 ? s : make(s, s.cursor, s.current, s.active, r.prng) };
    }
    case 'least-connections': {
      let best = -1;
      for (let i = 0; i < n; i++) if (eligible(s, i) && (best < 0 || connectionsAt(s, i) < connectionsAt(s, best))) best = i;
      return { index: best, state: best < 0 ? s : make(s, s.cursor, s.current, withActive(s, best, 1), s.prng) };
    }
    case 'p2c': {
      const a = randomEligible(s, s.prng);
      if (a.index < 0) return { index: -1, state: s };
      let b = randomEligible(s, a.prng);
      // Two distinct choices when there are two eligible nodes (a few redraws, then accept).
      for (let t = 0; t < 3 && b.index === a.index; t++) b = randomEligible(s, b.prng);
      const best = connectionsAt(s, b.index) < connectionsAt(s, a.index) ? b.index : a.index;
      return { index: best, state: make(s, s.cursor, s.current, withActive(s, best, 1), b.prng) };
    }
    case 'resource': {
      let best = -1;
      let bestScore = -Infinity;
      for (let i = 0; i < n; i++) {
        if (!eligible(s, i)) continue;
        const sc = score(s.resourceWeights, s.nodes[i]!);
        if (sc > bestScore) {
          best = i;
          bestScore = sc;
        }
      }
      return { index: best, state: s };
    }
    case 'consistent-hash': {
      if (key === undefined) throw new ConfigError('key', 'the consistent-hash strategy needs a key to pick a node');
      return { index: ringOwner(s, key), state: s };
    }
  }
}

function position(s: BalancerState, id: string): number {
  const p = Object.prototype.hasOwnProperty.call(s.positions, id) ? s.positions[id] : undefined;
  return p !== undefined && s.nodes[p]?.id === id ? p : s.nodes.findIndex((n) => n.id === id);
}

function rebuild(s: Omit<BalancerState, 'positions'>, nodes: readonly NormalizedNode[]): BalancerState {
  const positions: Record<string, number> = {};
  nodes.forEach((n, i) => {
    if (n.id !== '__proto__') positions[n.id] = i;
  });
  return { ...s, nodes, positions };
}

/**
 * The ring of a state's nodes (distkit/hashing's {@link HashRing}), derived from the ids and
 * weights and memoized per `positions` object, which changes exactly when the node set does.
 * A weight of 0 still gets one point, so a zero-weight node can own keys when nothing else is up.
 */
const rings = new WeakMap<object, HashRing>();

function ringOf(s: BalancerState): HashRing {
  let ring = rings.get(s.positions);
  if (ring === undefined) {
    ring = HashRing.create(
      s.nodes.map((n) => ({ id: n.id, weight: n.weight > 0 ? n.weight : Number.MIN_VALUE })),
      { vnodes: s.vnodes },
    );
    rings.set(s.positions, ring);
  }
  return ring;
}

/** The first eligible node clockwise from `key` (an ineligible owner passes its keys on), or -1. */
function ringOwner(s: BalancerState, key: string): number {
  if (s.nodes.length === 0) return -1;
  const ring = ringOf(s);
  const owner = position(s, ring.lookup(key));
  if (eligible(s, owner)) return owner;
  for (const id of ring.preferenceList(key, ring.size)) {
    const i = position(s, id);
    if (eligible(s, i)) return i;
  }
  return -1;
}

function indexOf(s: BalancerState, id: string): number {
  const i = position(s, id);
  if (i < 0) throw new ConfigError('node', `unknown node ${JSON.stringify(id)}; known: ${s.nodes.map((n) => n.id).join(', ') || '(none)'}`);
  return i;
}

/** A request on `node` ended (decrements its active count; unknown nodes are ignored). */
function release(state: BalancerState, node: string): BalancerState {
  const i = position(state, node);
  if (i < 0 || activeAt(state, i) === 0) return state;
  return make(state, state.cursor, state.current, withActive(state, i, -1), state.prng);
}

/** Marks a node healthy or not. */
function setHealthy(state: BalancerState, node: string, healthy: boolean): BalancerState {
  const i = indexOf(state, node);
  if (state.nodes[i]!.healthy === healthy) return state;
  const nodes = state.nodes.slice();
  nodes[i] = { ...nodes[i]!, healthy };
  return { ...state, nodes };
}

/** Marks a node draining (no new requests) or not. */
function setDraining(state: BalancerState, node: string, draining: boolean): BalancerState {
  const i = indexOf(state, node);
  const nodes = state.nodes.slice();
  nodes[i] = { ...nodes[i]!, draining };
  return { ...state, nodes };
}

/** Updates a node's utilizations (for `resource`). */
const METRICS: readonly string[] = ['cpu', 'memory', 'network', 'activeConnections'];

function report(state: BalancerState, node: string, load: NodeMetrics): BalancerState {
  const i = indexOf(state, node);
  checkObject('load', load, 'must be an object of metrics');
  for (const k of Object.keys(load)) if (!METRICS.includes(k)) throw new ConfigError(`load.${k}`, `unknown metric; known: ${METRICS.join(', ')}`);
  const nodes = state.nodes.slice();
  const n = { ...nodes[i]! } as { -readonly [K in keyof NormalizedNode]: NormalizedNode[K] };
  if (load.cpu !== undefined) n.cpu = numberIn('cpu', load.cpu, 0, 1);
  if (load.memory !== undefined) n.memory = numberIn('memory', load.memory, 0, 1);
  if (load.network !== undefined) n.network = numberIn('network', load.network, 0, 1);
  if (load.activeConnections !== undefined) n.activeConnections = nonNegativeInt('activeConnections', load.activeConnections);
  nodes[i] = n as NormalizedNode;
  return { ...state, nodes };
}

/** Replaces the node set, keeping active counts and WRR weights of nodes that stay. */
function setNodes(state: BalancerState, nodes: readonly BalancerNode[]): BalancerState {
  const next = normalizeNodes(nodes);
  const old = new Map(state.nodes.map((n, i) => [n.id, i]));
  const active = chunked(next.map((n) => {
    const j = old.get(n.id);
    return j === undefined ? 0 : activeAt(state, j);
  }));
  const current = next.map((n) => state.current[old.get(n.id) ?? -1] ?? 0);
  const { positions: _p, ...rest } = state;
  return rebuild({ ...rest, active, current, cursor: next.length === 0 ? 0 : state.cursor % next.length }, next);
}

/**
 * What a node reports about its load (the notes' `NodeMetrics`): utilizations in [0, 1] and its
 * connection count. An unknown field is refused with a ConfigError naming it, never dropped.
 *
 * @example
 * ```ts
 * import { loadBalancerCore as lb } from 'distkit/resilience';
 * let s = lb.init({ strategy: 'least-connections', nodes: [{ id: 'a' }, { id: 'b' }] });
 * s = lb.step(s, { type: 'report', now: 0, node: 'a', load: { cpu: 0.4, memory: 0.7, network: 0.1, activeConnections: 12 } }).state;
 * lb.step(s, { type: 'pick', now: 1 }).outputs; //=> [{ type: 'picked', node: 'b' }]
 * ```
 */
export interface NodeMetrics {
  /** CPU utilization in [0, 1]. */
  readonly cpu?: number;
  /** Memory utilization in [0, 1]. */
  readonly memory?: number;
  /** Network utilization in [0, 1]. */
  readonly network?: number;
  /** Connections the node has (see {@link BalancerNode.activeConnections}). */
  readonly activeConnections?: number;
}

/**
 * Inputs of the load-balancer core: pick a node (by `key` for `consistent-hash`), a request on
 * `node` ended (`release`), and the host's updates to the node set. Every input carries `now`; a
 * network `message` is refused.
 *
 * @example
 * ```ts
 * import { loadBalancerCore as lb } from 'distkit/resilience';
 * let s = lb.init({ strategy: 'round-robin', nodes: [{ id: 'api-1' }, { id: 'api-2' }] });
 * s = lb.step(s, { type: 'set-healthy', now: 10, node: 'api-1', healthy: false }).state;
 * lb.step(s, { type: 'pick', now: 11 }).outputs; //=> [{ type: 'picked', node: 'api-2' }]
 * ```
 */
export type BalancerInput = BalancerCommand | MessageInput<unknown>;

/**
 * The load-balancer core's local commands: pick and release a node, change a node's health, draining, load or the node set.
 *
 * @example
 * ```ts
 * import { loadBalancerCore as lb } from 'distkit/resilience';
 * const s = lb.init({ strategy: 'consistent-hash', nodes: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] });
 * // The same key goes to the same node.
 * const pick = (now: number, key: string) => lb.step(s, { type: 'pick', now, key }).outputs;
 * pick(0, 'user-7'); //=> [{ type: 'picked', node: 'c' }]
 * pick(1, 'user-7'); //=> [{ type: 'picked', node: 'c' }]
 * ```
 */
export type BalancerCommand =
  | { readonly type: 'pick'; readonly now: number; readonly key?: string }
  | { readonly type: 'release'; readonly now: number; readonly node: string }
  | { readonly type: 'set-healthy'; readonly now: number; readonly node: string; readonly healthy: boolean }
  | { readonly type: 'set-draining'; readonly now: number; readonly node: string; readonly draining: boolean }
  | { readonly type: 'report'; readonly now: number; readonly node: string; readonly load: NodeMetrics }
  | { readonly type: 'set-nodes'; readonly now: number; readonly nodes: readonly BalancerNode[] };

/**
 * Outputs of the load-balancer core: the node a `pick` chose, or why none could be
 * (`no-node`, saying how many nodes are unhealthy or draining).
 *
 * @example
 * ```ts
 * import { loadBalancerCore as lb } from 'distkit/resilience';
 * let s = lb.init({ strategy: 'round-robin', nodes: [{ id: 'a' }] });
 * s = lb.step(s, { type: 'set-healthy', now: 0, node: 'a', healthy: false }).state;
 * lb.step(s, { type: 'pick', now: 1 }).outputs; //=> [{ type: 'no-node', reason: '1 node(s): 1 unhealthy, 0 draining' }]
 * ```
 */
export type BalancerOutput = { readonly type: 'picked'; readonly node: string } | { readonly type: 'no-node'; readonly reason: string } | RejectedOutput;

const NONE: readonly BalancerOutput[] = [];

function rule(state: BalancerState, input: BalancerCommand): Transition<BalancerState, BalancerOutput> {
  // A bad command from the local host (unknown node, bad amount, no key): its ConfigError names the field.
  return asCommand(input.type, () => {
    switch (input.type) {
      case 'pick': {
        const r = choose(state, input.key);
        if (r.index < 0) return { state, outputs: [{ type: 'no-node', reason: noNode(state) }] };
        return { state: r.state, outputs: [{ type: 'picked', node: state.nodes[r.index]!.id }] };
      }
      case 'release':
        return { state: release(state, input.node), outputs: NONE };
      case 'set-healthy':
        return { state: setHealthy(state, input.node, input.healthy), outputs: NONE };
      case 'set-draining':
        return { state: setDraining(state, input.node, input.draining), outputs: NONE };
      case 'report':
        return { state: report(state, input.node, input.load ?? {}), outputs: NONE };
      case 'set-nodes':
        return { state: setNodes(state, input.nodes), outputs: NONE };
      default:
        return assertNever(input, 'input');
    }
  });
}

/**
 * The pure load-balancer core, a machine like {@link circuitBreakerCore}: a `pick` outputs the
 * node chosen, or `no-node` (saying how many nodes are unhealthy or draining) when none is
 * eligible. Strategies that count active requests (`least-connections`, `p2c`) count the pick;
 * step a `release` when the request ends. Bad commands (unknown node, no key for
 * `consistent-hash`) throw `InvalidCommandError`.
 *
 * @example
 * ```ts
 * import { loadBalancerCore as lb } from 'distkit/resilience';
 * const s = lb.init({ strategy: 'round-robin', nodes: [{ id: 'a' }, { id: 'b' }] });
 * const p = lb.step(s, { type: 'pick', now: 0 });
 * p.outputs; //=> [{ type: 'picked', node: 'a' }]
 * lb.step(p.state, { type: 'pick', now: 1 }).outputs; //=> [{ type: 'picked', node: 'b' }]
 * ```
 */
export const loadBalancerCore = {
  /** Name for traces. */
  name: 'load-balancer',
  /** Validates settings (ConfigError naming the option) and returns the initial state. */
  init(settings: BalancerSettings): BalancerState {
    checkObject('options', settings);
    if (!STRATEGIES.includes(settings.strategy)) {
      throw new ConfigError('strategy', `must be one of ${STRATEGIES.join(', ')}; got ${JSON.stringify(settings.strategy)}`);
    }
    const nodes = normalizeNodes(settings.nodes);
    const w = settings.resourceWeights ?? DEFAULT_WEIGHTS;
    const resourceWeights = {
      cpu: numberIn('resourceWeights.cpu', w.cpu, 0, Infinity),
      memory: numberIn('resourceWeights.memory', w.memory, 0, Infinity),
      network: numberIn('resourceWeights.network', w.network, 0, Infinity),
    };
    const seed = settings.seed === undefined ? 1 : numberIn('seed', settings.seed, -Infinity, Infinity);
    const vnodes = settings.vnodes === undefined ? 100 : intIn('vnodes', settings.vnodes, 1, 10_000);
    return rebuild(
      {
        strategy: settings.strategy,
        nodes,
        active: chunked(nodes.map(() => 0)),
        current: nodes.map(() => 0),
        cursor: 0,
        prng: seedPrng(seed),
        resourceWeights,
        vnodes,
      },
      nodes,
    );
  },
  /** Applies one input; pure. */
  step: localStep('load balancer', rule),
  /** Active requests per node id. */
  activeByNode(state: BalancerState): Record<string, number> {
    const out: Record<string, number> = {};
    state.nodes.forEach((n, i) => (out[n.id] = activeAt(state, i)));
    return out;
  },
};

/**
 * Options of {@link LoadBalancer}: the core settings.
 *
 * @example
 * ```ts
 * import { LoadBalancer } from 'distkit/resilience';
 * const lb = new LoadBalancer({ strategy: 'resource', nodes: [{ id: 'a', cpu: 0.9 }, { id: 'b', cpu: 0.1 }] });
 * // The least loaded node by the reported metrics.
 * lb.getNextNode(); //=> 'b'
 * lb.updateMetrics('b', { cpu: 0.95 });
 * lb.getNextNode(); //=> 'a'
 * ```
 */
export type LoadBalancerOptions = BalancerSettings;

/**
 * A load balancer over {@link loadBalancerCore}, holding the state for you. As a {@link Policy},
 * `execute(fn, signal)` picks a node, runs `fn({ node, signal, attempt })` and releases the node
 * when the call settles; `forKey(key)` is the policy for one key (needed by `consistent-hash`).
 * Under `wrap(retry, balancer)` each attempt picks a node afresh.
 *
 * @example
 * ```ts
 * import { LoadBalancer } from 'distkit/resilience';
 * const lb = new LoadBalancer({ strategy: 'round-robin', nodes: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] });
 * lb.setHealthy('b', false); // b gets nothing new until marked healthy again
 * const picks: string[] = [];
 * for (let i = 0; i < 4; i++) picks.push(await lb.execute(({ node }) => node));
 * picks; //=> ['a', 'c', 'a', 'c']
 * ```
 */
export class LoadBalancer implements Policy<NodeContext> {
  private s: BalancerState;

  constructor(options: LoadBalancerOptions) {
    this.s = loadBalancerCore.init(options);
  }

  /** The core state (plain data). */
  get snapshot(): BalancerState {
    return this.s;
  }

  /** Picks a node; throws {@link NoNodeAvailableError} when none is eligible. */
  pick(key?: string): string {
    const o = this.apply(key === undefined ? { type: 'pick', now: 0 } : { type: 'pick', now: 0, key });
    if (o?.type !== 'picked') throw new NoNodeAvailableError(o?.type === 'no-node' ? o.reason : 'no node picked');
    return o.node;
  }

  /** Ends a request on `node` (for the strategies that count active requests). */
  release(node: string): void {
    this.apply({ type: 'release', now: 0, node });
  }

  /** Picks a node, runs `fn({ node, signal, attempt })`, releases the node when it settles. */
  execute<T>(fn: (context: NodeContext) => T | PromiseLike<T>, signal?: AbortSignalLike): Promise<T> {
    return this.run(undefined, fn, signal);
  }

  /**
   * The policy for `key`: like {@link LoadBalancer.execute}, picking by `key` (the same node for
   * the same key under `consistent-hash`; ignored by the other strategies).
   *
   * @example
   * ```ts
   * import { LoadBalancer } from 'distkit/resilience';
   * const lb = new LoadBalancer({ strategy: 'consistent-hash', nodes: [{ id: 'a' }, { id: 'b' }] });
   * const owner = await lb.forKey('user:42').execute(({ node }) => node); // the same node every time
   * ```
   */
  forKey(key: string): Policy<NodeContext> {
    return { execute: (fn, signal) => this.run(key, fn, signal) };
  }

  private async run<T>(key: string | undefined, fn: (context: NodeContext) => T | PromiseLike<T>, signal: AbortSignalLike | undefined): Promise<T> {
    const node = this.pick(key);
    try {
      return await fn({ node, signal: signal ?? neverAborted, attempt: 1 });
    } finally {
      this.release(node);
    }
  }

  /** Marks a node healthy or not. */
  setHealthy(node: string, healthy: boolean): void {
    this.apply({ type: 'set-healthy', now: 0, node, healthy });
  }

  /** Marks a node draining or not. */
  setDraining(node: string, draining: boolean): void {
    this.apply({ type: 'set-draining', now: 0, node, draining });
  }

  /** Updates a node's utilizations and connection count; an unknown metric throws ConfigError. */
  report(node: string, load: NodeMetrics): void {
    this.apply({ type: 'report', now: 0, node, load });
  }

  /** The notes' `register_node(node_id, metrics)`: adds a node (with its metrics, weight, health). */
  registerNode(id: string, metrics: NodeMetrics & Omit<BalancerNode, 'id'> = {}): void {
    this.setNodes([...this.s.nodes, { ...metrics, id }]);
  }

  /** The notes' `update_metrics(node_id, metrics)`: the same as {@link LoadBalancer.report}. */
  updateMetrics(id: string, metrics: NodeMetrics): void {
    this.report(id, metrics);
  }

  /** The notes' `get_next_node()`: the same as {@link LoadBalancer.pick}. */
  getNextNode(key?: string): string {
    return this.pick(key);
  }

  /**
   * Keeps the node set equal to `registry.discover(service)`: now, and on every change to that
   * service (registration, health, draining, expiry). Metrics reported for a node that stays are
   * kept. Returns a function that stops following.
   *
   * @example
   * ```ts
   * import { LoadBalancer, ServiceRegistry } from 'distkit/resilience';
   * const registry = new ServiceRegistry();
   * const lb = new LoadBalancer({ strategy: 'least-connections', nodes: [] });
   * const stop = lb.follow(registry, 'api');
   * registry.register({ service: 'api', id: 'api-1', address: '10.0.0.1:80' });
   * lb.pick(); //=> 'api-1'
   * stop();
   * ```
   */
  follow(registry: { discover(service: string): readonly ServiceInstance[]; onChange(listener: (change: RegistryChange) => void): Unsubscribe }, service: string): Unsubscribe {
    const sync = (): void => {
      const kept = new Map(this.s.nodes.map((n) => [n.id, n]));
      this.setNodes(
        registry.discover(service).map((inst) => {
          const old = kept.get(inst.id);
          const metrics = old === undefined ? {} : { cpu: old.cpu, memory: old.memory, network: old.network, activeConnections: old.activeConnections };
          return { ...definedOnly(metrics), id: inst.id, weight: inst.weight, healthy: inst.healthy, draining: inst.draining };
        }),
      );
    };
    sync();
    return registry.onChange((change) => {
      if (change.instance.service === service) sync();
    });
  }

  /** Replaces the node set (e.g. from `registry.discover(name)`). */
  setNodes(nodes: readonly BalancerNode[]): void {
    this.apply({ type: 'set-nodes', now: 0, nodes });
  }

  /** Steps the core (no strategy depends on time) and returns its output. */
  private apply(input: BalancerInput): BalancerOutput | undefined {
    const t = loadBalancerCore.step(this.s, input);
    this.s = t.state;
    return t.outputs[0];
  }
}
