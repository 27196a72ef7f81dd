/**
 * The notes' everyday shapes over {@link windowOperator}: `EventTimeWindow` (feed events, get the
 * windows the watermark completed) and `StreamProcessor` (source → map/filter → window → sink).
 * Both are thin: every windowing rule lives in the operator.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../../core/errors.js';
import type { WindowAggregate } from './aggregate.js';
import { boundedOutOfOrderness, currentWatermark, observeTimestamp, type BoundedOutOfOrdernessState } from './watermark.js';
import {
  windowOperator,
  type PaneOutput,
  type WindowOperatorConfig,
  type WindowOperatorInput,
  type WindowOperatorOutput,
  type WindowOperatorState,
} from './window-operator.js';
import { MAX_WATERMARK, type WindowAssigner } from './window.js';

/**
 * An event for {@link EventTimeWindow}: its event time, and an optional key (default `''`).
 *
 * @example
 * ```ts
 * import type { TimedEvent } from 'distkit/dataflow';
 * const e: TimedEvent = { timestamp: 1200, key: 'user-1', clicks: 3 };
 * ```
 */
export interface TimedEvent {
  readonly timestamp: number;
  readonly key?: string;
  readonly [field: string]: unknown;
}

/**
 * A window the watermark completed, with its events in timestamp order.
 *
 * @example
 * ```ts
 * import type { CompletedWindow } from 'distkit/dataflow';
 * const w: CompletedWindow = { key: '', windowStart: 0, windowEnd: 10, events: [{ timestamp: 3 }] };
 * ```
 */
export interface CompletedWindow {
  readonly key: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly events: readonly TimedEvent[];
}

/** Runs one input through the operator, throwing on a rejected element (a local programming error here). */
function feed(state: WindowOperatorState, input: WindowOperatorInput): { state: WindowOperatorState; outputs: readonly WindowOperatorOutput[] } {
  const t = windowOperator.step(state, input);
  const rejected = t.outputs.find((o) => o.type === 'rejected');
  if (rejected !== undefined) throw new ConfigError('event', rejected.reason);
  return t;
}

/**
 * Tumbling event-time windows with a bounded out-of-orderness watermark: the notes'
 * `EventTimeWindow(window_size, watermark_delay)`, over {@link windowOperator}. `processEvent`
 * returns the windows the watermark (`max timestamp − delay − 1`, Flink's rule) completed; an
 * event for a window already complete is counted in `lateCount` and passed to `onLate`, never
 * silently dropped.
 *
 * @example
 * ```ts
 * import { EventTimeWindow } from 'distkit/dataflow';
 * const w = new EventTimeWindow(10, 2);
 * w.processEvent({ timestamp: 3 });
 * w.processEvent({ timestamp: 8 });
 * w.processEvent({ timestamp: 12 }).map((c) => [c.windowStart, c.events.length]); //=> [[0, 2]]
 * w.processEvent({ timestamp: 5 }).length; //=> 0
 * w.lateCount; //=> 1
 * ```
 */
export class EventTimeWindow {
  private state: WindowOperatorState;
  private generator: BoundedOutOfOrdernessState;
  private readonly onLate: ((event: TimedEvent) => void) | undefined;

  constructor(windowSizeMs: number, watermarkDelayMs: number, options: { readonly allowedLatenessMs?: number; readonly onLate?: (event: TimedEvent) => void } = {}) {
    this.state = windowOperator.init({
      window: { kind: 'tumbling', sizeMs: windowSizeMs },
      aggregate: { kind: 'collect' },
      ...(options.allowedLatenessMs === undefined ? {} : { allowedLatenessMs: options.allowedLatenessMs }),
    });
    this.generator = boundedOutOfOrderness(watermarkDelayMs);
    this.onLate = options.onLate;
  }

  /** The current watermark. */
  get watermark(): number {
    return this.state.watermark;
  }

  /** Events that arrived for a window already complete. */
  get lateCount(): number {
    return this.state.lateCount;
  }

  /** Adds an event and returns the windows its watermark completed. */
  processEvent(event: TimedEvent): CompletedWindow[] {
    const key = event.key ?? '';
    const element = feed(this.state, { type: 'element', key, timestamp: event.timestamp, value: event, now: 0 });
    this.state = element.state;
    this.generator = observeTimestamp(this.generator, event.timestamp);
    return [...this.collect(element.outputs), ...this.advance(currentWatermark(this.generator))];
  }

  /** Ends the input: every open window completes. */
  flush(): CompletedWindow[] {
    return this.advance(MAX_WATERMARK);
  }

  private advance(watermark: number): CompletedWindow[] {
    const t = feed(this.state, { type: 'watermark', watermark, now: 0 });
    this.state = t.state;
    return this.collect(t.outputs);
  }

