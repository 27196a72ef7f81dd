import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, InvalidCommandError, Random, checkedStep, type Timers, type Unstamped } from 'distkit/core';
import {
  SagaResultError,
  applySagaRecord,
  runSaga,
  sagaOrchestrator as M,
  type SagaConfig,
  type SagaDurable,
  type SagaInput,
  type SagaLogRecord,
  type SagaOutput,
  type SagaState,
  type SagaStep,
} from 'distkit/txn';

const CONFIG: SagaConfig = { sagaId: 'trip', steps: [{ name: 'flight' }, { name: 'hotel', maxAttempts: 2 }, { name: 'car' }], retryDelayMs: 10 };

describe('config', () => {
  it('names the bad field', () => {
    expect(() => M.init({ sagaId: '', steps: [{ name: 'a' }] })).toThrow(ConfigError);
    expect(() => M.init({ sagaId: 's', steps: [] })).toThrow(/steps/);
    expect(() => M.init({ sagaId: 's', steps: [{ name: 'a' }, { name: 'a' }] })).toThrow(/unique/);
    expect(() => M.init({ sagaId: 's', steps: [{ name: 'a', maxAttempts: 0 }] })).toThrow(/maxAttempts/);
    const s = M.step(M.init(CONFIG), { type: 'start', now: 0 }).state;
    expect(() => M.step(s, { type: 'start', now: 0 })).toThrow(InvalidCommandError);
  });
});

describe('Garcia-Molina & Salem §3: T1..Tn or T1..Tj Cj..C1', () => {
  it('runs the steps in order, logging each start before invoking it', () => {
    let t = checkedStep(M, M.init(CONFIG), { type: 'start', input: { who: 'ada' }, now: 0 });
    expect(t.outputs).toEqual([
      // One persist per transition, before the invocation: the log records in order.
      {
        type: 'persist',
        record: [
          { kind: 'started', input: { who: 'ada' } },
          { kind: 'stepStarted', step: 0, attempt: 1 },
        ],
      },
      { type: 'execute', step: 0, name: 'flight', attempt: 1, idempotencyKey: 'trip/0/flight/do', input: { who: 'ada' } },
    ]);
    t = checkedStep(M, t.state, { type: 'stepResult', step: 0, attempt: 1, ok: true, result: 'F1', now: 0 });
    t = checkedStep(M, t.state, { type: 'stepResult', step: 1, attempt: 1, ok: true, result: 'H1', now: 0 });
    t = checkedStep(M, t.state, { type: 'stepResult', step: 2, attempt: 1, ok: true, result: 'C1', now: 0 });
    expect(t.outputs.at(-1)).toEqual({ type: 'completed', results: ['F1', 'H1', 'C1'] });
    expect(t.state.status).toBe('completed');
  });

  it('retries a failed step with the same idempotency key and exponential backoff', () => {
    let t = M.step(M.init(CONFIG), { type: 'start', now: 0 });
    t = M.step(t.state, { type: 'stepResult', step: 0, attempt: 1, ok: false, error: 'timeout', now: 0 });
    expect(M.nextDeadline!(t.state)).toBe(10); // the backoff starts when the failure is reported
    t = M.step(t.state, { type: 'tick', now: 10 });
    expect(t.outputs.at(-1)).toMatchObject({ type: 'execute', attempt: 2, idempotencyKey: 'trip/0/flight/do' });
    t = M.step(t.state, { type: 'stepResult', step: 0, attempt: 2, ok: false, now: 10 });
    expect(M.nextDeadline!(t.state)).toBe(30); // 10 + 2 × 10
  });

  it('the backoff runs from when the failure is reported, however long the action took', () => {
    let t = M.step(M.init(CONFIG), { type: 'start', now: 0 });
    // The action fails after 5 s, with no tick in between: the result carries the host's time.
    t = checkedStep(M, t.state, { type: 'stepResult', step: 0, attempt: 1, ok: false, now: 5_000 });
    expect(M.nextDeadline!(t.state)).toBe(5_010);
    t = checkedStep(M, t.state, { type: 'tick', now: 5_009 });
    expect(t.outputs).toEqual([]);
  });

  it('after the last attempt fails, compensates the completed steps in reverse order, never the failed one', () => {
    let t = M.step(M.init({ ...CONFIG, steps: [{ name: 'a' }, { name: 'b' }, { name: 'c', maxAttempts: 1 }] }), { type: 'start', now: 0 });
    t = M.step(t.state, { type: 'stepResult', step: 0, attempt: 1, ok: true, result: 'A', now: 0 });
    t = M.step(t.state, { type: 'stepResult', step: 1, attempt: 1, ok: true, result: 'B', now: 0 });
    t = checkedStep(M, t.state, { type: 'stepResult', step: 2, attempt: 1, ok: false, now: 0 });
    expect(t.outputs.at(-1)).toEqual({ type: 'compensate', step: 1, name: 'b', attempt: 1, idempotencyKey: 'trip/1/b/undo', result: 'B' });
    // A compensation that fails is retried until it succeeds.
    t = M.step(t.state, { type: 'compensationResult', step: 1, attempt: 1, ok: false, now: 0 });
    t = M.step(t.state, { type: 'tick', now: 0 });
    t = M.step(t.state, { type: 'tick', now: 1000 });
    t = M.step(t.state, { type: 'compensationResult', step: 1, attempt: 2, ok: true, now: 0 });
    expect(t.outputs.at(-1)).toMatchObject({ type: 'compensate', step: 0 });
    t = M.step(t.state, { type: 'compensationResult', step: 0, attempt: 1, ok: true, now: 0 });
    expect(t.outputs.at(-1)).toEqual({ type: 'compensated', failedStep: 2, compensatedSteps: [1, 0] });
  });

  it('rejects results that are not in flight (stale attempts, wrong steps, garbage)', () => {
    const s = M.step(M.init(CONFIG), { type: 'start', now: 0 }).state;
    for (const bad of [
      { type: 'stepResult', step: 1, attempt: 1, ok: true, now: 0 },
      { type: 'stepResult', step: 0, attempt: 2, ok: true, now: 0 },
      { type: 'compensationResult', step: 0, attempt: 1, ok: true, now: 0 },
      { type: 'stepResult', step: -1, attempt: 1, ok: true, now: 0 },
      { type: 'stepResult', step: 0, attempt: 1, ok: 'yes', now: 0 },
    ]) {
      const t = checkedStep(M, s, bad as SagaInput);
      expect(t.state).toBe(s);
      expect(t.outputs.map((o) => o.type)).toEqual(['rejected']);
    }
  });
});

