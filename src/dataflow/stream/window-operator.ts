/**
 * A keyed event-time window operator as a pure machine, after the Dataflow model (Akidau et al.,
 * VLDB 2015, §2.3–2.4: windowing, triggers, accumulation modes) with Flink's rules for watermarks,
 * window ends and allowed lateness.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../../core/errors.js';
import { stepByType, type InputHandlers } from '../../core/dispatch.js';
import { reject, transition, type Machine, type MessageInput, type RejectedOutput, type TickInput, type Transition } from '../../core/machine.js';
import { checkObject, nonNegativeInt, positiveInt } from '../../core/options.js';
import { MAX_ID_LENGTH } from '../../core/validate.js';
import {
  accumulatorResult,
  addToAccumulator,
  emptyAccumulator,
  mergeAccumulators,
  validateAggregate,
  valueProblem,
  type Accumulator,
  type WindowAggregate,
} from './aggregate.js';
import { combineWatermarks, type InputWatermark } from './watermark.js';
import {
  assignWindows,
  coverWindows,
  maxTimestamp,
  MIN_WATERMARK,
  MAX_WATERMARK,
  TIMESTAMP_LIMIT,
  validateAssigner,
  windowsOverlap,
  type TimeWindow,
  type WindowAssigner,
} from './window.js';

/**
 * When a window emits a pane (Dataflow model §2.3; Beam's and Flink's triggers):
 * - `event-time`: on time when the watermark reaches the window's `end − 1`; optionally early
 *   (every `earlyEveryCount` elements, or `earlyAfterMs` of processing time after a pane's first
 *   element) and late (every `lateEveryCount` elements within the allowed lateness, default 1);
 * - `count`: every `count` elements (Flink's `CountTrigger`);
 * - `processing-time`: `delayMs` of processing time after a pane's first element (Beam's
 *   `AfterProcessingTime.pastFirstElementInPane().plusDelayOf`), repeatedly.
 * Whatever the trigger, a window whose unfired elements are still held when it is cleaned up
 * emits them in a final pane (Beam's `FIRE_IF_NON_EMPTY` closing behaviour): nothing is dropped.
 *
 * @example
 * ```ts
 * import type { WindowTrigger } from 'distkit/dataflow';
 * const speculative: WindowTrigger = { kind: 'event-time', earlyAfterMs: 1000, lateEveryCount: 1 };
 * ```
 */
export type WindowTrigger =
  | { readonly kind: 'event-time'; readonly earlyEveryCount?: number; readonly earlyAfterMs?: number; readonly lateEveryCount?: number }
  | { readonly kind: 'count'; readonly count: number }
  | { readonly kind: 'processing-time'; readonly delayMs: number };

/**
 * Whether a window's later panes repeat what earlier ones emitted (`accumulating`) or only carry
 * what arrived since the last firing (`discarding`): Dataflow model §2.4.
 *
 * @example
 * ```ts
 * import type { AccumulationMode } from 'distkit/dataflow';
 * const mode: AccumulationMode = 'accumulating';
 * ```
 */
export type AccumulationMode = 'discarding' | 'accumulating';

/**
 * Configuration of {@link windowOperator}.
 *
 * @example
 * ```ts
 * import type { WindowOperatorConfig } from 'distkit/dataflow';
 * const config: WindowOperatorConfig = { window: { kind: 'tumbling', sizeMs: 60_000 }, aggregate: { kind: 'count' } };
 * ```
 */
export interface WindowOperatorConfig {
  readonly window: WindowAssigner;
  readonly aggregate: WindowAggregate;
  /** Default `{ kind: 'event-time' }`. */
  readonly trigger?: WindowTrigger;
  /** Default `discarding`. */
  readonly accumulation?: AccumulationMode;
  /** How long after `end − 1` a window still takes elements (Flink's allowed lateness), ms. Default 0. */
  readonly allowedLatenessMs?: number;
  /** The inputs whose watermarks combine (Flink's multi-input valve). Default `['in']`. */
  readonly inputs?: readonly string[];
  /** Bound on open windows across all keys; an element that would open one more is rejected. Default 100,000. */
  readonly maxWindows?: number;
}

