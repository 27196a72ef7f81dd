import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidCommandError, MAX_COUNTER, checkedStep, deepFreeze } from 'distkit/core';
import { circuitBreakerCore as core, openDurationMs, type BreakerInput, type BreakerState, type BreakerStrategy } from 'distkit/resilience';

const machine = { name: core.name, init: core.init, step: core.step };

const strategyArb: fc.Arbitrary<BreakerStrategy> = fc.oneof(
  fc.record({ kind: fc.constant('consecutive' as const), threshold: fc.integer({ min: 1, max: 5 }) }),
  fc.integer({ min: 1, max: 8 }).chain((size) =>
    fc.record({
      kind: fc.constant('count' as const),
      size: fc.constant(size),
      failureRatio: fc.double({ min: 0, max: 1, noNaN: true }),
      minimumCalls: fc.integer({ min: 1, max: size }),
    }),
  ),
  fc.record({
    kind: fc.constant('time' as const),
    durationMs: fc.integer({ min: 1, max: 500 }),
    buckets: fc.integer({ min: 1, max: 10 }),
    failureRatio: fc.double({ min: 0, max: 1, noNaN: true }),
    minimumThroughput: fc.integer({ min: 1, max: 6 }),
    slowCallRatio: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
);

type Op = { kind: 'acquire' | 'success' | 'failure' | 'isolate' | 'release' | 'tick'; dt: number; probe: boolean; durationMs: number };
const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('acquire', 'success', 'failure', 'isolate', 'release', 'tick', 'acquire', 'failure'),
  dt: fc.integer({ min: 0, max: 120 }),
  probe: fc.boolean(),
  durationMs: fc.integer({ min: 0, max: 200 }),
});

function toInput(op: Op, now: number): BreakerInput {
  switch (op.kind) {
    case 'success':
    case 'failure':
      return { type: op.kind, now, durationMs: op.durationMs, probe: op.probe };
    default:
      return { type: op.kind, now };
  }
}

