/**
 * Sagas (Garcia-Molina & Salem, "Sagas", SIGMOD 1987): a long-lived transaction as a sequence of
 * steps T1..Tn, each with a compensation Ci; the outcome is T1..Tn, or T1..Tj followed by
 * Cj..C1. An orchestrator machine drives the steps and keeps a saga log so that a crashed
 * orchestrator resumes exactly where it was (§5, "saga recovery": backward recovery by
 * compensation). `runSaga` runs it over real async functions.
 */
import type { DataLimits, DurableMachine, MessageInput, PersistOutput, RejectedOutput, TickInput, Timer, Transition, Timers, Clock, Unstamped } from '../core/index.js';
import { ConfigError, DistkitError, InvalidCommandError, MAX_ID_LENGTH, STOPPED_TIMER, assertNever, earliest, inputNow, parse, reject, startTimer, systemClock, systemTimers, timerDue, transition, v } from '../core/index.js';
import { DUE_AT_ONCE, bump, onePersist, payloadLimits } from './common.js';

/**
 * One step as the orchestrator sees it: a name and how many times its action may be tried.
 *
 * @example
 * ```ts
 * import { sagaOrchestrator } from 'distkit/txn';
 * let s = sagaOrchestrator.init({ sagaId: 'trip', steps: [{ name: 'reserve-seat', maxAttempts: 2 }] });
 * s = sagaOrchestrator.step(s, { type: 'start', now: 0 }).state;
 * // The first attempt fails; with maxAttempts 2 the step is retried after retryDelayMs.
 * s = sagaOrchestrator.step(s, { type: 'stepResult', step: 0, attempt: 1, ok: false, error: 'timeout', now: 1 }).state;
 * const retry = sagaOrchestrator.step(s, { type: 'tick', now: 1000 }).outputs[1];
 * retry; //=> { type: 'execute', step: 0, name: 'reserve-seat', attempt: 2, idempotencyKey: 'trip/0/reserve-seat/do', input: null }
 * ```
 */
export interface SagaStepSpec {
  /** Step name (unique within the saga). */
  readonly name: string;
  /** Attempts of the action before the saga gives up and compensates. Default 3. */
  readonly maxAttempts?: number;
}

/**
 * Options of the saga orchestrator.
 *
 * @example
 * ```ts
 * import { sagaOrchestrator } from 'distkit/txn';
 * const s = sagaOrchestrator.init({ sagaId: 'order-42', steps: [{ name: 'pay' }, { name: 'ship' }], retryDelayMs: 50 });
 * [s.status, s.current, s.retryDelayMs]; //=> ['idle', 0, 50]
 * ```
 */
export interface SagaConfig {
  /** Identifies this saga; prefixes every idempotency key. */
  readonly sagaId: string;
  /** The steps, in order. */
  readonly steps: readonly SagaStepSpec[];
  /** Base delay before a retry; doubles per attempt (capped at 32×). Default 100. */
  readonly retryDelayMs?: number;
  /** Depth and size limits of the saga input and of action results (default `PAYLOAD_LIMITS` (distkit/core)). */
  readonly payloadLimits?: Partial<DataLimits>;
}

/**
 * Where a saga stands.
 *
 * @example
 * ```ts
 * import { sagaOrchestrator } from 'distkit/txn';
 * let s = sagaOrchestrator.init({ sagaId: 'order-42', steps: [{ name: 'pay' }, { name: 'ship' }] });
 * const started = sagaOrchestrator.step(s, { type: 'start', input: { amount: 5 }, now: 0 });
 * s = started.state;
 * s.status; //=> 'running'
 * ```
 */
export type SagaStatus = 'idle' | 'running' | 'compensating' | 'completed' | 'compensated';

/**
 * The durable part of a saga: exactly what its log says. `completed` lists the steps whose
 * action is known to have succeeded — the only ones ever compensated.
 *
 * @example
 * ```ts
 * import { sagaOrchestrator } from 'distkit/txn';
 * let s = sagaOrchestrator.init({ sagaId: 'order-42', steps: [{ name: 'pay' }, { name: 'ship' }] });
 * const started = sagaOrchestrator.step(s, { type: 'start', input: { amount: 5 }, now: 0 });
 * s = started.state;
 * s = sagaOrchestrator.step(s, { type: 'stepResult', step: 0, attempt: 1, ok: true, result: { chargeId: 'ch_1' }, now: 1 }).state;
 * sagaOrchestrator.durable(s); //=> { status: 'running', current: 1, attempt: 1, inFlight: true, completed: [0], compensated: [], results: [{ chargeId: 'ch_1' }, null], input: { amount: 5 }, failedStep: null }
 * ```
 */
