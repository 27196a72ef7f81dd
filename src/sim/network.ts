// The network model: per-link delay, loss, duplication, corruption, reordering and FIFO order,
// and the cuts of partitions and one-way faults. Every random draw comes from one generator
// seeded by the run's seed, in the order the sends happen.
import { ConfigError, Random, type NodeId } from '../core/index.js';
import { roundMs } from './clock.js';
import type { DelayModel, DropReason, LinkOptions, LinkOverride } from './types.js';

/** What the network model needs from the simulate options. */
export interface NetworkOptions {
  readonly seed: number | string;
  readonly ids: readonly NodeId[];
  /** Default behaviour of every link. */
  readonly network?: LinkOptions | undefined;
  /** Per-link overrides, applied in order. */
  readonly links?: readonly LinkOverride[] | undefined;
}

/** Where one copy of a message ends up: dropped, or arriving at virtual time `at`. */
export type Route = { readonly dropped: DropReason } | { readonly at: number; readonly message: unknown; readonly corrupted: boolean };

const DEFAULT_DELAY: DelayModel = { type: 'uniform', minMs: 1, maxMs: 10 };

interface Link {
  readonly delay: DelayModel;
  readonly loss: number;
  readonly duplicate: number;
  readonly corrupt: number;
  readonly reorder: number;
  readonly reorderMaxMs: number;
  readonly fifo: boolean;
}

const DEFAULT_LINK: Link = { delay: DEFAULT_DELAY, loss: 0, duplicate: 0, corrupt: 0, reorder: 0, reorderMaxMs: 50, fifo: false };

/** `base` with the fields each override sets, later overrides winning. */
function resolveLink(base: Link, overrides: readonly LinkOptions[]): Link {
  let link: Link = base;
  for (const o of overrides) {
    link = {
      delay: o.delay ?? link.delay,
      loss: o.loss ?? link.loss,
      duplicate: o.duplicate ?? link.duplicate,
      corrupt: o.corrupt ?? link.corrupt,
      reorder: o.reorder ?? link.reorder,
      reorderMaxMs: o.reorderMaxMs ?? link.reorderMaxMs,
      fifo: o.fifo ?? link.fifo,
    };
  }
  if (link.fifo && link.reorder > 0) throw new ConfigError('links', 'a link ends up both FIFO and reordering; drop reorder or fifo');
  return link;
}

function sampleDelay(rng: Random, d: DelayModel): number {
  switch (d.type) {
    case 'fixed':
      return d.ms;
    case 'uniform':
      return roundMs(d.minMs + rng.float() * (d.maxMs - d.minMs));
    case 'exponential':
      return roundMs((d.minMs ?? 0) + rng.exponential(d.meanMs));
  }
}

// Wrong-typed and out-of-range values a broken or hostile peer might send (all valid JSON).
const JUNK: readonly unknown[] = [null, -1, 1.5, 1e308, '', 'x', true, [], {}, { type: '?' }, [null]];

/** A corrupted copy of a message: a field removed or replaced, or the whole message replaced. */
function corruptMessage(rng: Random, m: unknown): unknown {
  const junk = JUNK[rng.int(0, JUNK.length)];
  if (m === null || typeof m !== 'object' || rng.float() < 0.15) return junk;
  if (Array.isArray(m)) {
    if (m.length === 0) return junk;
    const copy = m.slice();
    copy[rng.int(0, copy.length)] = junk;
    return copy;
  }
  const keys = Object.keys(m);
  if (keys.length === 0) return junk;
  const key = keys[rng.int(0, keys.length)]!;
  const copy: Record<string, unknown> = { ...(m as Record<string, unknown>) };
  if (rng.float() < 0.3) delete copy[key];
  else copy[key] = junk;
  return copy;
}

/**
 * The links between every ordered pair of nodes (by index) and the cuts between them. After
 * TigerBeetle's packet simulator: the whole model is one value built from one options struct.
 */
