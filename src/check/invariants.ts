/**
 * Invariants over the states of all nodes, shared by the simulator and the model checker.
 *
 * @packageDocumentation
 */
import type { NodeId } from '../core/index.js';
import { canonicalJson } from './hash.js';

/**
 * A safety property over a snapshot of every node's state: `check` returns `undefined` when it
 * holds, or a description of the violation (which nodes, which values). The simulator checks
 * invariants after every step and the model checker at every state it reaches; both stop at the
 * first violation and report `name` with the description.
 *
 * `check` must be pure and must not mutate the states. It sees a plain record keyed by node id;
 * nodes that are down may be absent.
 *
 * @typeParam S - the node state type (a union when nodes run different machines).
 * @example
 * ```ts
 * import type { Invariant } from 'distkit/check';
 * const termsNonNegative: Invariant<{ term: number }> = {
 *   name: 'terms are non-negative',
 *   check: (states) => {
 *     for (const [id, s] of Object.entries(states)) if (s.term < 0) return `${id} has term ${s.term}`;
 *     return undefined;
 *   },
 * };
 * ```
 */
export interface Invariant<S> {
  /** What must hold, e.g. `'at most one leader per term'`. */
  readonly name: string;
  /** Returns `undefined` when the invariant holds in `states`, else what is wrong. */
  check(states: Readonly<Record<NodeId, S>>): string | undefined;
}

/**
 * A failed invariant: its name and the violation description.
 *
 * @example
 * ```ts
 * import type { InvariantViolation } from 'distkit/check';
 * const v: InvariantViolation = { invariant: 'mutual exclusion', description: 'a and b are both in the critical section' };
 * ```
 */
export interface InvariantViolation {
  /** The invariant's name. */
  readonly invariant: string;
  /** What its `check` returned. */
  readonly description: string;
}

/**
 * Checks invariants in order and returns the first violation, or `undefined` when all hold.
 *
 * @example
 * ```ts
 * import { checkInvariants, atMostOne } from 'distkit/check';
 * const inCs = atMostOne<{ inCs: boolean }>((s) => s.inCs, 'mutual exclusion');
 * checkInvariants([inCs], { a: { inCs: true }, b: { inCs: true } });
 * //=> { invariant: 'mutual exclusion', description: 'a, b all hold' }
 * ```
 */
export function checkInvariants<S>(invariants: readonly Invariant<S>[], states: Readonly<Record<NodeId, S>>): InvariantViolation | undefined {
  for (const inv of invariants) {
    const description = inv.check(states);
    if (description !== undefined) return { invariant: inv.name, description };
  }
  return undefined;
}

/**
 * An invariant from a predicate that must hold in every snapshot. The predicate returns
 * `true` (holds), `false` (violated) or a string (violated, with this description).
 *
 * @example
 * ```ts
 * import { always } from 'distkit/check';
 * const bounded = always<{ n: number }>('counters stay below 10', (states) => Object.values(states).every((s) => s.n < 10));
 * bounded.check({ a: { n: 12 } }); //=> 'counters stay below 10: violated'
 * ```
 */