export interface SagaDurable {
  /** Where the saga stands. */
  readonly status: SagaStatus;
  /** The step being executed (running) or compensated (compensating). */
  readonly current: number;
  /** Attempt number of the current action or compensation (1-based). */
  readonly attempt: number;
  /** An invocation was logged as started and its result is not logged yet. */
  readonly inFlight: boolean;
  /** Steps whose action completed, in order. */
  readonly completed: readonly number[];
  /** Steps whose compensation completed. */
  readonly compensated: readonly number[];
  /** Action results per step (null until completed). */
  readonly results: readonly unknown[];
  /** The saga's input. */
  readonly input: unknown;
  /** The step whose action finally failed, when compensating. */
  readonly failedStep: number | null;
}

/**
 * The saga orchestrator's state: the durable part plus options and timers.
 *
 * @example
 * ```ts
 * import { sagaOrchestrator } from 'distkit/txn';
 * sagaOrchestrator.init({ sagaId: 's', steps: [{ name: 'a' }] }).status; //=> 'idle'
 * ```
 */
export interface SagaState extends SagaDurable {
  /** The saga id. */
  readonly sagaId: string;
  /** Step names. */
  readonly names: readonly string[];
  /** Attempts allowed per step. */
  readonly maxAttempts: readonly number[];
  /** Base retry delay. */
  readonly retryDelayMs: number;
  /** Limits on the saga input and on action results (see {@link SagaConfig.payloadLimits}). */
  readonly payloadLimits: DataLimits;
  /** When to (re)issue the next invocation; stopped while waiting for a result or when done. */
  readonly retryAt: Timer;
}

/**
 * A saga log record. `stepStarted` is logged before each attempt is issued, so a recovered
 * orchestrator re-issues it with the same idempotency key rather than guessing.
 *
 * @example
 * ```ts
 * import { sagaOrchestrator } from 'distkit/txn';
 * let s = sagaOrchestrator.init({ sagaId: 'order-42', steps: [{ name: 'pay' }, { name: 'ship' }] });
 * const started = sagaOrchestrator.step(s, { type: 'start', input: { amount: 5 }, now: 0 });
 * s = started.state;
 * started.outputs[0]; //=> { type: 'persist', record: [{ kind: 'started', input: { amount: 5 } }, { kind: 'stepStarted', step: 0, attempt: 1 }] }
 * ```
 */
export type SagaLogRecord =
  | { readonly kind: 'started'; readonly input: unknown }
  | { readonly kind: 'stepStarted'; readonly step: number; readonly attempt: number }
  | { readonly kind: 'stepCompleted'; readonly step: number; readonly result: unknown }
  | { readonly kind: 'stepAttemptFailed'; readonly step: number; readonly attempt: number }
  | { readonly kind: 'stepFailed'; readonly step: number }
  | { readonly kind: 'compensationStarted'; readonly step: number; readonly attempt: number }
  | { readonly kind: 'compensationAttemptFailed'; readonly step: number; readonly attempt: number }
  | { readonly kind: 'stepCompensated'; readonly step: number }
  | { readonly kind: 'finished'; readonly outcome: 'completed' | 'compensated' };

/**
 * Saga inputs: `start`, the results of invocations (from the host's executor; checked against
 * what is in flight), and ticks for retry delays.
 *
 * @example
 * ```ts
 * import { sagaOrchestrator } from 'distkit/txn';
 * let s = sagaOrchestrator.init({ sagaId: 'order-42', steps: [{ name: 'pay' }, { name: 'ship' }] });
 * const started = sagaOrchestrator.step(s, { type: 'start', input: { amount: 5 }, now: 0 });
 * s = started.state;
 * const done = sagaOrchestrator.step(s, { type: 'stepResult', step: 0, attempt: 1, ok: true, result: { chargeId: 'ch_1' }, now: 1 });
 * done.outputs.map((o) => o.type); //=> ['persist', 'execute']
 * ```
 */
export type SagaInput =
  | TickInput
  | MessageInput
  | { readonly type: 'start'; readonly now: number; readonly input?: unknown }
  | { readonly type: 'stepResult'; readonly now: number; readonly step: number; readonly attempt: number; readonly ok: boolean; readonly result?: unknown; readonly error?: string }
  | { readonly type: 'compensationResult'; readonly now: number; readonly step: number; readonly attempt: number; readonly ok: boolean; readonly error?: string };

