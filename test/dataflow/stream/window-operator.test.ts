import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../../src/core/testing.js';
import {
  assignWindows,
  MAX_BATCH_ELEMENTS,
  MAX_WATERMARK,
  maxTimestamp,
  mergeSessionWindows,
  nextWindowDeadline,
  windowOperator,
  windowStateProblem,
  type LateOutput,
  type PaneOutput,
  type WindowAggregate,
  type WindowAssigner,
  type WindowOperatorConfig,
  type WindowOperatorInput,
  type WindowOperatorOutput,
  type WindowOperatorState,
  type WindowTrigger,
} from '../../../src/dataflow/index.js';

type Cmd = WindowOperatorInput extends infer I ? (I extends unknown ? Omit<I, 'now'> : never) : never;

function run(config: WindowOperatorConfig, inputs: readonly Cmd[], stepMs = 1): { state: WindowOperatorState; outputs: WindowOperatorOutput[] } {
  let state = windowOperator.init(config);
  const outputs: WindowOperatorOutput[] = [];
  let now = 0;
  for (const input of inputs) {
    now += stepMs;
    const t = windowOperator.step(state, { ...input, now } as WindowOperatorInput);
    state = t.state;
    expect(windowStateProblem(state)).toBeUndefined();
    outputs.push(...t.outputs);
  }
  return { state, outputs };
}

const panesOf = (outputs: readonly WindowOperatorOutput[]) => outputs.filter((o): o is PaneOutput => o.type === 'pane');
const lateOf = (outputs: readonly WindowOperatorOutput[]) => outputs.filter((o): o is LateOutput => o.type === 'late');
const el = (key: string, timestamp: number, value = 1): Cmd => ({ type: 'element', key, timestamp, value });
const wm = (watermark: number, input?: string): Cmd => (input === undefined ? { type: 'watermark', watermark } : { type: 'watermark', watermark, input });

interface Ev {
  key: string;
  timestamp: number;
  value: number;
}
const events = fc.array(
  fc.record({ key: fc.constantFrom('a', 'b', '__proto__'), timestamp: fc.integer({ min: 0, max: 300 }), value: fc.integer({ min: -50, max: 50 }) }),
  { maxLength: 40 },
);
const assigners: fc.Arbitrary<WindowAssigner> = fc.oneof(
  fc.record({ kind: fc.constant('tumbling' as const), sizeMs: fc.integer({ min: 1, max: 60 }) }),
  fc.integer({ min: 1, max: 20 }).chain((slideMs) =>
    fc.record({ kind: fc.constant('sliding' as const), slideMs: fc.constant(slideMs), sizeMs: fc.integer({ min: slideMs, max: slideMs * 4 }) }),
  ),
  fc.record({ kind: fc.constant('session' as const), gapMs: fc.integer({ min: 1, max: 40 }) }),
  fc.constant({ kind: 'global' as const }),
);
const aggregates: fc.Arbitrary<WindowAggregate> = fc.constantFrom<WindowAggregate>(
  { kind: 'count' },
  { kind: 'sum' },
  { kind: 'min' },
  { kind: 'max' },
  { kind: 'collect' },
);

/** The windows of one key computed offline (sessions from the sorted timestamps). */
function offlineWindows(assigner: WindowAssigner, evs: readonly Ev[]): Map<string, Ev[]> {
  const out = new Map<string, Ev[]>();
  const add = (key: string, start: number, end: number, e: Ev) => {
    const id = JSON.stringify([key, start, end]);
    out.set(id, [...(out.get(id) ?? []), e]);
  };
  for (const key of new Set(evs.map((e) => e.key))) {
    const mine = evs.filter((e) => e.key === key);
    if (assigner.kind === 'session') {
      const sessions = mergeSessionWindows(
        mine.map((e) => e.timestamp),
        assigner.gapMs,
      );
      for (const e of mine) {
        const s = sessions.find((w) => w.start <= e.timestamp && e.timestamp < w.end)!;
        add(key, s.start, s.end, e);
      }
    } else for (const e of mine) for (const w of assignWindows(assigner, e.timestamp)) add(key, w.start, w.end, e);
  }
  return out;
}

