// The simulator's entry point: validate the options, run the event loop (loop.ts) over its parts
// — network.ts, clock.ts, nodes.ts, faults.ts, workload.ts, trace.ts, stats.ts, invariants.ts —
// and report what happened.
import type { History } from '../check/index.js';
import { checkEnd } from './invariants.js';
import { Simulation } from './loop.js';
import { validateOptions } from './options.js';
import type { FinalCheck, RunEnd, SimResult, SimulateOptions, Violation } from './types.js';

/**
 * Runs a set of machines deterministically in virtual time and reports what happened.
 *
 * The simulator is a discrete-event loop over a priority queue keyed by (virtual time, sequence).
 * Each event is one of: a message delivery, a node's timer (a `tick` at the node's
 * `nextDeadline`), a local command, a fault, or a workload operation. After every input it
 * applies the machine's outputs — `send` goes through the network model (delay, loss, duplication,
 * reordering, partitions), `persist` updates the node's durable record, anything else is an event
 * recorded in the trace and passed to `onOutput` and the workload — re-arms the node's timer, and
 * checks the invariants. The first violation stops the run.
 *
 * Everything random comes from generators seeded by `options.seed`, so the same seed and options
 * always give the same trace, byte for byte (as JSON). The simulator never reads the real clock.
 *
 * A step that throws is reported as a violation of the pseudo-invariant `'step threw'`, with the
 * trace that led to it, so a crashing machine is as replayable as a wrong one.
 *
 * @throws `ConfigError` naming the field when an option is invalid (a negative rate, a loss
 * above 1, an unknown node id in a schedule...) or unknown (`network.links` where `links` was
 * meant): the data-shaped options accept only the fields their types name.
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * const result = simulate({
 *   seed: 42,
 *   nodes,
 *   network: { delay: { type: 'uniform', minMs: 1, maxMs: 20 }, loss: 0.1 },
 *   faults: [{ at: 50, fault: { type: 'crash', node: 'c' } }, { at: 400, fault: { type: 'restart', node: 'c' } }],
 *   invariants: raftSafetyInvariants(),
 *   maxTimeMs: 2000,
 * });
 * result.ok;                      //=> true
 * result.stats.messages.delivered; // how many messages arrived
 * ```
 */
export function simulate<I = unknown, O = unknown>(options: SimulateOptions<I, O>): SimResult<I, O> {
  const o = options as SimulateOptions<unknown, unknown>;
  validateOptions(o);
  const sim = new Simulation(o);
  sim.run();
  const history = (sim.workload?.history<I, O>() ?? []) as History<I, O>;
  const stats = sim.stats.summary(sim.now);
  const states = sim.nodes.finalStates();
  const violation = sim.violation ?? finalViolation(sim, { time: sim.now, nodes: sim.nodes.ids, states, history, stats, stopReason: sim.stopReason });
  const base = {
    ok: violation === undefined,
    seed: options.seed,
    nodes: sim.nodes.ids,
    stopReason: sim.stopReason,
    trace: sim.trace.result(),
    stats,
    history,
    states,
    faults: sim.faults as SimResult['faults'],
  };
  return violation === undefined ? base : { ...base, violation };
}

// A run that ends without a violation still fails when a final check does.
function finalViolation<I, O>(sim: Simulation, end: RunEnd<I, O>): Violation | undefined {
  const checks = sim.options.finalChecks as readonly FinalCheck<I, O>[] | undefined;
  const failure = checks === undefined ? undefined : checkEnd(checks, end);
  return failure === undefined ? undefined : sim.violationAt(failure.invariant, failure.message);
}
