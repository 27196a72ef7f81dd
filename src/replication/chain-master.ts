/**
 * The master of chain replication (van Renesse & Schneider, OSDI 2004, §3): it detects failed
 * replicas by heartbeat timeouts, removes them from the chain, adds new replicas at the tail, and
 * numbers each configuration with an epoch.
 *
 * @packageDocumentation
 */
import type { DurableMachine, MessageInput, NodeId, PersistOutput, RejectedOutput, SendOutput, TickInput, Timer, Transition } from '../core/index.js';
import { ConfigError, checkMembers, getOwn, parse, positiveMs, reject, send, startTimer, stepByType, timerDeadline, timerDue, transition, withOwn } from '../core/index.js';
import { CHAIN_LIMITS, heartbeatCheck, type ChainMember, type ChainMessage, type ChainView } from './chain-types.js';

/**
 * Configuration of a {@link chainMaster}.
 *
 * @example
 * ```ts
 * import type { ChainMasterConfig } from 'distkit/replication';
 * const c: ChainMasterConfig = { id: 'm', replicas: ['a', 'b', 'c'], failureTimeoutMs: 500 };
 * ```
 */
export interface ChainMasterConfig {
  /** The master's id. */
  readonly id: NodeId;
  /** Every replica that may serve, in the order of the initial chain (head first). */
  readonly replicas: readonly NodeId[];
  /** How many of `replicas` form the initial chain (default all). */
  readonly initial?: number;
  /**
   * A replica silent this long (ms) is removed. Must exceed the replicas' `leaseMs` plus any
   * clock drift over it, so a removed replica has stopped serving. Default 500.
   */
  readonly failureTimeoutMs?: number;
  /** How often the master looks for silent replicas (ms). Default 50. */
  readonly checkMs?: number;
}

/**
 * State of a {@link chainMaster} (plain data).
 *
 * @example
 * ```ts
 * import { chainMaster } from 'distkit/replication';
 * chainMaster.init({ id: 'm', replicas: ['a', 'b'] }).view.epoch; //=> 1
 * ```
 */
export interface ChainMasterState {
  readonly id: NodeId;
  readonly replicas: readonly NodeId[];
  readonly failureTimeoutMs: number;
  readonly checkMs: number;
  /** The current configuration. */
  readonly view: ChainView;
  /** When each replica was last heard from (master's clock). */
  readonly heard: Readonly<Record<NodeId, number>>;
  readonly timer: Timer;
}

/**
 * The durable part of a {@link chainMaster}: its current view (a master that forgot an epoch
 * could hand out the same one twice).
 *
 * @example
 * ```ts
 * import type { ChainMasterDurable } from 'distkit/replication';
 * const d: ChainMasterDurable = { view: { epoch: 1, chain: [{ id: 'a', incarnation: null, since: 1 }], joining: null } };
 * ```
 */
export interface ChainMasterDurable {
  readonly view: ChainView;
}

/**
 * Inputs of a {@link chainMaster}: replica heartbeats and ticks.
 *
 * @example
 * ```ts
 * import type { ChainMasterInput } from 'distkit/replication';
 * const i: ChainMasterInput = { type: 'tick', now: 100 };
 * ```
 */
export type ChainMasterInput = MessageInput<unknown> | TickInput;

/**
 * Outputs of a {@link chainMaster}: the persisted view, config messages, rejections, and a
 * `reconfigured` event saying why the view changed.
 *
 * @example
 * ```ts
 * import type { ChainMasterOutput } from 'distkit/replication';
 * const o: ChainMasterOutput = { type: 'reconfigured', epoch: 2, reason: 'b failed', chain: ['a', 'c'], joining: null };
 * ```
 */
export type ChainMasterOutput =
  | SendOutput<ChainMessage>
  | PersistOutput<ChainMasterDurable>
  | RejectedOutput
  | { readonly type: 'reconfigured'; readonly epoch: number; readonly reason: string; readonly chain: readonly NodeId[]; readonly joining: NodeId | null };

type S = ChainMasterState;
type O = ChainMasterOutput;
type T = Transition<S, O>;

