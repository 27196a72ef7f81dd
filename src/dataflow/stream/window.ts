/**
 * Event-time windows and their assigners, after the Dataflow model (Akidau et al., VLDB 2015, §2.2)
 * with Flink's boundary rules: a window is `[start, end)` and its last timestamp is `end − 1`.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../../core/errors.js';

/**
 * The largest event time and watermark (`2^53 − 1`, Flink's `Long.MAX_VALUE` in a JSON number).
 * A watermark of this value means the input is complete: every window fires and is cleaned up.
 *
 * @example
 * ```ts
 * import { MAX_WATERMARK } from 'distkit/dataflow';
 * MAX_WATERMARK === Number.MAX_SAFE_INTEGER; //=> true
 * ```
 */
export const MAX_WATERMARK = Number.MAX_SAFE_INTEGER;

/**
 * The watermark before any input has reported one (Flink's `Long.MIN_VALUE` in a JSON number).
 *
 * @example
 * ```ts
 * import { MIN_WATERMARK } from 'distkit/dataflow';
 * MIN_WATERMARK === -Number.MAX_SAFE_INTEGER; //=> true
 * ```
 */
export const MIN_WATERMARK = -Number.MAX_SAFE_INTEGER;

/**
 * The bound on event timestamps, window sizes, slides and gaps (`2^52`): it keeps every window
 * end a safe integer. Elements outside `[−TIMESTAMP_LIMIT, TIMESTAMP_LIMIT]` are rejected.
 *
 * @example
 * ```ts
 * import { TIMESTAMP_LIMIT } from 'distkit/dataflow';
 * TIMESTAMP_LIMIT; //=> 4503599627370496
 * ```
 */
export const TIMESTAMP_LIMIT = 2 ** 52;

/**
 * A time window `[start, end)` (Flink's `TimeWindow`): `start` is included, `end` is not.
 *
 * @example
 * ```ts
 * import type { TimeWindow } from 'distkit/dataflow';
 * const w: TimeWindow = { start: 0, end: 10 }; // holds timestamps 0..9
 * ```
 */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/**
 * How elements are assigned to windows (Dataflow model §2.2; Flink's window assigners):
 * fixed/tumbling (`size`, `offset`), sliding (`size`, `slide`, `offset`), session (`gapMs`:
 * windows of activity that merge when they overlap) and global (one window for all time).
 *
 * @example
 * ```ts
 * import type { WindowAssigner } from 'distkit/dataflow';
 * const hourly: WindowAssigner = { kind: 'tumbling', sizeMs: 3_600_000 };
 * const sessions: WindowAssigner = { kind: 'session', gapMs: 30_000 };
 * ```
 */
export type WindowAssigner =
  | { readonly kind: 'tumbling'; readonly sizeMs: number; readonly offsetMs?: number }
  | { readonly kind: 'sliding'; readonly sizeMs: number; readonly slideMs: number; readonly offsetMs?: number }
  | { readonly kind: 'session'; readonly gapMs: number }
  | { readonly kind: 'global' };

/**
 * The global window: every timestamp, ending at {@link MAX_WATERMARK} (it fires on event time
 * only when the input is complete).
 *
 * @example
 * ```ts
 * import { GLOBAL_WINDOW, maxTimestamp, MAX_WATERMARK } from 'distkit/dataflow';
 * maxTimestamp(GLOBAL_WINDOW) === MAX_WATERMARK - 1; //=> true
 * ```
 */
export const GLOBAL_WINDOW: TimeWindow = Object.freeze({ start: MIN_WATERMARK, end: MAX_WATERMARK });

/**
 * The last timestamp a window holds: `end − 1` (Flink's `TimeWindow.maxTimestamp`). Event-time
 * triggers fire when the watermark reaches it.
 *
 * @example
 * ```ts
 * import { maxTimestamp } from 'distkit/dataflow';
 * maxTimestamp({ start: 0, end: 10 }); //=> 9
 * ```
 */
export function maxTimestamp(window: TimeWindow): number {
  return window.end - 1;
}