// A service world: each step's service applies an action at most once per idempotency key, and
// fails (with no effect) at random. The orchestrator crashes at random points and recovers from
// the folded log; results in flight at a crash are lost.
interface Services {
  applied: Map<string, unknown>; // do-key -> result
  undone: Set<string>; // undo-key
  undoneBeforeDone: string[];
}

function runWithFaults(seed: number, stepCount: number): { outcome: SagaState; services: Services; log: SagaLogRecord[]; crashes: number } {
  const rng = new Random(seed);
  const config: SagaConfig = { sagaId: `s${seed}`, steps: Array.from({ length: stepCount }, (_, i) => ({ name: `step${i}`, maxAttempts: 1 + (i % 3) })), retryDelayMs: 5 };
  const services: Services = { applied: new Map(), undone: new Set(), undoneBeforeDone: [] };
  const log: SagaLogRecord[] = [];
  let state = M.init(config);
  let inbox: Unstamped<SagaInput>[] = [{ type: 'start', input: { seed } }];
  let now = 0;
  let crashes = 0;
  for (let guard = 0; guard < 10_000; guard++) {
    if (state.status === 'completed' || state.status === 'compensated') break;
    const next = inbox.shift();
    let input: SagaInput;
    if (next !== undefined) input = { ...next, now } as SagaInput;
    else {
      const d = M.nextDeadline!(state);
      if (d === undefined) throw new Error(`stuck: ${JSON.stringify(state)}`);
      now = Math.max(now, d);
      input = { type: 'tick', now };
    }
    const t = M.step(state, input);
    const crashMode = crashes < 3 && rng.float() < 0.15 ? rng.int(0, 3) : -1;
    if (crashMode === 0) {
      // Crash before this transition's records reached the log.
      crashes++;
      let d = M.durable(M.init(config));
      for (const r of log) d = applySagaRecord(d, r);
      state = M.recover(config, d);
      inbox = state.status === 'idle' ? [{ type: 'start', input: { seed } }] : []; // never durably started
      continue;
    }
    for (const o of t.outputs) if (o.type === 'persist') log.push(...o.record);
    if (crashMode === 1) {
      // Crash after logging, before invoking.
      crashes++;
      let d = M.durable(M.init(config));
      for (const r of log) d = applySagaRecord(d, r);
      state = M.recover(config, d);
      inbox = state.status === 'idle' ? [{ type: 'start', input: { seed } }] : []; // never durably started
      continue;
    }
    state = t.state;
    for (const o of t.outputs) {
      if (o.type === 'execute') {
        const already = services.applied.get(o.idempotencyKey);
        let ok: boolean;
        let result: unknown = null;
        if (already !== undefined) {
          ok = true; // idempotent replay: same result, no second effect
          result = already;
        } else {
          ok = rng.float() < 0.75;
          if (ok) {
            result = `${o.name}#${o.attempt}`;
            services.applied.set(o.idempotencyKey, result);
          }
        }
        inbox.push({ type: 'stepResult', step: o.step, attempt: o.attempt, ok, result });
      } else if (o.type === 'compensate') {
        const doKey = o.idempotencyKey.replace(/\/undo$/, '/do');
        if (!services.applied.has(doKey)) services.undoneBeforeDone.push(o.idempotencyKey);
        const ok = rng.float() < 0.8;
        if (ok) services.undone.add(o.idempotencyKey);
        inbox.push({ type: 'compensationResult', step: o.step, attempt: o.attempt, ok });
      }
    }
    if (crashMode === 2) {
      // Crash after invoking: the results in flight are lost.
      crashes++;
      let d = M.durable(M.init(config));
      for (const r of log) d = applySagaRecord(d, r);
      state = M.recover(config, d);
      inbox = state.status === 'idle' ? [{ type: 'start', input: { seed } }] : []; // never durably started
    }
  }
  return { outcome: state, services, log, crashes };
}

