/**
 * The one runtime that applies a transition, shared by every host: `createNode`, the simulator,
 * the model checker and the test environment. It checks the shape of a transition, separates its
 * effects in the order the contract fixes (persist first, then sends, then events), keeps the
 * durable image a crash restarts from, and stamps the host's time on inputs.
 *
 * @packageDocumentation
 */
import { ContractViolation } from './errors.js';
import type { Machine, NodeId, SendOutput, Transition } from './machine.js';

/**
 * A transition split into the effects a host performs, in the contract's order: make `persist`
 * durable (when present), then deliver `sends`, then hand `events` to the application.
 *
 * @example
 * ```ts
 * import type { Effects } from 'distkit/core';
 * declare const e: Effects<{ term: number }, unknown>;
 * if (e.persist) e.persist.record; // write and sync this before delivering e.sends
 * ```
 */
export interface Effects<S, O> {
  /** The next state. */
  readonly state: S;
  /** Every output, as the machine returned them. */
  readonly outputs: readonly O[];
  /** The transition's `persist` output, if it has one (at most one per transition). */
  readonly persist: { readonly record: unknown; readonly onDurable?: unknown } | undefined;
  /** The `send` outputs, in order. */
  readonly sends: readonly SendOutput[];
  /** Every other output (events, `rejected` ...), in order. */
  readonly events: readonly O[];
}

/**
 * Applies one input: calls `machine.step`, checks that the transition has the contract's shape
 * (an array of outputs, each an object with a string `type`; a `send` has a string `to`; at most
 * one `persist`, and it comes before every `send`) and splits it into {@link Effects}.
 *
 * Whatever `step` throws propagates: for a peer's message that is a broken contract, for a local
 * command a typed error the host reports to its caller.
 *
 * @throws ContractViolation when the transition is malformed.
 * @example
 * ```ts
 * import { applyStep, type Machine } from 'distkit/core';
 * const echo: Machine<null, null, { type: 'message'; from: string; message: unknown; now: number }, unknown> = {
 *   name: 'echo',
 *   init: () => null,
 *   step: (s, i) => ({ state: s, outputs: [{ type: 'send', to: i.from, message: i.message }] }),
 * };
 * applyStep(echo, null, { type: 'message', from: 'b', message: 'hi', now: 0 }).sends;
 * //=> [{ type: 'send', to: 'b', message: 'hi' }]
 * ```
 */
export function applyStep<C, S, I, O>(machine: Machine<C, S, I, O>, state: S, input: I): Effects<S, O> {
  const t = machine.step(state, input) as Transition<S, O> | undefined;
  return splitTransition(machine.name, t);
}

/**
 * Checks a transition's shape and splits it into {@link Effects} (see {@link applyStep}).
 *
 * @throws ContractViolation naming the machine and the problem.
 * @example
 * ```ts
 * import { splitTransition } from 'distkit/core';
 * splitTransition('m', { state: 1, outputs: [{ type: 'persist', record: 1 }, { type: 'done' }] }).events;
 * //=> [{ type: 'done' }]
 * ```
 */
