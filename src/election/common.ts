import { compareNodeIds, type NodeId } from '../core/index.js';

/**
 * The highest of some node ids by `compareNodeIds` (from `distkit/core`).
 *
 * @example
 * ```ts
 * import { highestId } from 'distkit/election';
 * highestId(['n2', 'n10', 'n9']); //=> 'n10'
 * ```
 */
export function highestId(ids: readonly NodeId[]): NodeId | undefined {
  let best: NodeId | undefined;
  for (const id of ids) if (best === undefined || compareNodeIds(id, best) > 0) best = id;
  return best;
}

/**
 * An event: this node now considers `leader` the leader (itself included).
 *
 * @example
 * ```ts
 * import type { LeaderOutput } from 'distkit/election';
 * const e: LeaderOutput = { type: 'leader', leader: 'n5' };
 * ```
 */
export interface LeaderOutput {
  /** Discriminant. */
  readonly type: 'leader';
  /** The node elected. */
  readonly leader: NodeId;
}

/**
 * A local command: start an election now (at start-up, after a recovery, or when the host's
 * failure detector suspects the leader).
 *
 * @example
 * ```ts
 * import type { ElectCommand } from 'distkit/election';
 * const c: ElectCommand = { type: 'elect', now: 0 };
 * ```
 */
export interface ElectCommand {
  /** Discriminant. */
  readonly type: 'elect';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
}
