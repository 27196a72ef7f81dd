// Checking: the one place invariants (after every step) and final checks (at the end) are run.
import { describeValue, type Invariant } from '../core/index.js';
import type { FinalCheck, RunEnd, SimView } from './types.js';

/** The first check that fails: its name and what it said. */
export interface Failure {
  readonly invariant: string;
  readonly message: string;
}

/** A thrown error as a one-line text. */
export function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : describeValue(e);
}

/**
 * Runs named checks in order and returns the first failure. `run` returns `undefined` when a
 * check holds; a check that throws fails with the error; a result that is not a string (from
 * untyped code) is reported as what it returned.
 */
function firstFailure<C extends { readonly name: string }>(checks: readonly C[], run: (check: C) => unknown): Failure | undefined {
  for (let k = 0; k < checks.length; k++) {
    const c = checks[k]!;
    let res: unknown;
    try {
      res = run(c);
    } catch (e) {
      return { invariant: c.name, message: `the check threw ${errorText(e)}` };
    }
    if (res !== undefined) return { invariant: c.name, message: typeof res === 'string' ? res : `returned ${describeValue(res)}` };
  }
  return undefined;
}

/** The first invariant violated by the live states (core convention: `undefined` holds). */
export function checkStep(invariants: readonly Invariant<any>[], view: SimView): Failure | undefined {
  return invariants.length === 0 ? undefined : firstFailure(invariants, (inv) => inv.check(view.states, view));
}

/** The first final check that fails at the end of a run (the core convention: `undefined` holds). */
export function checkEnd<I, O>(checks: readonly FinalCheck<I, O>[], end: RunEnd<I, O>): Failure | undefined {
  return firstFailure(checks, (fc) => fc.check(end));
}
