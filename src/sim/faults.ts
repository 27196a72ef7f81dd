// Faults: the schedule (scripted faults merged with the ones the nemesis draws from the seed)
// and what each fault does to the nodes and the network.
import type { NodeId } from '../core/index.js';
import { drawNemesis } from './nemesis.js';
import type { Network } from './network.js';
import type { Nodes } from './nodes.js';
import type { Fault, ScheduledFault, SimulateOptions } from './types.js';

/** Scripted and drawn faults in time order (scripted first at equal times, each in its own order). */
export function faultSchedule(options: SimulateOptions<unknown, unknown>, ids: readonly NodeId[], maxTimeMs: number): ScheduledFault[] {
  const scripted = options.faults ?? [];
  const drawn = options.nemesis !== undefined ? drawNemesis(options.nemesis, ids, maxTimeMs, options.seed) : [];
  return [...scripted, ...drawn]
    .map((f, i) => ({ f, i }))
    .sort((a, b) => a.f.at - b.f.at || a.i - b.i)
    .map((x) => x.f);
}

/** Applies a fault at virtual time `now`. A crash of a crashed node, and the like, does nothing. */
export function applyFault(f: Fault, nodes: Nodes, net: Network, now: number): void {
  switch (f.type) {
    case 'crash': {
      const nd = nodes.byId(f.node);
      if (nd.up) nodes.crash(nd);
      return;
    }
    case 'restart': {
      const nd = nodes.byId(f.node);
      if (!nd.up) nodes.start(nd, true, now);
      return;
    }
    case 'pause': {
      const nd = nodes.byId(f.node);
      if (nd.up) nd.paused = true;
      return;
    }
    case 'resume': {
      const nd = nodes.byId(f.node);
      if (nd.up && nd.paused) nodes.resume(nd, now);
      return;
    }
    case 'clock': {
      const nd = nodes.byId(f.node);
      if (f.skewMs !== undefined) nd.clock.skewMs = f.skewMs;
      if (f.drift !== undefined) nd.clock.drift = f.drift;
      if (nd.up && !nd.paused) nodes.rearm(nd, now);
      return;
    }
    case 'partition':
      net.partition(f.groups.map((g) => g.map((id) => nodes.index(id)!)));
      return;
    case 'oneWay':
      net.cutOneWay(nodes.index(f.from)!, nodes.index(f.to)!);
      return;
    case 'heal':
      net.heal();
      return;
    case 'link':
      net.override(f.link.from === undefined ? -1 : nodes.index(f.link.from)!, f.link.to === undefined ? -1 : nodes.index(f.link.to)!, f.link);
      return;
    case 'linkReset':
      net.reset();
      return;
  }
}