export function splitTransition<S, O>(name: string, t: Transition<S, O> | undefined): Effects<S, O> {
  if (t === null || typeof t !== 'object') throw new ContractViolation(name, `step returned ${t === null ? 'null' : typeof t}, not a transition`);
  const outputs = t.outputs;
  if (!Array.isArray(outputs)) throw new ContractViolation(name, 'transition.outputs is not an array');
  if (outputs.length === 0) return { state: t.state, outputs, persist: undefined, sends: NONE, events: NONE as readonly O[] };
  // One pass checks the shape and counts; the common transitions (only sends, or only events)
  // then reuse the outputs array instead of allocating.
  let persist: { readonly record: unknown; readonly onDurable?: unknown } | undefined;
  let sendCount = 0;
  for (let k = 0; k < outputs.length; k++) {
    const o = outputs[k] as { type?: unknown; to?: unknown; record?: unknown } | null;
    if (o === null || typeof o !== 'object' || typeof o.type !== 'string') {
      throw new ContractViolation(name, `outputs[${k}] is not an object with a string type`);
    }
    if (o.type === 'send') {
      if (typeof o.to !== 'string') throw new ContractViolation(name, `outputs[${k}]: send without a string 'to'`);
      sendCount++;
    } else if (o.type === 'persist') {
      if (persist !== undefined) throw new ContractViolation(name, `outputs[${k}]: a second persist in one transition (emit one record)`);
      if (sendCount > 0) throw new ContractViolation(name, `outputs[${k}]: persist after a send (persist must come first)`);
      persist = o as { readonly record: unknown; readonly onDurable?: unknown };
    }
  }
  if (persist === undefined && sendCount === outputs.length) return { state: t.state, outputs, persist, sends: outputs as readonly SendOutput[], events: NONE };
  if (persist === undefined && sendCount === 0) return { state: t.state, outputs, persist, sends: NONE, events: outputs };
  const sends: SendOutput[] = [];
  const events: O[] = [];
  for (let k = 0; k < outputs.length; k++) {
    const o = outputs[k] as { type: string };
    if (o.type === 'send') sends.push(o as unknown as SendOutput);
    else if (o.type !== 'persist') events.push(o as O);
  }
  return { state: t.state, outputs, persist, sends, events };
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * The durable side of a machine, as the runtime sees it (`durable`, `recover`, `applyPersist`
 * from `DurableMachine`, all optional here).
 *
 * @example
 * ```ts
 * import type { MaybeDurable } from 'distkit/core';
 * const plain: MaybeDurable<null, null> = {};
 * ```
 */
export interface MaybeDurable<C, S> {
  /** The part of the state that must survive a crash. */
  durable?(state: S): unknown;
  /** Rebuilds a state from a durable image after a crash. */
  recover?(config: C, durable: never): S;
  /** Folds one persist record into the durable image. */
  applyPersist?(durable: never, record: unknown): unknown;
}

/**
 * The durable image of a fresh node: `durable(state)` for a durable machine, `undefined` for one
 * without (it restarts from `init`).
 *
 * @example
 * ```ts
 * import { initialImage } from 'distkit/core';
 * initialImage({ durable: (s: { term: number }) => ({ term: s.term }) }, { term: 0 }); //=> { term: 0 }
 * ```
 */
export function initialImage<C, S>(machine: MaybeDurable<C, S>, state: S): unknown {
  return machine.durable ? machine.durable(state) : undefined;
}

/**
 * Folds a `persist` record into the durable image stable storage holds: the machine's
 * `applyPersist`, or the record itself when the machine has none (each record is the whole image).
 * `image` is `undefined` while nothing has been persisted; a delta record then folds into
 * `fresh()`, the durable part of the node's initial state (an empty disk).
 *
 * @example
 * ```ts
 * import { foldPersist } from 'distkit/core';
 * foldPersist({}, { term: 1 }, { term: 2 }); //=> { term: 2 }
 * const log = { applyPersist: (d: number[], r: number) => [...d, r] };
 * foldPersist(log, undefined, 7, () => []); //=> [7]
 * ```
 */
export function foldPersist<C, S>(machine: MaybeDurable<C, S>, image: unknown, record: unknown, fresh?: () => unknown): unknown {
  if (!machine.applyPersist) return record;
  return machine.applyPersist((image === undefined && fresh ? fresh() : image) as never, record);
}

/**
 * The state a crashed node restarts in: `recover(config, image)` for a durable machine that has
 * persisted something (the image being what its persists made durable, never its last in-memory
 * state), `init(config)` otherwise. One crash rule for every host.
 *
 * @example
 * ```ts
 * import { restartState } from 'distkit/core';
 * const m = { init: () => ({ term: 0, votes: 0 }), recover: (_c: null, d: { term: number }) => ({ term: d.term, votes: 0 }) };
 * restartState(m, null, { term: 4 }); //=> { term: 4, votes: 0 }
 * ```
 */
export function restartState<C, S>(
  machine: Pick<Machine<C, S, unknown, unknown>, 'init'> & MaybeDurable<C, S>,
  config: C,
  image: unknown,
): S {
  if (machine.recover && image !== undefined) return machine.recover(config, image as never);
  return machine.init(config);
}

/**
 * Stamps the host's time on an input that lacks it (a local command given without `now`); an
 * input that already has `now` keeps it.
 *
 * @example
 * ```ts
 * import { stampNow } from 'distkit/core';
 * stampNow({ type: 'request' }, 40); //=> { type: 'request', now: 40 }
 * ```
 */
export function stampNow<I>(input: I, now: number): I {
  if (input === null || typeof input !== 'object') return input;
  if ((input as { now?: unknown }).now !== undefined) return input;
  return { ...(input as object), now } as I;
}

/**
 * A message input for node `to`'s machine, stamped with the receiving host's time.
 *
 * @example
 * ```ts
 * import { messageInput } from 'distkit/core';
 * messageInput('b', { type: 'ping' }, 7); //=> { type: 'message', from: 'b', message: { type: 'ping' }, now: 7 }
 * ```
 */
export function messageInput(from: NodeId, message: unknown, now: number): { type: 'message'; from: NodeId; message: unknown; now: number } {
  return { type: 'message', from, message, now };
}
