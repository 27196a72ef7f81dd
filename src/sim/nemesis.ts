import { Random, type NodeId } from '../core/index.js';
import type { NemesisOptions, ScheduledFault } from './types.js';

interface Candidate {
  readonly at: number;
  readonly kind: 'crash' | 'partition' | 'oneWay' | 'pause' | 'clock' | 'slow';
}

function roundMs(x: number): number {
  return Math.round(x * 1000) / 1000;
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

/**
 * Draws the nemesis's fault schedule from the seed. Faults are drawn as Poisson processes per
 * kind; a crash or pause hits a node that is neither crashed nor paused while fewer than
 * `maxDown` are; at most one network fault (partition or one-way cut) is active at a time and
 * `heal` ends it. Every fault is undone before `untilMs`.
 */
export function drawNemesis(
  nemesis: NemesisOptions,
  allNodes: readonly NodeId[],
  maxTimeMs: number,
  seed: number | string,
): ScheduledFault[] {
  const rng = new Random(`${String(seed)}/nemesis`);
  const from = nemesis.fromMs ?? 0;
  const until = Math.min(nemesis.untilMs ?? maxTimeMs, maxTimeMs);
  const targets = nemesis.nodes ?? allNodes;
  const maxDown = nemesis.maxDown ?? Math.floor((allNodes.length - 1) / 2);
  const downMs = nemesis.downMs ?? [100, 1000];
  const partitionMs = nemesis.partitionMs ?? [100, 1000];
  const pauseMs = nemesis.pauseMs ?? [50, 500];
  const jumpMs = nemesis.clockJumpMs ?? 1000;

  const candidates: Candidate[] = [];
  poisson(rng, nemesis.crashRate ?? 0, from, until, 'crash', candidates);
  poisson(rng, nemesis.partitionRate ?? 0, from, until, 'partition', candidates);
  poisson(rng, nemesis.oneWayRate ?? 0, from, until, 'oneWay', candidates);
  poisson(rng, nemesis.pauseRate ?? 0, from, until, 'pause', candidates);
  poisson(rng, nemesis.clockJumpRate ?? 0, from, until, 'clock', candidates);
  // Latency spikes draw from their own stream, so turning them on leaves a seed's other faults as they were.
  const slowRng = new Random(`${String(seed)}/nemesis/slow`);
  poisson(slowRng, nemesis.slowRate ?? 0, from, until, 'slow', candidates);
  candidates.sort((a, b) => a.at - b.at);

  const out: ScheduledFault[] = [];
  // Nodes crashed or paused, with the time they come back; the network fault's end.
  const down = new Map<NodeId, number>();
  let netUntil = -1;
  let slowUntil = -1;
  const slowDelayMs = nemesis.slowDelayMs ?? 200;
  for (const c of candidates) {
    for (const [id, end] of down) if (end <= c.at) down.delete(id);
    switch (c.kind) {
      case 'crash':
      case 'pause': {
        if (down.size >= maxDown) break;
        const free = targets.filter((id) => !down.has(id));
        if (free.length === 0) break;
        const node = rng.choice(free);
        const end = Math.min(roundMs(c.at + between(rng, c.kind === 'crash' ? downMs : pauseMs)), until);
        if (end <= c.at) break;
        down.set(node, end);
        out.push({ at: c.at, fault: { type: c.kind, node } });
        out.push({ at: end, fault: { type: c.kind === 'crash' ? 'restart' : 'resume', node } });
        break;
      }
      case 'partition':
      case 'oneWay': {
        if (netUntil > c.at || allNodes.length < 2) break;
        const end = Math.min(roundMs(c.at + between(rng, partitionMs)), until);
        if (end <= c.at) break;
        if (c.kind === 'partition') {
          const order = allNodes.slice();
          for (let i = order.length - 1; i > 0; i--) {
            const j = rng.int(0, i + 1);
            const tmp = order[i]!;
            order[i] = order[j]!;
            order[j] = tmp;
          }
          const k = rng.int(1, Math.floor(order.length / 2) + 1);
          out.push({ at: c.at, fault: { type: 'partition', groups: [order.slice(0, k), order.slice(k)] } });
        } else {
          const a = rng.choice(targets);
          const others = allNodes.filter((id) => id !== a);
          const b = rng.choice(others);
          out.push({ at: c.at, fault: rng.float() < 0.5 ? { type: 'oneWay', from: a, to: b } : { type: 'oneWay', from: b, to: a } });
        }
        out.push({ at: end, fault: { type: 'heal' } });
        netUntil = end;
        break;
      }
      case 'slow': {
        if (slowUntil > c.at) break;
        const end = Math.min(roundMs(c.at + between(slowRng, partitionMs)), until);
        if (end <= c.at) break;
        const node = slowRng.choice(targets);
        out.push({ at: c.at, fault: { type: 'link', link: { to: node, delay: { type: 'exponential', minMs: 1, meanMs: slowDelayMs } } } });
        out.push({ at: end, fault: { type: 'linkReset' } });
        slowUntil = end;
        break;
      }
      case 'clock': {
        const node = rng.choice(targets);
        out.push({ at: c.at, fault: { type: 'clock', node, skewMs: roundMs((rng.float() * 2 - 1) * jumpMs) } });
        break;
      }
    }
  }
  // Stable by time: an undo scheduled at the same instant as a new fault keeps its draw order.
  return out.map((f, i) => ({ f, i })).sort((a, b) => a.f.at - b.f.at || a.i - b.i).map((x) => x.f);
}
