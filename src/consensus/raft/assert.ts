/**
 * Raft's internal assertions: states that no input, local or from a peer, can produce.
 *
 * @packageDocumentation
 */
import { ContractViolation } from '../../core/index.js';

/**
 * Throws {@link ContractViolation} for `raft` unless `ok`. Only for states that are impossible
 * whatever the peers send (a bug in this machine); peer input is checked and rejected as data.
 */
export function raftAssert(ok: boolean, problem: string): asserts ok {
  if (!ok) throw new ContractViolation('raft', problem);
}
