// A small exhaustive explorer for the mutual-exclusion machines: from the initial states it tries
// every interleaving of message deliveries (any order, so reordering is covered), requests and
// releases, deduplicating visited global states. It checks mutual exclusion in every state and,
// in every final state (nothing left to do), that every request was served: no deadlock.
// Every step goes through the shared runtime (`applyStep`: transition shape, persist rule); the
// machines here keep no time in their states, so every input is stamped with the same `now`.
import { applyStep, type Machine, type NodeId } from 'distkit/core';
import type { MutexInput } from 'distkit/mutex';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type M = Machine<any, any, MutexInput, any>;

interface Global {
  states: unknown[];
  phase: ('idle' | 'wanting' | 'held')[];
  budget: number[];
  net: { from: number; to: number; message: unknown }[];
}

export interface ExploreResult {
  states: number;
  transitions: number;
  finals: number;
  maxInFlight: number;
  /** Distinct reasons of rejected (stale) messages met on the way. */
  rejected: string[];
}

export function explore(machine: M, inits: unknown[], ids: NodeId[], requestsPerNode: number, maxStates = 2_000_000): ExploreResult {
  const start: Global = { states: inits, phase: inits.map(() => 'idle'), budget: inits.map(() => requestsPerNode), net: [] };
  const key = (g: Global): string =>
    JSON.stringify([g.states, g.phase, g.budget, g.net.map((m) => JSON.stringify(m)).sort()]);
  const seen = new Set<string>([key(start)]);
  const stack: Global[] = [start];
  let transitions = 0;
  let finals = 0;
  let maxInFlight = 0;
  const rejected = new Set<string>();

  const apply = (g: Global, node: number, input: MutexInput, netRest: Global['net']): Global => {
    const t = applyStep(machine, g.states[node], input);
    const states = g.states.slice();
    states[node] = t.state;
    const phase = g.phase.slice();
    const budget = g.budget.slice();
    const net = netRest.slice();
    if (input.type === 'request') {
      phase[node] = 'wanting';
      budget[node]!--;
    }
    if (input.type === 'release') phase[node] = 'idle';
    for (const o of t.outputs as { type: string; to?: NodeId; message?: unknown; reason?: string }[]) {
      if (o.type === 'send') net.push({ from: node, to: ids.indexOf(o.to!), message: o.message });
      else if (o.type === 'enter') {
        if (phase[node] !== 'wanting') throw new Error(`${ids[node]} entered without wanting`);
        phase[node] = 'held';
      } else if (o.type === 'rejected') {
        rejected.add(o.reason!.replace(/\d+/g, '#'));
      }
    }
    if (phase.filter((p) => p === 'held').length > 1) {
      throw new Error(`mutual exclusion violated: ${phase.map((p, i) => `${ids[i]}:${p}`).join(' ')}`);
    }
    return { states, phase, budget, net };
  };

  while (stack.length > 0) {
    const g = stack.pop()!;
    maxInFlight = Math.max(maxInFlight, g.net.length);
    const next: Global[] = [];
    g.net.forEach((m, i) => {
      const rest = g.net.slice(0, i).concat(g.net.slice(i + 1));
      next.push(apply(g, m.to, { type: 'message', from: ids[m.from]!, message: m.message, now: 0 }, rest));
    });
    g.phase.forEach((p, i) => {
      if (p === 'idle' && g.budget[i]! > 0) next.push(apply(g, i, { type: 'request', now: 0 }, g.net));
      if (p === 'held') next.push(apply(g, i, { type: 'release', now: 0 }, g.net));
    });
    if (next.length === 0) {
      finals++;
      if (g.phase.some((p) => p !== 'idle') || g.budget.some((b) => b > 0)) {
        throw new Error(`deadlock: final state with ${g.phase.join(',')} budgets ${g.budget.join(',')}`);
      }
    }
    for (const n of next) {
      transitions++;
      const k = key(n);
      if (!seen.has(k)) {
        seen.add(k);
        if (seen.size > maxStates) throw new Error(`more than ${maxStates} states`);
        stack.push(n);
      }
    }
  }
  return { states: seen.size, transitions, finals, maxInFlight, rejected: [...rejected].sort() };
}
