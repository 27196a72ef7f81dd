import { ConfigError } from '../core/index.js';
import { BulkheadRejectedError, OperationAbortedError } from './errors.js';
import { checkNumber } from './options.js';
import { neverAborted, type AbortSignalLike, type PolicyContext } from './signals.js';
import type { Policy } from './wrap.js';

/**
 * The pure bulkhead state: calls running and calls waiting, with their limits.
 *
 * @example
 * ```ts
 * import { bulkheadCore } from 'distkit/resilience';
 * const s = bulkheadCore.init({ maxConcurrent: 2, maxQueue: 1 });
 * s.executing; //=> 0
 * ```
 */
export interface BulkheadState {
  /** Limit on running calls. */
  readonly maxConcurrent: number;
  /** Limit on waiting calls. */
  readonly maxQueue: number;
  /** Calls running. */
  readonly executing: number;
  /** Calls waiting. */
  readonly queued: number;
}

/**
 * A bulkhead decision for a new call: run now, wait in the queue, or reject.
 *
 * @example
 * ```ts
 * import type { BulkheadDecision } from 'distkit/resilience';
 * const d: BulkheadDecision = 'queue';
 * ```
 */
export type BulkheadDecision = 'run' | 'queue' | 'reject';

function bh(s: BulkheadState, executing: number, queued: number): BulkheadState {
  return { maxConcurrent: s.maxConcurrent, maxQueue: s.maxQueue, executing, queued };
}

/**
 * The pure bulkhead core (isolation of Nygard, "Release It!" §5.5): admission and release.
 *
 * @example
 * ```ts
 * import { bulkheadCore as core } from 'distkit/resilience';
 * let s = core.init({ maxConcurrent: 1, maxQueue: 0 });
 * const a = core.admit(s); // { decision: 'run', ... }
 * core.admit(a.state).decision; //=> 'reject'
 * ```
 */
export const bulkheadCore = {
  /** Validates limits (ConfigError naming the option) and returns an empty bulkhead. */
  init(settings: { readonly maxConcurrent: number; readonly maxQueue?: number }): BulkheadState {
    if (settings === null || typeof settings !== 'object') throw new ConfigError('options', 'must be an object');
    return {
      maxConcurrent: checkNumber('maxConcurrent', settings.maxConcurrent, { min: 1, integer: true }),
      maxQueue: settings.maxQueue === undefined ? 0 : checkNumber('maxQueue', settings.maxQueue, { min: 0, integer: true, infinite: true }),
      executing: 0,
      queued: 0,
    };
  },
  /** A new call arrives. */
  admit(s: BulkheadState): { readonly decision: BulkheadDecision; readonly state: BulkheadState } {
    if (s.executing < s.maxConcurrent && s.queued === 0) return { decision: 'run', state: bh(s, s.executing + 1, s.queued) };
    if (s.queued < s.maxQueue) return { decision: 'queue', state: bh(s, s.executing, s.queued + 1) };
    return { decision: 'reject', state: s };
  },
  /** A running call finished; `promoted` says whether a queued call starts in its slot. */
  release(s: BulkheadState): { readonly promoted: boolean; readonly state: BulkheadState } {
    if (s.executing <= 0) throw new RangeError('bulkhead release without a running call');
    if (s.queued > 0) return { promoted: true, state: bh(s, s.executing, s.queued - 1) };
    return { promoted: false, state: bh(s, s.executing - 1, s.queued) };
  },
  /** A queued call gave up (its signal aborted). */
  cancelQueued(s: BulkheadState): BulkheadState {
    if (s.queued <= 0) throw new RangeError('bulkhead cancel without a queued call');
    return bh(s, s.executing, s.queued - 1);
  },
};

/**
 * Limits concurrent calls, with a bounded FIFO queue; beyond both, calls reject with
 * {@link BulkheadRejectedError}.
 *
 * @example
 * ```ts
 * import { Bulkhead } from 'distkit/resilience';
 * const bulkhead = new Bulkhead({ maxConcurrent: 10, maxQueue: 100 });
 * const rows = await bulkhead.execute(() => db.query('select 1'));
 * declare const db: { query(sql: string): Promise<unknown[]> };
 * ```
 */
export class Bulkhead implements Policy {
  private state: BulkheadState;
  private readonly waiting: (() => void)[] = [];

  constructor(options: { readonly maxConcurrent: number; readonly maxQueue?: number }) {
    this.state = bulkheadCore.init(options);
  }

  /** Calls running now. */
  get executing(): number {
    return this.state.executing;
  }

  /** Calls waiting now. */
  get queued(): number {
    return this.state.queued;
  }

  /** Runs `fn` when a slot is free; rejects with BulkheadRejectedError when running and queue are full. */
  async execute<T>(fn: (context: PolicyContext) => T | PromiseLike<T>, signal?: AbortSignalLike): Promise<T> {
    const a = bulkheadCore.admit(this.state);
    if (a.decision === 'reject') throw new BulkheadRejectedError(this.state.executing, this.state.maxQueue);
    this.state = a.state;
    if (a.decision === 'queue') await this.wait(signal);
    try {
      return await fn({ signal: signal ?? neverAborted, attempt: 1 });
    } finally {
      const r = bulkheadCore.release(this.state);
      this.state = r.state;
      if (r.promoted) this.waiting.shift()?.();
    }
  }

  private wait(signal: AbortSignalLike | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal === undefined) {
        this.waiting.push(resolve);
        return;
      }
      const onAbort = (): void => {
        const i = this.waiting.indexOf(wake);
        if (i >= 0) {
          this.waiting.splice(i, 1);
          this.state = bulkheadCore.cancelQueued(this.state);
          reject(new OperationAbortedError(signal.reason));
        }
      };
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal.aborted) {
        this.state = bulkheadCore.cancelQueued(this.state);
        reject(new OperationAbortedError(signal.reason));
        return;
      }
      this.waiting.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
