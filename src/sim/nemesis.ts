import { Random, type NodeId } from '../core/index.js';
import { roundMs } from './clock.js';
import type { Fault, NemesisOptions, ScheduledFault } from './types.js';

interface Candidate {
  readonly at: number;
  readonly kind: 'crash' | 'partition' | 'oneWay' | 'pause' | 'clock' | 'slow';
}

function poisson(rng: Random, ratePerSec: number, from: number, until: number, kind: Candidate['kind'], out: Candidate[]): void {
  if (!(ratePerSec > 0)) return;
  const meanGapMs = 1000 / ratePerSec;
  let t = from + rng.exponential(meanGapMs);
  while (t < until) {
    out.push({ at: roundMs(t), kind });
    t += rng.exponential(meanGapMs);
  }
}

function between(rng: Random, r: readonly [number, number]): number {
  return roundMs(r[0] + rng.float() * (r[1] - r[0]));
}

// The settings and the state of one draw: what is down until when, and the network faults' ends.
interface Draw {
  readonly rng: Random;
  // Latency spikes draw from their own stream, so turning them on leaves a seed's other faults as they were.
  readonly slowRng: Random;
  readonly allNodes: readonly NodeId[];
  readonly targets: readonly NodeId[];
  readonly until: number;
  readonly maxDown: number;
  /** How long a crash, a network fault (or latency spike) and a pause last, ms ranges. */
  readonly ms: Readonly<Record<'down' | 'partition' | 'pause', readonly [number, number]>>;
  readonly jumpMs: number;
  readonly slowDelayMs: number;
  readonly out: ScheduledFault[];
  // Nodes crashed or paused, with the time they come back.
  readonly down: Map<NodeId, number>;
  netUntil: number;
  slowUntil: number;
}

function startDraw(nemesis: NemesisOptions, allNodes: readonly NodeId[], maxTimeMs: number, seed: number | string): Draw {
  return {
    rng: new Random(`${String(seed)}/nemesis`),
    slowRng: new Random(`${String(seed)}/nemesis/slow`),
    allNodes,
    targets: nemesis.nodes ?? allNodes,
    until: Math.min(nemesis.untilMs ?? maxTimeMs, maxTimeMs),
    maxDown: nemesis.maxDown ?? Math.floor((allNodes.length - 1) / 2),
    ms: { down: nemesis.downMs ?? [100, 1000], partition: nemesis.partitionMs ?? [100, 1000], pause: nemesis.pauseMs ?? [50, 500] },
    jumpMs: nemesis.clockJumpMs ?? 1000,
    slowDelayMs: nemesis.slowDelayMs ?? 200,
    out: [],
    down: new Map(),
    netUntil: -1,
    slowUntil: -1,
  };
}

// When each kind of fault may strike: one Poisson process per kind, merged in time order.
function candidates(d: Draw, nemesis: NemesisOptions): Candidate[] {
  const from = nemesis.fromMs ?? 0;
  const out: Candidate[] = [];
  poisson(d.rng, nemesis.crashRate ?? 0, from, d.until, 'crash', out);
  poisson(d.rng, nemesis.partitionRate ?? 0, from, d.until, 'partition', out);
  poisson(d.rng, nemesis.oneWayRate ?? 0, from, d.until, 'oneWay', out);
  poisson(d.rng, nemesis.pauseRate ?? 0, from, d.until, 'pause', out);
  poisson(d.rng, nemesis.clockJumpRate ?? 0, from, d.until, 'clock', out);
  poisson(d.slowRng, nemesis.slowRate ?? 0, from, d.until, 'slow', out);
  return out.sort((a, b) => a.at - b.at);
}

// When a fault drawn at `at` is undone: `undefined` when it would not end before `until`.
function endOf(d: Draw, rng: Random, at: number, range: readonly [number, number]): number | undefined {
  const end = Math.min(roundMs(at + between(rng, range)), d.until);
  return end <= at ? undefined : end;
}

