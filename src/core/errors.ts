/**
 * Base class of every error distkit throws. Errors are thrown only for local programming errors
 * (bad config, a command the host may not issue); peer input is rejected as data, never thrown.
 *
 * @example
 * ```ts
 * import { DistkitError, ConfigError } from 'distkit/core';
 * new ConfigError('nodes', 'must not be empty') instanceof DistkitError; //=> true
 * ```
 */
export class DistkitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * An invalid configuration or option. `field` names the offending option (dotted path).
 *
 * @example
 * ```ts
 * import { ConfigError } from 'distkit/core';
 * const e = new ConfigError('electionTimeoutMs', 'must be a positive integer, got -1');
 * e.message; //=> 'electionTimeoutMs: must be a positive integer, got -1'
 * e.field;   //=> 'electionTimeoutMs'
 * ```
 */
export class ConfigError extends DistkitError {
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.field = field;
  }
}

/**
 * A local command the machine cannot accept in its current state (e.g. a read on a stopped node).
 *
 * @example
 * ```ts
 * import { InvalidCommandError } from 'distkit/core';
 * throw new InvalidCommandError('release', 'this node does not hold the lock');
 * ```
 */
export class InvalidCommandError extends DistkitError {
  readonly command: string;
  constructor(command: string, problem: string) {
    super(`${command}: ${problem}`);
    this.command = command;
  }
}

/**
 * Thrown when a local clock operation would leave the exact integer range of numbers
 * (`Number.MAX_SAFE_INTEGER`) or is given an invalid node id by the local program. Every clock of
 * `distkit/clocks` throws it; a peer's clock is refused as data instead (`parse...`).
 *
 * @example
 * ```ts
 * import { ClockError } from 'distkit/core';
 * import { incrementVectorClock } from 'distkit/clocks';
 * let caught: unknown;
 * try {
 *   incrementVectorClock({ a: Number.MAX_SAFE_INTEGER }, 'a');
 * } catch (e) {
 *   caught = e;
 * }
 * caught instanceof ClockError; //=> true
 * ```
 */
export class ClockError extends DistkitError {}

/**
 * A machine broke its contract (see `checkedStep` and `applyStep`): a malformed transition, a
 * mutated input, state that is not plain data, a persist that does not match `durable` ...
 *
 * @example
 * ```ts
 * import { ContractViolation } from 'distkit/core';
 * new ContractViolation('raft', 'state: non-finite number NaN').message;
 * //=> 'machine raft broke its contract: state: non-finite number NaN'
 * ```
 */
export class ContractViolation extends DistkitError {
  constructor(machine: string, problem: string) {
    super(`machine ${machine} broke its contract: ${problem}`);
  }
}

/**
 * Exhaustiveness check for discriminated unions: a compile error when a case is missing, and an
 * {@link InvalidCommandError} if reached at run time with a value the types did not allow (a
 * host passing an input type the machine does not know is a local programming error).
 *
 * @example
 * ```ts
 * import { assertNever } from 'distkit/core';
 * type In = { type: 'a' } | { type: 'b' };
 * function handle(i: In): number {
 *   switch (i.type) {
 *     case 'a': return 1;
 *     case 'b': return 2;
 *     default: return assertNever(i, 'input');
 *   }
 * }
 * ```
 */
export function assertNever(value: never, what = 'value'): never {
  throw new InvalidCommandError(what, `unexpected ${safeString(value)}`);
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