/** One open window of one key: its accumulator and trigger bookkeeping (plain JSON). */
export interface WindowPane {
  readonly key: string;
  readonly window: TimeWindow;
  /** The accumulator of the elements the next pane will carry. */
  readonly acc: Accumulator;
  /** Elements added since the last firing. */
  readonly pending: number;
  /** Panes emitted so far. */
  readonly fired: number;
  /** Whether the on-time pane was emitted. */
  readonly onTime: boolean;
  /** Processing-time deadline of this window's trigger, or `null`. */
  readonly deadline: number | null;
}

/** The state of {@link windowOperator}: plain JSON. */
export interface WindowOperatorState {
  readonly window: WindowAssigner;
  readonly aggregate: WindowAggregate;
  readonly trigger: WindowTrigger;
  readonly accumulation: AccumulationMode;
  readonly allowedLatenessMs: number;
  readonly maxWindows: number;
  /** Per input: its last watermark and whether it is idle. */
  readonly inputs: Readonly<Record<string, InputWatermark>>;
  /** The operator's watermark: never goes backwards. */
  readonly watermark: number;
  /** Open windows, ordered by key then start. */
  readonly panes: readonly WindowPane[];
  /** (element, window) pairs sent to the `late` side output so far. */
  readonly lateCount: number;
}

/** An element: `key`, `value` and event `timestamp` (ms). */
export interface ElementInput {
  readonly type: 'element';
  readonly key: string;
  readonly value?: unknown;
  readonly timestamp: number;
  readonly now: number;
}

/** One element of an {@link ElementsInput}: `key`, `value` and event `timestamp` (ms). */
export interface BatchElement {
  readonly key: string;
  readonly value?: unknown;
  readonly timestamp: number;
}

/**
 * Many elements in one step, at one processing time `now`: the same state and outputs as one
 * `element` input per element, in order (a malformed element is rejected alone, its reason
 * prefixed with `elements[i]: `), for at most {@link MAX_BATCH_ELEMENTS} elements. The operator
 * copies its state once per step, so a batch costs one copy instead of one per element.
 */
export interface ElementsInput {
  readonly type: 'elements';
  readonly elements: readonly BatchElement[];
  readonly now: number;
}

/** A watermark from one input (default the first declared input). */
export interface WatermarkInput {
  readonly type: 'watermark';
  readonly input?: string;
  readonly watermark: number;
  readonly now: number;
}

/** An input goes idle (`idle: true`) or becomes active again. */
export interface IdleInput {
  readonly type: 'idle';
  readonly input: string;
  readonly idle: boolean;
  readonly now: number;
}

/** Inputs of {@link windowOperator}; a network `message` is refused (elements arrive as local commands). */
export type WindowOperatorInput = ElementInput | ElementsInput | WatermarkInput | IdleInput | TickInput | MessageInput;

/**
 * A pane: the result of one firing of one window (Dataflow model §2.3). `timing` is `early`
 * (watermark before `end − 1`), `on-time` (the firing at the watermark) or `late`; `isLast` marks
 * the pane emitted as the window is cleaned up; `added` counts the elements since the last pane.
 */
export interface PaneOutput {
  readonly type: 'pane';
  readonly key: string;
  readonly window: TimeWindow;
  readonly result: unknown;
  readonly timing: 'early' | 'on-time' | 'late';
  readonly index: number;
  readonly isLast: boolean;
  readonly added: number;
}

/** The `late` side output: an element for a window already past its allowed lateness. */
export interface LateOutput {
  readonly type: 'late';
  readonly key: string;
  readonly value: unknown;
  readonly timestamp: number;
  readonly window: TimeWindow;
  /** Late (element, window) pairs so far, this one included. */
  readonly lateCount: number;
}

/** The operator's watermark advanced (forward it downstream). */
export interface WatermarkOutput {
  readonly type: 'watermark';
  readonly watermark: number;
}

/** Outputs of {@link windowOperator}. */
export type WindowOperatorOutput = PaneOutput | LateOutput | WatermarkOutput | RejectedOutput;

type Out = Transition<WindowOperatorState, WindowOperatorOutput>;

/**
 * Default bound on the open windows of one {@link windowOperator}.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_WINDOWS } from 'distkit/dataflow';
 * DEFAULT_MAX_WINDOWS; //=> 100000
 * ```
 */
