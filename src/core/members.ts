/**
 * Node ids and membership: the checks every protocol runs on its `id` and member list, and the
 * total order on ids that tie-breaks and "highest id" elections use.
 *
 * @packageDocumentation
 */
import { ConfigError } from './errors.js';
import type { NodeId, SendOutput } from './machine.js';
import { MAX_ID_LENGTH, describeValue, v } from './validate.js';

/**
 * Total order on node ids: shorter ids first, then code-unit order, so `'n9' < 'n10'` and
 * `'2' < '10'`. Used for tie-breaks between equal timestamps and for "highest id" elections.
 *
 * @example
 * ```ts
 * import { compareNodeIds } from 'distkit/core';
 * compareNodeIds('n9', 'n10'); //=> -1
 * ```
 */
export function compareNodeIds(a: NodeId, b: NodeId): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The check for a node id carried in a peer's message: a non-empty string of at most
 * {@link MAX_ID_LENGTH} characters.
 *
 * @example
 * ```ts
 * import { nodeIdCheck, conforms } from 'distkit/core';
 * conforms(nodeIdCheck, 'n1'); //=> true
 * ```
 */
export const nodeIdCheck = v.string({ minLength: 1, maxLength: MAX_ID_LENGTH });

/**
 * Checks a node id given in a config; throws {@link ConfigError} naming `field` otherwise.
 *
 * @example
 * ```ts
 * import { checkId } from 'distkit/core';
 * checkId('id', 'n1'); //=> 'n1'
 * ```
 */
export function checkId(field: string, id: unknown): NodeId {
  if (typeof id === 'number') throw new ConfigError(field, numericIdMessage(id));
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new ConfigError(field, `must be a non-empty string of at most ${MAX_ID_LENGTH} characters, got ${describeValue(id)}`);
  }
  return id;
}

/**
 * What to tell someone who passed a number as a node id (the course notes number their nodes):
 * ids are strings, and which string to pass instead.
 *
 * @example
 * ```ts
 * import { numericIdMessage } from 'distkit/core';
 * numericIdMessage(3); //=> "node ids are strings, got the number 3: pass '3' (String(id)) instead"
 * ```
 */
export function numericIdMessage(id: number): string {
  return `node ids are strings, got the number ${String(id)}: pass '${String(id)}' (String(id)) instead`;
}

/**
 * Checks a list of distinct node ids given in a config and returns a copy; throws
 * {@link ConfigError} naming `field` (and the index) otherwise. Empty lists are refused unless
 * `allowEmpty`.
 *
 * @example
 * ```ts
 * import { checkIds } from 'distkit/core';
 * checkIds('nodes', ['a', 'b']); //=> ['a', 'b']
 * ```
 */
export function checkIds(field: string, ids: unknown, options: { readonly allowEmpty?: boolean } = {}): NodeId[] {
  if (!Array.isArray(ids)) throw new ConfigError(field, `must be an array of node ids, got ${describeValue(ids)}`);
  if (ids.length === 0 && options.allowEmpty !== true) throw new ConfigError(field, 'must be a non-empty array of node ids');
  const seen = new Set<string>();
  ids.forEach((id: unknown, i) => {
    checkId(`${field}[${i}]`, id);
    if (seen.has(id as string)) throw new ConfigError(`${field}[${i}]`, `duplicate node id ${JSON.stringify(id)}`);
    seen.add(id as string);
  });
  return ids.slice() as NodeId[];
}

/**
 * Checks the `id` / member-list pair every protocol takes: `id` a valid node id, `members` a
 * non-empty list of distinct valid ids that includes `id`. Returns a copy of the list.
 *
 * @example
 * ```ts
 * import { checkMembers } from 'distkit/core';
 * checkMembers('a', ['a', 'b', 'c']); //=> ['a', 'b', 'c']
 * ```
 */
export function checkMembers(id: unknown, members: unknown, field = 'nodes'): NodeId[] {
  const self = checkId('id', id);
  const list = checkIds(field, members);
  if (!list.includes(self)) throw new ConfigError(field, `must include this node's id ${JSON.stringify(self)}`);
  return list;
}

/**
 * A `send` output: deliver `message` to `to`.
 *
 * @example
 * ```ts
 * import { send } from 'distkit/core';
 * send('b', { type: 'ping' }); //=> { type: 'send', to: 'b', message: { type: 'ping' } }
 * ```
 */
export function send<M>(to: NodeId, message: M): SendOutput<M> {
  return { type: 'send', to, message };
}