/**
 * Saga outputs: invocations for the executor, log records, and the final outcome.
 *
 * @example
 * ```ts
 * import { sagaOrchestrator } from 'distkit/txn';
 * let s = sagaOrchestrator.init({ sagaId: 'order-42', steps: [{ name: 'pay' }, { name: 'ship' }] });
 * const started = sagaOrchestrator.step(s, { type: 'start', input: { amount: 5 }, now: 0 });
 * s = started.state;
 * started.outputs[1]; //=> { type: 'execute', step: 0, name: 'pay', attempt: 1, idempotencyKey: 'order-42/0/pay/do', input: { amount: 5 } }
 * ```
 */
export type SagaOutput =
  | { readonly type: 'execute'; readonly step: number; readonly name: string; readonly attempt: number; readonly idempotencyKey: string; readonly input: unknown }
  | { readonly type: 'compensate'; readonly step: number; readonly name: string; readonly attempt: number; readonly idempotencyKey: string; readonly result: unknown }
  | { readonly type: 'completed'; readonly results: readonly unknown[] }
  | { readonly type: 'compensated'; readonly failedStep: number; readonly compensatedSteps: readonly number[] }
  | PersistOutput<readonly SagaLogRecord[]>
  | RejectedOutput;

type ST = Transition<SagaState, SagaOutput>;

function resultCheck(limits: DataLimits) {
  return v.object({
    step: v.int({ min: 0 }),
    attempt: v.int({ min: 1 }),
    ok: v.boolean(),
    result: v.optional(v.json(limits)),
    error: v.optional(v.string({ maxLength: 1 << 16 })),
  });
}

/**
 * Validates an executor's `stepResult` or `compensationResult`: well-formed, and for the invocation
 * in flight while the saga is `status` (a late, duplicate or foreign report is refused).
 */
function inFlightResult(s: SagaState, input: Extract<SagaInput, { type: 'stepResult' | 'compensationResult' }>, status: 'running' | 'compensating') {
  const parsed = parse(resultCheck(s.payloadLimits), input, input.type);
  if (!parsed.ok) return parsed;
  const r = parsed.value;
  if (s.status !== status || !s.inFlight || r.step !== s.current || r.attempt !== s.attempt) {
    return { ok: false as const, problem: `${input.type} for step ${r.step} attempt ${r.attempt}, which is not in flight` };
  }
  return parsed;
}

function sagaInit(config: SagaConfig): SagaState {
  if (typeof config.sagaId !== 'string' || config.sagaId.length === 0 || config.sagaId.length > MAX_ID_LENGTH) {
    throw new ConfigError('sagaId', 'must be a non-empty string');
  }
  if (!Array.isArray(config.steps) || config.steps.length === 0) throw new ConfigError('steps', 'must list at least one step');
  const names = config.steps.map((s, i) => {
    if (typeof s.name !== 'string' || s.name.length === 0) throw new ConfigError(`steps[${i}].name`, 'must be a non-empty string');
    return s.name;
  });
  if (new Set(names).size !== names.length) throw new ConfigError('steps', 'step names must be unique');
  const maxAttempts = config.steps.map((s, i) => {
    const m = s.maxAttempts ?? 3;
    if (!Number.isSafeInteger(m) || m < 1) throw new ConfigError(`steps[${i}].maxAttempts`, `must be an integer >= 1, got ${String(m)}`);
    return m;
  });
  const retryDelayMs = config.retryDelayMs ?? 100;
  if (!Number.isFinite(retryDelayMs) || retryDelayMs < 0) throw new ConfigError('retryDelayMs', 'must be a non-negative number');
  return {
    sagaId: config.sagaId,
    names,
    maxAttempts,
    retryDelayMs,
    payloadLimits: payloadLimits(config.payloadLimits),
    retryAt: STOPPED_TIMER,
    status: 'idle',
    current: 0,
    attempt: 0,
    inFlight: false,
    completed: [],
    compensated: [],
    results: names.map(() => null),
    input: null,
    failedStep: null,
  };
}

/**
 * The idempotency key of a step's action or compensation: the same for every attempt and across
 * orchestrator crashes, so a service that honours it applies a retried call once.
 *
 * @example
 * ```ts
 * import { sagaIdempotencyKey } from 'distkit/txn';
 * sagaIdempotencyKey('order-42', 1, 'reserve', 'undo'); //=> 'order-42/1/reserve/undo'
 * ```
 */
