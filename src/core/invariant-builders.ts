/**
 * Builders for the common shapes of {@link Invariant}: a predicate that must always (or never)
 * hold, at most one node (per key) in some role, agreement on decisions, a per-node property,
 * convergence. Every builder takes the invariant's `name` first.
 *
 * @packageDocumentation
 */
import type { NodeId } from './machine.js';
import type { Invariant, InvariantView } from './invariant.js';
import { canonicalJson } from './json.js';

/**
 * The states an invariant sees, keyed by node id.
 *
 * @example
 * ```ts
 * import type { States } from 'distkit/core';
 * const s: States<{ term: number }> = { a: { term: 1 } };
 * ```
 */
export type States<S> = Readonly<Record<NodeId, S>>;

/**
 * An invariant from a predicate that must hold in every snapshot. The predicate returns
 * `true` (holds), `false` (violated) or a string (violated, with this description).
 *
 * @example
 * ```ts
 * import { always, checkInvariants } from 'distkit/core';
 * const bounded = always<{ n: number }>('counters stay below 10', (states) => Object.values(states).every((s) => s.n < 10));
 * checkInvariants([bounded], { a: { n: 12 } })?.description; //=> 'counters stay below 10: violated'
 * ```
 */
export function always<S>(name: string, predicate: (states: States<S>, view: InvariantView) => boolean | string): Invariant<S> {
  return {
    name,
    check(states, view) {
      const r = predicate(states, view);
      if (r === true) return undefined;
      return typeof r === 'string' ? r : `${name}: violated`;
    },
  };
}

/**
 * An invariant from a predicate over all states that must never be true ("never two nodes in
 * state Y"). The predicate returns `false` (fine), `true` (violated) or a string (violated, with
 * this description).
 *
 * @example
 * ```ts
 * import { never, checkInvariants } from 'distkit/core';
 * type S = { role: 'leader' | 'follower' };
 * const twoLeaders = never<S>('two leaders', (states) => Object.values(states).filter((s) => s.role === 'leader').length > 1);
 * checkInvariants([twoLeaders], { a: { role: 'leader' }, b: { role: 'leader' } })?.description; //=> 'two leaders: happened'
 * ```
 */
export function never<S>(name: string, predicate: (states: States<S>, view: InvariantView) => boolean | string): Invariant<S> {
  return always<S>(name, (states, view) => {
    const r = predicate(states, view);
    return r === false || (typeof r === 'string' ? r : `${name}: happened`);
  });
}

/**
 * At most one node satisfies `predicate` (mutual exclusion: at most one node in the critical
 * section; at most one lock holder).
 *
 * @example
 * ```ts
 * import { atMostOne, checkInvariants } from 'distkit/core';
 * const mutex = atMostOne<{ inCs: boolean }>('mutual exclusion', (s) => s.inCs);
 * checkInvariants([mutex], { a: { inCs: true }, b: { inCs: false } }); //=> undefined
 * ```
 */
export function atMostOne<S>(name: string, predicate: (state: S, id: NodeId) => boolean): Invariant<S> {
  return {
    name,
    check(states) {
      const holders: NodeId[] = [];
      for (const id of Object.keys(states)) if (predicate(states[id] as S, id)) holders.push(id);
      return holders.length > 1 ? `${holders.join(', ')} all hold` : undefined;
    },
  };
}

/**
 * Among the nodes satisfying `predicate`, at most one per key ("at most one leader per term":
 * Raft's Election Safety, Ongaro & Ousterhout 2014, Figure 3). `key` gives the key of a node's
 * state; keys compare by canonical JSON.
 *
 * @example
 * ```ts
 * import { atMostOnePer, checkInvariants } from 'distkit/core';
 * type S = { role: 'leader' | 'follower'; term: number };
 * const electionSafety = atMostOnePer<S>('at most one leader per term', (s) => s.role === 'leader', (s) => s.term);
 * checkInvariants([electionSafety], { a: { role: 'leader', term: 2 }, b: { role: 'leader', term: 2 } })?.description;
 * //=> 'a and b for key 2'
 * ```
 */
