import type { Machine, Transition } from './machine.js';
import { plainDataProblem } from './validate.js';
import { ContractViolation, InvalidCommandError } from './errors.js';
import { foldPersist, splitTransition, type MaybeDurable } from './runtime.js';

/**
 * Recursively freezes a value in place and returns it. Machines' tests freeze states before
 * stepping, so any mutation of an input state throws in strict mode. Iterative: any depth.
 *
 * @example
 * ```ts
 * import { deepFreeze } from 'distkit/core';
 * const s = deepFreeze({ log: [{ term: 1 }] });
 * Object.isFrozen(s.log[0]); //=> true
 * ```
 */
export function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x === null || typeof x !== 'object' || Object.isFrozen(x)) continue;
    Object.freeze(x);
    for (const key of Object.keys(x)) stack.push((x as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * Structural equality of two plain-data values (key order ignored). Iterative: any depth.
 *
 * @example
 * ```ts
 * import { plainDataEqual } from 'distkit/core';
 * plainDataEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }); //=> true
 * plainDataEqual({ a: 1 }, { a: 1, b: undefined });           //=> false
 * ```
 */
export function plainDataEqual(a: unknown, b: unknown): boolean {
  const left: unknown[] = [a];
  const right: unknown[] = [b];
  while (left.length > 0) {
    const x = left.pop();
    const y = right.pop();
    if (x === y) continue;
    if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    if (kx.length !== ky.length) return false;
    for (const k of kx) {
      if (!Object.prototype.hasOwnProperty.call(y, k)) return false;
      left.push((x as Record<string, unknown>)[k]);
      right.push((y as Record<string, unknown>)[k]);
    }
  }
  return true;
}

/**
 * Steps a machine the strict way, for tests, and enforces the whole machine contract:
 *
 * - the state and input are deep-frozen first, so a mutation throws;
 * - `now` must be a finite number on every input (else the machine must throw
 *   `InvalidCommandError`, and so must it for an unknown local input type);
 * - the transition has the runtime's shape: outputs are objects with a string `type`, at most
 *   one `persist`, and it comes before every `send` (see `applyStep`);
 * - the new state and the outputs are plain JSON data;
 * - a transition whose only outputs are `rejected` keeps the very same state object;
 * - for a durable machine: a transition that changes `durable(state)` emits a `persist`, and
 *   `applyPersist(durable(before), record)` (or the record itself) equals `durable(after)`.
 *
 * @throws ContractViolation naming the machine and the broken rule; whatever `step` throws.
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
  const now = (input as { now?: unknown } | null)?.now;
  const badNow = typeof now !== 'number' || !Number.isFinite(now);
  let t: Transition<S, O>;
  try {
    t = machine.step(state, input);
  } catch (e) {
    if (badNow && !(e instanceof InvalidCommandError)) {
      throw new ContractViolation(machine.name, `an input with now ${String(now)} must throw InvalidCommandError, threw ${String(e)}`);
    }
    throw e;
  }
  if (badNow) throw new ContractViolation(machine.name, `accepted an input with now ${String(now)} (must throw InvalidCommandError)`);
  const effects = splitTransition(machine.name, t);
  const sp = plainDataProblem(t.state, 'state');
  if (sp !== undefined) throw new ContractViolation(machine.name, sp);
  const op = plainDataProblem(t.outputs, 'outputs');
  if (op !== undefined) throw new ContractViolation(machine.name, op);
  const onlyRejected = t.outputs.length > 0 && effects.events.length === t.outputs.length && t.outputs.every((o) => (o as { type?: unknown }).type === 'rejected');
  if (onlyRejected && t.state !== state) {
    throw new ContractViolation(machine.name, 'a rejected input changed the state');
  }
  const d = machine as Machine<C, S, I, O> & MaybeDurable<C, S>;
  if (d.durable !== undefined) {
    const before = d.durable(state);
    const after = d.durable(t.state);
    if (effects.persist === undefined) {
      if (!plainDataEqual(before, after)) throw new ContractViolation(machine.name, 'durable(state) changed without a persist output');
    } else if (!plainDataEqual(foldPersist(d, before, effects.persist.record), after)) {
      throw new ContractViolation(machine.name, 'the persist record does not produce durable(state) (applyPersist(durable(before), record) must equal durable(after))');
    }
  }
  return t;
}
