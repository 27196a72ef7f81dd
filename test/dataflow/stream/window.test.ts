import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/index.js';
import {
  assignWindows,
  maxTimestamp,
  mergeSessionWindows,
  TIMESTAMP_LIMIT,
  validateAssigner,
  windowStartWithOffset,
  windowsOverlap,
} from '../../../src/dataflow/index.js';

const ts = fc.integer({ min: -1_000_000, max: 1_000_000 });
const size = fc.integer({ min: 1, max: 10_000 });

describe("Flink's boundary rules: TimeWindow.getWindowStartWithOffset", () => {
  it('equals ts − (ts − offset + size) % size wherever that remainder is non-negative', () => {
    fc.assert(
      fc.property(ts, size, fc.integer({ min: -9_999, max: 9_999 }), (t, s, o) => {
        fc.pre(Math.abs(o) < s && t - o + s >= 0);
        expect(windowStartWithOffset(t, o, s)).toBe(t - ((t - o + s) % s));
      }),
    );
  });

  it('puts every timestamp, negative ones included, in exactly one window [start, end) aligned to the offset', () => {
    fc.assert(
      fc.property(ts, size, fc.integer({ min: -9_999, max: 9_999 }), (t, s, o) => {
        fc.pre(Math.abs(o) < s);
        const start = windowStartWithOffset(t, o, s);
        expect(start <= t && t < start + s).toBe(true);
        expect((((start - o) % s) + s) % s).toBe(0);
      }),
    );
  });

  it("a window's max timestamp is end − 1: the last timestamp it holds", () => {
    fc.assert(
      fc.property(ts, size, (t, s) => {
        const [w] = assignWindows({ kind: 'tumbling', sizeMs: s }, t);
        expect(maxTimestamp(w!)).toBe(w!.end - 1);
        expect(assignWindows({ kind: 'tumbling', sizeMs: s }, maxTimestamp(w!))).toEqual([w]);
        expect(assignWindows({ kind: 'tumbling', sizeMs: s }, w!.end)[0]!.start).toBe(w!.end);
      }),
    );
  });

  it('worked values: 17 in size 10 is [10, 20); offset 5 gives [15, 25); -3 gives [-10, 0)', () => {
    expect(assignWindows({ kind: 'tumbling', sizeMs: 10 }, 17)).toEqual([{ start: 10, end: 20 }]);
    expect(assignWindows({ kind: 'tumbling', sizeMs: 10, offsetMs: 5 }, 17)).toEqual([{ start: 15, end: 25 }]);
    expect(assignWindows({ kind: 'tumbling', sizeMs: 10 }, -3)).toEqual([{ start: -10, end: 0 }]);
    expect(assignWindows({ kind: 'tumbling', sizeMs: 10 }, 20)).toEqual([{ start: 20, end: 30 }]);
  });
});

describe('sliding windows (Flink SlidingEventTimeWindows)', () => {
  it('an element is in exactly the windows [start, start + size) holding it, ceil(size/slide) of them when slide divides size', () => {
    fc.assert(
      fc.property(ts, fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 20 }), (t, slide, k) => {
        const sizeMs = slide * k;
        const ws = assignWindows({ kind: 'sliding', sizeMs, slideMs: slide }, t);
        expect(ws).toHaveLength(k);
        for (const w of ws) {
          expect(w.start <= t && t < w.end).toBe(true);
          expect(w.end - w.start).toBe(sizeMs);
          expect(((w.start % slide) + slide) % slide).toBe(0);
        }
        expect(new Set(ws.map((w) => w.start)).size).toBe(k);
      }),
    );
  });

  it('size 10 slide 5: 17 is in [10, 20) and [15, 25)', () => {
    expect(assignWindows({ kind: 'sliding', sizeMs: 10, slideMs: 5 }, 17)).toEqual([
      { start: 10, end: 20 },
      { start: 15, end: 25 },
    ]);
  });
});

describe('sessions: offline merging from sorted timestamps', () => {
  it('sessions are disjoint, hold every timestamp, and break exactly where consecutive timestamps are gapMs or more apart', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 40 }), fc.integer({ min: 1, max: 50 }), (stamps, gap) => {
        const sessions = mergeSessionWindows(stamps, gap);
        for (let i = 1; i < sessions.length; i++) expect(windowsOverlap(sessions[i - 1]!, sessions[i]!)).toBe(false);
        for (const t of stamps) expect(sessions.filter((s) => s.start <= t && t < s.end)).toHaveLength(1);
        const sorted = [...stamps].sort((a, b) => a - b);
        const breaks = sorted.filter((t, i) => i > 0 && t - sorted[i - 1]! >= gap).length;
        expect(sessions).toHaveLength(stamps.length === 0 ? 0 : breaks + 1);
      }),
    );
  });
});

describe('assigner validation (ConfigError naming the field)', () => {
  it.each([
    [{ kind: 'tumbling', sizeMs: 0 }, 'window.sizeMs'],
    [{ kind: 'tumbling', sizeMs: 10, offsetMs: 10 }, 'window.offsetMs'],
    [{ kind: 'sliding', sizeMs: 10, slideMs: 0 }, 'window.slideMs'],
    [{ kind: 'sliding', sizeMs: 100_000, slideMs: 1 }, 'window.slideMs'],
    [{ kind: 'session', gapMs: -1 }, 'window.gapMs'],
    [{ kind: 'tumbling', sizeMs: TIMESTAMP_LIMIT + 1 }, 'window.sizeMs'],
    [{ kind: 'hopping' }, 'window.kind'],
  ])('%j is refused (%s)', (assigner, field) => {
    expect(() => validateAssigner(assigner as never)).toThrow(ConfigError);
    expect(() => validateAssigner(assigner as never)).toThrow(field);
  });
});
