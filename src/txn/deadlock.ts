/**
 * Deadlock detection on wait-for graphs: graph search (Tarjan's strongly connected components),
 * a centralized detector fed by the sites' local graphs with phantom deadlocks filtered by
 * double collection, and Chandy–Misra–Haas edge-chasing probes ("Distributed Deadlock Detection",
 * TOCS 1983, AND model) as a machine. Victim selection is a policy.
 */
import type { Machine, MessageInput, NodeId, RejectedOutput, SendOutput, TickInput, Timer, Transition } from '../core/index.js';
import { ConfigError, InvalidCommandError, MAX_COUNTER, MAX_ID_LENGTH, assertNever, checkId, checkIds, earliest, getOwn, hasOwn, inputNow, nodeIdCheck, parse, positiveInt, positiveMs, reject, setOwn, startTimer, timerDue, transition, v, withOwn } from '../core/index.js';
import { DUE_AT_ONCE, bump, distinct } from './common.js';

/**
 * A wait-for graph: `graph[t]` lists the transactions (or processes) `t` waits for.
 *
 * @example
 * ```ts
 * import { findDeadlocks, type WaitForGraph } from 'distkit/txn';
 * // t1 waits for t2, t2 for t1, t3 for t1: one cycle, and t3 blocked behind it.
 * const g: WaitForGraph = { t1: ['t2'], t2: ['t1'], t3: ['t1'] };
 * findDeadlocks(g).map((d) => d.cycle); //=> [['t1', 't2']]
 * ```
 */
export type WaitForGraph = Readonly<Record<NodeId, readonly NodeId[]>>;

/**
 * The strongly connected components of a graph (Tarjan 1972), iteratively (no recursion limit).
 * Components come out in reverse topological order; members keep discovery order.
 *
 * @example
 * ```ts
 * import { stronglyConnectedComponents } from 'distkit/txn';
 * stronglyConnectedComponents({ a: ['b'], b: ['a'], c: ['a'] }); //=> [['a', 'b'], ['c']]
 * ```
 */
