// An exhaustive explorer for small configurations of durable machines: breadth-first over every
// interleaving of message deliveries, losses, duplicate deliveries, timeouts, crashes (between
// steps, or after a step's persist but before its sends), recoveries and host choices, with
// bounded budgets for each fault. States are deduplicated by their JSON form. Every step goes
// through the shared runtime (applyStep, foldPersist, restartState): a node restarts from the
// image its persist records built, never from its last in-memory state.
import { applyStep, foldPersist, initialImage, messageInput, restartState, stampNow } from 'distkit/core';
import type { AnyMachine } from './world.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
interface NodeSlot {
  state: any;
  stored: any;
  /** The node's clock: model time moves only at its timeouts. */
  now: number;
  up: boolean;
  ticks: number;
  crashes: number;
}
interface Pending {
  node: string;
  inputs: any[];
}
export interface Global {
  nodes: Record<string, NodeSlot>;
  net: string[]; // JSON of {from,to,message}, sorted (a multiset)
  pending: Pending[]; // host choices still to make
  losses: number;
  dups: number;
  events: Record<string, string[]>; // node -> event strings of interest, in order
}

export interface ExploreConfig {
  nodes: Record<string, { machine: AnyMachine; config: unknown }>;
  /** Inputs fed at the start (local commands), as host choices already made. */
  initial: { node: string; input: unknown }[];
  maxTicks: Record<string, number>;
  maxCrashes: Record<string, number>;
  maxLosses: number;
  maxDups: number;
  /** Turns an output event into host choices (e.g. voteRequested → vote yes | vote no). */
  hostChoices?: (node: string, output: any) => any[] | undefined;
  /** Which outputs to remember (as strings) for the invariant. */
  remember: (node: string, output: any) => string | undefined;
  invariant: (g: Global) => string | undefined;
  maxStates?: number;
}

export interface ExploreResult {
  states: number;
  transitions: number;
  violation?: { problem: string; path: string[] };
  terminal: number;
}

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

// Machine states are immutable (step never mutates), so a global state copies only its spine.
function copy(g: Global): Global {
  const nodes: Record<string, NodeSlot> = {};
  for (const [k, v] of Object.entries(g.nodes)) nodes[k] = { ...v };
  return { nodes, net: g.net.slice(), pending: g.pending.slice(), losses: g.losses, dups: g.dups, events: { ...g.events } };
}

// Node states are shared between global states, so their JSON is cached per object.
const jsonCache = new WeakMap<object, string>();
function j(x: unknown): string {
  if (x === null || typeof x !== 'object') return JSON.stringify(x);
  let s = jsonCache.get(x);
  if (s === undefined) {
    s = JSON.stringify(x);
    jsonCache.set(x, s);
  }
  return s;
}
function keyOf(g: Global): string {
  const parts: string[] = [];
  for (const [id, n] of Object.entries(g.nodes)) parts.push(id, j(n.state), j(n.stored), String(n.now), n.up ? '1' : '0', String(n.ticks), String(n.crashes), g.events[id]!.join(','));
  parts.push(g.net.join('|'), JSON.stringify(g.pending), String(g.losses), String(g.dups));
  return parts.join('\u0000');
}

export function explore(cfg: ExploreConfig): ExploreResult {
  const ids = Object.keys(cfg.nodes);
  const start: Global = { nodes: {}, net: [], pending: [], losses: 0, dups: 0, events: {} };
  for (const id of ids) {
    const { machine, config } = cfg.nodes[id]!;
    const state = machine.init(config);
    start.nodes[id] = { state, stored: initialImage(machine, state), now: 0, up: true, ticks: 0, crashes: 0 };
    start.events[id] = [];
  }
  let g0 = start;
  for (const { node, input } of cfg.initial) g0 = apply(cfg, g0, node, input, false).g;

  const seen = new Map<string, { parent: string | null; label: string }>();
  const key0 = keyOf(g0);
  seen.set(key0, { parent: null, label: 'start' });
  let frontier: [string, Global][] = [[key0, g0]];
  let transitions = 0;
  let terminal = 0;
  const pathTo = (k: string): string[] => {
    const out: string[] = [];
    let cur: string | null = k;
    while (cur !== null) {
      const e: { parent: string | null; label: string } = seen.get(cur)!;
      out.push(e.label);
      cur = e.parent;
    }
    return out.reverse();
  };
  const bad0 = cfg.invariant(g0);
  if (bad0) return { states: 1, transitions: 0, terminal: 0, violation: { problem: bad0, path: ['start'] } };
  while (frontier.length > 0) {
    const next: [string, Global][] = [];
    for (const [k, g] of frontier) {
      const succ = successors(cfg, g, ids);
      if (succ.length === 0) terminal++;
      for (const [label, h] of succ) {
        transitions++;
        const hk = keyOf(h);
        if (seen.has(hk)) continue;
        seen.set(hk, { parent: k, label });
        const bad = cfg.invariant(h);
        if (bad) return { states: seen.size, transitions, terminal, violation: { problem: bad, path: pathTo(hk) } };
        if (seen.size > (cfg.maxStates ?? 2_000_000)) throw new Error(`explore: more than ${cfg.maxStates} states`);
        next.push([hk, h]);
      }
    }
    frontier = next;
  }
  return { states: seen.size, transitions, terminal };
}

