// A small seeded deterministic driver for Chord nodes: one event queue in virtual time, messages
// delivered after random delays (optionally lost), ticks at each node's nextDeadline, crashes.
// Every step goes through the shared runtime (applyStep, or checkedStep when checked), with the
// driver's clock stamped on every input.
import { Random, applyStep, checkedStep, getOwn, splitTransition, stampNow, startTimer, type Unstamped } from 'distkit/core';
import { chord, chordId, chordOwns, type ChordConfig, type ChordInput, type ChordOutput, type ChordPeer, type ChordState } from 'distkit/hashing';

interface Event {
  t: number;
  seq: number;
  to: string;
  kind: 'message' | 'tick';
  from?: string;
  message?: unknown;
}

class Heap {
  private a: Event[] = [];
  get size(): number {
    return this.a.length;
  }
  push(e: Event): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(a[p]!, a[i]!)) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): Event | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
  peek(): Event | undefined {
    return this.a[0];
  }
}
const less = (x: Event, y: Event): boolean => x.t < y.t || (x.t === y.t && x.seq < y.seq);

export interface DriverOptions {
  seed: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  lossRate?: number;
  /** Use checkedStep (freeze + plain-data checks) on every step: thorough but slower. */
  checked?: boolean;
}

export class ChordDriver {
  readonly rng: Random;
  now = 0;
  readonly states = new Map<string, ChordState>();
  readonly dead = new Set<string>();
  readonly events: { at: number; node: string; output: ChordOutput }[] = [];
  rejected = 0;
  private readonly queue = new Heap();
  private readonly scheduled = new Map<string, number>();
  private seq = 0;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  /** Probability that a message is lost; may be changed mid-run (e.g. set to 0 to heal). */
  loss: number;
  private readonly checked: boolean;

  constructor(opts: DriverOptions) {
    this.rng = new Random(opts.seed);
    this.minDelay = opts.minDelayMs ?? 1;
    this.maxDelay = opts.maxDelayMs ?? 20;
    this.loss = opts.lossRate ?? 0;
    this.checked = opts.checked ?? false;
  }

  add(config: ChordConfig): ChordState {
    const s = chord.init(config);
    this.states.set(config.addr, s);
    return s;
  }

  /** Installs a prebuilt state (e.g. an already stabilized ring). */
  install(state: ChordState): void {
    this.states.set(state.self.addr, state);
    this.reschedule(state.self.addr);
  }

  input(addr: string, command: Unstamped<ChordInput>): ChordOutput[] {
    const s = this.states.get(addr);
    if (s === undefined || this.dead.has(addr)) return [];
    const input = stampNow(command as ChordInput, this.now);
    const t = this.checked ? splitTransition(chord.name, checkedStep(chord, s, input)) : applyStep(chord, s, input);
    this.states.set(addr, t.state);
    for (const o of t.outputs) {
      if (o.type === 'send') {
        if (this.loss > 0 && this.rng.float() < this.loss) continue;
        const delay = this.minDelay + this.rng.int(0, this.maxDelay - this.minDelay + 1);
        this.queue.push({ t: this.now + delay, seq: this.seq++, to: o.to, kind: 'message', from: addr, message: o.message });
      } else {
        if (o.type === 'rejected') this.rejected++;
        this.events.push({ at: this.now, node: addr, output: o });
      }
    }
    this.reschedule(addr);
    return t.outputs.slice();
  }

  private reschedule(addr: string): void {
    const s = this.states.get(addr)!;
    const d = chord.nextDeadline(s);
    if (d === undefined) {
      this.scheduled.delete(addr);
      return;
    }
    const at = Math.max(d, this.now);
    if (this.scheduled.get(addr) === at) return;
    this.scheduled.set(addr, at);
    this.queue.push({ t: at, seq: this.seq++, to: addr, kind: 'tick' });
  }

  crash(addr: string): void {
    this.dead.add(addr);
    this.scheduled.delete(addr);
  }

  /** Processes events until virtual time `until` (ms). */
  runUntil(until: number): void {
    for (;;) {
      const e = this.queue.peek();
      if (e === undefined || e.t > until) break;
      this.queue.pop();
      this.now = Math.max(this.now, e.t);
      if (this.dead.has(e.to) || !this.states.has(e.to)) continue;
      if (e.kind === 'tick') {
        if (this.scheduled.get(e.to) !== e.t) continue;
        this.scheduled.delete(e.to);
        this.input(e.to, { type: 'tick' });
      } else {
        this.input(e.to, { type: 'message', from: e.from!, message: e.message });
      }
    }
    this.now = Math.max(this.now, until);
  }

