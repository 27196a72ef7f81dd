/**
 * What the conformance suite needs to know about one machine: how to build it, which peers it
 * talks to, and a corpus of real messages to mutate. Every machine exported by the package must
 * have a fixture (the suite enumerates the exports and fails on a machine without one).
 */
import type { AnyMachine } from '../../src/sim/index.js';

/** An input without `now` (the harness stamps it): a message from a peer or a local command. */
export type ScriptInput =
  | { readonly type: 'message'; readonly from: string; readonly message: unknown }
  | { readonly type: string; readonly [k: string]: unknown };

export interface MachineFixture {
  /** The export this fixture covers (`'raft'`), or for a factory its name (`'pbftReplica'`). */
  readonly name: string;
  /** A label when one export has several fixtures (roles, options): `'leader'`. */
  readonly variant?: string;
  /** The machine (for a factory: the machine it returned). */
  readonly machine: AnyMachine;
  /** The config of the node under test. */
  readonly config: unknown;
  /** The node's own id (a peer may forge it). */
  readonly self: string;
  /** The ids of the peers it accepts messages from. */
  readonly peers: readonly string[];
  /**
   * Input sequences from the initial state (the harness stamps `now`, advancing it by
   * `stepMs`, default 10 ms, per input). Each state along a script is a starting state for
   * fuzzing, and every message the machine sends along the way joins the corpus. Put scripts
   * here that reach the interesting roles (leader, coordinator, in the critical section ...).
   */
  readonly scripts?: readonly (readonly ScriptInput[])[];
  /** Well-formed messages this machine accepts, at least one of each type it handles. */
  readonly messages: readonly { readonly from: string; readonly message: unknown }[];
  /** Well-formed local commands (other than tick), for the fuzzer to interleave. */
  readonly commands?: readonly ScriptInput[];
  /**
   * For machines with tables a peer can grow (transactions, clients, members, keys, buffered
   * messages): the i-th message of a flood of well-formed messages with fresh ids. The suite
   * feeds 3,000 of them and requires the state's JSON to stay under `floodLimitBytes`.
   */
  readonly flood?: (i: number) => { readonly from: string; readonly message: unknown };
  /** The bound on the state's JSON length after the flood (default 256 KiB). */
  readonly floodLimitBytes?: number;
  /** Time between script inputs (ms). Default 10. */
  readonly stepMs?: number;
  /** An extra check of one node's state (its exported single-node invariants). */
  readonly stateProblem?: (state: unknown) => string | undefined;
}