function apply(cfg: ExploreConfig, g0: Global, node: string, input: unknown, crashAfterPersist: boolean): { g: Global } {
  const g = copy(g0);
  const slot = g.nodes[node]!;
  const { machine } = cfg.nodes[node]!;
  const stamped = stampNow(input, slot.now) as { now: number };
  slot.now = Math.max(slot.now, stamped.now);
  const t = applyStep(machine, slot.state, stamped);
  slot.state = t.state;
  if (t.persist !== undefined) slot.stored = foldPersist(machine, slot.stored, t.persist.record);
  if (crashAfterPersist) {
    slot.up = false;
    slot.crashes++;
    g.pending = g.pending.filter((p) => p.node !== node);
    return { g };
  }
  for (const o of t.outputs as any[]) {
    if (o.type === 'send') g.net.push(JSON.stringify({ from: node, to: o.to, message: o.message }));
    const r = cfg.remember(node, o);
    if (r !== undefined && !g.events[node]!.includes(r)) g.events[node] = [...g.events[node]!, r].sort();
    const choices = cfg.hostChoices?.(node, o);
    if (choices) g.pending.push({ node, inputs: choices });
  }
  g.net.sort();
  return { g };
}

function successors(cfg: ExploreConfig, g: Global, ids: string[]): [string, Global][] {
  const out: [string, Global][] = [];
  const stepBoth = (label: string, base: Global, node: string, input: unknown): void => {
    out.push([label, apply(cfg, base, node, input, false).g]);
    const slot = base.nodes[node]!;
    if (slot.crashes < (cfg.maxCrashes[node] ?? 0)) out.push([`${label} then crash ${node} after persist`, apply(cfg, base, node, input, true).g]);
  };
  const distinct = [...new Set(g.net)];
  for (const m of distinct) {
    const { from, to, message } = JSON.parse(m) as { from: string; to: string; message: unknown };
    const rest = copy(g);
    rest.net.splice(rest.net.indexOf(m), 1);
    if (!g.nodes[to]!.up) {
      out.push([`drop ${m} (down)`, rest]);
      continue;
    }
    stepBoth(`deliver ${m}`, rest, to, messageInput(from, message, g.nodes[to]!.now));
    if (g.losses < cfg.maxLosses) out.push([`lose ${m}`, { ...rest, losses: g.losses + 1 }]);
    if (g.dups < cfg.maxDups) stepBoth(`deliver copy ${m}`, { ...copy(g), dups: g.dups + 1 }, to, messageInput(from, message, g.nodes[to]!.now));
  }
  for (let i = 0; i < g.pending.length; i++) {
    const p = g.pending[i]!;
    if (!g.nodes[p.node]!.up) continue;
    for (const input of p.inputs) {
      const rest = copy(g);
      rest.pending.splice(i, 1);
      stepBoth(`${p.node} host ${JSON.stringify(input)}`, rest, p.node, input);
    }
  }
  for (const id of ids) {
    const slot = g.nodes[id]!;
    const { machine, config } = cfg.nodes[id]!;
    if (slot.up) {
      const d = machine.nextDeadline?.(slot.state);
      if (d !== undefined && slot.ticks < (cfg.maxTicks[id] ?? 0)) {
        const h = copy(g);
        h.nodes[id]!.ticks++;
        stepBoth(`timeout ${id} at ${d}`, h, id, { type: 'tick', now: Math.max(d, slot.now) });
      }
      if (slot.crashes < (cfg.maxCrashes[id] ?? 0)) {
        const h = copy(g);
        h.nodes[id]!.up = false;
        h.nodes[id]!.crashes++;
        h.pending = h.pending.filter((p) => p.node !== id);
        out.push([`crash ${id}`, h]);
      }
    } else {
      const h = copy(g);
      const s = h.nodes[id]!;
      s.up = true;
      s.state = restartState(machine, config, clone(s.stored));
      out.push([`recover ${id}`, h]);
    }
  }
  return out;
}