  private collect(outputs: readonly WindowOperatorOutput[]): CompletedWindow[] {
    const done: CompletedWindow[] = [];
    for (const o of outputs) {
      if (o.type === 'late') this.onLate?.(o.value as TimedEvent);
      if (o.type === 'pane') done.push({ key: o.key, windowStart: o.window.start, windowEnd: o.window.end, events: o.result as TimedEvent[] });
    }
    return done;
  }
}

/**
 * A small pipeline (the notes' `StreamProcessor`): sources of timed events, `map` and `filter`
 * stages, one keyed `window` with an aggregate, and sinks that receive every pane and late event.
 * `run()` streams the sources through a {@link windowOperator} with a bounded out-of-orderness
 * watermark, then ends the input so every window completes.
 *
 * @example
 * ```ts
 * import { StreamProcessor } from 'distkit/dataflow';
 * const results: unknown[] = [];
 * new StreamProcessor<{ timestamp: number; n: number }>()
 *   .addSource([{ timestamp: 1, n: 2 }, { timestamp: 4, n: 3 }, { timestamp: 12, n: 5 }])
 *   .filter((e) => e.n > 2)
 *   .window({ kind: 'tumbling', sizeMs: 10 }, { kind: 'sum' }, { value: (e) => e.n })
 *   .addSink((o) => { if (o.type === 'pane') results.push([o.window.start, o.result]); })
 *   .run();
 * results; //=> [[0, 3], [10, 5]]
 * ```
 */
export class StreamProcessor<E extends { readonly timestamp: number }> {
  private readonly sources: Iterable<unknown>[] = [];
  private readonly stages: ((e: unknown) => { keep: boolean; value: unknown })[] = [];
  private readonly sinks: ((output: PaneOutput | Extract<WindowOperatorOutput, { type: 'late' }>) => void)[] = [];
  private windowing: { config: WindowOperatorConfig; key: (e: E) => string; value: (e: E) => unknown; outOfOrdernessMs: number } | undefined;

  /** Adds a source of events. */
  addSource(source: Iterable<E>): this {
    this.sources.push(source);
    return this;
  }

  /** Transforms every event (the result must keep a `timestamp`). */
  map(fn: (event: E) => E): this {
    this.stages.push((e) => ({ keep: true, value: fn(e as E) }));
    return this;
  }

  /** Keeps the events for which `fn` is true. */
  filter(fn: (event: E) => boolean): this {
    this.stages.push((e) => ({ keep: fn(e as E), value: e }));
    return this;
  }

  /** Windows the events: assigner, aggregate, and how to read key, value and the watermark delay. */
  window(
    window: WindowAssigner,
    aggregate: WindowAggregate,
    options: { readonly key?: (e: E) => string; readonly value?: (e: E) => unknown; readonly outOfOrdernessMs?: number; readonly allowedLatenessMs?: number } = {},
  ): this {
    const config: WindowOperatorConfig = { window, aggregate, ...(options.allowedLatenessMs === undefined ? {} : { allowedLatenessMs: options.allowedLatenessMs }) };
    windowOperator.init(config);
    this.windowing = { config, key: options.key ?? (() => ''), value: options.value ?? ((e) => e), outOfOrdernessMs: options.outOfOrdernessMs ?? 0 };
    return this;
  }

  /** Adds a sink: it receives every pane and every late event. */
  addSink(sink: (output: PaneOutput | Extract<WindowOperatorOutput, { type: 'late' }>) => void): this {
    this.sinks.push(sink);
    return this;
  }

  /** Runs the pipeline to the end of its sources. */
  run(): void {
    const w = this.windowing;
    if (w === undefined) throw new ConfigError('window', 'call window(...) before run()');
    let state = windowOperator.init(w.config);
    let generator = boundedOutOfOrderness(w.outOfOrdernessMs);
    const emit = (outputs: readonly WindowOperatorOutput[]) => {
      for (const o of outputs) if (o.type === 'pane' || o.type === 'late') for (const sink of this.sinks) sink(o);
    };
    for (const source of this.sources) {
      for (const raw of source) {
        const event = this.through(raw);
        if (event === undefined) continue;
        const t = feed(state, { type: 'element', key: w.key(event), value: w.value(event), timestamp: event.timestamp, now: 0 });
        generator = observeTimestamp(generator, event.timestamp);
        const m = feed(t.state, { type: 'watermark', watermark: currentWatermark(generator), now: 0 });
        state = m.state;
        emit([...t.outputs, ...m.outputs]);
      }
    }
    emit(feed(state, { type: 'watermark', watermark: MAX_WATERMARK, now: 0 }).outputs);
  }

  private through(raw: unknown): E | undefined {
    let e = raw;
    for (const stage of this.stages) {
      const r = stage(e);
      if (!r.keep) return undefined;
      e = r.value;
    }
    return e as E;
  }
}
