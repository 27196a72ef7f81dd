/**
 * The COPS client library's causal context (Lloyd et al., "Don't Settle for Eventual", SOSP 2011,
 * §4.1-4.2): which versions a client's next write depends on.
 *
 * @packageDocumentation
 */
import { compareLamportTimestamps } from '../clocks/index.js';
import { positiveInt } from '../core/index.js';
import { COPS_LIMITS, type CopsContext, type CopsDependency, type CopsVersion } from './cops-types.js';

/**
 * Orders two versions (COPS §4: Lamport time, then the writing replica's id): negative, zero or
 * positive. Last-writer-wins keeps the greatest.
 *
 * @example
 * ```ts
 * import { compareCopsVersions } from 'distkit/replication';
 * compareCopsVersions({ time: 2, node: 'a' }, { time: 2, node: 'b' }); //=> -1
 * compareCopsVersions({ time: 3, node: 'a' }, { time: 2, node: 'b' }); //=> 1
 * ```
 */
export function compareCopsVersions(a: CopsVersion, b: CopsVersion): number {
  return compareLamportTimestamps(a, b);
}

/**
 * The context after a `get` of `key` returned `version` (COPS §4.2: a read adds the version it
 * returned to the nearest dependencies; `null`, a key never written, adds nothing). A version of
 * the same key from the same replica replaces an older one: a replica applies each origin's
 * writes in their order, so the newer one is visible only after the older. When the context grows
 * past `maxDeps` it is compacted to the newest dependency per origin replica, which covers the
 * others for the same reason.
 *
 * @example
 * ```ts
 * import { copsAfterGet } from 'distkit/replication';
 * let ctx = copsAfterGet([], 'x', { time: 1, node: 'a' });
 * ctx = copsAfterGet(ctx, 'y', { time: 4, node: 'b' });
 * copsAfterGet(ctx, 'x', { time: 3, node: 'a' }); //=> [{ key: 'y', version: { time: 4, node: 'b' } }, { key: 'x', version: { time: 3, node: 'a' } }]
 * ```
 */
export function copsAfterGet(context: CopsContext, key: string, version: CopsVersion | null, maxDeps: number = COPS_LIMITS.maxDeps): CopsContext {
  const limit = positiveInt('maxDeps', maxDeps);
  if (version === null) return context;
  if (context.some((d) => d.key === key && d.version.node === version.node && d.version.time >= version.time)) return context;
  const next = [...context.filter((d) => !(d.key === key && d.version.node === version.node)), { key, version: { time: version.time, node: version.node } }];
  return next.length <= limit ? next : compactContext(next);
}

/**
 * The context after a `put` of `key` returned `version` (COPS §4.2: the write depends on the whole
 * context, so the context collapses to the write alone).
 *
 * @example
 * ```ts
 * import { copsAfterPut } from 'distkit/replication';
 * copsAfterPut([{ key: 'x', version: { time: 1, node: 'a' } }], 'y', { time: 2, node: 'b' }); //=> [{ key: 'y', version: { time: 2, node: 'b' } }]
 * ```
 */
export function copsAfterPut(_context: CopsContext, key: string, version: CopsVersion): CopsContext {
  return [{ key, version: { time: version.time, node: version.node } }];
}

/**
 * The newest dependency per origin replica, in the order of first appearance: what a replica's
 * dependency check needs, since it applies each origin's writes in order.
 *
 * @example
 * ```ts
 * import { compactContext } from 'distkit/replication';
 * compactContext([{ key: 'x', version: { time: 1, node: 'a' } }, { key: 'y', version: { time: 5, node: 'a' } }]); //=> [{ key: 'y', version: { time: 5, node: 'a' } }]
 * ```
 */
export function compactContext(context: CopsContext): CopsContext {
  const newest = new Map<string, CopsDependency>();
  for (const d of context) {
    const cur = newest.get(d.version.node);
    if (cur === undefined || d.version.time > cur.version.time) newest.set(d.version.node, d);
  }
  return [...newest.values()];
}
