// The run's trace: every event kept, or only the last few in a ring buffer of fixed size.
import type { TraceEvent } from './types.js';

/** What the trace keeps. */
export interface TraceOptions {
  /** Keep every event. */
  readonly keepAll: boolean;
  /** How many of the last events a violation report carries (the ring's size when not `keepAll`). */
  readonly lastN: number;
}

/** The trace of a run. */
export class Trace {
  /** Whether events are kept at all: when false, callers may skip building them. */
  readonly on: boolean;
  private readonly keepAll: boolean;
  private readonly lastN: number;
  private readonly all: TraceEvent[] = [];
  private readonly ring: (TraceEvent | undefined)[];
  private ringPos = 0;
  private ringCount = 0;

  constructor(options: TraceOptions) {
    this.keepAll = options.keepAll;
    this.lastN = options.lastN;
    this.on = options.keepAll || options.lastN > 0;
    this.ring = options.keepAll ? [] : new Array<TraceEvent | undefined>(options.lastN);
  }

  /** Appends an event. */
  record(e: TraceEvent): void {
    if (this.keepAll) this.all.push(e);
    else if (this.lastN > 0) {
      this.ring[this.ringPos] = e;
      this.ringPos = this.ringPos + 1 === this.lastN ? 0 : this.ringPos + 1;
      this.ringCount++;
    }
  }

  /** The last `lastN` events, oldest first. */
  last(): TraceEvent[] {
    const n = this.lastN;
    if (this.keepAll) return this.all.slice(Math.max(0, this.all.length - n));
    const out: TraceEvent[] = [];
    const count = Math.min(this.ringCount, n);
    for (let i = 0; i < count; i++) {
      const e = this.ring[(this.ringPos - count + i + n) % n];
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  /** What the result carries: the whole trace, or the last events. */
  result(): TraceEvent[] {
    return this.keepAll ? this.all : this.last();
  }
}