export class Network {
  private readonly n: number;
  private readonly rng: Random;
  private readonly links: Link[];
  private readonly configured: readonly Link[];
  private readonly lastArrival: Float64Array;
  // Network cuts: a group per node (partition) and one-way blocks.
  private readonly group: Int32Array;
  private readonly oneWay: Uint8Array;
  private anyCut = false;

  constructor(options: NetworkOptions) {
    const n = options.ids.length;
    this.n = n;
    this.rng = new Random(options.seed);
    this.links = resolveLinks(options);
    this.configured = this.links.slice();
    this.lastArrival = new Float64Array(n * n);
    this.group = new Int32Array(n);
    this.oneWay = new Uint8Array(n * n);
  }

  /** Whether a partition or one-way cut stops messages from `from` to `to`. */
  isCut(from: number, to: number): boolean {
    return this.anyCut && (this.group[from] !== this.group[to] || this.oneWay[from * this.n + to] === 1);
  }

  /** How many copies of one message the link carries: 2 when it duplicates this one. */
  copies(from: number, to: number): number {
    const link = this.links[from * this.n + to]!;
    return link.duplicate > 0 && this.rng.float() < link.duplicate ? 2 : 1;
  }

  /** The fate of one copy sent now: cut, lost, or arriving (maybe late, maybe corrupted). */
  route(from: number, to: number, message: unknown, now: number): Route {
    if (this.isCut(from, to)) return { dropped: 'partition' };
    const li = from * this.n + to;
    const link = this.links[li]!;
    const rng = this.rng;
    if (link.loss > 0 && rng.float() < link.loss) return { dropped: 'loss' };
    let at = now + sampleDelay(rng, link.delay);
    if (link.reorder > 0 && rng.float() < link.reorder) at = roundMs(at + rng.float() * link.reorderMaxMs);
    if (link.fifo) {
      if (at < this.lastArrival[li]!) at = this.lastArrival[li]!;
      this.lastArrival[li] = at;
    }
    if (link.corrupt > 0 && rng.float() < link.corrupt) return { at, message: corruptMessage(rng, message), corrupted: true };
    return { at, message, corrupted: false };
  }

  /** Splits the nodes into groups (by index); nodes in no group form one more group. */
  partition(groups: readonly (readonly number[])[]): void {
    this.group.fill(groups.length);
    groups.forEach((g, gi) => {
      for (const i of g) this.group[i] = gi;
    });
    this.anyCut = true;
  }

  /** Drops messages from `from` to `to`. */
  cutOneWay(from: number, to: number): void {
    this.oneWay[from * this.n + to] = 1;
    this.anyCut = true;
  }

  /** Removes every cut. */
  heal(): void {
    this.group.fill(0);
    this.oneWay.fill(0);
    this.anyCut = false;
  }

  /** Overrides the links from `from` to `to` (-1: every node), field by field. */
  override(from: number, to: number, options: LinkOptions): void {
    for (let a = 0; a < this.n; a++) {
      if (from >= 0 && a !== from) continue;
      for (let b = 0; b < this.n; b++) {
        if (to >= 0 && b !== to) continue;
        this.links[a * this.n + b] = resolveLink(this.links[a * this.n + b]!, [options]);
      }
    }
  }

  /** Every link back to the options the run started with. */
  reset(): void {
    for (let k = 0; k < this.links.length; k++) this.links[k] = this.configured[k]!;
  }
}

// Links resolved once per ordered pair (one shared object when there are no overrides).
function resolveLinks(options: NetworkOptions): Link[] {
  const ids = options.ids;
  const n = ids.length;
  const base = resolveLink(DEFAULT_LINK, options.network === undefined ? [] : [options.network]);
  const overrides = options.links ?? [];
  const links = new Array<Link>(n * n);
  if (overrides.length === 0) return links.fill(base);
  for (let f = 0; f < n; f++) {
    for (let t = 0; t < n; t++) {
      const matching = overrides.filter((l) => (l.from === undefined || l.from === ids[f]) && (l.to === undefined || l.to === ids[t]));
      links[f * n + t] = resolveLink(base, matching);
    }
  }
  return links;
}
