import { ConfigError, checkObject, InvalidCommandError, assertNever, positiveInt, nonNegativeInt } from '../core/index.js';
import type { MessageInput, RejectedOutput, Transition } from '../core/index.js';
import { localStep, type LocalInput } from './local.js';
import { BulkheadRejectedError, OperationAbortedError } from './errors.js';
import { orInfinity } from './options.js';
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
 * Inputs of the bulkhead core: a call arrives (`admit`), a running call finished (`release`), a
 * queued call gave up (`cancel`). Every input carries the caller's time `now`; a `message` from a
 * network is refused.
 *
 * @example
 * ```ts
 * import { bulkheadCore, type BulkheadInput } from 'distkit/resilience';
 * let s = bulkheadCore.init({ maxConcurrent: 1, maxQueue: 1 });
 * // One runs, one waits in the queue, the third is refused.
 * const admits: BulkheadInput[] = [{ type: 'admit', now: 0 }, { type: 'admit', now: 1 }, { type: 'admit', now: 2 }];
 * admits.map((i) => { const t = bulkheadCore.step(s, i); s = t.state; return t.outputs[0]?.type; }); //=> ['run', 'queue', 'full']
 * ```
 */
export type BulkheadInput = LocalInput<'admit' | 'release' | 'cancel'> | MessageInput<unknown>;

/**
 * Outputs of the bulkhead core: an admitted call runs now or waits in the queue, or is refused
 * (both full); on a release, the oldest queued call takes the slot (`promote`).
 *
 * @example
 * ```ts
 * import { bulkheadCore, type BulkheadOutput } from 'distkit/resilience';
 * let s = bulkheadCore.init({ maxConcurrent: 1, maxQueue: 1 });
 * s = bulkheadCore.step(s, { type: 'admit', now: 0 }).state;
 * s = bulkheadCore.step(s, { type: 'admit', now: 1 }).state;
 * // A release lets the queued call start.
 * const o: readonly BulkheadOutput[] = bulkheadCore.step(s, { type: 'release', now: 5 }).outputs;
 * o; //=> [{ type: 'promote' }]
 * ```
 */
export type BulkheadOutput =
  | { readonly type: 'run' }
  | { readonly type: 'queue' }
  | { readonly type: 'full'; readonly executing: number; readonly maxQueue: number }
  | { readonly type: 'promote' }
  | RejectedOutput;

function bh(s: BulkheadState, executing: number, queued: number): BulkheadState {
  return { maxConcurrent: s.maxConcurrent, maxQueue: s.maxQueue, executing, queued };
}

const RUN: readonly BulkheadOutput[] = [{ type: 'run' }];
const QUEUE: readonly BulkheadOutput[] = [{ type: 'queue' }];
const PROMOTE: readonly BulkheadOutput[] = [{ type: 'promote' }];
const NONE: readonly BulkheadOutput[] = [];

function rule(s: BulkheadState, input: LocalInput<'admit' | 'release' | 'cancel'>): Transition<BulkheadState, BulkheadOutput> {
  switch (input.type) {
    case 'admit':
      if (s.executing < s.maxConcurrent && s.queued === 0) return { state: bh(s, s.executing + 1, s.queued), outputs: RUN };
      if (s.queued < s.maxQueue) return { state: bh(s, s.executing, s.queued + 1), outputs: QUEUE };
      return { state: s, outputs: [{ type: 'full', executing: s.executing, maxQueue: s.maxQueue }] };
    case 'release':
      if (s.executing <= 0) throw new InvalidCommandError('release', 'no call is running');
      if (s.queued > 0) return { state: bh(s, s.executing, s.queued - 1), outputs: PROMOTE };
      return { state: bh(s, s.executing - 1, s.queued), outputs: NONE };
    case 'cancel':
      if (s.queued <= 0) throw new InvalidCommandError('cancel', 'no call is queued');
      return { state: bh(s, s.executing, s.queued - 1), outputs: NONE };
    default:
      return assertNever(input, 'input');
  }
}

/**
 * The pure bulkhead core (isolation of Nygard, "Release It!" §5.5), a machine like
 * {@link circuitBreakerCore}: admission, release and cancellation of queued calls.
 *
 * @example
 * ```ts
 * import { bulkheadCore as core } from 'distkit/resilience';
 * const s = core.init({ maxConcurrent: 1, maxQueue: 0 });
 * const a = core.step(s, { type: 'admit', now: 0 }); // runs
 * core.step(a.state, { type: 'admit', now: 1 }).outputs; //=> [{ type: 'full', executing: 1, maxQueue: 0 }]
 * ```
 */
export const bulkheadCore = {
  /** Name for traces. */
  name: 'bulkhead',
  /** Validates limits (ConfigError naming the option) and returns an empty bulkhead. */
  init(settings: { readonly maxConcurrent: number; readonly maxQueue?: number }): BulkheadState {
    checkObject('options', settings);
    return {
      maxConcurrent: positiveInt('maxConcurrent', settings.maxConcurrent),
      maxQueue: settings.maxQueue === undefined ? 0 : orInfinity(settings.maxQueue, (v) => nonNegativeInt('maxQueue', v)),
      executing: 0,
      queued: 0,
    };
  },
  /** Applies one input; pure. */
  step: localStep('bulkhead', rule),
};

/**
 * Limits concurrent calls, with a bounded FIFO queue; beyond both, calls reject with
 * {@link BulkheadRejectedError}.
 *
 * @example
 * ```ts
 * import { Bulkhead, BulkheadRejectedError } from 'distkit/resilience';
 * const bulkhead = new Bulkhead({ maxConcurrent: 2, maxQueue: 1 });
 * const slow = () => new Promise<string>((resolve) => setTimeout(() => resolve('done'), 10));
 * // Two run, one queues, the fourth is refused at once.
 * const results = await Promise.allSettled([1, 2, 3, 4].map(() => bulkhead.execute(slow)));
 * results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason instanceof BulkheadRejectedError)); //=> ['done', 'done', 'done', true]
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
    const decision = this.apply('admit');
    if (decision?.type === 'full') throw new BulkheadRejectedError(decision.executing, decision.maxQueue);
    if (decision?.type === 'queue') await this.wait(signal);
    try {
      return await fn({ signal: signal ?? neverAborted, attempt: 1 });
    } finally {
      if (this.apply('release')?.type === 'promote') this.waiting.shift()?.();
    }
  }

  /** Steps the core (the bulkhead's rule needs no time) and returns its output. */
  private apply(type: 'admit' | 'release' | 'cancel'): BulkheadOutput | undefined {
    const t = bulkheadCore.step(this.state, { type, now: 0 });
    this.state = t.state;
    return t.outputs[0];
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
          this.apply('cancel');
          reject(new OperationAbortedError(signal.reason));
        }
      };
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal.aborted) {
        this.apply('cancel');
        reject(new OperationAbortedError(signal.reason));
        return;
      }
      this.waiting.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
