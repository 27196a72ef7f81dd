import type { NodeId } from '../../core/index.js';
import { pbftDigest, portableSha256, type PbftSha256 } from './crypto.js';
import type { PbftService } from './types.js';

/**
 * State of {@link pbftHashChainService}: how many operations ran and the hash of the whole history.
 *
 * @example
 * ```ts
 * import type { PbftHashChainState } from 'distkit/consensus';
 * const s: PbftHashChainState = { executed: 0, hash: '' };
 * ```
 */
export interface PbftHashChainState {
  readonly executed: number;
  readonly hash: string;
}

/**
 * The default replicated service: it records the order of execution in a hash chain and answers
 * each operation with its position and the chain hash. Two replicas give the same answer only if
 * they executed the same operations in the same order, so a client's f+1 matching replies certify
 * the order (§4.1 requires a deterministic service; any {@link PbftService} can replace this one).
 *
 * @example
 * ```ts
 * import { pbftHashChainService } from 'distkit/consensus';
 * const s0 = pbftHashChainService.init();
 * pbftHashChainService.execute(s0, 'op', 'c0').result; // { index: 1, hash: '…' }
 * ```
 */
export const pbftHashChainService: PbftService<PbftHashChainState> = hashChainService(portableSha256);

/** {@link pbftHashChainService} hashing with `sha256` (the same results with any correct SHA-256). */
export function hashChainService(sha256: PbftSha256): PbftService<PbftHashChainState> {
  return {
    init: () => ({ executed: 0, hash: '' }),
    execute(state: PbftHashChainState, operation: unknown, client: NodeId) {
      const hash = pbftDigest([state.hash, client, operation], sha256);
      const executed = state.executed + 1;
      return { state: { executed, hash }, result: { index: executed, hash } };
    },
  };
}
