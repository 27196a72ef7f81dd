import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventTimeWindow, StreamProcessor, type TimedEvent } from '../../../src/dataflow/index.js';

describe('EventTimeWindow (the notes shape)', () => {
  it('every event ends in exactly one completed window or in onLate, whatever the order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 50 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 20 }), (stamps, size, delay) => {
        const late: TimedEvent[] = [];
        const w = new EventTimeWindow(size, delay, { onLate: (e) => late.push(e) });
        const done = stamps.flatMap((t, i) => w.processEvent({ timestamp: t, id: i }));
        done.push(...w.flush());
        const seen = [...done.flatMap((c) => c.events.map((e) => e.id)), ...late.map((e) => e.id)];
        expect([...seen].sort((a, b) => (a as number) - (b as number))).toEqual(stamps.map((_, i) => i));
        expect(w.lateCount).toBe(late.length);
        for (const c of done) for (const e of c.events) expect(e.timestamp >= c.windowStart && e.timestamp < c.windowEnd).toBe(true);
      }),
    );
  });

  it('with the delay covering the disorder, nothing is late', () => {
    const w = new EventTimeWindow(10, 5);
    const done = [5, 1, 12, 9, 15, 11, 30].flatMap((t) => w.processEvent({ timestamp: t }));
    done.push(...w.flush());
    expect(w.lateCount).toBe(0);
    expect(done.map((c) => [c.windowStart, c.events.map((e) => e.timestamp)])).toEqual([
      [0, [1, 5, 9]],
      [10, [11, 12, 15]],
      [30, [30]],
    ]);
  });
});

describe('StreamProcessor (the notes shape)', () => {
  it('map, filter, keyed window and sink', () => {
    const out: unknown[] = [];
    new StreamProcessor<{ timestamp: number; user: string; n: number }>()
      .addSource([
        { timestamp: 1, user: 'a', n: 1 },
        { timestamp: 2, user: 'b', n: 5 },
        { timestamp: 3, user: 'a', n: 7 },
        { timestamp: 25, user: 'a', n: 2 },
      ])
      .map((e) => ({ ...e, n: e.n * 10 }))
      .filter((e) => e.n > 10)
      .window({ kind: 'tumbling', sizeMs: 10 }, { kind: 'sum' }, { key: (e) => e.user, value: (e) => e.n })
      .addSink((o) => o.type === 'pane' && out.push([o.key, o.window.start, o.result]))
      .run();
    expect(out).toEqual([
      ['a', 0, 70],
      ['b', 0, 50],
      ['a', 20, 20],
    ]);
  });
});