function offlineResult(aggregate: WindowAggregate, evs: readonly Ev[]): unknown {
  const vs = evs.map((e) => e.value);
  switch (aggregate.kind) {
    case 'count':
      return vs.length;
    case 'sum':
      return vs.reduce((a, b) => a + b, 0);
    case 'min':
      return Math.min(...vs);
    case 'max':
      return Math.max(...vs);
    case 'mean':
      return vs.reduce((a, b) => a + b, 0) / vs.length;
    case 'collect':
      // by timestamp, ties by the value's JSON text (the operator's total order)
      return [...evs].sort((x, y) => x.timestamp - y.timestamp || (String(x.value) < String(y.value) ? -1 : String(x.value) > String(y.value) ? 1 : 0)).map((e) => e.value);
  }
}

/** Feeds the events in `order` with a perfect watermark (just below the earliest event still to come). */
function perfectRun(config: WindowOperatorConfig, order: readonly Ev[]) {
  const inputs: Cmd[] = [];
  order.forEach((e, i) => {
    inputs.push(wm(Math.min(...order.slice(i).map((x) => x.timestamp)) - 1));
    inputs.push(el(e.key, e.timestamp, e.value));
  });
  inputs.push(wm(MAX_WATERMARK));
  return run(config, inputs);
}

function finalResults(outputs: readonly WindowOperatorOutput[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const p of panesOf(outputs)) if (p.isLast) out.set(JSON.stringify([p.key, p.window.start, p.window.end]), p.result);
  return out;
}

describe('Dataflow model: the final pane of a window does not depend on arrival order', () => {
  it('with nothing late, every window ends with the offline result, whatever the order (sessions equal offline sessions)', () => {
    fc.assert(
      fc.property(events, assigners, aggregates, fc.integer(), (evs, window, aggregate, seed) => {
        const shuffled = fc.sample(fc.shuffledSubarray(evs, { minLength: evs.length, maxLength: evs.length }), { seed, numRuns: 1 })[0]!;
        const config: WindowOperatorConfig = { window, aggregate, accumulation: 'accumulating', trigger: { kind: 'event-time', earlyEveryCount: 3 } };
        const a = perfectRun(config, evs);
        const b = perfectRun(config, shuffled);
        expect(lateOf(a.outputs)).toEqual([]);
        expect(lateOf(b.outputs)).toEqual([]);
        const expected = new Map([...offlineWindows(window, evs)].map(([id, es]) => [id, offlineResult(aggregate, es)]));
        expect(finalResults(a.outputs)).toEqual(expected);
        expect(finalResults(b.outputs)).toEqual(expected);
        expect(b.state.panes).toEqual([]);
      }),
    );
  });
});

describe('regressions found by the order-independence property', () => {
  it('sessions that only touch stay apart: [259, 264) is final at watermark 263, so 264 starts a new session', () => {
    const config: WindowOperatorConfig = { window: { kind: 'session', gapMs: 5 }, aggregate: { kind: 'count' }, accumulation: 'accumulating' };
    const evs = [
      { key: '__proto__', timestamp: 259, value: 0 },
      { key: '__proto__', timestamp: 264, value: 0 },
    ];
    const expected = new Map([
      ['["__proto__",259,264]', 1],
      ['["__proto__",264,269]', 1],
    ]);
    expect(finalResults(perfectRun(config, evs).outputs)).toEqual(expected);
    expect(finalResults(perfectRun(config, [...evs].reverse()).outputs)).toEqual(expected);
  });

  it('collect orders values of equal timestamps by their JSON text, whatever the arrival order', () => {
    const config: WindowOperatorConfig = { window: { kind: 'global' }, aggregate: { kind: 'collect' } };
    const a = run(config, [el('a', 17, 10), el('a', 17, 2), wm(MAX_WATERMARK)]);
    const b = run(config, [el('a', 17, 2), el('a', 17, 10), wm(MAX_WATERMARK)]);
    expect(panesOf(a.outputs).map((p) => p.result)).toEqual([[10, 2]]);
    expect(panesOf(b.outputs).map((p) => p.result)).toEqual([[10, 2]]);
  });
});

const triggers: fc.Arbitrary<WindowTrigger> = fc.oneof(
  fc.record(
    { kind: fc.constant('event-time' as const), earlyEveryCount: fc.integer({ min: 1, max: 4 }), earlyAfterMs: fc.integer({ min: 1, max: 5 }), lateEveryCount: fc.integer({ min: 1, max: 3 }) },
    { requiredKeys: ['kind'] },
  ),
  fc.record({ kind: fc.constant('count' as const), count: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('processing-time' as const), delayMs: fc.integer({ min: 1, max: 5 }) }),
);

