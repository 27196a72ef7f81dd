import { ConfigError, InvalidCommandError, inputNow, reject } from '../core/index.js';
import type { MessageInput, RejectedOutput, Transition } from '../core/index.js';

/**
 * A local command of an in-process core that carries nothing but the caller's time `now` (ms,
 * monotonic clock). `LocalInput<'admit' | 'release'>` is the union of one such input per command.
 *
 * @example
 * ```ts
 * import type { LocalInput } from 'distkit/resilience';
 * const i: LocalInput<'acquire'> = { type: 'acquire', now: 1200 };
 * ```
 */
export type LocalInput<T extends string> = T extends string ? { readonly type: T; readonly now: number } : never;

/**
 * The `step` of an in-process core (breaker, retry, bulkhead, rate limiters) from its rule over
 * local inputs: every input must carry a finite `now` (else `InvalidCommandError`), and a network
 * `message` is refused with a `rejected` output, since nothing a peer sends may drive the core.
 * @internal
 */
export function localStep<S, I extends { readonly type: string }, O>(
  what: string,
  rule: (state: S, input: I, now: number) => Transition<S, O>,
): (state: S, input: I | MessageInput<unknown>) => Transition<S, O | RejectedOutput> {
  return (state, input) => {
    const now = inputNow(input);
    if (input.type === 'message') return reject(state, (input as MessageInput<unknown>).from, `the ${what} takes no peer messages`);
    return rule(state, input as I, now);
  };
}

/**
 * Runs the rule of command `command`, turning the `ConfigError` of a bad argument (which names
 * the field) into the `InvalidCommandError` of a bad command. @internal
 */
export function asCommand<T>(command: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof ConfigError) throw new InvalidCommandError(command, e.message);
    throw e;
  }
}