/**
 * The start of the window of `sizeMs` (shifted by `offsetMs`) holding `timestamp`: Flink's
 * `TimeWindow.getWindowStartWithOffset`, `ts − (ts − offset + size) % size`, written so that it
 * also holds for timestamps before the offset (where the remainder of `%` is negative, as in
 * Flink's later releases).
 *
 * @example
 * ```ts
 * import { windowStartWithOffset } from 'distkit/dataflow';
 * windowStartWithOffset(17, 0, 10); //=> 10
 * windowStartWithOffset(17, 5, 10); //=> 15
 * windowStartWithOffset(-3, 0, 10); //=> -10
 * ```
 */
export function windowStartWithOffset(timestamp: number, offsetMs: number, sizeMs: number): number {
  const remainder = (timestamp - offsetMs) % sizeMs;
  return remainder < 0 ? timestamp - (remainder + sizeMs) : timestamp - remainder;
}

/**
 * Whether two windows share a timestamp: `a.start < b.end` and `b.start < a.end` (Beam's
 * `IntervalWindow.intersects`). Session windows that overlap merge. Flink's `TimeWindow.intersects`
 * also merges windows that only touch (`a.end = b.start`); that would let an element at `end`
 * reopen a session whose final pane already fired at watermark `end − 1`, so the strict rule is
 * the one that keeps the Dataflow model's promise that a window is final once the watermark passes it.
 *
 * @example
 * ```ts
 * import { windowsOverlap } from 'distkit/dataflow';
 * windowsOverlap({ start: 0, end: 10 }, { start: 9, end: 20 });  //=> true
 * windowsOverlap({ start: 0, end: 10 }, { start: 10, end: 20 }); //=> false
 * ```
 */
export function windowsOverlap(a: TimeWindow, b: TimeWindow): boolean {
  return a.start < b.end && b.start < a.end;
}

/**
 * The smallest window covering both (Flink's `TimeWindow.cover`).
 *
 * @example
 * ```ts
 * import { coverWindows } from 'distkit/dataflow';
 * coverWindows({ start: 0, end: 10 }, { start: 5, end: 30 }); //=> { start: 0, end: 30 }
 * ```
 */
export function coverWindows(a: TimeWindow, b: TimeWindow): TimeWindow {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

function sizeOption(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0 || value > TIMESTAMP_LIMIT) {
    throw new ConfigError(field, `must be an integer number of ms in 1..${TIMESTAMP_LIMIT}, got ${String(value)}`);
  }
  return value;
}

function offsetOption(value: unknown, period: number): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || Math.abs(value) >= period) {
    throw new ConfigError('window.offsetMs', `must be an integer with |offset| < ${period} (Flink's rule), got ${String(value)}`);
  }
  return value;
}

/**
 * Validates an assigner and fills its defaults (offset 0); throws `ConfigError` naming the field.
 * Flink's rules: size, slide and gap are positive, `|offset| < size` (tumbling) or `< slide`.
 *
 * @example
 * ```ts
 * import { validateAssigner } from 'distkit/dataflow';
 * validateAssigner({ kind: 'tumbling', sizeMs: 10 }); //=> { kind: 'tumbling', sizeMs: 10, offsetMs: 0 }
 * ```
 */