describe('sagas under random step failures and orchestrator crashes', () => {
  it('end all-done or all-compensated, and never compensate a step that never completed (500 seeds)', () => {
    let compensatedRuns = 0;
    let completedRuns = 0;
    let crashRuns = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const steps = 1 + (seed % 5);
      const { outcome, services, crashes } = runWithFaults(seed, steps);
      if (crashes > 0) crashRuns++;
      expect(services.undoneBeforeDone, `seed ${seed}`).toEqual([]);
      const doneKeys = [...services.applied.keys()];
      if (outcome.status === 'completed') {
        completedRuns++;
        expect(doneKeys.length, `seed ${seed}`).toBe(steps);
        expect(services.undone.size).toBe(0);
      } else {
        expect(outcome.status, `seed ${seed}`).toBe('compensated');
        compensatedRuns++;
        // Every action that took effect was compensated, and nothing else.
        expect([...services.undone].sort(), `seed ${seed}`).toEqual(doneKeys.map((k) => k.replace(/\/do$/, '/undo')).sort());
      }
    }
    expect(completedRuns).toBeGreaterThan(50);
    expect(compensatedRuns).toBeGreaterThan(50);
    expect(crashRuns).toBeGreaterThan(200);
  });

  it('the log rebuilds durable(state) after every transition', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const { outcome, log } = runWithFaults(seed, 4);
        let d: SagaDurable = M.durable(M.init({ sagaId: `s${seed}`, steps: [{ name: 'x' }] }));
        d = { ...d, results: [null, null, null, null] };
        for (const r of log) d = applySagaRecord(d, r);
        expect(d).toEqual(M.durable(outcome));
      }),
      { numRuns: 100 },
    );
  });
});

describe('runSaga: real async functions', () => {
  const instant: Timers = { setTimer: (_ms, cb) => (queueMicrotask(cb), () => {}) };
  function steps(calls: string[], failAt: Record<string, number> = {}): SagaStep[] {
    return ['flight', 'hotel', 'car'].map((name) => ({
      name,
      maxAttempts: 2,
      action: async (ctx) => {
        calls.push(`${name}:${ctx.attempt}`);
        if ((failAt[name] ?? 0) >= ctx.attempt) throw new Error(`${name} unavailable`);
        return { booked: name, key: ctx.idempotencyKey };
      },
      compensate: async (ctx) => {
        calls.push(`undo ${name} ${JSON.stringify(ctx.result)}`);
      },
    }));
  }
  it('completes, passing each action its idempotency key', async () => {
    const calls: string[] = [];
    const out = await runSaga({ sagaId: 'trip', steps: steps(calls), timers: instant });
    expect(out.status).toBe('completed');
    expect(out.results[1]).toEqual({ booked: 'hotel', key: 'trip/1/hotel/do' });
    expect(calls).toEqual(['flight:1', 'hotel:1', 'car:1']);
  });
  it('retries, then compensates in reverse order', async () => {
    const calls: string[] = [];
    const out = await runSaga({ sagaId: 'trip', steps: steps(calls, { hotel: 1, car: 2 }), timers: instant, retryDelayMs: 1 });
    expect(out).toMatchObject({ status: 'compensated', failedStep: 2, compensatedSteps: [1, 0] });
    expect(calls).toEqual([
      'flight:1',
      'hotel:1',
      'hotel:2',
      'car:1',
      'car:2',
      'undo hotel {"booked":"hotel","key":"trip/1/hotel/do"}',
      'undo flight {"booked":"flight","key":"trip/0/flight/do"}',
    ]);
  });
  it('resumes a crashed run from its log exactly where it stopped', async () => {
    const records: SagaLogRecord[] = [];
    let crashAfter = 4; // the 5th append "crashes" the process
    const log = {
      read: () => records.slice(),
      append: (r: SagaLogRecord) => {
        if (crashAfter-- === 0) throw new Error('power loss');
        records.push(r);
      },
    };
    const calls: string[] = [];
    await expect(runSaga({ sagaId: 'trip', steps: steps(calls), log, timers: instant })).rejects.toThrow('power loss');
    expect(calls).toEqual(['flight:1', 'hotel:1']);
    // The log says: hotel started (attempt 1) with no result: it is re-issued with the same key.
    const out = await runSaga({ sagaId: 'trip', steps: steps(calls), log, timers: instant });
    expect(out.status).toBe('completed');
    expect(calls).toEqual(['flight:1', 'hotel:1', 'hotel:1', 'car:1']);
    expect(records.at(-1)).toEqual({ kind: 'finished', outcome: 'completed' });
  });
  it('refuses action results that cannot be logged', async () => {
    const bad: SagaStep = { name: 'x', action: async () => ({ n: Number.NaN }), compensate: async () => {} };
    await expect(runSaga({ sagaId: 's', steps: [bad], timers: instant })).rejects.toThrow(SagaResultError);
  });
});

export type { SagaOutput };