describe('lateness: every element is in a pane or in the late side output', () => {
  it('panes carry (added) + late outputs = every (element, window) assignment; discarding counts add up; late ones were past end − 1 + lateness', () => {
    const step = fc.oneof(
      events.map((es) => es.map((e) => el(e.key, e.timestamp, e.value))),
      fc.integer({ min: -10, max: 320 }).map((w) => [wm(w)]),
      fc.constant([{ type: 'tick' } as Cmd]),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), fc.oneof(assigners.filter((a) => a.kind !== 'session'), assigners), triggers, fc.integer({ min: 0, max: 30 }), (chunks, window, trigger, allowedLatenessMs) => {
        const inputs = [...chunks.flat(), wm(MAX_WATERMARK)];
        const { state, outputs } = run({ window, aggregate: { kind: 'count' }, trigger, allowedLatenessMs }, inputs);
        const elements = inputs.filter((i): i is Extract<Cmd, { type: 'element' }> => i.type === 'element');
        const assignments = window.kind === 'session' ? elements.length : elements.reduce((n, e) => n + assignWindows(window, e.timestamp).length, 0);
        const panes = panesOf(outputs);
        const late = lateOf(outputs);
        expect(panes.reduce((n, p) => n + p.added, 0) + late.length).toBe(assignments);
        expect(panes.reduce((n, p) => n + (p.result as number), 0)).toBe(panes.reduce((n, p) => n + p.added, 0));
        expect(state.lateCount).toBe(late.length);
        late.forEach((l, i) => expect(l.lateCount).toBe(i + 1));
        expect(state.panes).toEqual([]);
        // the watermark output never goes backwards
        const marks = outputs.filter((o) => o.type === 'watermark').map((o) => (o as { watermark: number }).watermark);
        marks.forEach((m, i) => i > 0 && expect(m).toBeGreaterThan(marks[i - 1]!));
      }),
    );
  });

  it('an element whose window is past end − 1 + lateness goes to late with its window and a running count', () => {
    const config: WindowOperatorConfig = { window: { kind: 'tumbling', sizeMs: 10 }, aggregate: { kind: 'count' }, allowedLatenessMs: 5 };
    const { state, outputs } = run(config, [el('k', 3), wm(13), el('k', 4), wm(14), el('k', 5), el('k', 6)]);
    expect(lateOf(outputs)).toEqual([
      { type: 'late', key: 'k', value: 1, timestamp: 5, window: { start: 0, end: 10 }, lateCount: 1 },
      { type: 'late', key: 'k', value: 1, timestamp: 6, window: { start: 0, end: 10 }, lateCount: 2 },
    ]);
    expect(state.lateCount).toBe(2);
  });
});

describe('triggers and accumulation (Dataflow model §2.3–2.4, Beam TestStream style)', () => {
  it('early, on-time and late panes of one window, accumulating', () => {
    const config: WindowOperatorConfig = {
      window: { kind: 'tumbling', sizeMs: 10 },
      aggregate: { kind: 'sum' },
      trigger: { kind: 'event-time', earlyEveryCount: 2 },
      accumulation: 'accumulating',
      allowedLatenessMs: 10,
    };
    const { outputs } = run(config, [el('k', 1, 1), el('k', 2, 2), el('k', 3, 4), wm(9), el('k', 4, 8), wm(19), el('k', 5, 16)]);
    expect(panesOf(outputs).map((p) => [p.timing, p.result, p.added, p.index, p.isLast])).toEqual([
      ['early', 3, 2, 0, false],
      ['on-time', 7, 1, 1, false],
      ['late', 15, 1, 2, false],
    ]);
  });

  it('the same panes discarding carry only what arrived since the last firing', () => {
    const config: WindowOperatorConfig = {
      window: { kind: 'tumbling', sizeMs: 10 },
      aggregate: { kind: 'sum' },
      trigger: { kind: 'event-time', earlyEveryCount: 2 },
      allowedLatenessMs: 10,
    };
    const { outputs } = run(config, [el('k', 1, 1), el('k', 2, 2), el('k', 3, 4), wm(9), el('k', 4, 8), wm(19), el('k', 5, 16)]);
    expect(panesOf(outputs).map((p) => [p.timing, p.result])).toEqual([
      ['early', 3],
      ['on-time', 4],
      ['late', 8],
    ]);
    expect(lateOf(outputs).map((l) => l.timestamp)).toEqual([5]);
  });

  it('the on-time pane fires when the watermark reaches end − 1, not before', () => {
    const config: WindowOperatorConfig = { window: { kind: 'tumbling', sizeMs: 10 }, aggregate: { kind: 'count' } };
    expect(panesOf(run(config, [el('k', 3), wm(8)]).outputs)).toEqual([]);
    expect(panesOf(run(config, [el('k', 3), wm(9)]).outputs).map((p) => maxTimestamp(p.window))).toEqual([9]);
  });

  it('processing-time trigger: nextDeadline asks for the tick, which fires the pane', () => {
    const config: WindowOperatorConfig = { window: { kind: 'global' }, aggregate: { kind: 'count' }, trigger: { kind: 'processing-time', delayMs: 100 } };
    let s = windowOperator.init(config);
    s = windowOperator.step(s, { type: 'element', key: 'k', timestamp: 1, now: 1000 }).state;
    s = windowOperator.step(s, { type: 'element', key: 'k', timestamp: 2, now: 1050 }).state;
    expect(nextWindowDeadline(s)).toBe(1100);
    expect(windowOperator.step(s, { type: 'tick', now: 1099 }).outputs).toEqual([]);
    const t = windowOperator.step(s, { type: 'tick', now: 1100 });
    expect(panesOf(t.outputs).map((p) => [p.result, p.timing])).toEqual([[2, 'early']]);
    expect(nextWindowDeadline(t.state)).toBeUndefined();
  });

  it('count trigger fires every n elements; the rest leaves in a final pane at cleanup', () => {
    const config: WindowOperatorConfig = { window: { kind: 'tumbling', sizeMs: 100 }, aggregate: { kind: 'count' }, trigger: { kind: 'count', count: 2 } };
    const { outputs } = run(config, [el('k', 1), el('k', 2), el('k', 3), wm(99)]);
    expect(panesOf(outputs).map((p) => [p.result, p.isLast])).toEqual([
      [2, false],
      [1, true],
    ]);
  });
});