export function always<S>(name: string, predicate: (states: Readonly<Record<NodeId, S>>) => boolean | string): Invariant<S> {
  return {
    name,
    check(states) {
      const r = predicate(states);
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
 * import { never } from 'distkit/check';
 * type S = { role: 'leader' | 'follower' };
 * const twoLeaders = never<S>('two leaders', (states) => Object.values(states).filter((s) => s.role === 'leader').length > 1);
 * twoLeaders.check({ a: { role: 'leader' }, b: { role: 'leader' } }); //=> 'two leaders: happened'
 * ```
 */
export function never<S>(name: string, predicate: (states: Readonly<Record<NodeId, S>>) => boolean | string): Invariant<S> {
  return {
    name,
    check(states) {
      const r = predicate(states);
      if (r === false) return undefined;
      return typeof r === 'string' ? r : `${name}: happened`;
    },
  };
}

/**
 * At most one node satisfies `predicate` (mutual exclusion: at most one node in the critical
 * section; at most one lock holder).
 *
 * @example
 * ```ts
 * import { atMostOne } from 'distkit/check';
 * const mutex = atMostOne<{ inCs: boolean }>((s) => s.inCs, 'mutual exclusion');
 * mutex.check({ a: { inCs: true }, b: { inCs: false } }); //=> undefined
 * ```
 */
export function atMostOne<S>(predicate: (state: S, id: NodeId) => boolean, name = 'at most one node'): Invariant<S> {
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
 * Raft's Election Safety, Ongaro & Ousterhout 2014, Figure 3). `keyFn` gives the key of a node's
 * state; keys compare by canonical JSON.
 *
 * @example
 * ```ts
 * import { atMostOnePer } from 'distkit/check';
 * type S = { role: 'leader' | 'follower'; term: number };
 * const electionSafety = atMostOnePer<S>((s) => s.term, (s) => s.role === 'leader', 'at most one leader per term');
 * electionSafety.check({ a: { role: 'leader', term: 2 }, b: { role: 'leader', term: 2 } });
 * //=> 'a and b for key 2'
 * ```
 */
export function atMostOnePer<S>(
  keyFn: (state: S, id: NodeId) => unknown,
  predicate: (state: S, id: NodeId) => boolean,
  name = 'at most one per key',
): Invariant<S> {
  return {
    name,
    check(states) {
      const seen = new Map<string, NodeId>();
      for (const id of Object.keys(states)) {
        const s = states[id] as S;
        if (!predicate(s, id)) continue;
        const key = canonicalJson(keyFn(s, id));
        const other = seen.get(key);
        if (other !== undefined) return `${other} and ${id} for key ${key}`;
        seen.set(key, id);
      }
      return undefined;
    },
  };
}

/**
 * Agreement: every node that has decided (`decision` returns a value other than `undefined`)
 * decided the same value (consensus Agreement, Lamport 2001 "Paxos Made Simple" §1; 2PC
 * atomicity). Values compare by canonical JSON.
 *
 * @example
 * ```ts
 * import { agreement } from 'distkit/check';
 * const agree = agreement<{ decided?: string }>((s) => s.decided);
 * agree.check({ a: { decided: 'x' }, b: {}, c: { decided: 'y' } }); //=> 'a decided "x" but c decided "y"'
 * ```
 */
export function agreement<S>(decision: (state: S, id: NodeId) => unknown, name = 'agreement'): Invariant<S> {
  return {
    name,
    check(states) {
      let first: { id: NodeId; value: string } | undefined;
      for (const id of Object.keys(states)) {
        const d = decision(states[id] as S, id);
        if (d === undefined) continue;
        const value = canonicalJson(d);
        if (first === undefined) first = { id, value };
        else if (first.value !== value) return `${first.id} decided ${first.value} but ${id} decided ${value}`;
      }
      return undefined;
    },
  };
}

/**
 * Per-node invariant: `predicate` holds for every node's state on its own.
 *
 * @example
 * ```ts
 * import { everyNode } from 'distkit/check';
 * const sane = everyNode<{ commitIndex: number; log: unknown[] }>('commitIndex within the log', (s) => s.commitIndex <= s.log.length);
 * sane.check({ a: { commitIndex: 3, log: [] } }); //=> 'a: commitIndex within the log does not hold'
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
 * import { converged } from 'distkit/check';
 * const same = converged<{ counter: Record<string, number> }>((s) => s.counter);
 * same.check({ a: { counter: { a: 1 } }, b: { counter: {} } }); //=> 'a has {"a":1} but b has {}'
 * ```
 */
export function converged<S>(project: (state: S, id: NodeId) => unknown, name = 'converged'): Invariant<S> {
  return {
    name,
    check(states) {
      let first: { id: NodeId; value: string } | undefined;
      for (const id of Object.keys(states)) {
        const value = canonicalJson(project(states[id] as S, id));
        if (first === undefined) first = { id, value };
        else if (first.value !== value) return `${first.id} has ${first.value} but ${id} has ${value}`;
      }
      return undefined;
    },
  };
}