export function stronglyConnectedComponents(graph: WaitForGraph): NodeId[][] {
  const nodes = new Set<NodeId>();
  for (const [k, vs] of Object.entries(graph)) {
    nodes.add(k);
    for (const x of vs) nodes.add(x);
  }
  const index = new Map<NodeId, number>();
  const low = new Map<NodeId, number>();
  const onStack = new Set<NodeId>();
  const stack: NodeId[] = [];
  const out: NodeId[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { node: NodeId; edge: number }[] = [{ node: root, edge: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const succ = getOwn(graph, frame.node) ?? [];
      if (frame.edge < succ.length) {
        const w = succ[frame.edge++]!;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, edge: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const comp: NodeId[] = [];
        for (;;) {
          const w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
          if (w === frame.node) break;
        }
        out.push(comp.reverse());
      }
    }
  }
  return out;
}

/**
 * A deadlock found in a wait-for graph: a concrete cycle, and every node of its strongly
 * connected component (all of them are deadlocked).
 *
 * @example
 * ```ts
 * import { findDeadlocks } from 'distkit/txn';
 * findDeadlocks({ a: ['b'], b: ['c'], c: ['a'], d: ['d'] }); //=> [{ cycle: ['a', 'b', 'c'], members: ['a', 'b', 'c'] }, { cycle: ['d'], members: ['d'] }]
 * ```
 */
export interface Deadlock {
  /** A cycle t0 → t1 → … → t0 (the first node is not repeated at the end). */
  readonly cycle: readonly NodeId[];
  /** The nodes of the deadlocked component, sorted. */
  readonly members: readonly NodeId[];
}

/**
 * Finds every deadlock of a wait-for graph: one per cyclic strongly connected component (a
 * component of two or more nodes, or a node waiting for itself).
 *
 * @example
 * ```ts
 * import { findDeadlocks } from 'distkit/txn';
 * findDeadlocks({ t1: ['t2'], t2: ['t1'], t3: ['t1'] }); //=> [{ cycle: ['t1', 't2'], members: ['t1', 't2'] }]
 * ```
 */
export function findDeadlocks(graph: WaitForGraph): Deadlock[] {
  const out: Deadlock[] = [];
  for (const comp of stronglyConnectedComponents(graph)) {
    const members = [...comp].sort();
    const start = members[0]!;
    const inComp = new Set(comp);
    if (comp.length === 1 && !(getOwn(graph, start) ?? []).includes(start)) continue;
    out.push({ cycle: cycleThrough(graph, start, inComp), members });
  }
  return out.sort((a, b) => (a.members[0]! < b.members[0]! ? -1 : 1));
}

/** A shortest cycle through `start` inside its component (breadth-first back to `start`). */
function cycleThrough(graph: WaitForGraph, start: NodeId, inComp: ReadonlySet<NodeId>): NodeId[] {
  const parent = new Map<NodeId, NodeId>();
  const queue: NodeId[] = [start];
  for (let qi = 0; qi < queue.length; qi++) {
    const u = queue[qi]!;
    for (const w of getOwn(graph, u) ?? []) {
      if (!inComp.has(w)) continue;
      if (w === start) {
        const path = [u];
        while (path[path.length - 1] !== start) path.push(parent.get(path[path.length - 1]!)!);
        return path.reverse();
      }
      if (!parent.has(w)) {
        parent.set(w, u);
        queue.push(w);
      }
    }
  }
  return [start];
}

/**
 * Which transaction of a cycle to abort: the highest or lowest id, or by a priority table
 * (e.g. start timestamps with `pick: 'max'` aborts the youngest — the usual choice, as it has
 * done the least work). Ties and missing priorities fall back to the highest id.
 *
 * @example
 * ```ts
 * import { chooseVictim, type VictimPolicy } from 'distkit/txn';
 * // Abort the youngest transaction (the one with the latest start time).
 * const youngest: VictimPolicy = { priorities: { t1: 100, t2: 250 }, pick: 'max' };
 * chooseVictim(['t1', 't2'], youngest); //=> 't2'
 * chooseVictim(['t1', 't2'], 'lowestId'); //=> 't1'
 * ```
 */
export type VictimPolicy = 'highestId' | 'lowestId' | { readonly priorities: Readonly<Record<NodeId, number>>; readonly pick: 'max' | 'min' };

/**
 * Picks the victim of a deadlock cycle under a policy. Deterministic in the cycle's members, so
 * every detector of the same cycle picks the same victim.
 *
 * @example
 * ```ts
 * import { chooseVictim } from 'distkit/txn';
 * chooseVictim(['t2', 't7', 't3'], 'highestId'); //=> 't7'
 * chooseVictim(['t2', 't7'], { priorities: { t2: 9, t7: 1 }, pick: 'max' }); //=> 't2'
 * ```
 */
export function chooseVictim(cycle: readonly NodeId[], policy: VictimPolicy): NodeId {
  if (cycle.length === 0) throw new InvalidCommandError('chooseVictim', 'the cycle is empty');
  const sorted = [...cycle].sort();
  if (policy === 'highestId') return sorted[sorted.length - 1]!;
  if (policy === 'lowestId') return sorted[0]!;
  let best = sorted[sorted.length - 1]!;
  let bestP = getOwn(policy.priorities, best) ?? -Infinity;
  for (let i = sorted.length - 2; i >= 0; i--) {
    const c = sorted[i]!;
    const p = getOwn(policy.priorities, c);
    if (p === undefined) continue;
    if (bestP === -Infinity || (policy.pick === 'max' ? p > bestP : p < bestP)) {
      best = c;
      bestP = p;
    }
  }
  return best;
}

function checkPolicy(policy: VictimPolicy | undefined): VictimPolicy {
  const p = policy ?? 'highestId';
  if (p === 'highestId' || p === 'lowestId') return p;
  if (typeof p !== 'object' || p === null || (p.pick !== 'max' && p.pick !== 'min') || typeof p.priorities !== 'object') {
    throw new ConfigError('victim', "must be 'highestId', 'lowestId' or { priorities, pick: 'max' | 'min' }");
  }
  for (const [k, x] of Object.entries(p.priorities)) if (!Number.isFinite(x)) throw new ConfigError(`victim.priorities.${k}`, 'must be a finite number');
  return p;
}

// ---------------------------------------------------------------------------------------------
// Centralized detection: sites report local graphs to a detector
// ---------------------------------------------------------------------------------------------

/**
 * One wait-for edge as a site reports it. `id` is unique for ever at its site (a new wait gets a
 * new id, even between the same two transactions), which is what lets the detector tell a
 * persisting edge from a new one.
 *
 * @example
 * ```ts
 * import { deadlockSite } from 'distkit/txn';
 * let s = deadlockSite.init({ id: 's1', detector: 'd' });
 * s = deadlockSite.step(s, { type: 'wait', waiter: 't1', holder: 't2', now: 0 }).state;
 * s = deadlockSite.step(s, { type: 'wait', waiter: 't3', holder: 't2', now: 0 }).state;
 * s.edges.map((e) => e.id); //=> ['s1:0', 's1:1']
 * ```
 */
export interface WaitEdge {
  /** The waiting transaction. */
  readonly waiter: NodeId;
  /** The transaction it waits for. */
  readonly holder: NodeId;
  /** Unique edge-instance id. */
  readonly id: string;
}

/**
 * Messages between the centralized detector and the sites.
 *
 * @example
 * ```ts
 * import { deadlockDetector, deadlockSite } from 'distkit/txn';
 * const d = deadlockDetector.step(deadlockDetector.init({ id: 'd', nodes: ['s1'] }), { type: 'tick', now: 0 });
 * const request = d.outputs[0]!;
 * request; //=> { type: 'send', to: 's1', message: { type: 'graphRequest', round: 1 } }
 * let s = deadlockSite.init({ id: 's1', detector: 'd' });
 * s = deadlockSite.step(s, { type: 'wait', waiter: 't1', holder: 't2', now: 0 }).state;
 * const msg = request.type === 'send' ? request.message : null;
 * deadlockSite.step(s, { type: 'message', from: 'd', message: msg, now: 1 }).outputs; //=> [{ type: 'send', to: 'd', message: { type: 'graphReport', round: 1, edges: [{ waiter: 't1', holder: 't2', id: 's1:0' }] } }]
 * ```
 */
export type DetectorMessage =
  | { readonly type: 'graphRequest'; readonly round: number }
  | { readonly type: 'graphReport'; readonly round: number; readonly edges: readonly WaitEdge[] };

/**
 * Bound on the edges one `graphReport` may carry; a longer report is rejected as hostile.
 *
 * @example
 * ```ts
 * import { MAX_REPORTED_EDGES } from 'distkit/txn';
 * MAX_REPORTED_EDGES; //=> 100000
 * ```
 */
export const MAX_REPORTED_EDGES = 100_000;

const edgeCheck = v.object({ waiter: nodeIdCheck, holder: nodeIdCheck, id: v.string({ minLength: 1, maxLength: MAX_ID_LENGTH }) });
const roundCheck = v.int({ min: 1, max: MAX_COUNTER });
const detectorMessageCheck = v.tagged({
  graphRequest: v.object({ type: v.literal('graphRequest'), round: roundCheck }),
  graphReport: v.object({ type: v.literal('graphReport'), round: roundCheck, edges: v.array(edgeCheck, { maxLength: MAX_REPORTED_EDGES }) }),
});

/**
 * Options of the centralized deadlock detector.
 *
 * @example
 * ```ts
 * import { deadlockDetector } from 'distkit/txn';
 * const d = deadlockDetector.init({ id: 'detector', nodes: ['s1', 's2'], intervalMs: 1000, confirmRounds: 2 });
 * [d.sites, d.intervalMs, d.confirmRounds]; //=> [['s1', 's2'], 1000, 2]
 * ```
 */
export interface DeadlockDetectorConfig {
  /** The detector's node id. */
  readonly id: NodeId;
  /** The sites it collects graphs from: every node that runs {@link deadlockSite}. */
  readonly nodes: readonly NodeId[];
  /** Time between detection rounds. Default 1000. */
  readonly intervalMs?: number;
  /** A round missing a site's report after this long is abandoned. Default 500. */
  readonly roundTimeoutMs?: number;
  /**
   * 1: report cycles of each collected graph (fast, but phantom deadlocks are possible: the
   * reports are taken at different times). 2 (default): report only cycles whose edge instances
   * appear in two consecutive complete rounds — such edges all existed at the end of the first
   * round, a consistent moment, so the deadlock is real.
   */
  readonly confirmRounds?: 1 | 2;
  /** Victim policy. Default `'highestId'`. */
  readonly victim?: VictimPolicy;
}

/**
 * State of the centralized deadlock detector.
 *
 * @example
 * ```ts
 * import { deadlockDetector } from 'distkit/txn';
 * deadlockDetector.init({ id: 'd', nodes: ['s1'] }).round; //=> 0
 * ```
 */
export interface DeadlockDetectorState {
  /** Node id. */
  readonly id: NodeId;
  /** Sites. */
  readonly sites: readonly NodeId[];
  /** See {@link DeadlockDetectorConfig.intervalMs}. */
  readonly intervalMs: number;
  /** See {@link DeadlockDetectorConfig.roundTimeoutMs}. */
  readonly roundTimeoutMs: number;
  /** See {@link DeadlockDetectorConfig.confirmRounds}. */
  readonly confirmRounds: 1 | 2;
  /** See {@link DeadlockDetectorConfig.victim}. */
  readonly victim: VictimPolicy;
  /** The current (or last) round number. */
  readonly round: number;
  /** Reports of the round being collected, or null between rounds. */
  readonly collecting: Readonly<Record<NodeId, readonly WaitEdge[]>> | null;
  /** When the round being collected is abandoned, or the next one starts (due at once initially). */
  readonly deadline: Timer;
  /** Edge-instance ids of the last complete round. */
  readonly previous: readonly string[] | null;
}

/**
 * Event: a deadlock the detector found, and the victim it proposes to abort.
 *
 * @example
 * ```ts
 * import { deadlockDetector } from 'distkit/txn';
 * let d = deadlockDetector.init({ id: 'd', nodes: ['s1', 's2'], confirmRounds: 1 });
 * d = deadlockDetector.step(d, { type: 'tick', now: 0 }).state; // round 1: ask both sites
 * const report = (from: string, waiter: string, holder: string) =>
 *   deadlockDetector.step(d, { type: 'message', from, message: { type: 'graphReport', round: 1, edges: [{ waiter, holder, id: `${from}:0` }] }, now: 1 });
 * d = report('s1', 't1', 't2').state;
 * const t = report('s2', 't2', 't1');
 * t.outputs.find((o) => o.type === 'deadlock'); //=> { type: 'deadlock', cycle: ['t1', 't2'], members: ['t1', 't2'], victim: 't2' }
 * ```
 */
export interface DeadlockOutput extends Deadlock {
  /** Discriminator. */
  readonly type: 'deadlock';
  /** The transaction to abort. */
  readonly victim: NodeId;
}

/**
 * Event: a detection round was abandoned because sites did not report in time.
 *
 * @example
 * ```ts
 * import { deadlockDetector } from 'distkit/txn';
 * let d = deadlockDetector.init({ id: 'd', nodes: ['s1', 's2'], roundTimeoutMs: 50 });
 * d = deadlockDetector.step(d, { type: 'tick', now: 0 }).state;
 * // Nobody answered round 1 in time: the detector says so and starts round 2.
 * deadlockDetector.step(d, { type: 'tick', now: 50 }).outputs.find((o) => o.type === 'roundTimedOut'); //=> { type: 'roundTimedOut', round: 1, missing: ['s1', 's2'] }
 * ```
 */
export interface RoundTimedOutOutput {
  /** Discriminator. */
  readonly type: 'roundTimedOut';
  /** The round. */
  readonly round: number;
  /** Sites that did not report. */
  readonly missing: readonly NodeId[];
}

/**
 * Outputs of the centralized detector.
 *
 * @example
 * ```ts
 * import { deadlockDetector } from 'distkit/txn';
 * let d = deadlockDetector.init({ id: 'd', nodes: ['s1', 's2'], confirmRounds: 1 });
 * d = deadlockDetector.step(d, { type: 'tick', now: 0 }).state; // round 1: ask both sites
 * const report = (from: string, waiter: string, holder: string) =>
 *   deadlockDetector.step(d, { type: 'message', from, message: { type: 'graphReport', round: 1, edges: [{ waiter, holder, id: `${from}:0` }] }, now: 1 });
 * d = report('s1', 't1', 't2').state;
 * const t = report('s2', 't2', 't1');
 * t.outputs.map((o) => o.type); //=> ['deadlock']
 * ```
 */
export type DeadlockDetectorOutput = SendOutput<DetectorMessage> | RejectedOutput | DeadlockOutput | RoundTimedOutOutput;

type DT = Transition<DeadlockDetectorState, DeadlockDetectorOutput>;

function detectorInit(c: DeadlockDetectorConfig): DeadlockDetectorState {
  const id = checkId('id', c.id);
  const sites = checkIds('nodes', c.nodes);
  const confirmRounds = c.confirmRounds ?? 2;
  if (confirmRounds !== 1 && confirmRounds !== 2) throw new ConfigError('confirmRounds', 'must be 1 or 2');
  const intervalMs = positiveMs('intervalMs', c.intervalMs, 1000);
  return {
    id,
    sites,
    intervalMs,
    roundTimeoutMs: positiveMs('roundTimeoutMs', c.roundTimeoutMs, 500),
    confirmRounds,
    victim: checkPolicy(c.victim),
    round: 0,
    collecting: null,
    deadline: DUE_AT_ONCE,
    previous: null,
  };
}

function completeRound(s: DeadlockDetectorState, reports: Readonly<Record<NodeId, readonly WaitEdge[]>>, now: number): DT {
  const edges = s.sites.flatMap((site) => getOwn(reports, site) ?? []);
  const ids = edges.map((e) => e.id);
  const before = new Set(s.previous ?? []);
  // Double collection: only edge instances present in both rounds count (see confirmRounds).
  const usable = s.confirmRounds === 1 ? edges : edges.filter((e) => before.has(e.id));
  const graph: Record<NodeId, NodeId[]> = {};
  // Transaction ids are peer data: own properties only (a transaction may be named `constructor`).
  for (const e of usable) {
    const succ = getOwn(graph, e.waiter);
    if (succ === undefined) setOwn(graph, e.waiter, [e.holder]);
    else succ.push(e.holder);
  }
  const outputs: DeadlockDetectorOutput[] = findDeadlocks(graph).map((d) => ({ type: 'deadlock', ...d, victim: chooseVictim(d.cycle, s.victim) }));
  return transition({ ...s, collecting: null, previous: ids, deadline: startTimer(now, s.intervalMs) }, outputs);
}

function detectorStep(s: DeadlockDetectorState, input: MessageInput | TickInput): DT {
  const now = inputNow(input);
  if (input.type === 'tick') {
    const s1 = s;
    if (!timerDue(s1.deadline, now)) return transition(s1);
    const out: DeadlockDetectorOutput[] = [];
    let previous = s1.previous;
    if (s1.collecting !== null) {
      out.push({ type: 'roundTimedOut', round: s1.round, missing: s1.sites.filter((x) => !hasOwn(s1.collecting!, x)) });
      previous = null; // the confirmation chain is broken
    }
    // Past MAX_COUNTER rounds the round number stays: a report is then matched by round and sender only.
    const round = s1.round < MAX_COUNTER ? s1.round + 1 : s1.round;
    for (const site of s1.sites) out.push({ type: 'send', to: site, message: { type: 'graphRequest', round } });
    return transition({ ...s1, round, collecting: {}, previous, deadline: startTimer(now, s1.roundTimeoutMs) }, out);
  }
  if (input.type !== 'message') return assertNever(input, 'input');
  const parsed = parse(detectorMessageCheck, input.message, 'message');
  if (!parsed.ok) return reject(s, input.from, parsed.problem);
  const m = parsed.value as DetectorMessage;
  if (m.type !== 'graphReport') return reject(s, input.from, 'the detector does not accept graphRequest');
  if (!s.sites.includes(input.from)) return reject(s, input.from, 'graphReport from a node that is not a site');
  if (s.collecting === null || m.round !== s.round) return reject(s, input.from, `graphReport for round ${m.round}, not being collected`);
  if (hasOwn(s.collecting, input.from)) return reject(s, input.from, 'duplicate graphReport');
  const collecting = withOwn(s.collecting, input.from, m.edges);
  if (Object.keys(collecting).length < s.sites.length) return transition({ ...s, collecting });
  return completeRound(s, collecting, now);
}

/**
 * The centralized deadlock detector: every `intervalMs` it asks each site for its local wait-for
 * edges, unions them, and reports each deadlock with a victim. With `confirmRounds: 2` (default)
 * phantom deadlocks — cycles assembled from reports taken at different moments — are filtered
 * out (see {@link DeadlockDetectorConfig.confirmRounds}).
 *
 * @example
 * ```ts
 * import { deadlockDetector } from 'distkit/txn';
 * const s = deadlockDetector.init({ id: 'd', nodes: ['s1', 's2'], confirmRounds: 1 });
 * const t = deadlockDetector.step(s, { type: 'tick', now: 0 });
 * t.outputs.length; //=> 2 (a graphRequest per site)
 * ```
 */
export const deadlockDetector: Machine<DeadlockDetectorConfig, DeadlockDetectorState, MessageInput | TickInput, DeadlockDetectorOutput> = {
  name: 'deadlock-detector',
  init: detectorInit,
  step: detectorStep,
  nextDeadline: (s) => earliest(s.deadline),
};

/**
 * Options of a site's wait-for graph keeper.
 *
 * @example
 * ```ts
 * import { deadlockSite } from 'distkit/txn';
 * deadlockSite.init({ id: 's1', detector: 'd' }).detector; //=> 'd'
 * ```
 */
export interface DeadlockSiteConfig {
  /** The site's node id. */
  readonly id: NodeId;
  /** The detector allowed to ask for the graph. */
  readonly detector: NodeId;
}

/**
 * State of a site: its local wait-for edges.
 *
 * @example
 * ```ts
 * import { deadlockSite } from 'distkit/txn';
 * deadlockSite.init({ id: 's1', detector: 'd' }).edges; //=> []
 * ```
 */
export interface DeadlockSiteState {
  /** Site id. */
  readonly id: NodeId;
  /** Detector id. */
  readonly detector: NodeId;
  /** Current local edges. */
  readonly edges: readonly WaitEdge[];
  /** Counter for edge-instance ids. */
  readonly nextEdge: number;
}

/**
 * Local commands of a site's lock manager: a transaction starts waiting for another, or stops
 * waiting (lock granted, or the waiter aborted) — for one holder or all.
 *
 * @example
 * ```ts
 * import { deadlockSite } from 'distkit/txn';
 * let s = deadlockSite.init({ id: 's1', detector: 'd' });
 * s = deadlockSite.step(s, { type: 'wait', waiter: 't1', holder: 't2', now: 0 }).state;
 * s = deadlockSite.step(s, { type: 'stopWaiting', waiter: 't1', now: 1 }).state;
 * s.edges; //=> []
 * ```
 */
export type DeadlockSiteCommand =
  | { readonly type: 'wait'; readonly now: number; readonly waiter: NodeId; readonly holder: NodeId }
  | { readonly type: 'stopWaiting'; readonly now: number; readonly waiter: NodeId; readonly holder?: NodeId };

/**
 * Keeps a site's wait-for edges and answers the detector's requests.
 *
 * @example
 * ```ts
 * import { deadlockSite } from 'distkit/txn';
 * let s = deadlockSite.init({ id: 's1', detector: 'd' });
 * s = deadlockSite.step(s, { type: 'wait', waiter: 't1', holder: 't2', now: 0 }).state;
 * s.edges; //=> [{ waiter: 't1', holder: 't2', id: 's1:0' }]
 * ```
 */
export const deadlockSite: Machine<
  DeadlockSiteConfig,
  DeadlockSiteState,
  MessageInput | DeadlockSiteCommand,
  SendOutput<DetectorMessage> | RejectedOutput
> = {
  name: 'deadlock-site',
  init: (c) => ({ id: checkId('id', c.id), detector: checkId('detector', c.detector), edges: [], nextEdge: 0 }),
  step(s, input) {
    inputNow(input);
    switch (input.type) {
      case 'wait':
        if (nodeIdCheck(input.waiter) !== undefined || nodeIdCheck(input.holder) !== undefined) throw new InvalidCommandError('wait', 'waiter and holder must be non-empty ids');
        if (s.edges.length >= MAX_REPORTED_EDGES) throw new InvalidCommandError('wait', `site ${s.id} already holds MAX_REPORTED_EDGES (${MAX_REPORTED_EDGES}) wait edges`);
        if (s.nextEdge >= MAX_COUNTER) throw new InvalidCommandError('wait', `edge counter of site ${s.id} reached MAX_COUNTER`);
        return transition({ ...s, edges: [...s.edges, { waiter: input.waiter, holder: input.holder, id: `${s.id}:${s.nextEdge}` }], nextEdge: s.nextEdge + 1 });
      case 'stopWaiting':
        return transition({ ...s, edges: s.edges.filter((e) => !(e.waiter === input.waiter && (input.holder === undefined || e.holder === input.holder))) });
      case 'message': {
        if (input.from !== s.detector) return reject(s, input.from, 'graphRequest from a node that is not the detector');
        const parsed = parse(detectorMessageCheck, input.message, 'message');
        if (!parsed.ok) return reject(s, input.from, parsed.problem);
        const m = parsed.value as DetectorMessage;
        if (m.type !== 'graphRequest') return reject(s, input.from, 'a site does not accept graphReport');
        return transition(s, [{ type: 'send', to: input.from, message: { type: 'graphReport', round: m.round, edges: s.edges } }]);
      }
      default:
        return assertNever(input, 'input');
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Chandy–Misra–Haas edge chasing (AND model)
// ---------------------------------------------------------------------------------------------

/**
 * A CMH probe (i, j, k) travelling along wait-for edges: `initiator` is i; the sender is j; the
 * receiver k. `path` records the processes it went through (for the cycle and the victim).
 *
 * @example
 * ```ts
 * import { edgeChasing } from 'distkit/txn';
 * // p1 waits for p2, which waits for p1: p1's probe comes back to it (Chandy-Misra-Haas).
 * let p1 = edgeChasing.init({ id: 'p1' });
 * let p2 = edgeChasing.init({ id: 'p2' });
 * p1 = edgeChasing.step(p1, { type: 'block', on: ['p2'], now: 0 }).state;
 * p2 = edgeChasing.step(p2, { type: 'block', on: ['p1'], now: 0 }).state;
 * const probe = edgeChasing.step(p1, { type: 'detect', now: 1 });
 * p1 = probe.state;
 * const sent = probe.outputs[0]!;
 * const relay = sent.type === 'send' ? edgeChasing.step(p2, { type: 'message', from: 'p1', message: sent.message, now: 2 }).outputs[0]! : sent;
 * const back = relay.type === 'send' ? edgeChasing.step(p1, { type: 'message', from: 'p2', message: relay.message, now: 3 }) : probe;
 * relay; //=> { type: 'send', to: 'p1', message: { type: 'probe', initiator: 'p1', seq: 1, path: ['p1', 'p2'] } }
 * ```
 */
export interface ProbeMessage {
  /** Discriminator. */
  readonly type: 'probe';
  /** The process that started the detection. */
  readonly initiator: NodeId;
  /** The initiator's detection number (later detections supersede earlier ones). */
  readonly seq: number;
  /** Processes visited, initiator first, sender last. */
  readonly path: readonly NodeId[];
}

/**
 * Bound on the path a CMH probe may carry; a longer path is rejected as hostile.
 *
 * @example
 * ```ts
 * import { MAX_PROBE_PATH } from 'distkit/txn';
 * MAX_PROBE_PATH; //=> 100000
 * ```
 */
export const MAX_PROBE_PATH = 100_000;

const probeCheck = v.object({
  type: v.literal('probe'),
  initiator: nodeIdCheck,
  seq: v.int({ min: 1, max: MAX_COUNTER }),
  path: v.array(nodeIdCheck, { minLength: 1, maxLength: MAX_PROBE_PATH }),
});

/**
 * Options of an edge-chasing process.
 *
 * @example
 * ```ts
 * import { edgeChasing } from 'distkit/txn';
 * edgeChasing.init({ id: 'p1', victim: 'lowestId' }).victim; //=> 'lowestId'
 * ```
 */
export interface EdgeChasingConfig {
  /** The process id. */
  readonly id: NodeId;
  /** Victim policy applied to a detected cycle. Default `'highestId'`. */
  readonly victim?: VictimPolicy;
  /**
   * The most initiators whose latest detection this process remembers (CMH's dependent table).
   * A probe from a new initiator past it is rejected, so a flood of fresh initiators cannot grow
   * the state without bound. Default {@link DEFAULT_MAX_INITIATORS}.
   */
  readonly maxInitiators?: number;
}

/**
 * Default bound on the initiators an edge-chasing process remembers.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_INITIATORS } from 'distkit/txn';
 * DEFAULT_MAX_INITIATORS; //=> 4096
 * ```
 */
export const DEFAULT_MAX_INITIATORS = 4096;

/**
 * State of an edge-chasing process.
 *
 * @example
 * ```ts
 * import { edgeChasing } from 'distkit/txn';
 * edgeChasing.init({ id: 'p1' }).waitsFor; //=> []
 * ```
 */
export interface EdgeChasingState {
  /** Process id. */
  readonly id: NodeId;
  /** Victim policy. */
  readonly victim: VictimPolicy;
  /** The processes it is blocked on (AND model: it needs all of them); empty when active. */
  readonly waitsFor: readonly NodeId[];
  /** Its own latest detection number. */
  readonly seq: number;
  /** CMH's dependent_k(i): per initiator, the latest detection already forwarded. */
  readonly forwarded: Readonly<Record<NodeId, number>>;
  /** Probes handled (for statistics; stops at MAX_COUNTER). */
  readonly probes: number;
  /** See {@link EdgeChasingConfig.maxInitiators}. */
  readonly maxInitiators: number;
}

/**
 * Local commands: block on processes, become active again, start a detection.
 *
 * @example
 * ```ts
 * import { edgeChasing } from 'distkit/txn';
 * let s = edgeChasing.init({ id: 'p1' });
 * s = edgeChasing.step(s, { type: 'block', on: ['p2', 'p3'], now: 0 }).state;
 * edgeChasing.step(s, { type: 'detect', now: 1 }).outputs.map((o) => o.type === 'send' && o.to); //=> ['p2', 'p3']
 * ```
 */
export type EdgeChasingCommand =
  | { readonly type: 'block'; readonly now: number; readonly on: readonly NodeId[] }
  | { readonly type: 'unblock'; readonly now: number }
  | { readonly type: 'detect'; readonly now: number };

/**
 * Event: the initiator's probe came back — it is on a cycle (CMH: "declared deadlocked").
 *
 * @example
 * ```ts
 * import { edgeChasing } from 'distkit/txn';
 * // p1 waits for p2, which waits for p1: p1's probe comes back to it (Chandy-Misra-Haas).
 * let p1 = edgeChasing.init({ id: 'p1' });
 * let p2 = edgeChasing.init({ id: 'p2' });
 * p1 = edgeChasing.step(p1, { type: 'block', on: ['p2'], now: 0 }).state;
 * p2 = edgeChasing.step(p2, { type: 'block', on: ['p1'], now: 0 }).state;
 * const probe = edgeChasing.step(p1, { type: 'detect', now: 1 });
 * p1 = probe.state;
 * const sent = probe.outputs[0]!;
 * const relay = sent.type === 'send' ? edgeChasing.step(p2, { type: 'message', from: 'p1', message: sent.message, now: 2 }).outputs[0]! : sent;
 * const back = relay.type === 'send' ? edgeChasing.step(p1, { type: 'message', from: 'p2', message: relay.message, now: 3 }) : probe;
 * back.outputs; //=> [{ type: 'deadlock', cycle: ['p1', 'p2'], victim: 'p2' }]
 * ```
 */
export interface EdgeChasingDeadlock {
  /** Discriminator. */
  readonly type: 'deadlock';
  /** The cycle the probe travelled, starting at this process. */
  readonly cycle: readonly NodeId[];
  /** The victim chosen by the policy. */
  readonly victim: NodeId;
}

/**
 * Outputs of an edge-chasing process.
 *
 * @example
 * ```ts
 * import { edgeChasing } from 'distkit/txn';
 * // p1 waits for p2, which waits for p1: p1's probe comes back to it (Chandy-Misra-Haas).
 * let p1 = edgeChasing.init({ id: 'p1' });
 * let p2 = edgeChasing.init({ id: 'p2' });
 * p1 = edgeChasing.step(p1, { type: 'block', on: ['p2'], now: 0 }).state;
 * p2 = edgeChasing.step(p2, { type: 'block', on: ['p1'], now: 0 }).state;
 * const probe = edgeChasing.step(p1, { type: 'detect', now: 1 });
 * p1 = probe.state;
 * const sent = probe.outputs[0]!;
 * const relay = sent.type === 'send' ? edgeChasing.step(p2, { type: 'message', from: 'p1', message: sent.message, now: 2 }).outputs[0]! : sent;
 * const back = relay.type === 'send' ? edgeChasing.step(p1, { type: 'message', from: 'p2', message: relay.message, now: 3 }) : probe;
 * sent; //=> { type: 'send', to: 'p2', message: { type: 'probe', initiator: 'p1', seq: 1, path: ['p1'] } }
 * ```
 */
export type EdgeChasingOutput = SendOutput<ProbeMessage> | RejectedOutput | EdgeChasingDeadlock;

function probeTo(to: NodeId, message: ProbeMessage): SendOutput<ProbeMessage> {
  return { type: 'send', to, message };
}

/**
 * Chandy–Misra–Haas edge chasing for the AND model (TOCS 1983 §3): a blocked process sends
 * probe(i, i, j) to every process it waits for; a blocked process receiving a probe for an
 * initiator it has not yet served forwards it to all it waits for; an initiator that receives its
 * own probe is deadlocked. On a stable graph the processes that detect are exactly those on a cycle.
 *
 * @example
 * ```ts
 * import { edgeChasing } from 'distkit/txn';
 * let s = edgeChasing.init({ id: 'p1' });
 * s = edgeChasing.step(s, { type: 'block', on: ['p2'], now: 0 }).state;
 * edgeChasing.step(s, { type: 'detect', now: 1 }).outputs; //=> [{ type: 'send', to: 'p2', message: { type: 'probe', initiator: 'p1', seq: 1, path: ['p1'] } }]
 * ```
 */
export const edgeChasing: Machine<EdgeChasingConfig, EdgeChasingState, MessageInput | EdgeChasingCommand, EdgeChasingOutput> = {
  name: 'edge-chasing',
  init: (c) => ({
    id: checkId('id', c.id),
    victim: checkPolicy(c.victim),
    waitsFor: [],
    seq: 0,
    forwarded: {},
    probes: 0,
    maxInitiators: positiveInt('maxInitiators', c.maxInitiators, DEFAULT_MAX_INITIATORS),
  }),
  step(s, input) {
    inputNow(input);
    switch (input.type) {
      case 'block': {
        if (!Array.isArray(input.on) || input.on.some((x) => nodeIdCheck(x) !== undefined)) {
          throw new InvalidCommandError('block', 'on must be a list of process ids');
        }
        return transition({ ...s, waitsFor: [...new Set(input.on)] });
      }
      case 'unblock':
        return transition({ ...s, waitsFor: [] });
      case 'detect': {
        if (s.waitsFor.length === 0) return transition(s); // an active process is not deadlocked
        const seq = bump(s.seq);
        return transition({ ...s, seq }, s.waitsFor.map((k) => probeTo(k, { type: 'probe', initiator: s.id, seq, path: [s.id] })));
      }
      case 'message': {
        const parsed = parse(probeCheck, input.message, 'message');
        if (!parsed.ok) return reject(s, input.from, parsed.problem);
        const m = parsed.value as ProbeMessage;
        if (m.path[0] !== m.initiator || m.path[m.path.length - 1] !== input.from) return reject(s, input.from, 'probe path must start at its initiator and end at its sender');
        const probes = bump(s.probes);
        // CMH: probes reaching an active process are discarded (it is not blocked, so no cycle through it).
        if (s.waitsFor.length === 0) return transition({ ...s, probes });
        if (m.initiator === s.id) {
          if (m.seq !== s.seq) return transition({ ...s, probes }); // a stale detection
          return transition({ ...s, probes }, [{ type: 'deadlock', cycle: m.path, victim: chooseVictim(m.path, s.victim) }]);
        }
        const last = getOwn(s.forwarded, m.initiator);
        if (last !== undefined && last >= m.seq) return transition({ ...s, probes });
        if (last === undefined && Object.keys(s.forwarded).length >= s.maxInitiators) {
          return reject(s, input.from, `probe from initiator ${m.initiator} refused: maxInitiators (${s.maxInitiators}) initiators remembered`);
        }
        if (m.path.length >= MAX_PROBE_PATH) return reject(s, input.from, 'probe path too long');
        const path = [...m.path, s.id];
        return transition(
          { ...s, probes, forwarded: withOwn(s.forwarded, m.initiator, m.seq) },
          s.waitsFor.map((k) => probeTo(k, { type: 'probe', initiator: m.initiator, seq: m.seq, path })),
        );
      }
      default:
        return assertNever(input, 'input');
    }
  },
};