describe('circuit breaker core: properties', () => {
  it('step is pure, never mutates, keeps plain data, and its invariants hold over random inputs', () => {
    fc.assert(
      fc.property(strategyArb, fc.integer({ min: 1, max: 4 }), fc.array(opArb, { maxLength: 60 }), (strategy, probes, ops) => {
        let s: BreakerState = core.init({ strategy, openMs: 100, halfOpenProbes: probes, slowCallDurationMs: 100 });
        let now = 0;
        for (const op of ops) {
          now += op.dt;
          const before = JSON.stringify(s);
          const t = checkedStep(machine, s, toInput(op, now));
          expect(JSON.stringify(s)).toBe(before);
          s = t.state;
          // invariants
          expect(s.probesStarted).toBeLessThanOrEqual(probes);
          expect(s.isolations).toBeGreaterThanOrEqual(0);
          expect(s.circuit === 'isolated').toBe(s.isolations > 0);
          if (s.circuit === 'open') expect(s.openTimer.at).toBeGreaterThanOrEqual(s.openedAt!);
          if (s.circuit === 'closed') expect(s.openTimer.at).toBeNull();
          if (s.window.kind === 'count' && strategy.kind === 'count') expect(s.window.outcomes.length).toBeLessThanOrEqual(strategy.size);
          if (s.window.kind === 'time' && strategy.kind === 'time') expect(s.window.buckets.length).toBeLessThanOrEqual(strategy.buckets + 1);
          for (const o of t.outputs) if (o.type === 'refused') expect(o.retryAfterMs).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('probe results tagged with a round other than the current one never change the state', () => {
    fc.assert(
      fc.property(strategyArb, fc.integer({ min: 1, max: 3 }), fc.array(opArb, { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), (strategy, probes, ops, back, failed) => {
        let s: BreakerState = core.init({ strategy, openMs: 50, halfOpenProbes: probes });
        let now = 0;
        for (const op of ops) {
          now += op.dt;
          s = core.step(s, toInput(op, now)).state;
        }
        const stale = core.step(s, { type: failed ? 'failure' : 'success', now, durationMs: 1, probe: true, round: s.probeRound - back });
        expect(stale.state).toBe(s);
        expect(stale.outputs).toEqual([]);
      }),
    );
  });

  it('a closed circuit permits every call; an open one refuses until its deadline', () => {
    fc.assert(
      fc.property(strategyArb, fc.array(opArb, { maxLength: 40 }), fc.integer({ min: 0, max: 1000 }), (strategy, ops, dt) => {
        let s: BreakerState = core.init({ strategy, openMs: 100 });
        let now = 0;
        for (const op of ops) {
          now += op.dt;
          s = core.step(s, toInput(op, now)).state;
        }
        const t = core.step(s, { type: 'acquire', now: now + dt });
        if (s.circuit === 'closed') expect(t.outputs).toEqual([{ type: 'permitted', probe: false }]);
        if (s.circuit === 'open') {
          const permitted = t.outputs.some((o) => o.type === 'permitted');
          expect(permitted).toBe(now + dt >= s.openTimer.at!);
          expect(core.nextDeadline(s)).toBe(s.openTimer.at);
        }
        if (s.circuit === 'isolated') expect(t.outputs[0]!.type).toBe('refused');
      }),
      { numRuns: 300 },
    );
  });

  it('consecutive(k): exactly k failures in a row from closed open the circuit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.array(fc.boolean(), { maxLength: 40 }), (k, outcomes) => {
        let s = core.init({ strategy: { kind: 'consecutive', threshold: k } });
        let run = 0;
        for (const failed of outcomes) {
          if (s.circuit !== 'closed') break;
          s = core.step(s, { type: failed ? 'failure' : 'success', now: 0, durationMs: 0, probe: false }).state;
          run = failed ? run + 1 : 0;
          expect(s.circuit === 'open').toBe(run >= k);
        }
      }),
    );
  });

  it('count and time windows trip exactly when a direct recount of the window says so', () => {
    const outcomeArb = fc.record({ failed: fc.boolean(), slow: fc.boolean(), dt: fc.integer({ min: 0, max: 150 }) });
    fc.assert(
      fc.property(strategyArb, fc.array(outcomeArb, { maxLength: 60 }), (strategy, outcomes) => {
        if (strategy.kind === 'consecutive') return;
        let s: BreakerState = core.init({ strategy, openMs: 1e9, slowCallDurationMs: 100 });
        const seen: { at: number; failed: boolean; slow: boolean }[] = [];
        let now = 0;
        for (const o of outcomes) {
          now += o.dt;
          s = core.step(s, { type: o.failed ? 'failure' : 'success', now, durationMs: o.slow ? 100 : 0, probe: false }).state;
          seen.push({ at: now, failed: o.failed, slow: o.slow });
          let window = seen;
          if (strategy.kind === 'count') window = seen.slice(-strategy.size);
          else {
            const bucketMs = strategy.durationMs / strategy.buckets;
            window = seen.filter((x) => Math.floor(x.at / bucketMs) * bucketMs + bucketMs > now - strategy.durationMs);
          }
          const n = window.length;
          const f = window.filter((x) => x.failed).length;
          const sl = window.filter((x) => x.slow).length;
          const minimum = strategy.kind === 'count' ? strategy.minimumCalls : strategy.minimumThroughput;
          const ratio = strategy.slowCallRatio;
          const trip = n >= minimum && (f > 0 || sl > 0) && (f / n >= strategy.failureRatio || (ratio !== undefined && sl / n >= ratio));
          expect(s.circuit).toBe(trip ? 'open' : 'closed');
          if (trip) break;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('JSON round-trip of any reachable state gives an equal state', () => {
    fc.assert(
      fc.property(strategyArb, fc.array(opArb, { maxLength: 40 }), (strategy, ops) => {
        let s: BreakerState = core.init({ strategy, openMs: 50 });
        let now = 0;
        for (const op of ops) {
          now += op.dt;
          s = core.step(s, toInput(op, now)).state;
        }
        expect(JSON.parse(JSON.stringify(s))).toEqual(s);
        const back = core.shiftTimes(core.shiftTimes(s, 1024), -1024);
        expect(back.openTimer.at).toBe(s.openTimer.at);
        if (back.window.kind === 'time' && s.window.kind === 'time') {
          back.window.buckets.forEach((b, i) => expect(b.start).toBeCloseTo(s.window.kind === 'time' ? s.window.buckets[i]!.start : 0, 6));
        } else expect(back).toEqual(s);
      }),
    );
  });

  it('openDurationMs never exceeds the backoff cap and never decreases with more failed rounds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 5000 }), fc.double({ min: 1, max: 4, noNaN: true }), fc.integer({ min: 0, max: 60 }), (initialMs, extra, factor, k) => {
        const s = { strategy: { kind: 'consecutive' as const, threshold: 1 }, openBackoff: { initialMs, maxMs: initialMs + extra, factor } };
        const a = openDurationMs(s, k);
        expect(a).toBeLessThanOrEqual(initialMs + extra);
        expect(openDurationMs(s, k + 1)).toBeGreaterThanOrEqual(a);
      }),
    );
  });

  it('regression: an open backoff from 0 ms stays finite after hundreds of failed probe rounds (0 · Infinity was NaN)', () => {
    const s = { strategy: { kind: 'consecutive' as const, threshold: 1 }, openBackoff: { initialMs: 0, maxMs: 10, factor: 10 } };
    expect(openDurationMs(s, 400)).toBe(0);
    expect(openDurationMs({ ...s, openBackoff: { initialMs: 1, maxMs: 10, factor: 10 } }, 400)).toBe(10);
  });

  it('the core rejects a non-finite time, and unknown inputs, with InvalidCommandError', () => {
    const s = deepFreeze(core.init({ strategy: { kind: 'consecutive', threshold: 1 } }));
    expect(() => core.step(s, { type: 'acquire', now: Number.NaN })).toThrow(InvalidCommandError);
    expect(() => core.step(s, { type: 'nope', now: 1 } as never)).toThrow(InvalidCommandError);
    // Nothing a peer sends drives a breaker: a network message is refused, the state kept.
    const t = core.step(s, { type: 'message', from: 'x', message: { type: 'failure' }, now: 1 });
    expect(t.state).toBe(s);
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'x', reason: 'the circuit breaker takes no peer messages' }]);
  });

  it('counters stay exact: the probe round wraps before MAX_COUNTER, isolations past it are refused', () => {
    let s = core.init({ strategy: { kind: 'consecutive', threshold: 1 }, openMs: 10 });
    s = { ...s, probeRound: MAX_COUNTER };
    s = core.step(s, { type: 'failure', now: 0, durationMs: 1, probe: false }).state;
    s = core.step(s, { type: 'tick', now: 10 }).state;
    expect(s.circuit).toBe('half-open');
    expect(s.probeRound).toBe(0);
    const iso = { ...core.step(s, { type: 'isolate', now: 11 }).state, isolations: MAX_COUNTER };
    expect(() => core.step(iso, { type: 'isolate', now: 12 })).toThrow(InvalidCommandError);
  });
});