/** The checked options of a master: the replicas (none of them a master), the initial view, the timeouts. */
export function masterOptions(masters: readonly NodeId[], config: Omit<ChainMasterConfig, 'id'>): Pick<S, 'replicas' | 'failureTimeoutMs' | 'checkMs'> & { readonly start: ChainView } {
  const listed = Array.isArray(config.replicas) ? config.replicas : [];
  const replicas = checkMembers(masters[0]!, [...masters, ...listed], 'replicas').filter((r) => !masters.includes(r));
  if (replicas.length === 0 || replicas.length > CHAIN_LIMITS.maxChain) throw new ConfigError('replicas', `must list 1..${CHAIN_LIMITS.maxChain} replicas other than the master`);
  const initial = config.initial ?? replicas.length;
  if (!Number.isInteger(initial) || initial < 1 || initial > replicas.length) throw new ConfigError('initial', `must be an integer in 1..${replicas.length}`);
  const failureTimeoutMs = positiveMs('failureTimeoutMs', config.failureTimeoutMs, 500);
  const checkMs = positiveMs('checkMs', config.checkMs, 50);
  const start: ChainView = { epoch: 1, chain: replicas.slice(0, initial).map((id) => ({ id, incarnation: null, since: 1 })), joining: null };
  return { replicas, failureTimeoutMs, checkMs, start };
}

function fresh(config: ChainMasterConfig, view: ChainView | undefined): S {
  const { start, ...options } = masterOptions([config.id], config);
  return { id: config.id, ...options, view: view ?? start, heard: {}, timer: startTimer(0, 0) };
}

/**
 * The master of chain replication (van Renesse & Schneider 2004, §3), the configuration service
 * that hands out epochs. It removes a replica it has not heard from in `failureTimeoutMs`, or that
 * restarted (a new incarnation: its store is gone), keeping at least one replica that holds the
 * state; it adds one silent-then-back or new replica at a time at the tail as `joining`, and
 * makes it the tail once it reports holding its predecessor's state. Each change bumps the epoch,
 * is persisted, then sent to every replica; each heartbeat is answered with the current view,
 * which renews the sender's lease.
 *
 * The paper replicates the master with Paxos; this machine is one node whose views are durable.
 * Its decisions are a pure function of the heartbeats it steps, so replicating it means stepping
 * it over a consensus log (distkit/consensus).
 *
 * @example
 * ```ts
 * import { chainMaster } from 'distkit/replication';
 * let m = chainMaster.init({ id: 'm', replicas: ['a', 'b'], failureTimeoutMs: 100 });
 * m = chainMaster.step(m, { type: 'tick', now: 0 }).state;
 * const t = chainMaster.step(m, { type: 'tick', now: 150 });
 * t.outputs.find((o) => o.type === 'reconfigured'); //=> { type: 'reconfigured', epoch: 2, reason: 'a failed', chain: ['b'], joining: null }
 * ```
 */
export const chainMaster: DurableMachine<ChainMasterConfig, ChainMasterState, ChainMasterInput, ChainMasterOutput, ChainMasterDurable> = {
  name: 'chain-master',
  init: (config) => fresh(config, undefined),
  step: (state, input) =>
    stepByType<S, ChainMasterInput, O>(
      {
        tick: (s, _i, now) => (timerDue(s.timer, now) ? onCheck(s, now) : transition(s)),
        message: (s, i, now) => onHeartbeat(s, i.from, i.message, now),
      },
      state,
      input,
    ),
  nextDeadline: (state) => timerDeadline(state.timer),
  durable: (state) => ({ view: state.view }),
  recover: (config, durable) => fresh(config, durable.view),
};

const memberOf = (view: ChainView, id: NodeId): ChainMember | undefined => view.chain.find((m) => m.id === id);

/** Whether `id` can leave and a replica holding the state remains. */
function removable(view: ChainView, id: NodeId): boolean {
  return view.chain.some((m) => m.id !== id && m.id !== view.joining);
}

function reconfigure(state: S, view: ChainView, reason: string, extra: readonly O[] = []): T {
  const chain = view.chain.map((m) => m.id);
  return transition({ ...state, view }, [
    { type: 'persist', record: { view } },
    ...state.replicas.map((r) => send<ChainMessage>(r, { type: 'config', view, sentAt: null })),
    ...extra,
    { type: 'reconfigured', epoch: view.epoch, reason, chain, joining: view.joining },
  ]);
}