describe('the guide scenario (docs/dataflow.md)', () => {
  it('on-time pane, late pane within lateness, cleanup, then the late side output', () => {
    const config: WindowOperatorConfig = {
      window: { kind: 'tumbling', sizeMs: 60_000 },
      aggregate: { kind: 'sum' },
      trigger: { kind: 'event-time', earlyEveryCount: 100 },
      accumulation: 'accumulating',
      allowedLatenessMs: 30_000,
    };
    const { state, outputs } = run(config, [el('eu', 1_000, 12), wm(59_999), el('eu', 2_000, 3), wm(89_999), el('eu', 3_000, 1), wm(MAX_WATERMARK)]);
    expect(panesOf(outputs).map((p) => [p.timing, p.result, p.isLast])).toEqual([
      ['on-time', 12, false],
      ['late', 15, false],
    ]);
    expect(lateOf(outputs).map((l) => [l.timestamp, l.lateCount])).toEqual([[3_000, 1]]);
    expect(state.panes).toEqual([]);
  });
});

describe('sessions merge when a late element bridges two of them', () => {
  it('[0, 10) and [15, 25) become [0, 25) when 8 arrives... and only when the bridge is within the gap', () => {
    const config: WindowOperatorConfig = { window: { kind: 'session', gapMs: 10 }, aggregate: { kind: 'collect' } };
    const before = run(config, [el('u', 0, 1), el('u', 15, 2)]);
    expect(before.state.panes.map((p) => p.window)).toEqual([
      { start: 0, end: 10 },
      { start: 15, end: 25 },
    ]);
    const bridged = run(config, [el('u', 0, 1), el('u', 15, 2), el('u', 8, 3), wm(MAX_WATERMARK)]);
    expect(panesOf(bridged.outputs).map((p) => [p.window, p.result])).toEqual([[{ start: 0, end: 25 }, [1, 3, 2]]]);
  });

  it('a bridge within the allowed lateness merges a session that already fired on time; its on-time pane is due again', () => {
    const config: WindowOperatorConfig = { window: { kind: 'session', gapMs: 10 }, aggregate: { kind: 'collect' }, accumulation: 'accumulating', allowedLatenessMs: 10 };
    const { outputs } = run(config, [el('u', 0, 1), el('u', 15, 2), wm(12), el('u', 8, 3), wm(MAX_WATERMARK)]);
    expect(panesOf(outputs).map((p) => [p.window, p.result, p.timing, p.isLast])).toEqual([
      [{ start: 0, end: 10 }, [1], 'on-time', false],
      [{ start: 0, end: 25 }, [1, 3, 2], 'on-time', true],
    ]);
    expect(lateOf(outputs)).toEqual([]);
  });

  it('an element whose own session is past the allowed lateness goes to late and merges nothing', () => {
    const config: WindowOperatorConfig = { window: { kind: 'session', gapMs: 10 }, aggregate: { kind: 'count' } };
    const { outputs } = run(config, [el('u', 0), el('u', 30), wm(20), el('u', 5), wm(MAX_WATERMARK)]);
    expect(lateOf(outputs).map((l) => l.window)).toEqual([{ start: 5, end: 15 }]);
    expect(panesOf(outputs).map((p) => [p.window, p.result])).toEqual([
      [{ start: 0, end: 10 }, 1],
      [{ start: 30, end: 40 }, 1],
    ]);
  });
});

