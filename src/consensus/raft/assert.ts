/**
 * Raft's internal assertions: states that no input, local or from a peer, can produce.
 *
 * @packageDocumentation
 */
import { ContractViolation } from '../../core/index.js';

/**
 * Throws {@link ContractViolation} for `raft`: the machine reached a state that is impossible
 * whatever the peers send (a bug in this machine); peer input is checked and rejected as data.
 * Call it once a check failed (`if (bad) raftBug(...)`), so the message is only built then.
 */
export function raftBug(problem: string): never {
  throw new ContractViolation('raft', problem);
}

/** {@link raftBug} unless `ok`, for a fixed message. */
export function raftAssert(ok: boolean, problem: string): asserts ok {
  if (!ok) raftBug(problem);
}
