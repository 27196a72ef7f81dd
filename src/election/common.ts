import { ConfigError, MAX_ID_LENGTH, type NodeId, type SendOutput } from '../core/index.js';

/**
 * Total order on node ids that decides "highest id": shorter ids first, then code-unit order, so
 * `'n9' < 'n10'` and `'2' < '10'`.
 *
 * @example
 * ```ts
 * import { compareNodeIds } from 'distkit/election';
 * compareNodeIds('n10', 'n9'); //=> 1
 * ```
 */
export function compareNodeIds(a: NodeId, b: NodeId): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The highest of some node ids by {@link compareNodeIds}.
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

/** @internal */
export function checkMembers(id: unknown, nodes: unknown, field = 'nodes'): NodeId[] {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) throw new ConfigError('id', `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  if (!Array.isArray(nodes) || nodes.length === 0) throw new ConfigError(field, 'must be a non-empty array of node ids');
  const seen = new Set<string>();
  for (const n of nodes as unknown[]) {
    if (typeof n !== 'string' || n.length === 0 || n.length > MAX_ID_LENGTH) throw new ConfigError(field, `every node id must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
    if (seen.has(n)) throw new ConfigError(field, `duplicate node id ${JSON.stringify(n)}`);
    seen.add(n);
  }
  if (!seen.has(id)) throw new ConfigError(field, `must include this node's id ${JSON.stringify(id)}`);
  return (nodes as NodeId[]).slice();
}

/** @internal */
export function positiveInt(field: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ConfigError(field, `must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${String(value)}`);
  }
  return value;
}

/** @internal */
export function send<M>(to: NodeId, message: M): SendOutput<M> {
  return { type: 'send', to, message };
}