export const DEFAULT_MAX_WINDOWS = 100_000;

/**
 * The most elements one `elements` input may carry.
 *
 * @example
 * ```ts
 * import { MAX_BATCH_ELEMENTS } from 'distkit/dataflow';
 * MAX_BATCH_ELEMENTS; //=> 10000
 * ```
 */
export const MAX_BATCH_ELEMENTS = 10_000;

/**
 * The most inputs one operator combines watermarks over.
 *
 * @example
 * ```ts
 * import { MAX_INPUTS } from 'distkit/dataflow';
 * MAX_INPUTS; //=> 64
 * ```
 */
export const MAX_INPUTS = 64;

function optionalPositive(field: string, value: unknown): number | undefined {
  return value === undefined ? undefined : positiveInt(field, value);
}

function validateTrigger(trigger: WindowTrigger | undefined): WindowTrigger {
  const t = (trigger ?? { kind: 'event-time' }) as Record<string, unknown>;
  switch (t.kind) {
    case 'event-time': {
      const earlyEveryCount = optionalPositive('trigger.earlyEveryCount', t.earlyEveryCount);
      const earlyAfterMs = optionalPositive('trigger.earlyAfterMs', t.earlyAfterMs);
      const lateEveryCount = positiveInt('trigger.lateEveryCount', t.lateEveryCount, 1);
      return {
        kind: 'event-time',
        ...(earlyEveryCount === undefined ? {} : { earlyEveryCount }),
        ...(earlyAfterMs === undefined ? {} : { earlyAfterMs }),
        lateEveryCount,
      };
    }
    case 'count':
      return { kind: 'count', count: positiveInt('trigger.count', t.count) };
    case 'processing-time':
      return { kind: 'processing-time', delayMs: positiveInt('trigger.delayMs', t.delayMs) };
    default:
      throw new ConfigError('trigger.kind', `must be 'event-time', 'count' or 'processing-time', got ${JSON.stringify(t.kind)}`);
  }
}

