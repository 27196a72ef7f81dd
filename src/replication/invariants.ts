/**
 * The quorum key-value store's safety properties as core `Invariant`s, for the simulator, the
 * model checker and your own tests.
 *
 * @packageDocumentation
 */
import { always, canonicalJson, everyNode, type Invariant, type NodeId } from '../core/index.js';
import { dvvSize } from './dvv.js';
import type { QuorumKvClock, QuorumKvState } from './quorum-kv-types.js';

function eachClock(s: QuorumKvState, f: (key: string, clock: QuorumKvClock) => string | undefined): string | undefined {
  for (const key of Object.keys(s.store)) {
    const p = f(key, s.store[key]!);
    if (p !== undefined) return p;
  }
  for (const h of s.hints) {
    const p = f(h.key, h.clock);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** Dots are unique: no two nodes hold different values under the same (key, coordinator, counter). */
function uniqueDots(states: Readonly<Record<NodeId, QuorumKvState>>): string | true {
  const seen = new Map<string, { node: NodeId; value: string }>();
  for (const node of Object.keys(states)) {
    if (states[node]!.lastWriterWins) continue; // dvvLww moves the winner to its entry's newest dot
    const p = eachClock(states[node]!, (key, clock) => {
      for (const e of clock.entries) {
        for (let i = 0; i < e.values.length; i++) {
          const dot = JSON.stringify([key, e.id, e.counter - i]);
          const value = canonicalJson(e.values[i]);
          const other = seen.get(dot);
          if (other === undefined) seen.set(dot, { node, value });
          else if (other.value !== value) return `key ${JSON.stringify(key)}: ${node} and ${other.node} hold different versions under dot ${e.id}:${e.counter - i}`;
        }
      }
      return undefined;
    });
    if (p !== undefined) return p;
  }
  return true;
}

/** A coordinator's own store has seen every version it named: its counters never fall behind. */
function coordinatorsAhead(states: Readonly<Record<NodeId, QuorumKvState>>): string | true {
  for (const node of Object.keys(states)) {
    const p = eachClock(states[node]!, (key, clock) => {
      for (const e of clock.entries) {
        const own = states[e.id];
        if (own === undefined) continue; // down: its durable store is checked when it is back
        const mine = Object.hasOwn(own.store, key) ? own.store[key]!.entries.find((x) => x.id === e.id)?.counter ?? 0 : 0;
        if (mine < e.counter) return `key ${JSON.stringify(key)}: ${node} holds ${e.id}:${e.counter} but ${e.id} has seen only ${e.id}:${mine}`;
      }
      return undefined;
    });
    if (p !== undefined) return p;
  }
  return true;
}

/**
 * Safety of {@link quorumKv} (DeCandia et al. 2007 §4.4; Preguiça et al. 2010): every version has
 * one identity — no two nodes hold different values under the same dot (when siblings are kept;
 * last-writer-wins moves the surviving value to its entry's newest dot), and a coordinator's own
 * replica has seen every version it named (so its counter never repeats, crashes included) — and
 * every table stays within its limit (siblings per key, keys, hints, pending requests).
 *
 * @example
 * ```ts
 * import { quorumKv, quorumKvInvariants } from 'distkit/replication';
 * import { checkInvariants } from 'distkit/core';
 * const nodes = ['a', 'b'];
 * const states = { a: quorumKv.init({ id: 'a', nodes }), b: quorumKv.init({ id: 'b', nodes }) };
 * checkInvariants(quorumKvInvariants(), states); //=> undefined
 * ```
 */
export function quorumKvInvariants(): Invariant<QuorumKvState>[] {
  return [
    always<QuorumKvState>('quorum kv: one value per dot', uniqueDots),
    always<QuorumKvState>('quorum kv: a coordinator has seen every version it named', coordinatorsAhead),
    everyNode<QuorumKvState>('quorum kv: every table within its limit', (s) => {
      const l = s.limits;
      const tooMany = eachClock(s, (key, c) => (dvvSize(c) > l.maxSiblings ? key : undefined));
      return tooMany === undefined && s.keyCount === Object.keys(s.store).length && s.keyCount <= l.maxKeys && s.hints.length <= l.maxHints && s.pending.length <= l.maxPending;
    }),
  ];
}
