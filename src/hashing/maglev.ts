import { ConfigError, v } from '../core/index.js';
import { murmur3, xxh32, type HashInput } from './hash.js';
import { normalizeNodes, parseOrThrow, weightedNodeJson, type NodeSpec } from './json.js';

/**
 * One backend's preference permutation in Maglev: it wants table entries
 * `(offset + j * skip) mod M` for j = 0, 1, 2, ... (Eisenbud et al. 2016 §3.4).
 *
 * @example
 * ```ts
 * import { Maglev, type MaglevPermutation } from 'distkit/hashing';
 * // Each backend's preference order over the M table slots: offset, then steps of skip (Maglev §3.4).
 * const p: MaglevPermutation = Maglev.permutationOf('b0', 7);
 * Array.from({ length: 7 }, (_, j) => (p.offset + j * p.skip) % 7).sort(); //=> [0, 1, 2, 3, 4, 5, 6]
 * ```
 */
export interface MaglevPermutation {
  /** The first preferred entry, in [0, M). */
  readonly offset: number;
  /** The stride, in [1, M). */
  readonly skip: number;
  /** Relative weight (default 1): a backend of weight w takes w/max turns per round. */
  readonly weight?: number;
}

/**
 * Fills a Maglev lookup table of prime size `m` from backends' permutations: Pseudocode 1 of
 * Eisenbud et al. 2016 §3.4 — backends take turns claiming their next preferred empty entry until
 * the table is full. With weights, a backend takes a turn each time its credit (weight / max
 * weight per round) reaches one. Returns the backend index of every entry.
 *
 * @example
 * ```ts
 * import { maglevPopulate } from 'distkit/hashing';
 * // Table 1 of the Maglev paper: B0 (3, 4), B1 (0, 2), B2 (3, 1), M = 7
 * Array.from(maglevPopulate(7, [{ offset: 3, skip: 4 }, { offset: 0, skip: 2 }, { offset: 3, skip: 1 }]));
 * //=> [1, 0, 1, 0, 2, 2, 0]
 * ```
 */
export function maglevPopulate(m: number, perms: readonly MaglevPermutation[]): Int32Array {
  if (!isPrime(m)) throw new ConfigError('tableSize', `expected a prime, got ${String(m)}`);
  const n = perms.length;
  const entry = new Int32Array(m).fill(-1);
  if (n === 0) return entry;
  const offset = new Float64Array(n);
  const skip = new Float64Array(n);
  const next = new Float64Array(n);
  const rate = new Float64Array(n);
  const credit = new Float64Array(n);
  let maxW = 0;
  for (const p of perms) maxW = Math.max(maxW, p.weight ?? 1);
  for (let i = 0; i < n; i++) {
    const p = perms[i]!;
    if (!Number.isInteger(p.offset) || p.offset < 0 || p.offset >= m) throw new ConfigError(`perms[${i}].offset`, `expected an integer in [0, ${m})`);
    if (!Number.isInteger(p.skip) || p.skip < 1 || p.skip >= m) throw new ConfigError(`perms[${i}].skip`, `expected an integer in [1, ${m})`);
    offset[i] = p.offset;
    skip[i] = p.skip;
    rate[i] = (p.weight ?? 1) / maxW;
  }
  let filled = 0;
  for (;;) {
    for (let i = 0; i < n; i++) {
      credit[i]! += rate[i]!;
      if (credit[i]! < 1) continue;
      credit[i]! -= 1;
      let c = (offset[i]! + next[i]! * skip[i]!) % m;
      while (entry[c]! >= 0) {
        next[i]! += 1;
        c = (offset[i]! + next[i]! * skip[i]!) % m;
      }
      entry[c] = i;
      next[i]! += 1;
      if (++filled === m) return entry;
    }
  }
}

/** Deterministic primality test for table sizes (trial division; sizes are at most 2^24). */
function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2 || n > 1 << 24) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/**
 * The serialized form of a {@link Maglev} table. The table is recomputed on load.
 *
 * @example
 * ```ts
 * import { Maglev, type MaglevJSON } from 'distkit/hashing';
 * const j: MaglevJSON = Maglev.create(['a', { id: 'b', weight: 2 }], { tableSize: 7 }).toJSON();
 * j; //=> { kind: 'maglev', tableSize: 7, seed: 0, backends: [{ id: 'a', weight: 1 }, { id: 'b', weight: 2 }] }
 * ```
 */
export interface MaglevJSON {
  /** Always `'maglev'`. */
  readonly kind: 'maglev';
  /** The lookup table size M, a prime. */
  readonly tableSize: number;
  /** The hash seed. */
  readonly seed: number;
  /** The backends and their weights. */
  readonly backends: readonly { readonly id: string; readonly weight: number }[];
}

const maglevJson = v.object({
  kind: v.literal('maglev'),
  tableSize: v.int({ min: 2, max: 1 << 24 }),
  seed: v.int({ min: 0, max: 0xffffffff }),
  backends: v.array(weightedNodeJson, { maxLength: 1 << 16 }),
});

/**
 * Options of {@link Maglev.create}.
 *
 * @example
 * ```ts
 * import { Maglev, type MaglevOptions } from 'distkit/hashing';
 * // The table size M must be prime (Maglev §3.4); 65537 is the paper's default.
 * const opts: MaglevOptions = { tableSize: 7 };
 * Maglev.create(['a', 'b', 'c'], opts).entries(); //=> ['a', 'c', 'b', 'a', 'c', 'b', 'a']
 * ```
 */