export function sagaIdempotencyKey(sagaId: string, step: number, name: string, kind: 'do' | 'undo'): string {
  return `${sagaId}/${step}/${name}/${kind}`;
}

function backoff(s: SagaState, attempt: number): number {
  return s.retryDelayMs * Math.min(32, 2 ** Math.max(0, attempt - 1));
}

/** Issues the action of step `s.current`, attempt `s.attempt` (logged first). */
function issue(s: SagaState, out: SagaOutput[], log: boolean): SagaState {
  const i = s.current;
  if (s.status === 'running') {
    if (log) out.push({ type: 'persist', record: [{ kind: 'stepStarted', step: i, attempt: s.attempt }] });
    out.push({ type: 'execute', step: i, name: s.names[i]!, attempt: s.attempt, idempotencyKey: sagaIdempotencyKey(s.sagaId, i, s.names[i]!, 'do'), input: s.input });
  } else {
    if (log) out.push({ type: 'persist', record: [{ kind: 'compensationStarted', step: i, attempt: s.attempt }] });
    out.push({ type: 'compensate', step: i, name: s.names[i]!, attempt: s.attempt, idempotencyKey: sagaIdempotencyKey(s.sagaId, i, s.names[i]!, 'undo'), result: s.results[i] ?? null });
  }
  return { ...s, inFlight: true, retryAt: STOPPED_TIMER };
}

/** Moves to compensating the last completed step not yet compensated, or finishes. */
function compensateNext(s: SagaState, out: SagaOutput[]): SagaState {
  // Garcia-Molina & Salem §5: compensate in reverse order, only steps that completed.
  const pending = s.completed.filter((i) => !s.compensated.includes(i));
  if (pending.length === 0) {
    out.push({ type: 'persist', record: [{ kind: 'finished', outcome: 'compensated' }] });
    out.push({ type: 'compensated', failedStep: s.failedStep ?? -1, compensatedSteps: s.compensated });
    return { ...s, status: 'compensated', inFlight: false, retryAt: STOPPED_TIMER };
  }
  const next: SagaState = { ...s, status: 'compensating', current: pending[pending.length - 1]!, attempt: 1 };
  return issue(next, out, true);
}

/** The next move when a timer fires: a retry, or (after recovery) whatever the log says is next. */
function resume(s: SagaState): ST {
  const out: SagaOutput[] = [];
  // Recovery re-issues a logged in-flight attempt with the same key and no new record.
  if (s.inFlight) return transition(issue(s, out, false), out);
  if (s.status === 'running') {
    if (s.failedStep !== null) return onePersist(compensateNext(s, out), out);
    if (s.completed.includes(s.current)) {
      if (s.current + 1 < s.names.length) return transition(issue({ ...s, current: s.current + 1, attempt: 1 }, out, true), out);
      out.push({ type: 'persist', record: [{ kind: 'finished', outcome: 'completed' }] }, { type: 'completed', results: s.results });
      return transition({ ...s, status: 'completed', retryAt: STOPPED_TIMER }, out);
    }
    return transition(issue({ ...s, attempt: bump(s.attempt) }, out, true), out);
  }
  if (s.status === 'compensating') {
    if (s.compensated.includes(s.current)) return onePersist(compensateNext(s, out), out);
    return transition(issue({ ...s, attempt: bump(s.attempt) }, out, true), out);
  }
  return transition({ ...s, retryAt: STOPPED_TIMER });
}

