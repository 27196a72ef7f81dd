import { DistkitError } from '../core/index.js';

/**
 * A call was refused because the circuit is open (or half-open with every probe slot taken).
 * `retryAfterMs` says when a call may be admitted again (a hint: `Infinity` while isolated).
 *
 * @example
 * ```ts
 * import { BrokenCircuitError } from 'distkit/resilience';
 * const e = new BrokenCircuitError('open', 1500);
 * e.retryAfterMs; //=> 1500
 * ```
 */
export class BrokenCircuitError extends DistkitError {
  /** The circuit state that refused the call. */
  readonly circuit: 'open' | 'half-open' | 'isolated';
  /** Milliseconds until the breaker may admit a call again. */
  readonly retryAfterMs: number;
  constructor(circuit: 'open' | 'half-open' | 'isolated', retryAfterMs: number, message?: string) {
    super(
      message ??
        (circuit === 'half-open'
          ? `circuit is half-open and every probe slot is taken; retry in ${Math.ceil(retryAfterMs)} ms`
          : `circuit is open; retry in ${Math.ceil(retryAfterMs)} ms`),
    );
    this.circuit = circuit;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A call was refused because the circuit was isolated by hand ({@link CircuitBreaker.isolate}).
 *
 * @example
 * ```ts
 * import { IsolatedCircuitError, BrokenCircuitError } from 'distkit/resilience';
 * new IsolatedCircuitError() instanceof BrokenCircuitError; //=> true
 * ```
 */
export class IsolatedCircuitError extends BrokenCircuitError {
  constructor() {
    super('isolated', Number.POSITIVE_INFINITY, 'circuit is isolated by hand; release every isolation to close it');
  }
}

/**
 * A bulkhead refused a call: every execution slot and every queue slot is taken.
 *
 * @example
 * ```ts
 * import { BulkheadRejectedError } from 'distkit/resilience';
 * new BulkheadRejectedError(10, 0).message; //=> 'bulkhead is full: 10 running, 0 queue slots'
 * ```
 */
export class BulkheadRejectedError extends DistkitError {
  /** Calls running when the call was refused. */
  readonly executing: number;
  /** Queue capacity when the call was refused. */
  readonly queueCapacity: number;
  constructor(executing: number, queueCapacity: number) {
    super(`bulkhead is full: ${executing} running, ${queueCapacity} queue slots`);
    this.executing = executing;
    this.queueCapacity = queueCapacity;
  }
}

/**
 * A rate limiter refused a call; `retryAfterMs` is exactly when the same request would conform.
 *
 * @example
 * ```ts
 * import { RateLimitedError } from 'distkit/resilience';
 * new RateLimitedError(250).retryAfterMs; //=> 250
 * ```
 */
export class RateLimitedError extends DistkitError {
  /** Milliseconds until the request would be admitted (`Infinity` if it never can be). */
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number, key?: string) {
    super(`rate limit exceeded${key === undefined ? '' : ` for key ${JSON.stringify(key)}`}; retry in ${Math.ceil(retryAfterMs)} ms`);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A call ran past its deadline ({@link Timeout}).
 *
 * @example
 * ```ts
 * import { TaskTimeoutError } from 'distkit/resilience';
 * new TaskTimeoutError(100).timeoutMs; //=> 100
 * ```
 */
export class TaskTimeoutError extends DistkitError {
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`operation timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * An operation was cancelled through its `AbortSignal`.
 *
 * @example
 * ```ts
 * import { OperationAbortedError } from 'distkit/resilience';
 * new OperationAbortedError().message; //=> 'operation aborted'
 * ```
 */
export class OperationAbortedError extends DistkitError {
  constructor(reason?: unknown) {
    super(reason === undefined ? 'operation aborted' : `operation aborted: ${String(reason)}`);
  }
}

/**
 * No node can take the request: every node is unhealthy, draining or absent.
 *
 * @example
 * ```ts
 * import { NoNodeAvailableError } from 'distkit/resilience';
 * new NoNodeAvailableError('3 nodes, all unhealthy').message;
 * ```
 */
export class NoNodeAvailableError extends DistkitError {
  constructor(detail: string) {
    super(`no node available: ${detail}; mark a node healthy or add one`);
  }
}

/**
 * A resource request fits on no node. `resource` names the resource that is short everywhere
 * (the one whose largest free amount falls furthest below the request).
 *
 * @example
 * ```ts
 * import { InsufficientResourcesError } from 'distkit/resilience';
 * new InsufficientResourcesError('t1', 'memory', 8, 4).resource; //=> 'memory'
 * ```
 */
export class InsufficientResourcesError extends DistkitError {
  /** The resource that is short. */
  readonly resource: string;
  /** Amount requested. */
  readonly requested: number;
  /** Largest free amount of that resource on any eligible node. */
  readonly largestFree: number;
  constructor(taskId: string, resource: string, requested: number, largestFree: number) {
    super(`task ${JSON.stringify(taskId)} fits on no node: needs ${requested} ${resource}, at most ${largestFree} free on any node`);
    this.resource = resource;
    this.requested = requested;
    this.largestFree = largestFree;
  }
}

/**
 * No recovery handler is registered for a task type ({@link RecoveryManager}).
 *
 * @example
 * ```ts
 * import { NoRecoveryHandlerError } from 'distkit/resilience';
 * new NoRecoveryHandlerError('resize', ['import', 'export']).taskType; //=> 'resize'
 * ```
 */
export class NoRecoveryHandlerError extends DistkitError {
  /** The task type with no handler. */
  readonly taskType: string;
  constructor(taskType: string, known: readonly string[]) {
    super(
      `no recovery handler registered for task type ${JSON.stringify(taskType)}; registered: ${
        known.length === 0 ? '(none)' : known.map((k) => JSON.stringify(k)).join(', ')
      }. Call registerHandler(${JSON.stringify(taskType)}, handler) first`,
    );
    this.taskType = taskType;
  }
}
