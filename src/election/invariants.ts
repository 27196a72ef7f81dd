/**
 * The properties of the leader-election machines as core `Invariant`s, for the simulator, the
 * model checker, the test cluster and your own tests.
 *
 * @packageDocumentation
 */
import { agreement, atMostOne, type Invariant } from '../core/index.js';
import type { BullyState } from './bully.js';
import { highestId } from './common.js';
import type { RingElectionState } from './ring.js';

/**
 * Bully election (Garcia-Molina 1982, "Elections in a Distributed Computing System"):
 * - safety (§4 Assertion 1, under the paper's assumptions of reliable, timely messages): among
 *   settled nodes (not electing), at most one considers itself the coordinator;
 * - the settled outcome, {@link bullySettled}, is separate: it holds only once the system is quiet.
 *
 * A partition breaks the paper's assumptions, and with them the safety property: each side elects.
 *
 * @example
 * ```ts
 * import { bully, bullyInvariants } from 'distkit/election';
 * import { checkInvariants } from 'distkit/core';
 * const nodes = ['a', 'b'];
 * const a = { ...bully.init({ id: 'a', nodes }), leader: 'a' };
 * const b = { ...bully.init({ id: 'b', nodes }), leader: 'b' };
 * checkInvariants(bullyInvariants(), { a, b })?.description; //=> 'a, b all hold'
 * ```
 */
export function bullyInvariants(): Invariant<BullyState>[] {
  return [atMostOne<BullyState>('bully: at most one settled node considers itself the coordinator (Garcia-Molina §4)', (s, id) => s.phase === 'idle' && s.leader === id)];
}

/**
 * Bully election's outcome once the system is quiet (Garcia-Molina 1982 §4 Assertion 2): every
 * live node follows the live node with the highest id. A check for the end of a run or a
 * terminal state, not for every step.
 *
 * @example
 * ```ts
 * import { bully, bullySettled } from 'distkit/election';
 * import { checkInvariants } from 'distkit/core';
 * const nodes = ['a', 'b'];
 * const a = { ...bully.init({ id: 'a', nodes }), leader: 'a' };
 * const b = { ...bully.init({ id: 'b', nodes }), leader: 'b' };
 * checkInvariants([bullySettled()], { a, b })?.description; //=> 'a follows a, not b'
 * ```
 */
export function bullySettled(): Invariant<BullyState> {
  return {
    name: 'bully: every live node follows the highest live id (Garcia-Molina §4)',
    check(states) {
      const live = Object.keys(states);
      const want = highestId(live);
      const wrong = live.filter((id) => states[id]!.leader !== want);
      return wrong.length === 0 ? undefined : `${wrong.map((id) => `${id} follows ${states[id]!.leader ?? 'nobody'}`).join(', ')}, not ${want}`;
    },
  };
}

/**
 * Ring election (Chang & Roberts 1979; Le Lann 1977): every node that has finished an election
 * (no longer a participant) and knows a leader names the same one.
 *
 * @example
 * ```ts
 * import { ringElection, ringInvariants } from 'distkit/election';
 * import { checkInvariants } from 'distkit/core';
 * const nodes = ['a', 'b', 'c'];
 * const a = { ...ringElection.init({ id: 'a', nodes }), leader: 'c' };
 * const b = { ...ringElection.init({ id: 'b', nodes }), leader: 'b' };
 * checkInvariants(ringInvariants(), { a, b })?.description; //=> 'a decided "c" but b decided "b"'
 * ```
 */
export function ringInvariants(): Invariant<RingElectionState>[] {
  return [agreement<RingElectionState>('ring: every node done electing names the same leader (Chang & Roberts)', (s) => (s.participant || s.leader === null ? undefined : s.leader))];
}
