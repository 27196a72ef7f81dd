import { plainDataProblem } from './validate.js';
import { DistkitError } from './errors.js';

/**
 * Durable key-value storage for machine state. Each `put` is atomic: after a crash a `get` returns
 * either the old or the new value, never a mix. Values are plain JSON data. The in-memory store
 * ships in core; `distkit/node` has a file store (temp file, fsync, rename, checksum on load).
 *
 * @example
 * ```ts
 * import { MemoryStore } from 'distkit/core';
 * const store = new MemoryStore();
 * await store.put('raft', { term: 3, vote: 'b' });
 * await store.get('raft'); //=> { term: 3, vote: 'b' }
 * ```
 */
export interface Store {
  /** The value last put under `key`, or `undefined`. */
  get(key: string): Promise<unknown>;
  /** Atomically replaces the value under `key`; resolves once it is durable. */
  put(key: string, value: unknown): Promise<void>;
  /** Removes `key`; resolves once the removal is durable. */
  delete(key: string): Promise<void>;
}

/**
 * Thrown when a value given to a store is not plain data, or a stored value is corrupt.
 *
 * @example
 * ```ts
 * import { MemoryStore, StoreError } from 'distkit/core';
 * await new MemoryStore().put('k', new Map()).catch((e) => e instanceof StoreError); //=> true
 * ```
 */
export class StoreError extends DistkitError {}

/**
 * A {@link Store} in memory. Values are copied on the way in and out, so callers cannot alias them.
 *
 * @example
 * ```ts
 * import { MemoryStore } from 'distkit/core';
 * const store = new MemoryStore();
 * await store.put('k', [1, 2]);
 * (await store.get('missing')) === undefined; //=> true
 * ```
 */
export class MemoryStore implements Store {
  private readonly data = new Map<string, string>();

  /** {@inheritDoc Store.get} */
  get(key: string): Promise<unknown> {
    const raw = this.data.get(key);
    return Promise.resolve(raw === undefined ? undefined : (JSON.parse(raw) as unknown));
  }

  /** {@inheritDoc Store.put} */
  put(key: string, value: unknown): Promise<void> {
    const problem = plainDataProblem(value);
    if (problem !== undefined) return Promise.reject(new StoreError(`put(${JSON.stringify(key)}): ${problem}`));
    this.data.set(key, JSON.stringify(value));
    return Promise.resolve();
  }

  /** {@inheritDoc Store.delete} */
  delete(key: string): Promise<void> {
    this.data.delete(key);
    return Promise.resolve();
  }

  /** The keys currently stored. */
  keys(): string[] {
    return [...this.data.keys()];
  }
}
