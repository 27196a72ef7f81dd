import { ConfigError, v, type Check } from '../core/index.js';

/**
 * Validates untrusted data with a check and returns it typed, or throws a {@link ConfigError}
 * whose `field` is the path of the first bad part (e.g. `nodes[3].weight`).
 */
export function parseOrThrow<T>(check: Check<T>, data: unknown): T {
  const r = check(data);
  if (r === undefined) return data as T;
  const i = r.indexOf(': ');
  if (i < 0) throw new ConfigError('value', r);
  throw new ConfigError(r.slice(0, i), r.slice(i + 2));
}

/** A node with a weight, as serialized. */
export const weightedNodeJson = v.object({
  id: v.string({ minLength: 1, maxLength: 1024 }),
  weight: v.number({ min: 0 }),
});

/** Throws unless ids are distinct and weights positive; `field` names the list. */
export function checkNodes(nodes: readonly { id: string; weight: number }[], field: string): void {
  const seen = new Set<string>();
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (typeof n.id !== 'string' || n.id.length === 0) throw new ConfigError(`${field}[${i}].id`, 'expected a non-empty string');
    if (!(typeof n.weight === 'number' && Number.isFinite(n.weight) && n.weight > 0)) {
      throw new ConfigError(`${field}[${i}].weight`, `expected a finite number > 0, got ${String(n.weight)}`);
    }
    if (seen.has(n.id)) throw new ConfigError(`${field}[${i}].id`, `duplicate node ${JSON.stringify(n.id)}`);
    seen.add(n.id);
  }
}

/**
 * A node and its weight, or just its id (weight 1).
 *
 * @example
 * ```ts
 * import { HashRing, type NodeSpec } from 'distkit/hashing';
 * const nodes: NodeSpec[] = ['a', { id: 'b', weight: 2 }];
 * HashRing.create(nodes);
 * ```
 */
export type NodeSpec = string | { readonly id: string; readonly weight?: number };

/** Normalizes node specs to `{ id, weight }` and validates them. */
export function normalizeNodes(specs: readonly NodeSpec[], field = 'nodes'): { id: string; weight: number }[] {
  if (!Array.isArray(specs)) throw new ConfigError(field, 'expected an array');
  const out = specs.map((s) => (typeof s === 'string' ? { id: s, weight: 1 } : { id: s.id, weight: s.weight ?? 1 }));
  checkNodes(out, field);
  return out;
}