function sagaStep(s: SagaState, input: SagaInput): ST {
  const now = inputNow(input);
  switch (input.type) {
    case 'tick':
      return timerDue(s.retryAt, now) ? resume(s) : transition(s);
    case 'message':
      // The orchestrator talks to its executor through commands, never to peers.
      return reject(s, input.from, 'a saga orchestrator accepts no messages');
    case 'start': {
      if (s.status !== 'idle') throw new InvalidCommandError('start', `saga ${s.sagaId} is already ${s.status}`);
      const parsed = parse(v.json(s.payloadLimits), input.input ?? null);
      if (!parsed.ok) throw new InvalidCommandError('start', `input must be plain JSON data within the payload limits: ${parsed.problem}`);
      const sagaInput = parsed.value;
      const out: SagaOutput[] = [{ type: 'persist', record: [{ kind: 'started', input: sagaInput }] }];
      return onePersist(issue({ ...s, status: 'running', current: 0, attempt: 1, input: sagaInput }, out, true), out);
    }
    case 'stepResult': {
      const checked = inFlightResult(s, input, 'running');
      if (!checked.ok) return reject(s, 'local', checked.problem);
      const r = checked.value;
      const out: SagaOutput[] = [];
      const i = s.current;
      if (r.ok) {
        const result = r.result ?? null;
        out.push({ type: 'persist', record: [{ kind: 'stepCompleted', step: i, result }] });
        const results = s.results.map((x, k) => (k === i ? result : x));
        const done: SagaState = { ...s, completed: [...s.completed, i], results, inFlight: false };
        if (i + 1 < s.names.length) return onePersist(issue({ ...done, current: i + 1, attempt: 1 }, out, true), out);
        out.push({ type: 'persist', record: [{ kind: 'finished', outcome: 'completed' }] }, { type: 'completed', results });
        return onePersist({ ...done, status: 'completed' }, out);
      }
      if (s.attempt < s.maxAttempts[i]!) {
        out.push({ type: 'persist', record: [{ kind: 'stepAttemptFailed', step: i, attempt: s.attempt }] });
        return transition({ ...s, inFlight: false, retryAt: startTimer(now, backoff(s, s.attempt)) }, out);
      }
      out.push({ type: 'persist', record: [{ kind: 'stepFailed', step: i }] });
      return onePersist(compensateNext({ ...s, inFlight: false, failedStep: i }, out), out);
    }
    case 'compensationResult': {
      const checked = inFlightResult(s, input, 'compensating');
      if (!checked.ok) return reject(s, 'local', checked.problem);
      const r = checked.value;
      const out: SagaOutput[] = [];
      if (r.ok) {
        out.push({ type: 'persist', record: [{ kind: 'stepCompensated', step: s.current }] });
        return onePersist(compensateNext({ ...s, inFlight: false, compensated: [...s.compensated, s.current] }, out), out);
      }
      // Compensations must eventually succeed (§5): retry with backoff, forever.
      out.push({ type: 'persist', record: [{ kind: 'compensationAttemptFailed', step: s.current, attempt: s.attempt }] });
      return transition({ ...s, inFlight: false, retryAt: startTimer(now, backoff(s, s.attempt)) }, out);
    }
    default:
      return assertNever(input, 'input');
  }
}

/**
 * Folds one saga log record into the durable image (what `recover` takes).
 *
 * @example
 * ```ts
 * import { applySagaRecord, sagaOrchestrator } from 'distkit/txn';
 * const config = { sagaId: 's', steps: [{ name: 'a' }] };
 * const d = applySagaRecord(sagaOrchestrator.durable(sagaOrchestrator.init(config)), { kind: 'started', input: null });
 * d.status; //=> 'running'
 * ```
 */
export function applySagaRecord(d: SagaDurable, r: SagaLogRecord): SagaDurable {
  switch (r.kind) {
    case 'started':
      return { ...d, status: 'running', input: r.input, current: 0, attempt: 1, inFlight: false };
    case 'stepStarted':
      return { ...d, current: r.step, attempt: r.attempt, inFlight: true };
    case 'stepCompleted':
      return { ...d, completed: [...d.completed, r.step], results: d.results.map((x, k) => (k === r.step ? r.result : x)), inFlight: false };
    case 'stepAttemptFailed':
      return { ...d, attempt: r.attempt, inFlight: false };
    case 'stepFailed':
      return { ...d, failedStep: r.step, inFlight: false };
    case 'compensationStarted':
      return { ...d, status: 'compensating', current: r.step, attempt: r.attempt, inFlight: true };
    case 'compensationAttemptFailed':
      return { ...d, attempt: r.attempt, inFlight: false };
    case 'stepCompensated':
      return { ...d, compensated: [...d.compensated, r.step], inFlight: false };
    case 'finished':
      return { ...d, status: r.outcome, inFlight: false };
    default:
      return assertNever(r, 'saga log record');
  }
}

function sagaDurable(s: SagaState): SagaDurable {
  return {
    status: s.status,
    current: s.current,
    attempt: s.attempt,
    inFlight: s.inFlight,
    completed: s.completed,
    compensated: s.compensated,
    results: s.results,
    input: s.input,
    failedStep: s.failedStep,
  };
}

