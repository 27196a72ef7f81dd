/**
 * The safety properties of the mutual-exclusion machines as core `Invariant`s, for the simulator,
 * the model checker, the test cluster and your own tests.
 *
 * @packageDocumentation
 */
import { atMostOne, atMostOnePer, type Invariant } from '../core/index.js';
import type { LeaseClientState, LeaseLockServiceState } from './lease.js';

/**
 * Mutual exclusion (Dijkstra 1965; Ricart & Agrawala 1981 §2; Lamport 1978 §4; Maekawa 1985 §2):
 * at most one node is in the critical section (phase `held`). Holds for every mutex machine here
 * — centralized, token ring, Ricart–Agrawala, Lamport, Maekawa — and for lease clients whose
 * clocks drift less than their safety margin. Keeps no memory: one set serves any number of runs.
 *
 * @example
 * ```ts
 * import { mutexInvariants } from 'distkit/mutex';
 * import { checkInvariants } from 'distkit/core';
 * checkInvariants(mutexInvariants(), { a: { phase: 'held' }, b: { phase: 'held' } });
 * //=> { invariant: 'mutual exclusion: at most one node in the critical section', description: 'a, b all hold' }
 * ```
 */
export function mutexInvariants(): Invariant<{ readonly phase?: string }>[] {
  return [atMostOne<{ readonly phase?: string }>('mutual exclusion: at most one node in the critical section', (s) => s.phase === 'held')];
}

/**
 * The lease lock's fencing properties (Kleppmann 2016, "How to do distributed locking"; Chubby,
 * Burrows 2006 §2.4 sequencers) over the states of the service and its clients: at most one
 * client holds each fencing token, no client holds a token the service has not issued, and the
 * service's current lease carries a token it issued. They hold whatever the clocks do; mutual
 * exclusion in time ({@link mutexInvariants}) also needs bounded clock drift.
 *
 * @example
 * ```ts
 * import { leaseInvariants, leaseClient, leaseLockService } from 'distkit/mutex';
 * import { checkInvariants } from 'distkit/core';
 * const lock = leaseLockService.init({ id: 'lock' });
 * const c1 = { ...leaseClient.init({ id: 'c1', service: 'lock' }), phase: 'held' as const, token: 3 };
 * checkInvariants(leaseInvariants(), { lock, c1 })?.description; //=> 'c1 holds token 3, the service issued up to 0'
 * ```
 */
export function leaseInvariants(): Invariant<LeaseLockServiceState | LeaseClientState>[] {
  type S = LeaseLockServiceState | LeaseClientState;
  const isClient = (s: S): s is LeaseClientState => 'phase' in s;
  const held = (s: S): boolean => isClient(s) && s.phase === 'held';
  return [
    atMostOnePer<S>('lease: at most one client holds each fencing token', held, (s) => (s as LeaseClientState).token),
    {
      name: 'lease: every token held or leased was issued by the service',
      check(states) {
        let issued = -1;
        for (const id in states) {
          const s = states[id]!;
          if (isClient(s)) continue;
          if (s.holder !== null && s.holder.token > s.lastToken) return `${id} leases token ${s.holder.token} beyond its last issued ${s.lastToken}`;
          issued = Math.max(issued, s.lastToken);
        }
        if (issued < 0) return undefined; // the service is down: nothing to compare with
        for (const id in states) {
          const s = states[id]!;
          if (held(s) && (s as LeaseClientState).token > issued) return `${id} holds token ${(s as LeaseClientState).token}, the service issued up to ${issued}`;
        }
        return undefined;
      },
    },
  ];
}
