/**
 * The frame of one Paxos step, shared by the machines: the scratch context, messages a node sends
 * to itself (handled in the same step, no network hop), checking a peer's message before any
 * handler sees it, the durable-first output order, and the options every proposer takes.
 *
 * @packageDocumentation
 */
import type { Check, DataLimits, DurableMachine, MessageInput, NodeId, RejectedOutput, SendOutput, TickInput, Transition } from '../../core/index.js';
import { ConfigError, checkObject, InvalidCommandError, PAYLOAD_LIMITS, assertNever, checkIds, inputNow, parse, positiveInt, positiveMs, reject, send, v } from '../../core/index.js';
import type { PaxosNack, PaxosOutcomeMessage, PaxosRoundConfig, PaxosRoundOptions } from './common.js';
import { requireLimits, requireOrder, senderText } from './common.js';

/** The mutable scratch of one step: the input state is never touched. */
export interface PaxosCtx<S extends { readonly id: NodeId }, M, O> {
  /** The state so far. */
  s: S;
  /** Outputs so far. */
  readonly out: O[];
  /** Messages this node sent to itself, handled within the same step. */
  readonly local: M[];
  /** The input's time: every timer started in this step counts from it. */
  readonly now: number;
}

/** A fresh context for a step from `state` at `now`. */
export function newCtx<S extends { readonly id: NodeId }, M, O>(state: S, now: number): PaxosCtx<S, M, O> {
  return { s: state, out: [], local: [], now };
}

/** What {@link sendTo} needs of a context. */
interface Outbox<M> {
  readonly s: { readonly id: NodeId };
  readonly local: M[];
  readonly out: { push(o: SendOutput<M>): number };
}

/** Sends `message` to `to`; to this node itself, it is queued for the same step. */
export function sendTo<M>(c: Outbox<M>, to: NodeId, message: M): void {
  if (to === c.s.id) c.local.push(message);
  else c.out.push(send(to, message));
}

/** Sends `message` once to each distinct node of `to`. */
export function sendAll<M>(c: Outbox<M>, to: Iterable<NodeId>, message: M): void {
  for (const n of new Set(to)) sendTo(c, n, message);
}

/** Handles the messages a node sent itself during the step, at most `limit` of them. */
export function handleLocal<C extends { readonly s: { readonly id: NodeId }; readonly local: readonly M[] }, M>(c: C, handle: (c: C, from: NodeId, m: M) => unknown, limit: number): void {
  for (let i = 0; i < c.local.length && i < limit; i++) handle(c, c.s.id, c.local[i]!);
}

/** The outputs of a step: a `persist` record, when there is one, before every send (architecture rule 6). */
export function persistFirst<S, O>(state: S, out: readonly O[], persist: O | null): Transition<S, O> {
  return { state, outputs: persist === null ? out : [persist, ...out] };
}

/**
 * Checks a peer's message before any handler sees it: a member sender other than this node, and
 * a message that passes `check`. Only the parsed copy is used and stored: undeclared fields are
 * dropped, values bounded. Returns the message, or the rejection transition.
 */
export function receive<S extends { readonly id: NodeId }, M>(
  state: S,
  input: MessageInput,
  member: (id: string) => boolean,
  check: Check<unknown>,
): { readonly from: NodeId; readonly message: M } | Transition<S, RejectedOutput> {
  const from = input.from;
  if (typeof from !== 'string' || !member(from)) return reject(state, senderText(from), `from: ${senderText(from)} is not a member`);
  if (from === state.id) return reject(state, from, 'from: a node does not message itself over the network');
  const m = parse(check, input.message, 'message');
  if (!m.ok) return reject(state, from, m.problem);
  return { from, message: m.value as M };
}

/** The message checks for given payload limits, built once for the default ones. */
export function checksByLimits<T>(build: (limits: DataLimits) => T): (limits: DataLimits) => T {
  const defaults = build(PAYLOAD_LIMITS);
  return (limits) => (limits === PAYLOAD_LIMITS ? defaults : build(limits));
}