function sagaRecover(config: SagaConfig, d: SagaDurable): SagaState {
  const s = sagaInit(config);
  const base: SagaState = { ...s, ...sagaDurable({ ...s, ...d }) };
  if (base.status === 'idle' || base.status === 'completed' || base.status === 'compensated') return base;
  // Resume at once from exactly the logged position (see `resume`).
  return { ...base, retryAt: DUE_AT_ONCE };
}

/**
 * The saga orchestrator (Garcia-Molina & Salem 1987). Feed `start`, then the results of the
 * `execute` / `compensate` outputs it emits; make each `persist` record durable before running
 * the invocation after it. Retries reuse the step's idempotency key; a failed step (after its
 * attempts) triggers compensation of the completed steps in reverse order.
 *
 * @example
 * ```ts
 * import { sagaOrchestrator } from 'distkit/txn';
 * const s = sagaOrchestrator.init({ sagaId: 'order-1', steps: [{ name: 'pay' }, { name: 'ship' }] });
 * const t = sagaOrchestrator.step(s, { type: 'start', now: 0 });
 * t.outputs.map((o) => o.type); //=> ['persist', 'execute']
 * ```
 */
export const sagaOrchestrator: DurableMachine<SagaConfig, SagaState, SagaInput, SagaOutput, SagaDurable> = {
  name: 'saga-orchestrator',
  init: sagaInit,
  step: sagaStep,
  nextDeadline: (s) => earliest(s.retryAt),
  durable: sagaDurable,
  recover: sagaRecover,
  applyPersist: (d, records) => {
    let image = d;
    for (const r of records as readonly SagaLogRecord[]) image = applySagaRecord(image, r);
    return image;
  },
};

// ---------------------------------------------------------------------------------------------
// Async runner
// ---------------------------------------------------------------------------------------------

/**
 * What an action or compensation receives.
 *
 * @example
 * ```ts
 * import { runSaga, type SagaStepContext } from 'distkit/txn';
 * const seen: SagaStepContext[] = [];
 * await runSaga({ sagaId: 'order-1', input: { sku: 'x' }, steps: [{ name: 'pay', action: async (ctx) => { seen.push(ctx); return 'ch-1'; }, compensate: async () => {} }] });
 * // The idempotency key names the saga, the step and the kind: retries of one action share it.
 * seen; //=> [{ sagaId: 'order-1', step: 0, attempt: 1, idempotencyKey: 'order-1/0/pay/do', input: { sku: 'x' }, result: null }]
 * ```
 */
export interface SagaStepContext {
  /** The saga id. */
  readonly sagaId: string;
  /** The step index. */
  readonly step: number;
  /** Attempt number (1-based). */
  readonly attempt: number;
  /** Pass it to the service so that a retried call takes effect once. */
  readonly idempotencyKey: string;
  /** The saga's input. */
  readonly input: unknown;
  /** For a compensation: the action's result; for an action: null. */
  readonly result: unknown;
}

/**
 * A step for {@link runSaga}: an action and its compensation, as async functions. An action that
 * throws (or rejects) is taken to have had no effect; it is retried with the same idempotency key.
 *
 * @example
 * ```ts
 * import { runSaga, type SagaStep } from 'distkit/txn';
 * const done: string[] = [];
 * const step = (name: string, fails = false): SagaStep => ({
 *   name,
 *   action: async () => { if (fails) throw new Error(`${name} refused`); done.push(name); return `${name}-ok`; },
 *   compensate: async () => { done.push(`undo ${name}`); },
 * });
 * // The third step fails: the completed ones are compensated in reverse order.
 * const outcome = await runSaga({ sagaId: 'trip', steps: [step('flight'), step('hotel'), step('car', true)], retryDelayMs: 0 });
 * [outcome.status, done]; //=> ['compensated', ['flight', 'hotel', 'undo hotel', 'undo flight']]
 * ```
 */
export interface SagaStep {
  /** Unique step name. */
  readonly name: string;
  /** Does the work; its (JSON) result is logged and handed to the compensation. */
  action(ctx: SagaStepContext): Promise<unknown>;
  /** Undoes a completed action. Must be idempotent; it is retried until it succeeds. */
  compensate(ctx: SagaStepContext): Promise<void>;
  /** Attempts before giving up on the action. Default 3. */
  readonly maxAttempts?: number;
}

