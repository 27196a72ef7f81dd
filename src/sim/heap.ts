// A binary min-heap of simulation events ordered by (time, seq). `seq` is unique and increasing,
// so ties in time break in scheduling order and the order of events is total and deterministic.

/** An event in the queue. One class for every kind keeps property access monomorphic. */
export class SimEvent {
  constructor(
    public time: number,
    public seq: number,
    public kind: number,
    public node: number,
    public from: number,
    public data: unknown,
    public id: number,
    public gen: number,
    public counts: unknown = null,
  ) {}
}

export class EventHeap {
  private items: SimEvent[] = [];

  get size(): number {
    return this.items.length;
  }

  push(e: SimEvent): void {
    const a = this.items;
    let i = a.length;
    a.push(e);
    const t = e.time;
    const s = e.seq;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const q = a[p]!;
      if (q.time < t || (q.time === t && q.seq < s)) break;
      a[i] = q;
      i = p;
    }
    a[i] = e;
  }

  pop(): SimEvent | undefined {
    const a = this.items;
    const n = a.length;
    if (n === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (n > 1) {
      const m = n - 1;
      const t = last.time;
      const s = last.seq;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m) break;
        let c = l;
        let cv = a[l]!;
        const r = l + 1;
        if (r < m) {
          const rv = a[r]!;
          if (rv.time < cv.time || (rv.time === cv.time && rv.seq < cv.seq)) {
            c = r;
            cv = rv;
          }
        }
        if (t < cv.time || (t === cv.time && s < cv.seq)) break;
        a[i] = cv;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }

  peekTime(): number {
    const e = this.items[0];
    return e === undefined ? Infinity : e.time;
  }
}