/** The check of a {@link PaxosNack} carrying ballots that pass `ballot`. */
export function nackCheck<B>(ballot: Check<B>) {
  return v.object({ type: v.literal('nack'), ballot, promised: ballot });
}

/** The checks of a {@link PaxosNack} and the {@link PaxosOutcomeMessage}s of Basic and Fast Paxos. */
export function roundChecks<B>(ballot: Check<B>, value: Check<unknown>) {
  return { nack: nackCheck(ballot), chosen: v.object({ type: v.literal('chosen'), value }), query: v.object({ type: v.literal('query') }) };
}

/**
 * A durable Paxos machine from its parts: `init` and `recover` are one function of the config and
 * the durable record (`null` for a fresh node).
 */
export function durableMachine<C, S, I, O, D>(
  name: string,
  initState: (config: C, durable: D | null) => S,
  step: (state: S, input: I) => Transition<S, O>,
  nextDeadline: (state: S) => number | undefined,
  durable: (state: S) => D,
): DurableMachine<C, S, I, O, D> & { nextDeadline(state: S): number | undefined } {
  return { name, init: (config) => initState(config, null), step, nextDeadline, durable, recover: (config, d) => initState(config, d) };
}

/** The value of a local `propose` command: JSON data within `limits`, else {@link InvalidCommandError}. */
export function proposedValue(raw: unknown, limits: DataLimits): unknown {
  if (raw === undefined) throw new InvalidCommandError('propose', 'value: must be JSON data');
  const parsed = parse(v.json(limits), raw, 'value');
  if (!parsed.ok) throw new InvalidCommandError('propose', parsed.problem);
  return parsed.value;
}

/** Checks {@link PaxosRoundConfig} with its defaults; throws {@link ConfigError} naming the field. */
export function roundOptions(config: PaxosRoundConfig, maxLearnerBallots: number): PaxosRoundOptions {
  const phaseTimeoutMs = positiveMs('phaseTimeoutMs', config.phaseTimeoutMs, 100);
  const backoffMinMs = positiveMs('backoffMinMs', config.backoffMinMs, 10);
  const backoffMaxMs = positiveMs('backoffMaxMs', config.backoffMaxMs, 500);
  requireOrder('backoffMinMs', backoffMinMs, 'backoffMaxMs', backoffMaxMs);
  return {
    phaseTimeoutMs,
    backoffMinMs,
    backoffMaxMs,
    learnerRetryMs: positiveMs('learnerRetryMs', config.learnerRetryMs, 200),
    payloadLimits: requireLimits('payloadLimits', config.payloadLimits),
    maxLearnerBallots: positiveInt('maxLearnerBallots', config.maxLearnerBallots, maxLearnerBallots),
  };
}

/** Throws {@link ConfigError} unless `config` is an object. */
export function checkConfigObject(config: unknown): void {
  checkObject('config', config);
}

/** The role lists a node is configured with: `learners` and `proposers` default to the acceptors. */
export function roleLists(config: { readonly learners?: unknown; readonly proposers?: unknown }, acceptors: readonly NodeId[]): { learners: readonly NodeId[]; proposers: readonly NodeId[] } {
  return {
    learners: config.learners === undefined ? acceptors : checkIds('learners', config.learners, { allowEmpty: true }),
    proposers: config.proposers === undefined ? acceptors : checkIds('proposers', config.proposers, { allowEmpty: true }),
  };
}

/** The state fields the step frame of Basic and Fast Paxos reads. */
interface RoundState {
  readonly id: NodeId;
  readonly payloadLimits: DataLimits;
  readonly started: boolean;
}