function validateInputs(inputs: readonly string[] | undefined): Record<string, InputWatermark> {
  const ids = inputs ?? ['in'];
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_INPUTS) {
    throw new ConfigError('inputs', `must list 1..${MAX_INPUTS} input ids`);
  }
  const out: Record<string, InputWatermark> = {};
  for (const id of ids) {
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) throw new ConfigError('inputs', `ids must be strings of 1..${MAX_ID_LENGTH} characters, got ${JSON.stringify(id)}`);
    if (Object.prototype.hasOwnProperty.call(out, id)) throw new ConfigError('inputs', `duplicate input ${JSON.stringify(id)}`);
    Object.defineProperty(out, id, { value: { watermark: MIN_WATERMARK, idle: false }, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function init(config: WindowOperatorConfig): WindowOperatorState {
  checkObject('config', config, 'expected an object');
  const accumulation = config.accumulation ?? 'discarding';
  if (accumulation !== 'discarding' && accumulation !== 'accumulating') {
    throw new ConfigError('accumulation', `must be 'discarding' or 'accumulating', got ${JSON.stringify(accumulation)}`);
  }
  return {
    window: validateAssigner(config.window),
    aggregate: validateAggregate(config.aggregate),
    trigger: validateTrigger(config.trigger),
    accumulation,
    allowedLatenessMs: nonNegativeInt('allowedLatenessMs', config.allowedLatenessMs, 0),
    maxWindows: positiveInt('maxWindows', config.maxWindows, DEFAULT_MAX_WINDOWS),
    inputs: validateInputs(config.inputs),
    watermark: MIN_WATERMARK,
    panes: [],
    lateCount: 0,
  };
}

/** Flink's `isWindowLate`: the window's cleanup time `end − 1 + lateness` is at or before the watermark. */
function isLate(state: WindowOperatorState, window: TimeWindow): boolean {
  // Flink's cleanupTime saturates at Long.MAX_VALUE: the final watermark cleans up every window.
  return Math.min(maxTimestamp(window) + state.allowedLatenessMs, MAX_WATERMARK) <= state.watermark;
}

function paneTiming(pane: WindowPane, watermark: number): PaneOutput['timing'] {
  if (watermark < maxTimestamp(pane.window)) return 'early';
  return pane.onTime ? 'late' : 'on-time';
}

/** Emits a pane for `pane` and resets it per the accumulation mode (Dataflow model §2.4). */
function fire(state: WindowOperatorState, pane: WindowPane, isLast: boolean): { pane: WindowPane; output: PaneOutput } {
  const timing = paneTiming(pane, state.watermark);
  const output: PaneOutput = {
    type: 'pane',
    key: pane.key,
    window: pane.window,
    result: accumulatorResult(state.aggregate, pane.acc),
    timing,
    index: pane.fired,
    isLast,
    added: pane.pending,
  };
  const next: WindowPane = {
    key: pane.key,
    window: pane.window,
    acc: state.accumulation === 'discarding' ? emptyAccumulator(state.aggregate) : pane.acc,
    pending: 0,
    fired: pane.fired + 1,
    onTime: pane.onTime || timing !== 'early',
    deadline: null,
  };
  return { pane: next, output };
}

function comparePanes(a: WindowPane, b: WindowPane): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.window.start - b.window.start;
}

/** Whether the trigger fires right after an element joined `pane` (event-time, count rules). */
function firesOnElement(state: WindowOperatorState, pane: WindowPane): boolean {
  const t = state.trigger;
  if (t.kind === 'count') return pane.pending >= t.count;
  if (t.kind === 'processing-time') return false;
  if (state.watermark >= maxTimestamp(pane.window)) {
    // Flink's EventTimeTrigger.onElement: a window already past its end fires at once.
    return !pane.onTime || pane.pending >= (t.lateEveryCount ?? 1);
  }
  return t.earlyEveryCount !== undefined && pane.pending >= t.earlyEveryCount;
}

function deadlineFor(state: WindowOperatorState, pane: WindowPane, now: number): number | null {
  if (pane.deadline !== null) return pane.deadline;
  const t = state.trigger;
  if (t.kind === 'processing-time') return now + t.delayMs;
  if (t.kind === 'event-time' && t.earlyAfterMs !== undefined && state.watermark < maxTimestamp(pane.window)) return now + t.earlyAfterMs;
  return null;
}

function elementProblem(state: WindowOperatorState, input: BatchElement): string | undefined {
  if (input === null || typeof input !== 'object') return 'expected an element object';
  if (typeof input.key !== 'string' || input.key.length > MAX_ID_LENGTH) return `key: expected a string of at most ${MAX_ID_LENGTH} characters`;
  if (typeof input.timestamp !== 'number' || !Number.isSafeInteger(input.timestamp) || Math.abs(input.timestamp) > TIMESTAMP_LIMIT) {
    return `timestamp: expected an integer in -${TIMESTAMP_LIMIT}..${TIMESTAMP_LIMIT}`;
  }
  return valueProblem(state.aggregate, input.value);
}

/** The step's private working copy of what elements change: mutated in place, never the input state. */
interface Work {
  panes: WindowPane[];
  outputs: WindowOperatorOutput[];
  lateCount: number;
}

/**
 * Binary search of the sorted panes for `key`'s pane starting at `start`: its index, or
 * `-(insertion point) - 1` when there is none.
 */
function findPane(panes: readonly WindowPane[], key: string, start: number): number {
  let lo = 0;
  let hi = panes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const p = panes[mid] as WindowPane;
    const c = p.key === key ? p.window.start - start : p.key < key ? -1 : 1;
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -lo - 1;
}

function insertPane(panes: WindowPane[], pane: WindowPane): number {
  const at = findPane(panes, pane.key, pane.window.start);
  const i = at >= 0 ? at : -at - 1;
  panes.splice(i, 0, pane);
  return i;
}

function newPane(state: WindowOperatorState, key: string, window: TimeWindow): WindowPane {
  return { key, window, acc: emptyAccumulator(state.aggregate), pending: 0, fired: 0, onTime: false, deadline: null };
}

/**
 * Session windows (Dataflow model §2.2 "merging"; Flink's `MergingWindowSet`): the element's
 * proto-window `[ts, ts + gap)` and every window of the same key it overlaps become one window
 * covering them all, their accumulators merged. Returns the pane's index (in a new `work.panes`),
 * or the merged window when it is already past its allowed lateness.
 */
function mergeSession(state: WindowOperatorState, work: Work, key: string, proto: TimeWindow): number | TimeWindow {
  const hits = work.panes.filter((p) => p.key === key && windowsOverlap(p.window, proto));
  const window = hits.reduce((w, p) => coverWindows(w, p.window), proto);
  if (isLate(state, window)) return window;
  let merged = newPane(state, key, window);
  for (const p of hits) {
    merged = {
      ...merged,
      acc: mergeAccumulators(state.aggregate, merged.acc, p.acc),
      pending: merged.pending + p.pending,
      fired: Math.max(merged.fired, p.fired),
      // The merged window is a new window: its on-time pane is still due unless the watermark passed it.
      onTime: (merged.onTime || p.onTime) && maxTimestamp(window) <= state.watermark,
      deadline: p.deadline === null ? merged.deadline : merged.deadline === null ? p.deadline : Math.min(merged.deadline, p.deadline),
    };
  }
  work.panes = work.panes.filter((p) => !hits.includes(p));
  return insertPane(work.panes, merged);
}

/** `pane` with one more element, fired when its trigger says so; `undefined` when a `collect` window is full. */
function addElement(state: WindowOperatorState, pane: WindowPane, input: BatchElement, now: number): { pane: WindowPane; output?: PaneOutput } | undefined {
  const acc = addToAccumulator(state.aggregate, pane.acc, input.value, input.timestamp);
  if (state.aggregate.kind === 'collect' && acc === pane.acc) return undefined;
  // One literal shape for every pane keeps property access monomorphic (a spread would not).
  const next: WindowPane = { key: pane.key, window: pane.window, acc, pending: pane.pending + 1, fired: pane.fired, onTime: pane.onTime, deadline: deadlineFor(state, pane, now) };
  return firesOnElement(state, next) ? fire(state, next, false) : { pane: next };
}

const fullReason = (window: TimeWindow, key: string) => `aggregate.limit: window ${JSON.stringify(window)} of key ${JSON.stringify(key)} is full`;
const maxWindowsReason = (state: WindowOperatorState) => `maxWindows: ${state.maxWindows} windows are open`;

function lateOutput(work: Work, input: BatchElement, window: TimeWindow): LateOutput {
  // Never silently dropped: every (element, window) past the allowed lateness goes to `late`.
  work.lateCount += 1;
  return { type: 'late', key: input.key, value: input.value ?? null, timestamp: input.timestamp, window, lateCount: work.lateCount };
}

/** A session element on `work`; `work.panes` is replaced (never mutated) until the element is accepted. */
function addSessionElement(state: WindowOperatorState, work: Work, input: BatchElement, now: number): string | undefined {
  const [proto] = assignWindows(state.window, input.timestamp) as [TimeWindow];
  const before = work.panes;
  const target = mergeSession(state, work, input.key, proto);
  if (typeof target !== 'number') {
    work.outputs.push(lateOutput(work, input, target));
    return undefined;
  }
  const r = addElement(state, work.panes[target] as WindowPane, input, now);
  const problem = r === undefined ? fullReason((work.panes[target] as WindowPane).window, input.key) : work.panes.length > state.maxWindows ? maxWindowsReason(state) : undefined;
  if (problem !== undefined || r === undefined) {
    work.panes = before;
    return problem;
  }
  work.panes[target] = r.pane;
  if (r.output !== undefined) work.outputs.push(r.output);
  return undefined;
}

/**
 * Adds one element to `work`: its windows' panes updated (found by binary search), new panes
 * inserted in order, firings and late side outputs appended. Returns why the element is rejected,
 * leaving `work` as it was, or `undefined`.
 */
function addToWork(state: WindowOperatorState, work: Work, input: BatchElement, now: number): string | undefined {
  const problem = elementProblem(state, input);
  if (problem !== undefined) return problem;
  if (state.window.kind === 'session') return addSessionElement(state, work, input, now);
  const windows = assignWindows(state.window, input.timestamp);
  return windows.length === 1 ? addToOneWindow(state, work, input, now, windows[0] as TimeWindow) : addToWindows(state, work, input, now, windows);
}

/** {@link addToWork} for an element in one (tumbling or global) window. */
function addToOneWindow(state: WindowOperatorState, work: Work, input: BatchElement, now: number, window: TimeWindow): string | undefined {
  if (isLate(state, window)) {
    work.outputs.push(lateOutput(work, input, window));
    return undefined;
  }
  const at = findPane(work.panes, input.key, window.start);
  if (at < 0 && work.panes.length >= state.maxWindows) return maxWindowsReason(state);
  const r = addElement(state, at >= 0 ? (work.panes[at] as WindowPane) : newPane(state, input.key, window), input, now);
  if (r === undefined) return fullReason(window, input.key);
  if (at >= 0) work.panes[at] = r.pane;
  else work.panes.splice(-at - 1, 0, r.pane);
  if (r.output !== undefined) work.outputs.push(r.output);
  return undefined;
}

/** {@link addToWork} for an element in several (sliding) windows: all are checked before any is changed. */
function addToWindows(state: WindowOperatorState, work: Work, input: BatchElement, now: number, windows: readonly TimeWindow[]): string | undefined {
  const outputs: WindowOperatorOutput[] = [];
  const updates: { at: number; pane: WindowPane }[] = [];
  const lateCount = work.lateCount;
  let opened = 0;
  for (const window of windows) {
    if (isLate(state, window)) {
      outputs.push(lateOutput(work, input, window));
      continue;
    }
    const at = findPane(work.panes, input.key, window.start);
    const pane = at >= 0 ? (work.panes[at] as WindowPane) : newPane(state, input.key, window);
    const r = addElement(state, pane, input, now);
    if (r === undefined) {
      work.lateCount = lateCount;
      return fullReason(window, input.key);
    }
    if (r.output !== undefined) outputs.push(r.output);
    updates.push({ at, pane: r.pane });
    if (at < 0) opened++;
  }
  if (work.panes.length + opened > state.maxWindows) {
    work.lateCount = lateCount;
    return maxWindowsReason(state);
  }
  for (const u of updates) if (u.at >= 0) work.panes[u.at] = u.pane;
  for (const u of updates) if (u.at < 0) insertPane(work.panes, u.pane);
  for (const o of outputs) work.outputs.push(o);
  return undefined;
}

function onElement(state: WindowOperatorState, input: ElementInput): Out {
  const work: Work = { panes: state.panes.slice(), outputs: [], lateCount: state.lateCount };
  const problem = addToWork(state, work, input, input.now);
  if (problem !== undefined) return transition(state, [{ type: 'rejected', from: 'local', reason: problem }]);
  return transition({ ...state, panes: work.panes, lateCount: work.lateCount }, work.outputs);
}

function onElements(state: WindowOperatorState, input: ElementsInput): Out {
  const elements = input.elements as unknown;
  if (!Array.isArray(elements) || elements.length > MAX_BATCH_ELEMENTS) {
    return transition(state, [{ type: 'rejected', from: 'local', reason: `elements: expected an array of at most ${MAX_BATCH_ELEMENTS} elements` }]);
  }
  const work: Work = { panes: state.panes.slice(), outputs: [], lateCount: state.lateCount };
  let accepted = 0;
  for (let i = 0; i < elements.length; i++) {
    const problem = addToWork(state, work, elements[i] as BatchElement, input.now);
    if (problem === undefined) accepted++;
    else work.outputs.push({ type: 'rejected', from: 'local', reason: `elements[${i}]: ${problem}` });
  }
  if (accepted === 0) return transition(state, work.outputs);
  return transition({ ...state, panes: work.panes, lateCount: work.lateCount }, work.outputs);
}

function byEnd(a: PaneOutput, b: PaneOutput): number {
  return a.window.end - b.window.end || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || a.window.start - b.window.start;
}

/**
 * The watermark advanced to `watermark`: event-time triggers fire for windows whose `end − 1` it
 * reached (Flink's `EventTimeTrigger.onEventTime`), and windows past `end − 1 + lateness` are
 * cleaned up, emitting what they still hold (panes in window-end order, then the watermark).
 */
function advanceTo(state: WindowOperatorState, watermark: number): Out {
  if (watermark <= state.watermark) return transition(state);
  const s: WindowOperatorState = { ...state, watermark };
  const kept: WindowPane[] = [];
  const panes: PaneOutput[] = [];
  for (const pane of s.panes) {
    const cleanup = isLate(s, pane.window);
    const onTimeDue = s.trigger.kind === 'event-time' && !pane.onTime && maxTimestamp(pane.window) <= watermark;
    let next = pane;
    if (onTimeDue || (cleanup && pane.pending > 0)) {
      const fired = fire(s, pane, cleanup);
      panes.push(fired.output);
      next = fired.pane;
    }
    if (!cleanup) kept.push(next);
  }
  const outputs: WindowOperatorOutput[] = [...panes.sort(byEnd), { type: 'watermark', watermark }];
  return transition({ ...s, panes: kept }, outputs);
}

function inputProblem(state: WindowOperatorState, id: unknown): string | undefined {
  if (typeof id !== 'string' || !Object.prototype.hasOwnProperty.call(state.inputs, id)) return `input: unknown input ${JSON.stringify(id)}`;
  return undefined;
}

function withInput(state: WindowOperatorState, id: string, value: InputWatermark): WindowOperatorState {
  const inputs: Record<string, InputWatermark> = {};
  for (const k of Object.keys(state.inputs)) {
    Object.defineProperty(inputs, k, { value: k === id ? value : state.inputs[k], enumerable: true, writable: true, configurable: true });
  }
  return { ...state, inputs };
}

function onWatermark(state: WindowOperatorState, input: WatermarkInput): Out {
  const id = input.input ?? Object.keys(state.inputs)[0];
  const problem = inputProblem(state, id);
  if (problem !== undefined) return transition(state, [{ type: 'rejected', from: 'local', reason: problem }]);
  const w = input.watermark;
  if (typeof w !== 'number' || !Number.isSafeInteger(w) || w < MIN_WATERMARK) {
    return transition(state, [{ type: 'rejected', from: 'local', reason: 'watermark: expected a safe integer' }]);
  }
  const previous = state.inputs[id as string] as InputWatermark;
  // An input's watermark never goes backwards; a watermark also marks the input active again.
  const next = withInput(state, id as string, { watermark: Math.max(previous.watermark, w), idle: false });
  return advanceTo(next, combineWatermarks(next.inputs, next.watermark));
}

function onIdle(state: WindowOperatorState, input: IdleInput): Out {
  const problem = inputProblem(state, input.input) ?? (typeof input.idle === 'boolean' ? undefined : 'idle: expected a boolean');
  if (problem !== undefined) return transition(state, [{ type: 'rejected', from: 'local', reason: problem }]);
  const previous = state.inputs[input.input] as InputWatermark;
  const next = withInput(state, input.input, { watermark: previous.watermark, idle: input.idle });
  return advanceTo(next, combineWatermarks(next.inputs, next.watermark));
}

/** Processing-time firings whose deadline is due (Beam's `AfterProcessingTime`). */
function onTick(state: WindowOperatorState, now: number): Out {
  if (!state.panes.some((p) => p.deadline !== null && p.deadline <= now)) return transition(state);
  const outputs: WindowOperatorOutput[] = [];
  const panes = state.panes.map((p) => {
    if (p.deadline === null || p.deadline > now) return p;
    const fired = fire(state, p, false);
    outputs.push(fired.output);
    return fired.pane;
  });
  return transition({ ...state, panes }, outputs);
}

const handlers: InputHandlers<WindowOperatorState, WindowOperatorInput, WindowOperatorOutput> = {
  element: onElement,
  elements: onElements,
  watermark: onWatermark,
  idle: onIdle,
  tick: (state, _input, now) => onTick(state, now),
  message: (state, input) => reject(state, typeof input.from === 'string' ? input.from : 'unknown', 'the window operator takes no peer messages'),
};

/** Applies one input; an unknown input type or a bad `now` throws `InvalidCommandError`. */
function step(state: WindowOperatorState, input: WindowOperatorInput): Out {
  return stepByType(handlers, state, input);
}

/**
 * When the operator next needs a `tick`: the earliest processing-time trigger deadline, or `undefined`.
 *
 * @example
 * ```ts
 * import { windowOperator, nextWindowDeadline } from 'distkit/dataflow';
 * const op = windowOperator;
 * let s = op.init({ window: { kind: 'tumbling', sizeMs: 10 }, aggregate: { kind: 'count' }, trigger: { kind: 'processing-time', delayMs: 100 } });
 * s = op.step(s, { type: 'element', key: 'a', timestamp: 3, now: 1000 }).state;
 * nextWindowDeadline(s); //=> 1100
 * ```
 */
export function nextWindowDeadline(state: WindowOperatorState): number | undefined {
  let at: number | undefined;
  for (const p of state.panes) if (p.deadline !== null && (at === undefined || p.deadline < at)) at = p.deadline;
  return at;
}

/**
 * The keyed event-time window operator (Dataflow model, Akidau et al. VLDB 2015; Flink's
 * `WindowOperator`): elements `{ key, value, timestamp }` are assigned to windows, aggregated, and
 * emitted as panes when the trigger fires; watermarks from one or more inputs (minimum over the
 * active ones, never backwards) drive event-time firing and cleanup. An element for a window whose
 * `end − 1 + allowedLatenessMs ≤ watermark` goes to the `late` side output with a running count.
 *
 * @example
 * ```ts
 * import { windowOperator } from 'distkit/dataflow';
 * let s = windowOperator.init({ window: { kind: 'tumbling', sizeMs: 10 }, aggregate: { kind: 'sum' } });
 * s = windowOperator.step(s, { type: 'element', key: 'a', value: 2, timestamp: 3, now: 0 }).state;
 * s = windowOperator.step(s, { type: 'element', key: 'a', value: 5, timestamp: 7, now: 0 }).state;
 * const t = windowOperator.step(s, { type: 'watermark', watermark: 9, now: 0 });
 * t.outputs[0]; //=> { type: 'pane', key: 'a', window: { start: 0, end: 10 }, result: 7, timing: 'on-time', index: 0, isLast: true, added: 2 }
 * windowOperator.step(t.state, { type: 'element', key: 'a', value: 1, timestamp: 4, now: 0 }).outputs[0]?.type; //=> 'late'
 * ```
 */
export const windowOperator: Machine<WindowOperatorConfig, WindowOperatorState, WindowOperatorInput, WindowOperatorOutput> & {
  /** When the next processing-time firing is due (`undefined`: none). */
  nextDeadline(state: WindowOperatorState): number | undefined;
} = {
  name: 'window-operator',
  init,
  step,
  nextDeadline: nextWindowDeadline,
};

/**
 * What must hold of every {@link windowOperator} state, or a description of what does not: open
 * windows ordered by key then start with no duplicate, no two session windows of a key overlapping
 * (they would have merged), no open window already past `end − 1 + lateness` (it would have been
 * cleaned up), and counts that are non-negative integers.
 *
 * @example
 * ```ts
 * import { windowOperator, windowStateProblem } from 'distkit/dataflow';
 * windowStateProblem(windowOperator.init({ window: { kind: 'session', gapMs: 5 }, aggregate: { kind: 'count' } })); //=> undefined
 * ```
 */
export function windowStateProblem(state: WindowOperatorState): string | undefined {
  const ok = (n: number) => Number.isSafeInteger(n) && n >= 0;
  if (!ok(state.lateCount)) return `lateCount ${state.lateCount} is not a count`;
  for (let i = 0; i < state.panes.length; i++) {
    const p = state.panes[i] as WindowPane;
    const prev = state.panes[i - 1];
    if (prev !== undefined && comparePanes(prev, p) >= 0) return `windows out of order or duplicated at ${JSON.stringify([p.key, p.window])}`;
    if (state.window.kind === 'session' && prev !== undefined && prev.key === p.key && windowsOverlap(prev.window, p.window)) {
      return `sessions ${JSON.stringify(prev.window)} and ${JSON.stringify(p.window)} of key ${JSON.stringify(p.key)} overlap`;
    }
    if (isLate(state, p.window)) return `window ${JSON.stringify(p.window)} is open past its allowed lateness (watermark ${state.watermark})`;
    if (!ok(p.pending) || !ok(p.fired)) return `window ${JSON.stringify(p.window)} has a bad count`;
  }
  return undefined;
}
