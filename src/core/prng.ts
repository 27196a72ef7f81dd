/**
 * Seeded pseudo-random numbers whose whole state is four plain numbers, so it can live inside a
 * machine's (JSON) state. Algorithm: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator,
 * from PractRand), seeded through splitmix32. Period at least 2^32, passes PractRand to 2^40+ bytes.
 *
 * @packageDocumentation
 */

/**
 * The state of an sfc32 generator: four unsigned 32-bit integers. Plain data; copy it freely.
 *
 * @example
 * ```ts
 * import { seedPrng, nextInt, type PrngState } from 'distkit/core';
 * const s: PrngState = seedPrng(42);
 * // Plain data: a machine keeps it in its state, and the same state draws the same numbers.
 * const copy: PrngState = JSON.parse(JSON.stringify(s));
 * nextInt(copy, 0, 100).value === nextInt(s, 0, 100).value; //=> true
 * ```
 */
export type PrngState = readonly [number, number, number, number];

/**
 * A value drawn from a generator together with the generator's next state.
 *
 * @example
 * ```ts
 * import { seedPrng, nextFloat, type Draw } from 'distkit/core';
 * // A draw is the value and the next state: thread the state through to draw again.
 * const first: Draw<number> = nextFloat(seedPrng(1));
 * const second = nextFloat(first.state);
 * [first.value !== second.value, first.value >= 0 && first.value < 1]; //=> [true, true]
 * ```
 */
export interface Draw<T> {
  readonly value: T;
  readonly state: PrngState;
}

/**
 * Seeds a generator from a number (any finite number; its low 32 bits and its high bits are mixed)
 * or a string (hashed with FNV-1a). The same seed always yields the same sequence, everywhere.
 *
 * @example
 * ```ts
 * import { seedPrng, nextUint32 } from 'distkit/core';
 * nextUint32(seedPrng(7)).value === nextUint32(seedPrng(7)).value; //=> true
 * ```
 */
export function seedPrng(seed: number | string): PrngState {
  let x: number;
  if (typeof seed === 'string') {
    x = 0x811c9dc5;
    for (let i = 0; i < seed.length; i++) {
      x ^= seed.charCodeAt(i);
      x = Math.imul(x, 0x01000193);
    }
  } else {
    if (!Number.isFinite(seed)) throw new RangeError(`seed: must be a finite number, got ${String(seed)}`);
    x = (seed | 0) ^ Math.floor(seed / 0x100000000);
  }
  // splitmix32 expands the 32-bit seed into four words.
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    words.push((z ^ (z >>> 16)) >>> 0);
  }
  let state: PrngState = [words[0]!, words[1]!, words[2]!, words[3]!];
  for (let i = 0; i < 12; i++) state = nextUint32(state).state;
  return state;
}

/**
 * Draws a uniform unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * import { seedPrng, nextUint32 } from 'distkit/core';
 * const { value, state } = nextUint32(seedPrng(1));
 * value >= 0 && value < 2 ** 32; //=> true
 * ```
 */
export function nextUint32(state: PrngState): Draw<number> {
  let [a, b, c, d] = state;
  let t = (a + b) | 0;
  a = b ^ (b >>> 9);
  b = (c + (c << 3)) | 0;
  c = (c << 21) | (c >>> 11);
  d = (d + 1) | 0;
  t = (t + d) | 0;
  c = (c + t) | 0;
  return { value: t >>> 0, state: [a >>> 0, b >>> 0, c >>> 0, d >>> 0] };
}

/**
 * Draws a uniform float in [0, 1) with 32 bits of randomness.
 *
 * @example
 * ```ts
 * import { seedPrng, nextFloat } from 'distkit/core';
 * nextFloat(seedPrng(1)).value; //=> 0.06300501222722232
 * ```
 */
export function nextFloat(state: PrngState): Draw<number> {
  const d = nextUint32(state);
  return { value: d.value / 0x100000000, state: d.state };
}