  /** Runs until no event is queued for `addr`'s request or `maxMs` passes; returns the matching output. */
  request(addr: string, input: Unstamped<ChordInput> & { requestId: string }, maxMs = 30_000): ChordOutput | undefined {
    const start = this.events.length;
    this.input(addr, input);
    const deadline = this.now + maxMs;
    const find = (): ChordOutput | undefined => {
      for (let i = start; i < this.events.length; i++) {
        const o = this.events[i]!.output;
        if ('requestId' in o && o.requestId === input.requestId) return o;
      }
      return undefined;
    };
    while (this.now < deadline) {
      const hit = find();
      if (hit) return hit;
      const e = this.queue.peek();
      if (e === undefined) break;
      this.runUntil(Math.min(deadline, e.t));
    }
    return find();
  }

  live(): ChordState[] {
    return [...this.states.values()].filter((s) => !this.dead.has(s.self.addr) && s.status === 'active');
  }
}

/** Sorted live peers. */
export function sortedPeers(states: ChordState[]): ChordPeer[] {
  return states.map((s) => s.self).sort((a, b) => a.id - b.id);
}

/** The correct owner of identifier x among sorted peers: the first id >= x, wrapping. */
export function ownerOf(x: number, peers: ChordPeer[]): ChordPeer {
  let lo = 0;
  let hi = peers.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (peers[mid]!.id < x) lo = mid + 1;
    else hi = mid;
  }
  return peers[lo === peers.length ? 0 : lo]!;
}

/**
 * Builds the state a fully stabilized ring reaches (what join + stabilize + fixFingers converge to,
 * checked against real runs at small N): correct predecessor, successor list and all fingers.
 */
export function stabilizedRing(configs: ChordConfig[], now = 0): ChordState[] {
  const inits = configs.map((c) => chord.init(c));
  const peers = sortedPeers(inits);
  const n = peers.length;
  const index = new Map(peers.map((p, i) => [p.addr, i]));
  return inits.map((s) => {
    const i = index.get(s.self.addr)!;
    const r = s.settings.successorListLength;
    const successors: ChordPeer[] = [];
    for (let k = 1; k <= Math.min(r, n - 1); k++) successors.push(peers[(i + k) % n]!);
    const size = 2 ** s.settings.m;
    const fingers = s.fingers.map((_, k) => ownerOf((s.self.id + 2 ** k) % size, peers));
    return {
      ...s,
      status: 'active' as const,
      predecessor: n > 1 ? peers[(i - 1 + n) % n]! : null,
      successors: successors.length > 0 ? successors : [s.self],
      fingers,
      timers: {
        stabilize: startTimer(now, s.settings.stabilizeIntervalMs),
        fixFingers: startTimer(now, s.settings.fixFingersIntervalMs),
        checkPredecessor: startTimer(now, s.settings.checkPredecessorIntervalMs),
        replicate: startTimer(now, s.settings.replicateIntervalMs),
      },
    };
  });
}

/** Checks that live nodes' successor pointers form one ring in id order. Returns a problem or undefined. */
export function ringProblem(states: ChordState[]): string | undefined {
  const peers = sortedPeers(states);
  const byAddr = new Map(states.map((s) => [s.self.addr, s]));
  for (let i = 0; i < peers.length; i++) {
    const s = byAddr.get(peers[i]!.addr)!;
    const want = peers[(i + 1) % peers.length]!;
    if (s.successors[0]!.addr !== want.addr) return `${s.self.addr}: successor ${s.successors[0]!.addr}, expected ${want.addr}`;
    const pred = peers[(i - 1 + peers.length) % peers.length]!;
    if (peers.length > 1 && s.predecessor?.addr !== pred.addr) return `${s.self.addr}: predecessor ${s.predecessor?.addr ?? 'null'}, expected ${pred.addr}`;
  }
  return undefined;
}

/** Keys (of `keys`) not held by their correct live owner. */
export function misplacedKeys(states: ChordState[], keys: string[], m: number): string[] {
  const peers = sortedPeers(states);
  const byAddr = new Map(states.map((s) => [s.self.addr, s]));
  return keys.filter((k) => {
    const owner = ownerOf(chordId(k, m), peers);
    return getOwn(byAddr.get(owner.addr)!.store, k) === undefined;
  });
}

export { chordOwns };