describe('watermarks of several inputs', () => {
  it('the slowest active input holds the operator back; an idle one does not; watermarks never go backwards', () => {
    const config: WindowOperatorConfig = { window: { kind: 'tumbling', sizeMs: 10 }, aggregate: { kind: 'count' }, inputs: ['fast', 'slow'] };
    let s = windowOperator.init(config);
    const step = (i: Cmd) => {
      const t = windowOperator.step(s, { ...i, now: 0 } as WindowOperatorInput);
      s = t.state;
      return t.outputs;
    };
    step(el('k', 5));
    expect(step(wm(50, 'fast'))).toEqual([]);
    expect(s.watermark).toBeLessThan(0);
    expect(panesOf(step({ type: 'idle', input: 'slow', idle: true })).map((p) => p.result)).toEqual([1]);
    expect(s.watermark).toBe(50);
    step(wm(20, 'slow'));
    expect(s.watermark).toBe(50);
    expect(step(wm(40, 'fast'))).toEqual([]);
    expect(s.inputs.fast!.watermark).toBe(50);
  });
});

describe('hostile and malformed input', () => {
  it('refuses bad elements with a rejected output and the same state', () => {
    const s = windowOperator.init({ window: { kind: 'tumbling', sizeMs: 10 }, aggregate: { kind: 'sum' } });
    for (const bad of [
      { type: 'element', key: 'k', timestamp: 1.5, value: 1 },
      { type: 'element', key: 'k', timestamp: 2 ** 60, value: 1 },
      { type: 'element', key: 7, timestamp: 1, value: 1 },
      { type: 'element', key: 'k', timestamp: 1, value: 'x' },
      { type: 'element', key: 'k', timestamp: 1, value: Number.NaN },
      { type: 'watermark', watermark: 1.5 },
      { type: 'watermark', input: '__proto__', watermark: 1 },
      { type: 'idle', input: 'in', idle: 'yes' },
    ]) {
      const t = windowOperator.step(s, { ...bad, now: 0 } as never);
      expect(t.state).toBe(s);
      expect(t.outputs.map((o) => o.type)).toEqual(['rejected']);
    }
  });

  it('a full collect window refuses the element (rejected, state unchanged) instead of dropping it', () => {
    const { state, outputs } = run({ window: { kind: 'tumbling', sizeMs: 10 }, aggregate: { kind: 'collect', limit: 2 } }, [el('a', 1), el('a', 2), el('a', 3)]);
    expect(outputs.map((o) => o.type)).toEqual(['rejected']);
    expect(state.panes[0]!.pending).toBe(2);
  });

  it('windowStateProblem names a broken state: overlapping sessions, a window open past its lateness', () => {
    const s = run({ window: { kind: 'session', gapMs: 10 }, aggregate: { kind: 'count' } }, [el('u', 0), el('u', 30)]).state;
    expect(windowStateProblem(s)).toBeUndefined();
    const overlapping = { ...s, panes: [s.panes[0]!, { ...s.panes[1]!, window: { start: 5, end: 40 } }] };
    expect(windowStateProblem(overlapping)).toMatch(/overlap/);
    expect(windowStateProblem({ ...s, watermark: 100 })).toMatch(/past its allowed lateness/);
  });

  it('maxWindows bounds open windows: the element that would open one more is refused', () => {
    const { state, outputs } = run({ window: { kind: 'tumbling', sizeMs: 10 }, aggregate: { kind: 'count' }, maxWindows: 2 }, [el('a', 1), el('b', 1), el('c', 1), el('a', 2)]);
    expect(state.panes).toHaveLength(2);
    expect(outputs.filter((o) => o.type === 'rejected')).toHaveLength(1);
  });
});