/**
 * Draws a uniform integer in [min, max) (max exclusive). Unbiased (rejection sampling).
 *
 * @example
 * ```ts
 * import { seedPrng, nextInt } from 'distkit/core';
 * // An election timeout in [150, 300).
 * nextInt(seedPrng(1), 150, 300).value; //=> 267
 * ```
 */
export function nextInt(state: PrngState, min: number, max: number): Draw<number> {
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min) {
    throw new RangeError(`nextInt: need integers min < max, got [${min}, ${max})`);
  }
  const span = max - min;
  if (span <= 0x100000000) {
    // Lemire-style rejection: reject the top partial bucket to stay unbiased.
    const limit = 0x100000000 - (0x100000000 % span);
    let s = state;
    for (;;) {
      const d = nextUint32(s);
      s = d.state;
      if (d.value < limit) return { value: min + (d.value % span), state: s };
    }
  }
  // Spans above 2^32: combine two draws into 53 bits.
  let s = state;
  for (;;) {
    const hi = nextUint32(s);
    const lo = nextUint32(hi.state);
    s = lo.state;
    const x = (hi.value >>> 11) * 0x100000000 + lo.value; // < 2^53
    const limit = 2 ** 53 - (2 ** 53 % span);
    if (x < limit) return { value: min + (x % span), state: s };
  }
}

/**
 * Picks one element of a non-empty array uniformly.
 *
 * @example
 * ```ts
 * import { seedPrng, nextChoice } from 'distkit/core';
 * nextChoice(seedPrng(3), ['a', 'b', 'c']).value; //=> 'c'
 * ```
 */
export function nextChoice<T>(state: PrngState, items: readonly T[]): Draw<T> {
  if (items.length === 0) throw new RangeError('nextChoice: items must not be empty');
  const d = nextInt(state, 0, items.length);
  return { value: items[d.value] as T, state: d.state };
}

/**
 * Returns a shuffled copy (Fisher–Yates). The input array is not modified.
 *
 * @example
 * ```ts
 * import { seedPrng, nextShuffle } from 'distkit/core';
 * nextShuffle(seedPrng(3), [1, 2, 3]).value.length; //=> 3
 * ```
 */
export function nextShuffle<T>(state: PrngState, items: readonly T[]): Draw<T[]> {
  const out = items.slice();
  let s = state;
  for (let i = out.length - 1; i > 0; i--) {
    const d = nextInt(s, 0, i + 1);
    s = d.state;
    const j = d.value;
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return { value: out, state: s };
}

/**
 * A mutable convenience wrapper over the same sfc32 sequence, for hot loops in simulators and
 * wrappers. `state` can be read back at any time to store it in plain data.
 *
 * @example
 * ```ts
 * import { Random } from 'distkit/core';
 * // A mutable convenience over the same generator, for hosts and tests: same seed, same sequence.
 * const draws = (seed: number) => { const rng = new Random(seed); return [rng.int(1, 10), rng.int(1, 10), rng.float() < 0.5]; };
 * draws(42); //=> [2, 8, false]
 * JSON.stringify(draws(42)) === JSON.stringify(draws(42)); //=> true
 * ```
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string | PrngState) {
    const s = typeof seed === 'object' ? seed : seedPrng(seed);
    [this.a, this.b, this.c, this.d] = s;
  }

  /** The current generator state, as plain data. */
  get state(): PrngState {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }

  /** A uniform unsigned 32-bit integer. */
  uint32(): number {
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.uint32() / 0x100000000;
  }

  /** A uniform integer in [min, max), max exclusive. */
  int(min: number, max: number): number {
    const d = nextInt(this.state, min, max);
    [this.a, this.b, this.c, this.d] = d.state;
    return d.value;
  }

  /** A uniform element of a non-empty array. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('choice: items must not be empty');
    return items[this.int(0, items.length)] as T;
  }

  /** An exponentially distributed value with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }
}