/**
 * Where {@link runSaga} keeps the saga log. An empty log starts the saga; a non-empty one resumes it.
 *
 * @example
 * ```ts
 * import { runSaga, type SagaStep } from 'distkit/txn';
 * const done: string[] = [];
 * const step = (name: string, fails = false): SagaStep => ({
 *   name,
 *   action: async () => { if (fails) throw new Error(`${name} refused`); done.push(name); return `${name}-ok`; },
 *   compensate: async () => { done.push(`undo ${name}`); },
 * });
 * import type { SagaLog, SagaLogRecord } from 'distkit/txn';
 * const records: SagaLogRecord[] = [];
 * const log: SagaLog = { read: () => records, append: (r) => { records.push(r); } };
 * await runSaga({ sagaId: 'trip', steps: [step('flight'), step('hotel')], log });
 * // Every start and result is logged before it counts, so a restarted coordinator resumes.
 * records.map((r) => r.kind); //=> ['started', 'stepStarted', 'stepCompleted', 'stepStarted', 'stepCompleted', 'finished']
 * ```
 */
export interface SagaLog {
  /** All records appended so far, in order. */
  read(): readonly SagaLogRecord[] | Promise<readonly SagaLogRecord[]>;
  /** Appends one record durably (resolve only once it is on stable storage). */
  append(record: SagaLogRecord): void | Promise<void>;
}

/**
 * Options of {@link runSaga}.
 *
 * @example
 * ```ts
 * import { runSaga, type SagaStep } from 'distkit/txn';
 * const done: string[] = [];
 * const step = (name: string, fails = false): SagaStep => ({
 *   name,
 *   action: async () => { if (fails) throw new Error(`${name} refused`); done.push(name); return `${name}-ok`; },
 *   compensate: async () => { done.push(`undo ${name}`); },
 * });
 * import type { RunSagaOptions } from 'distkit/txn';
 * const o: RunSagaOptions = { sagaId: 'order-1', steps: [step('reserve'), step('pay')], input: { sku: 'x' } };
 * await runSaga(o); //=> { status: 'completed', results: ['reserve-ok', 'pay-ok'], failedStep: null, compensatedSteps: [] }
 * ```
 */
export interface RunSagaOptions {
  /** The saga id (prefix of the idempotency keys). */
  readonly sagaId: string;
  /** The steps, in order. */
  readonly steps: readonly SagaStep[];
  /** The saga's input (JSON), given to every action. */
  readonly input?: unknown;
  /** The saga log; default an in-memory one (no crash recovery). */
  readonly log?: SagaLog;
  /** Base retry delay, ms. Default 100. */
  readonly retryDelayMs?: number;
  /** Clock for retry delays; default the system clock. */
  readonly clock?: Clock;
  /** Timers for retry delays; default real timers. */
  readonly timers?: Timers;
}

/**
 * The outcome of a saga run.
 *
 * @example
 * ```ts
 * import { runSaga, type SagaStep } from 'distkit/txn';
 * const done: string[] = [];
 * const step = (name: string, fails = false): SagaStep => ({
 *   name,
 *   action: async () => { if (fails) throw new Error(`${name} refused`); done.push(name); return `${name}-ok`; },
 *   compensate: async () => { done.push(`undo ${name}`); },
 * });
 * await runSaga({ sagaId: 'trip', steps: [step('flight'), step('hotel', true)], retryDelayMs: 0 }); //=> { status: 'compensated', results: ['flight-ok', null], failedStep: 1, compensatedSteps: [0] }
 * ```
 */
export interface SagaOutcome {
  /** All steps done, or every completed step compensated. */
  readonly status: 'completed' | 'compensated';
  /** Action results per step (null where not completed). */
  readonly results: readonly unknown[];
  /** The step that failed (compensated outcome), or null. */
  readonly failedStep: number | null;
  /** Steps compensated, in the order they were. */
  readonly compensatedSteps: readonly number[];
}

/**
 * Thrown by {@link runSaga} when an action returns something that is not JSON data (it could not be logged).
 *
 * @example
 * ```ts
 * import { runSaga, SagaResultError } from 'distkit/txn';
 * // A result that cannot be logged as JSON fails the step with SagaResultError.
 * const outcome = await runSaga({ sagaId: 's', steps: [{ name: 'pay', maxAttempts: 1, action: async () => NaN, compensate: async () => {} }], retryDelayMs: 0 }).catch((e: unknown) => e);
 * new SagaResultError('pay', 'value: non-finite number NaN').message; //=> 'saga step pay: its result must be JSON data to be logged (value: non-finite number NaN)'
 * outcome instanceof SagaResultError; //=> true
 * ```
 */
