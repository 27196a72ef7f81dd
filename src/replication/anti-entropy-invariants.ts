/**
 * Invariants of {@link deltaAntiEntropy} replicas, for the simulator, the model checker and tests.
 *
 * @packageDocumentation
 */
import { converged, getOwn, type Invariant } from '../core/index.js';
import type { DeltaAntiEntropyState } from './anti-entropy.js';
import { crdtValue } from './crdt/spec.js';

/**
 * Safety, after every step: no replica claims to have joined more of a neighbour's delta sequence
 * than that neighbour has produced (a receiver never acknowledges what it cannot have; Algorithm
 * 2's acks stay truthful across crashes because sequence numbers are durable).
 *
 * @example
 * ```ts
 * import { receivedNeverAhead, deltaAntiEntropy } from 'distkit/replication';
 * import { checkInvariants } from 'distkit/core';
 * const a = deltaAntiEntropy.init({ id: 'a', nodes: ['a', 'b'], crdt: 'gcounter' });
 * const b = deltaAntiEntropy.init({ id: 'b', nodes: ['a', 'b'], crdt: 'gcounter' });
 * checkInvariants([receivedNeverAhead], { a, b }); //=> undefined
 * ```
 */
export const receivedNeverAhead: Invariant<DeltaAntiEntropyState> = {
  name: 'received never ahead of the sender',
  check(states) {
    for (const i of Object.keys(states)) {
      const s = states[i]!;
      for (const j of Object.keys(s.received)) {
        const sender = getOwn(states, j);
        const have = s.received[j]!;
        if (sender !== undefined && have > sender.seq) return `${i} has joined ${have} deltas of ${j}, which produced ${sender.seq}`;
      }
    }
    return undefined;
  },
};

/**
 * Convergence, for quiescent states (Almeida et al. §6: once every delta has reached every
 * replica, all replicas read the same value). Values, not states, are compared: replicas collect
 * stable metadata at different times.
 *
 * @example
 * ```ts
 * import { antiEntropyConverged, deltaAntiEntropy } from 'distkit/replication';
 * import { checkInvariants } from 'distkit/core';
 * const a = deltaAntiEntropy.init({ id: 'a', nodes: ['a', 'b'], crdt: 'gcounter' });
 * checkInvariants([antiEntropyConverged], { a, b: { ...a, crdt: { b: 1 } } })?.description; //=> 'a has 0 but b has 1'
 * ```
 */
export const antiEntropyConverged: Invariant<DeltaAntiEntropyState> = converged('replicas converged', (s) => crdtValue(s.spec, s.crdt));

/**
 * The safety invariants to check after every step.
 *
 * @example
 * ```ts
 * import { antiEntropyInvariants } from 'distkit/replication';
 * antiEntropyInvariants.length; //=> 1
 * ```
 */
export const antiEntropyInvariants: readonly Invariant<DeltaAntiEntropyState>[] = [receivedNeverAhead];