export function atMostOnePer<S>(name: string, predicate: (state: S, id: NodeId) => boolean, key: (state: S, id: NodeId) => unknown): Invariant<S> {
  return {
    name,
    check(states) {
      const seen = new Map<string, NodeId>();
      for (const id of Object.keys(states)) {
        const s = states[id] as S;
        if (!predicate(s, id)) continue;
        const k = canonicalJson(key(s, id));
        const other = seen.get(k);
        if (other !== undefined) return `${other} and ${id} for key ${k}`;
        seen.set(k, id);
      }
      return undefined;
    },
  };
}

/**
 * The first two nodes whose values differ, by canonical JSON; `value` returns `undefined` for a
 * node that does not take part.
 */
function firstDifference<S>(states: States<S>, value: (state: S, id: NodeId) => string | undefined): [NodeId, string, NodeId, string] | undefined {
  let first: { id: NodeId; value: string } | undefined;
  for (const id of Object.keys(states)) {
    const v = value(states[id] as S, id);
    if (v === undefined) continue;
    if (first === undefined) first = { id, value: v };
    else if (first.value !== v) return [first.id, first.value, id, v];
  }
  return undefined;
}

/**
 * Agreement: every node that has decided (`decision` returns a value other than `undefined`)
 * decided the same value (consensus Agreement, Lamport 2001 "Paxos Made Simple" §1; 2PC
 * atomicity). Values compare by canonical JSON.
 *
 * @example
 * ```ts
 * import { agreement, checkInvariants } from 'distkit/core';
 * const agree = agreement<{ decided?: string }>('agreement', (s) => s.decided);
 * checkInvariants([agree], { a: { decided: 'x' }, b: {}, c: { decided: 'y' } })?.description; //=> 'a decided "x" but c decided "y"'
 * ```
 */
export function agreement<S>(name: string, decision: (state: S, id: NodeId) => unknown): Invariant<S> {
  return {
    name,
    check(states) {
      const d = firstDifference(states, (s, id) => {
        const v = decision(s, id);
        return v === undefined ? undefined : canonicalJson(v);
      });
      return d === undefined ? undefined : `${d[0]} decided ${d[1]} but ${d[2]} decided ${d[3]}`;
    },
  };
}

/**
 * Per-node invariant: `predicate` holds for every node's state on its own.
 *
 * @example
 * ```ts
 * import { everyNode, checkInvariants } from 'distkit/core';
 * const sane = everyNode<{ commitIndex: number; log: unknown[] }>('commitIndex within the log', (s) => s.commitIndex <= s.log.length);
 * checkInvariants([sane], { a: { commitIndex: 3, log: [] } })?.description; //=> 'a: commitIndex within the log does not hold'
 * ```
 */
export function everyNode<S>(name: string, predicate: (state: S, id: NodeId) => boolean): Invariant<S> {
  return {
    name,
    check(states) {
      for (const id of Object.keys(states)) if (!predicate(states[id] as S, id)) return `${id}: ${name} does not hold`;
      return undefined;
    },
  };
}

/**
 * Convergence: every node's projection is equal (CRDT and anti-entropy convergence, Shapiro et
 * al. 2011 §2.3; replicas after quiescence). Unlike {@link agreement}, a node without a value
 * counts. Meant for quiescent states — check it when the run has settled, not after every step.
 *
 * @example
 * ```ts
 * import { converged, checkInvariants } from 'distkit/core';
 * const same = converged<{ counter: Record<string, number> }>('converged', (s) => s.counter);
 * checkInvariants([same], { a: { counter: { a: 1 } }, b: { counter: {} } })?.description; //=> 'a has {"a":1} but b has {}'
 * ```
 */
export function converged<S>(name: string, project: (state: S, id: NodeId) => unknown): Invariant<S> {
  return {
    name,
    check(states) {
      const d = firstDifference(states, (s, id) => canonicalJson(project(s, id)));
      return d === undefined ? undefined : `${d[0]} has ${d[1]} but ${d[2]} has ${d[3]}`;
    },
  };
}