export class SagaResultError extends DistkitError {
  constructor(step: string, problem: string) {
    super(`saga step ${step}: its result must be JSON data to be logged (${problem})`);
  }
}

/** Runs a step's action for an `execute` output and returns the `stepResult` input it produced. */
async function runAction(step: RunSagaOptions['steps'][number], sagaId: string, o: Extract<SagaOutput, { type: 'execute' }>): Promise<Unstamped<SagaInput>> {
  const ctx: SagaStepContext = { sagaId, step: o.step, attempt: o.attempt, idempotencyKey: o.idempotencyKey, input: o.input, result: null };
  let result: unknown;
  try {
    result = (await step.action(ctx)) ?? null;
  } catch (e) {
    return { type: 'stepResult', step: o.step, attempt: o.attempt, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  const problem = v.json()(result);
  if (problem !== undefined) throw new SagaResultError(step.name, problem);
  return { type: 'stepResult', step: o.step, attempt: o.attempt, ok: true, result };
}

/**
 * Runs a saga over real async functions with the {@link sagaOrchestrator} machine: logs every
 * record before the invocation it announces, retries failed actions with backoff under the same
 * idempotency key, compensates completed steps in reverse order after a final failure, and —
 * given a log that already holds records — resumes a crashed run exactly where it stopped.
 *
 * @example
 * ```ts
 * import { runSaga } from 'distkit/txn';
 * const outcome = await runSaga({
 *   sagaId: 'trip-1',
 *   steps: [
 *     { name: 'flight', action: async () => ({ pnr: 'X1' }), compensate: async () => {} },
 *     { name: 'hotel', action: async () => ({ room: 12 }), compensate: async () => {} },
 *   ],
 * });
 * outcome.status; //=> 'completed'
 * ```
 */
export async function runSaga(options: RunSagaOptions): Promise<SagaOutcome> {
  const config: SagaConfig = {
    sagaId: options.sagaId,
    steps: options.steps.map((s) => (s.maxAttempts === undefined ? { name: s.name } : { name: s.name, maxAttempts: s.maxAttempts })),
    ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
  };
  const records: SagaLogRecord[] = [];
  const log: SagaLog = options.log ?? { read: () => records, append: (r) => void records.push(r) };
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const m = sagaOrchestrator;
  const prior = await log.read();
  let state: SagaState;
  const pending: Unstamped<SagaInput>[] = [];
  if (prior.length === 0) {
    state = m.init(config);
    pending.push({ type: 'start', input: options.input ?? null });
  } else {
    let d = m.durable(m.init(config));
    for (const r of prior) d = applySagaRecord(d, r);
    state = m.recover(config, d);
  }
  const t0 = clock.now();
  const now = (): number => Math.max(0, clock.now() - t0);
  for (;;) {
    if (state.status === 'completed' || state.status === 'compensated') {
      return { status: state.status, results: state.results, failedStep: state.failedStep, compensatedSteps: state.compensated };
    }
    const next = pending.shift();
    let input: SagaInput;
    if (next !== undefined) input = { ...next, now: now() } as SagaInput;
    else {
      const at = m.nextDeadline!(state);
      if (at === undefined) throw new DistkitError(`saga ${state.sagaId}: stuck in ${state.status} with nothing to do`);
      const wait = at - now();
      if (wait > 0) await new Promise<void>((resolve) => timers.setTimer(wait, resolve));
      input = { type: 'tick', now: Math.max(at, now()) };
    }
    const t = m.step(state, input);
    state = t.state;
    for (const o of t.outputs) {
      switch (o.type) {
        case 'persist':
          for (const r of o.record) await log.append(r);
          break;
        case 'execute':
          pending.push(await runAction(options.steps[o.step]!, state.sagaId, o));
          break;
        case 'compensate': {
          const step = options.steps[o.step]!;
          const ctx: SagaStepContext = { sagaId: state.sagaId, step: o.step, attempt: o.attempt, idempotencyKey: o.idempotencyKey, input: state.input, result: o.result };
          try {
            await step.compensate(ctx);
            pending.push({ type: 'compensationResult', step: o.step, attempt: o.attempt, ok: true });
          } catch (e) {
            pending.push({ type: 'compensationResult', step: o.step, attempt: o.attempt, ok: false, error: e instanceof Error ? e.message : String(e) });
          }
          break;
        }
        case 'completed':
        case 'compensated':
        case 'rejected':
          break;
        default:
          assertNever(o, 'saga output');
      }
    }
  }
}