// A crash or a pause of a node that is neither, while fewer than `maxDown` are.
function crashOrPause(d: Draw, at: number, kind: 'crash' | 'pause'): void {
  if (d.down.size >= d.maxDown) return;
  const free = d.targets.filter((id) => !d.down.has(id));
  if (free.length === 0) return;
  const node = d.rng.choice(free);
  const end = endOf(d, d.rng, at, kind === 'crash' ? d.ms.down : d.ms.pause);
  if (end === undefined) return;
  d.down.set(node, end);
  d.out.push({ at, fault: { type: kind, node } });
  d.out.push({ at: end, fault: { type: kind === 'crash' ? 'restart' : 'resume', node } });
}

// A partition into two random groups, or a one-way cut, while no other network fault is active.
function networkFault(d: Draw, at: number, kind: 'partition' | 'oneWay'): void {
  if (d.netUntil > at || d.allNodes.length < 2) return;
  const end = endOf(d, d.rng, at, d.ms.partition);
  if (end === undefined) return;
  d.out.push({ at, fault: kind === 'partition' ? randomPartition(d) : randomOneWay(d) });
  d.out.push({ at: end, fault: { type: 'heal' } });
  d.netUntil = end;
}

function randomPartition(d: Draw): Fault {
  const order = d.allNodes.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = d.rng.int(0, i + 1);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  const k = d.rng.int(1, Math.floor(order.length / 2) + 1);
  return { type: 'partition', groups: [order.slice(0, k), order.slice(k)] };
}

function randomOneWay(d: Draw): Fault {
  const a = d.rng.choice(d.targets);
  const b = d.rng.choice(d.allNodes.filter((id) => id !== a));
  return d.rng.float() < 0.5 ? { type: 'oneWay', from: a, to: b } : { type: 'oneWay', from: b, to: a };
}

// A latency spike: messages to one node get an exponential delay until a link reset.
function slowLink(d: Draw, at: number): void {
  if (d.slowUntil > at) return;
  const end = endOf(d, d.slowRng, at, d.ms.partition);
  if (end === undefined) return;
  const node = d.slowRng.choice(d.targets);
  d.out.push({ at, fault: { type: 'link', link: { to: node, delay: { type: 'exponential', minMs: 1, meanMs: d.slowDelayMs } } } });
  d.out.push({ at: end, fault: { type: 'linkReset' } });
  d.slowUntil = end;
}

function clockJump(d: Draw, at: number): void {
  const node = d.rng.choice(d.targets);
  d.out.push({ at, fault: { type: 'clock', node, skewMs: roundMs((d.rng.float() * 2 - 1) * d.jumpMs) } });
}

/**
 * Draws the nemesis's fault schedule from the seed. Faults are drawn as Poisson processes per
 * kind; a crash or pause hits a node that is neither crashed nor paused while fewer than
 * `maxDown` are; at most one network fault (partition or one-way cut) is active at a time and
 * `heal` ends it. Every fault is undone before `untilMs`.
 */
export function drawNemesis(nemesis: NemesisOptions, allNodes: readonly NodeId[], maxTimeMs: number, seed: number | string): ScheduledFault[] {
  const d = startDraw(nemesis, allNodes, maxTimeMs, seed);
  for (const c of candidates(d, nemesis)) {
    for (const [id, end] of d.down) if (end <= c.at) d.down.delete(id);
    switch (c.kind) {
      case 'crash':
      case 'pause':
        crashOrPause(d, c.at, c.kind);
        break;
      case 'partition':
      case 'oneWay':
        networkFault(d, c.at, c.kind);
        break;
      case 'slow':
        slowLink(d, c.at);
        break;
      case 'clock':
        clockJump(d, c.at);
        break;
    }
  }
  // Stable by time: an undo scheduled at the same instant as a new fault keeps its draw order.
  return d.out.map((f, i) => ({ f, i })).sort((a, b) => a.f.at - b.f.at || a.i - b.i).map((x) => x.f);
}
