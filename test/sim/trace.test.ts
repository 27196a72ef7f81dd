import { describe, expect, it } from 'vitest';
import { Trace } from '../../src/sim/trace.js';
import type { TraceEvent } from '../../src/sim/index.js';

const tick = (time: number): TraceEvent => ({ kind: 'tick', time, node: 'a', now: time });

describe('trace', () => {
  it('keeps everything, and reports the last events', () => {
    const t = new Trace({ keepAll: true, lastN: 2 });
    for (let k = 0; k < 5; k++) t.record(tick(k));
    expect(t.result().map((e) => e.time)).toEqual([0, 1, 2, 3, 4]);
    expect(t.last().map((e) => e.time)).toEqual([3, 4]);
  });

  it('keeps only the last events in a ring, oldest first', () => {
    const t = new Trace({ keepAll: false, lastN: 3 });
    t.record(tick(0));
    expect(t.last().map((e) => e.time)).toEqual([0]);
    for (let k = 1; k < 8; k++) t.record(tick(k));
    expect(t.result().map((e) => e.time)).toEqual([5, 6, 7]);
  });

  it('is off when it keeps nothing', () => {
    const t = new Trace({ keepAll: false, lastN: 0 });
    t.record(tick(0));
    expect(t.on).toBe(false);
    expect(t.result()).toEqual([]);
  });
});