export interface MaglevOptions {
  /** The lookup table size M: a prime, ideally above 100 × the backend count. Default 65537. */
  readonly tableSize?: number;
  /** The hash seed. Default 0. */
  readonly seed?: number;
}

/**
 * An immutable Maglev consistent-hashing lookup table (Eisenbud et al., "Maglev: A Fast and
 * Reliable Software Network Load Balancer", NSDI 2016, §3.4). Each backend's permutation comes
 * from two hashes of its name (offset from xxHash32, skip from MurmurHash3); lookup is one hash and
 * one array read. Balance is near perfect (each backend gets ⌊M/N⌋ or ⌈M/N⌉ entries without
 * weights) at the price of slightly more disruption than a ring on membership changes.
 *
 * @example
 * ```ts
 * import { Maglev } from 'distkit/hashing';
 * const lb = Maglev.create(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
 * const flows = Array.from({ length: 3000 }, (_, i) => `198.51.100.${i % 250}:${5000 + i}`);
 * const after = lb.remove('10.0.0.2');
 * // Flows of the removed backend move; nearly all others keep theirs (minimal disruption, §3.4).
 * const moved = flows.filter((f) => lb.lookup(f) !== '10.0.0.2' && after.lookup(f) !== lb.lookup(f)).length;
 * moved / flows.length < 0.02; //=> true
 * ```
 */
export class Maglev {
  /** Backend ids, sorted. */
  readonly backends: readonly string[];
  /** The lookup table size M. */
  readonly tableSize: number;
  /** The hash seed. */
  readonly seed: number;
  private readonly weights: readonly number[];
  private readonly table: Int32Array;

  private constructor(backends: { id: string; weight: number }[], tableSize: number, seed: number) {
    const sorted = backends.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.backends = Object.freeze(sorted.map((b) => b.id));
    this.weights = Object.freeze(sorted.map((b) => b.weight));
    this.tableSize = tableSize;
    this.seed = seed;
    this.table = maglevPopulate(tableSize, sorted.map((b) => Maglev.permutationOf(b.id, tableSize, seed, b.weight)));
    Object.freeze(this);
  }

  /**
   * A backend's permutation: `offset = h1(name) mod M`, `skip = h2(name) mod (M - 1) + 1`
   * (§3.4), with h1 = xxHash32 and h2 = MurmurHash3.
   */
  static permutationOf(id: string, tableSize: number, seed = 0, weight = 1): MaglevPermutation {
    return { offset: xxh32(id, seed) % tableSize, skip: (murmur3(id, seed) % (tableSize - 1)) + 1, weight };
  }

  /** Builds a table. Throws {@link ConfigError} on a non-prime size, duplicate ids or bad weights. */
  static create(backends: readonly NodeSpec[], options: MaglevOptions = {}): Maglev {
    const tableSize = options.tableSize ?? 65537;
    if (!isPrime(tableSize)) throw new ConfigError('tableSize', `expected a prime <= 2^24, got ${String(tableSize)}`);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ConfigError('seed', `expected an integer in [0, 2^32), got ${String(seed)}`);
    const list = normalizeNodes(backends, 'backends');
    if (list.length > tableSize) throw new ConfigError('backends', `more backends (${list.length}) than table entries (${tableSize})`);
    return new Maglev(list, tableSize, seed);
  }

  /** The number of backends. */
  get size(): number {
    return this.backends.length;
  }

  /** The backends with their weights, sorted by id. */
  members(): { id: string; weight: number }[] {
    return this.backends.map((id, i) => ({ id, weight: this.weights[i]! }));
  }

  /** The backend for `key`. Throws {@link ConfigError} when there are no backends. */
  lookup(key: HashInput): string {
    if (this.backends.length === 0) throw new ConfigError('backends', 'no backends');
    return this.backends[this.table[murmur3(key, this.seed) % this.tableSize]!]!;
  }

  /** The backend id of every table entry (a copy), for inspection and disruption measurements. */
  entries(): string[] {
    return Array.from(this.table, (i) => this.backends[i] ?? '');
  }

  /** A new table with `backend` added. Throws if it is already a backend. */
  add(backend: string, weight = 1): Maglev {
    if (this.backends.includes(backend)) throw new ConfigError('backend', `${JSON.stringify(backend)} is already a backend`);
    return Maglev.create([...this.members(), { id: backend, weight }], { tableSize: this.tableSize, seed: this.seed });
  }

  /** A new table without `backend`. Throws if it is not a backend. */
  remove(backend: string): Maglev {
    if (!this.backends.includes(backend)) throw new ConfigError('backend', `${JSON.stringify(backend)} is not a backend`);
    return new Maglev(
      this.members().filter((b) => b.id !== backend),
      this.tableSize,
      this.seed,
    );
  }

  /** Plain data for JSON. */
  toJSON(): MaglevJSON {
    return { kind: 'maglev', tableSize: this.tableSize, seed: this.seed, backends: this.members() };
  }

  /** Rebuilds from untrusted data; throws {@link ConfigError} naming the bad field. */
  static fromJSON(data: unknown): Maglev {
    const d = parseOrThrow(maglevJson, data);
    return Maglev.create(d.backends, { tableSize: d.tableSize, seed: d.seed });
  }
}