function without(view: ChainView, id: NodeId): ChainView {
  return { epoch: view.epoch + 1, chain: view.chain.filter((m) => m.id !== id), joining: view.joining === id ? null : view.joining };
}

/**
 * A master's decision: the next view and why (`reason` null when only a member's incarnation was
 * learned, which keeps the epoch).
 */
export interface MasterDecision {
  readonly view: ChainView;
  readonly reason: string | null;
}

/** Marks chain members never heard from as heard `now`: a master gives each a full timeout. */
export function heardAll(view: ChainView, heard: Readonly<Record<NodeId, number>>, now: number): Readonly<Record<NodeId, number>> {
  let h = heard;
  for (const m of view.chain) if (getOwn(h, m.id) === undefined) h = withOwn(h, m.id, now);
  return h;
}

/** §3: a replica silent for `failureTimeoutMs` has failed; remove it (keeping one that holds the state). */
export function decideOnCheck(view: ChainView, heard: Readonly<Record<NodeId, number>>, now: number, failureTimeoutMs: number): MasterDecision | undefined {
  const failed = view.chain.find((m) => now - (getOwn(heard, m.id) ?? now) > failureTimeoutMs && removable(view, m.id));
  return failed === undefined ? undefined : { view: without(view, failed.id), reason: `${failed.id} failed` };
}

/** §3: what a heartbeat from replica `from` changes: a join at the tail, a restart, a joined tail. */
export function decideOnHeartbeat(view: ChainView, from: NodeId, hb: { readonly incarnation: number; readonly epoch: number; readonly synced: boolean }): MasterDecision | undefined {
  const member = memberOf(view, from);
  if (member === undefined) {
    // §3 extending a chain: one new replica at a time joins at the tail.
    if (view.joining !== null || view.chain.length >= CHAIN_LIMITS.maxChain) return undefined;
    return { view: { epoch: view.epoch + 1, chain: [...view.chain, { id: from, incarnation: hb.incarnation, since: view.epoch + 1 }], joining: from }, reason: `${from} joins at the tail` };
  }
  if (member.incarnation === null) return { view: { ...view, chain: view.chain.map((m) => (m.id === from ? { ...m, incarnation: hb.incarnation } : m)) }, reason: null };
  if (member.incarnation !== hb.incarnation) {
    // It restarted and lost its store: it leaves, and may come back as a new replica.
    return removable(view, from) ? { view: without(view, from), reason: `${from} restarted` } : undefined;
  }
  if (view.joining === from && hb.epoch === view.epoch && hb.synced) return { view: { ...view, epoch: view.epoch + 1, joining: null }, reason: `${from} holds the state and becomes the tail` };
  return undefined;
}

function onCheck(state: S, now: number): T {
  const s: S = { ...state, heard: heardAll(state.view, state.heard, now), timer: startTimer(now, state.checkMs) };
  const d = decideOnCheck(s.view, s.heard, now, s.failureTimeoutMs);
  return d === undefined ? transition(s) : reconfigure(s, d.view, d.reason!);
}

function onHeartbeat(state: S, from: NodeId, message: unknown, now: number): T {
  if (!state.replicas.includes(from)) return reject(state, from, 'heartbeat from a node that is not a replica');
  const parsed = parse(heartbeatCheck, message, 'message');
  if (!parsed.ok) return reject(state, from, parsed.problem);
  const hb = parsed.value;
  const s: S = { ...state, heard: withOwn(state.heard, from, now) };
  const d = decideOnHeartbeat(s.view, from, hb);
  if (d === undefined) return transition(s, [send<ChainMessage>(from, { type: 'config', view: s.view, sentAt: hb.sentAt })]);
  if (d.reason !== null) return reconfigure(s, d.view, d.reason);
  return transition({ ...s, view: d.view }, [{ type: 'persist', record: { view: d.view } }, send<ChainMessage>(from, { type: 'config', view: d.view, sentAt: hb.sentAt })]);
}
