/**
 * Safety and convergence properties of the COPS causal+ replica, for the simulator, the model
 * checker and tests.
 *
 * @packageDocumentation
 */
import type { Invariant } from '../core/index.js';
import { canonicalJson, converged, getOwn } from '../core/index.js';
import type { CopsState } from './cops-types.js';

function dependencyMissing(s: CopsState): string | undefined {
  for (const key of Object.keys(s.store)) {
    const e = getOwn(s.store, key)!;
    for (const d of e.deps) {
      const ok = d.version.node === s.id ? d.version.time <= s.issued : (getOwn(s.applied, d.version.node)?.time ?? 0) >= d.version.time;
      if (!ok) return `${s.id} shows ${JSON.stringify(key)}@${e.version.time}.${e.version.node} but not its dependency ${JSON.stringify(d.key)}@${d.version.time}.${d.version.node}`;
    }
    if (e.version.time > s.clock) return `${s.id} holds version ${e.version.time} of ${JSON.stringify(key)} beyond its Lamport clock ${s.clock}`;
  }
  return undefined;
}

/**
 * The COPS replica's safety properties: every visible write's nearest dependencies are visible at
 * the same replica (causal+ visibility, COPS §4.3), the Lamport clock is at or above every version
 * held (§4), and no replica has applied a write its origin never issued.
 *
 * @example
 * ```ts
 * import { checkInvariants } from 'distkit/core';
 * import { copsInvariants, copsReplica } from 'distkit/replication';
 * const a = copsReplica.init({ id: 'a', replicas: ['a', 'b'] });
 * checkInvariants(copsInvariants(), { a }); //=> undefined
 * ```
 */
export function copsInvariants(): Invariant<CopsState>[] {
  return [
    {
      name: 'a visible write has its dependencies visible',
      check(states) {
        for (const id of Object.keys(states)) {
          const problem = dependencyMissing(states[id] as CopsState);
          if (problem !== undefined) return problem;
        }
        return undefined;
      },
    },
    {
      name: 'no replica applies a write its origin never issued',
      check(states, view) {
        for (const id of Object.keys(states)) {
          const s = states[id] as CopsState;
          for (const origin of Object.keys(s.applied)) {
            if (!view.isUp(origin) || !Object.hasOwn(states, origin)) continue;
            const a = getOwn(s.applied, origin)!;
            const o = states[origin] as CopsState;
            if (a.seq > o.seq || a.time > o.issued) return `${id} applied write ${a.seq} (time ${a.time}) of ${origin}, which issued ${o.seq} (time ${o.issued})`;
          }
        }
        return undefined;
      },
    },
  ];
}

/**
 * Convergence, the "+" of causal+ (COPS §2.2): once replication is quiet, every replica shows the
 * same value and version for every key. Check it on settled states, not after every step.
 *
 * @example
 * ```ts
 * import { checkInvariants } from 'distkit/core';
 * import { copsConvergence, copsReplica } from 'distkit/replication';
 * const a = copsReplica.init({ id: 'a', replicas: ['a', 'b'] });
 * const b = copsReplica.step(copsReplica.init({ id: 'b', replicas: ['a', 'b'] }), { type: 'put', id: 1, key: 'x', value: 1, deps: [], now: 0 }).state;
 * checkInvariants([copsConvergence()], { a, b })?.invariant; //=> 'replicas converge'
 * ```
 */
export function copsConvergence(): Invariant<CopsState> {
  return converged<CopsState>('replicas converge', (s) => canonicalJson(Object.fromEntries(Object.keys(s.store).sort().map((k) => [k, { v: getOwn(s.store, k)!.value, at: getOwn(s.store, k)!.version }]))));
}