/** What a Basic or Fast Paxos node plugs into {@link roundStep}. */
export interface RoundParts<S extends RoundState, M, O> {
  /** Whether `id` plays any role in the configuration. */
  member(state: S, id: string): boolean;
  /** The check of a peer's message, for the state's payload limits. */
  messageCheck(limits: DataLimits): Check<unknown>;
  /** Applies one valid message other than `chosen` and `query`: the reason it cannot be used, or `undefined`. */
  handle(c: PaxosCtx<S, M, O>, from: NodeId, m: Exclude<M, PaxosOutcomeMessage>): string | undefined;
  /** Applies a `chosen` message: the reason it cannot be used, or `undefined`. */
  chosen(c: PaxosCtx<S, M, O>, value: unknown): string | undefined;
  /** The chosen value, boxed, when this node knows it. */
  knownChosen(state: S): { readonly value: unknown } | null;
  /** Whether this node may take a `propose` command. */
  proposes(state: S): boolean;
  /** Starts the node's timers at its first input (the state is already marked started). */
  start(c: PaxosCtx<S, M, O>): void;
  /** Fires the timers that are due. */
  tick(c: PaxosCtx<S, M, O>): void;
  /** The local `propose` command, its value checked, while no value is known to be chosen. */
  propose(c: PaxosCtx<S, M, O>, value: unknown): void;
  /** The `persist` output when the durable part of `next` differs from `prev`'s, else `null`. */
  persist(prev: S, next: S): O | null;
}

/**
 * One step of Basic or Fast Paxos: a peer's message is checked ({@link receive}) and handled, or
 * rejected with the state untouched; a tick fires due timers. The first input of any kind starts the node's timers from its `now`.
 * Messages to self are handled within the step (at most 10 000), and a `persist` output comes
 * before the sends (architecture rule 6).
 */
export function roundStep<S extends RoundState, M, O>(
  parts: RoundParts<S, M, O>,
  state: S,
  input: MessageInput | TickInput | { readonly type: 'propose'; readonly value: unknown; readonly now: number },
): Transition<S, O | RejectedOutput> {
  const c = newCtx<S, M, O>(state, inputNow(input));
  switch (input.type) {
    case 'message': {
      const m = receive<S, M>(state, input, (id) => parts.member(state, id), parts.messageCheck(state.payloadLimits));
      if ('state' in m) return m;
      const reason = dispatch(parts, c, m.from, m.message);
      if (reason !== undefined) return reject(state, m.from, reason);
      break;
    }
    case 'tick':
      startOnce(parts, c);
      parts.tick(c);
      if (c.s === state && c.out.length === 0) return { state, outputs: [] };
      break;
    case 'propose': {
      if (!parts.proposes(state)) throw new InvalidCommandError('propose', `node ${state.id} is not a proposer (see config.proposers)`);
      const value = proposedValue(input.value, state.payloadLimits);
      const known = parts.knownChosen(state);
      // A value already chosen is the answer to every proposal (PMS §2.1: only one is chosen).
      if (known !== null) c.out.push({ type: 'decided', value: known.value } as O);
      else parts.propose(c, value);
      break;
    }
    default:
      return assertNever(input, 'input');
  }
  startOnce(parts, c);
  handleLocal(c, (cc, from, m: M) => dispatch(parts, cc, from, m), 10_000);
  return persistFirst<S, O>(c.s, c.out, parts.persist(state, c.s));
}

/** Routes a message: the outcome messages here, the others to the machine. */
function dispatch<S extends RoundState, M, O>(parts: RoundParts<S, M, O>, c: PaxosCtx<S, M, O>, from: NodeId, m: M): string | undefined {
  const o = m as M & { readonly type: string; readonly value?: unknown };
  if (o.type === 'chosen') return parts.chosen(c, o.value);
  if (o.type !== 'query') return parts.handle(c, from, m as Exclude<M, PaxosOutcomeMessage>);
  // Answer a query with the chosen value when this node knows it.
  const known = parts.knownChosen(c.s);
  // M includes PaxosOutcomeMessage and O its send output (RoundParts' machines: Basic and Fast Paxos).
  if (known !== null) sendTo<M>(c as unknown as Outbox<M>, from, { type: 'chosen', value: known.value } as M);
  return undefined;
}

function startOnce<S extends RoundState, M, O>(parts: RoundParts<S, M, O>, c: PaxosCtx<S, M, O>): void {
  if (c.s.started) return;
  c.s = { ...c.s, started: true };
  parts.start(c);
}