export function validateAssigner(assigner: WindowAssigner): WindowAssigner {
  const a = assigner as { kind?: unknown } | null;
  switch (a === null || typeof a !== 'object' ? undefined : a.kind) {
    case 'tumbling': {
      const t = assigner as Extract<WindowAssigner, { kind: 'tumbling' }>;
      const sizeMs = sizeOption('window.sizeMs', t.sizeMs);
      return { kind: 'tumbling', sizeMs, offsetMs: offsetOption(t.offsetMs, sizeMs) };
    }
    case 'sliding': {
      const s = assigner as Extract<WindowAssigner, { kind: 'sliding' }>;
      const sizeMs = sizeOption('window.sizeMs', s.sizeMs);
      const slideMs = sizeOption('window.slideMs', s.slideMs);
      if (Math.ceil(sizeMs / slideMs) > MAX_WINDOWS_PER_ELEMENT) {
        throw new ConfigError('window.slideMs', `size/slide must be at most ${MAX_WINDOWS_PER_ELEMENT} windows per element, got ${Math.ceil(sizeMs / slideMs)}`);
      }
      return { kind: 'sliding', sizeMs, slideMs, offsetMs: offsetOption(s.offsetMs, slideMs) };
    }
    case 'session':
      return { kind: 'session', gapMs: sizeOption('window.gapMs', (assigner as { gapMs?: unknown }).gapMs) };
    case 'global':
      return { kind: 'global' };
    default:
      throw new ConfigError('window.kind', `must be 'tumbling', 'sliding', 'session' or 'global', got ${JSON.stringify(a?.kind ?? a)}`);
  }
}

/**
 * The most windows one element may fall in (a sliding window's `size / slide`).
 *
 * @example
 * ```ts
 * import { MAX_WINDOWS_PER_ELEMENT } from 'distkit/dataflow';
 * MAX_WINDOWS_PER_ELEMENT; //=> 1000
 * ```
 */
export const MAX_WINDOWS_PER_ELEMENT = 1000;

/**
 * The windows an element with `timestamp` belongs to, earliest first (Flink's `assignWindows`).
 * A session assigner gives the proto-window `[ts, ts + gap)`, to be merged with its neighbours
 * ({@link mergeSessionWindows}).
 *
 * @example
 * ```ts
 * import { assignWindows } from 'distkit/dataflow';
 * assignWindows({ kind: 'tumbling', sizeMs: 10 }, 17);              //=> [{ start: 10, end: 20 }]
 * assignWindows({ kind: 'sliding', sizeMs: 10, slideMs: 5 }, 17);   //=> [{ start: 10, end: 20 }, { start: 15, end: 25 }]
 * assignWindows({ kind: 'session', gapMs: 30 }, 17);                //=> [{ start: 17, end: 47 }]
 * ```
 */
export function assignWindows(assigner: WindowAssigner, timestamp: number): TimeWindow[] {
  switch (assigner.kind) {
    case 'tumbling': {
      const start = windowStartWithOffset(timestamp, assigner.offsetMs ?? 0, assigner.sizeMs);
      return [{ start, end: start + assigner.sizeMs }];
    }
    case 'sliding': {
      // Flink's SlidingEventTimeWindows: from the last start at or before ts, back while start > ts − size.
      const out: TimeWindow[] = [];
      const last = windowStartWithOffset(timestamp, assigner.offsetMs ?? 0, assigner.slideMs);
      for (let start = last; start > timestamp - assigner.sizeMs; start -= assigner.slideMs) out.push({ start, end: start + assigner.sizeMs });
      return out.reverse();
    }
    case 'session':
      return [{ start: timestamp, end: timestamp + assigner.gapMs }];
    case 'global':
      return [GLOBAL_WINDOW];
  }
}

/**
 * Session windows computed offline from timestamps: sort them, and start a new session where two
 * consecutive timestamps are `gapMs` or more apart; each session is `[first, last + gap)`.
 * It is what merging proto-windows `[ts, ts + gap)` as they arrive must end with, in any order.
 *
 * @example
 * ```ts
 * import { mergeSessionWindows } from 'distkit/dataflow';
 * mergeSessionWindows([1, 25, 3, 9], 7); //=> [{ start: 1, end: 16 }, { start: 25, end: 32 }]
 * ```
 */
export function mergeSessionWindows(timestamps: readonly number[], gapMs: number): TimeWindow[] {
  const sorted = [...timestamps].sort((a, b) => a - b);
  const out: TimeWindow[] = [];
  for (const ts of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && ts < last.end) out[out.length - 1] = { start: last.start, end: Math.max(last.end, ts + gapMs) };
    else out.push({ start: ts, end: ts + gapMs });
  }
  return out;
}
