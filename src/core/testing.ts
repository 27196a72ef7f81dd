import type { Machine, Transition } from './machine.js';
import { plainDataProblem } from './validate.js';
import { DistkitError } from './errors.js';

/**
 * Recursively freezes a value in place and returns it. Machines' tests freeze states before
 * stepping, so any mutation of an input state throws in strict mode.
 *
 * @example
 * ```ts
 * import { deepFreeze } from 'distkit/core';
 * const s = deepFreeze({ log: [{ term: 1 }] });
 * Object.isFrozen(s.log[0]); //=> true
 * ```
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * Thrown by {@link checkedStep} when a machine breaks its contract.
 *
 * @example
 * ```ts
 * import { ContractViolation } from 'distkit/core';
 * new ContractViolation('raft', 'state: non-finite number NaN').message;
 * ```
 */
export class ContractViolation extends DistkitError {
  constructor(machine: string, problem: string) {
    super(`machine ${machine} broke its contract: ${problem}`);
  }
}

/**
 * Steps a machine the strict way, for tests: deep-freezes the state and input first (so a mutation
 * throws), then checks that the new state and outputs are plain JSON data and that a transition
 * carrying a `rejected` output and nothing else keeps the very same state object.
 *
 * @example
 * ```ts
 * import { checkedStep, type Machine } from 'distkit/core';
 * declare const m: Machine<{}, { n: number }, { type: 'tick'; now: number }, never>;
 * const t = checkedStep(m, { n: 0 }, { type: 'tick', now: 1 });
 * ```
 */
export function checkedStep<C, S, I, O>(machine: Machine<C, S, I, O>, state: S, input: I): Transition<S, O> {
  deepFreeze(state);
  deepFreeze(input);
  const t = machine.step(state, input);
  const sp = plainDataProblem(t.state, 'state');
  if (sp !== undefined) throw new ContractViolation(machine.name, sp);
  const op = plainDataProblem(t.outputs, 'outputs');
  if (op !== undefined) throw new ContractViolation(machine.name, op);
  const onlyRejected =
    t.outputs.length > 0 && t.outputs.every((o) => (o as { type?: unknown }).type === 'rejected');
  if (onlyRejected && t.state !== state) {
    throw new ContractViolation(machine.name, 'a rejected input changed the state');
  }
  return t;
}