describe('a batch of elements in one step equals one element per step', () => {
  const item = fc.oneof(
    { weight: 8, arbitrary: fc.record({ key: fc.constantFrom('a', 'b', 'c', '__proto__'), timestamp: fc.integer({ min: 0, max: 200 }), value: fc.integer({ min: -9, max: 9 }) }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 7, { key: 3, timestamp: 1 }, { key: 'a', timestamp: 1.5 }, { key: 'a', timestamp: 1, value: 'x' }, { key: 'x'.repeat(300), timestamp: 1 }) },
  );
  const stepArb = fc.oneof(
    { weight: 3, arbitrary: fc.array(item, { maxLength: 12 }).map((elements) => ({ kind: 'batch' as const, elements })) },
    { weight: 1, arbitrary: fc.integer({ min: -5, max: 260 }).map((watermark) => ({ kind: 'watermark' as const, watermark })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'tick' as const }) },
  );
  const aggs = fc.constantFrom<WindowAggregate>({ kind: 'count' }, { kind: 'sum' }, { kind: 'max' }, { kind: 'collect', limit: 2 });
  const unprefixed = (outputs: readonly WindowOperatorOutput[]) => outputs.map((o) => (o.type === 'rejected' ? { ...o, reason: o.reason.replace(/^elements\[\d+\]: /, '') } : o));

  it('same states and outputs for every window kind, trigger, aggregate and limit, malformed elements rejected alone; the input state is never mutated', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 10 }), assigners, aggs, triggers, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 20 }), (steps, window, aggregate, trigger, maxWindows, allowedLatenessMs) => {
        const config: WindowOperatorConfig = { window, aggregate, trigger, maxWindows, allowedLatenessMs };
        let batched = windowOperator.init(config);
        let single = windowOperator.init(config);
        let now = 0;
        for (const s of steps) {
          now += 3;
          if (s.kind !== 'batch') {
            const input = (s.kind === 'tick' ? { type: 'tick', now } : { type: 'watermark', watermark: s.watermark, now }) as WindowOperatorInput;
            batched = windowOperator.step(batched, input).state;
            single = windowOperator.step(single, input).state;
            continue;
          }
          const frozen = deepFreeze(batched);
          const t = windowOperator.step(frozen, { type: 'elements', elements: s.elements as never, now });
          const outputs: WindowOperatorOutput[] = [];
          for (const e of s.elements) {
            if (e === null || typeof e !== 'object') {
              outputs.push({ type: 'rejected', from: 'local', reason: 'expected an element object' });
              continue;
            }
            const u = windowOperator.step(single, { ...(e as object), type: 'element', now } as WindowOperatorInput);
            single = u.state;
            outputs.push(...u.outputs);
          }
          expect(unprefixed(t.outputs)).toEqual(outputs);
          if (outputs.filter((o) => o.type === 'rejected').length === s.elements.length) expect(t.state).toBe(frozen);
          batched = t.state;
          expect(batched).toEqual(single);
          expect(windowStateProblem(batched)).toBeUndefined();
        }
      }),
      { numRuns: 400 },
    );
  });

  it('names the rejected element and bounds the batch', () => {
    const s = windowOperator.init({ window: { kind: 'tumbling', sizeMs: 10 }, aggregate: { kind: 'sum' } });
    const t = windowOperator.step(s, { type: 'elements', elements: [{ key: 'a', value: 2, timestamp: 1 }, { key: 'a', value: 'x', timestamp: 2 }, { key: 'a', value: 3, timestamp: 3 }], now: 0 });
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'local', reason: expect.stringMatching(/^elements\[1\]: value/) }]);
    expect(windowOperator.step(t.state, { type: 'watermark', watermark: 9, now: 0 }).outputs[0]).toMatchObject({ type: 'pane', result: 5, added: 2 });
    const tooMany = Array.from({ length: MAX_BATCH_ELEMENTS + 1 }, (_x, i) => ({ key: 'a', timestamp: i }));
    for (const elements of [tooMany, 'abc', null, { length: 1 }]) {
      const r = windowOperator.step(s, { type: 'elements', elements: elements as never, now: 0 });
      expect(r.state).toBe(s);
      expect(r.outputs).toEqual([{ type: 'rejected', from: 'local', reason: `elements: expected an array of at most ${MAX_BATCH_ELEMENTS} elements` }]);
    }
    expect(windowOperator.step(s, { type: 'elements', elements: [], now: 0 })).toEqual({ state: s, outputs: [] });
  });
});
