/**
 * Event sourcing on top of the event store: deciders (decide / evolve / initialState), loading a
 * stream's state from a snapshot plus the events after it, catch-up subscriptions with
 * checkpoints, and projections that build read models exactly once per event.
 *
 * @packageDocumentation
 */
import { InvalidCommandError } from '../core/index.js';
import { readAll, readStream, type EventData, type EventStoreCommand, type EventStoreState, type ExpectedRevision, type RecordedEvent } from './event-store.js';

/**
 * The Decider (Chassaing, "Functional Event Sourcing Decider", 2021): `decide` turns a command and
 * the current state into new events, `evolve` folds one event into the state, from
 * `initialState`. Pure functions; the state of a stream is the fold of its events.
 *
 * @example
 * ```ts
 * import type { Decider } from 'distkit/messaging';
 * type Ev = { type: 'Deposited'; data: { amount: number } };
 * const account: Decider<{ deposit: number }, Ev, number> = {
 *   initialState: 0,
 *   decide: (c) => (c.deposit > 0 ? [{ type: 'Deposited', data: { amount: c.deposit } }] : []),
 *   evolve: (balance, e) => balance + e.data.amount,
 * };
 * account.evolve(account.initialState, { type: 'Deposited', data: { amount: 5 } }); //=> 5
 * ```
 */
export interface Decider<C, E extends EventData, S> {
  /** The state of a stream without events. */
  readonly initialState: S;
  /** The events a command produces in a state (none: the command changes nothing). */
  decide(command: C, state: S): readonly E[];
  /** The state after one event. */
  evolve(state: S, event: E): S;
}

/**
 * A stream's state at a revision, kept so that loading a long stream folds only the events after
 * it.
 *
 * @example
 * ```ts
 * import type { StreamSnapshot } from 'distkit/messaging';
 * const s: StreamSnapshot<number> = { stream: 'acct', revision: 999, state: 4200 };
 * ```
 */
export interface StreamSnapshot<S> {
  readonly stream: string;
  readonly revision: number;
  readonly state: S;
}

/**
 * A stream's state: the decider's fold of its events (from `snapshot` when given and not ahead of
 * the stream), and the revision it reflects (`'no_stream'` for a stream without events).
 *
 * @example
 * ```ts
 * import { eventStore, loadStream, type Decider } from 'distkit/messaging';
 * const counter: Decider<null, { type: 'Inc'; data: null }, number> = { initialState: 0, decide: () => [], evolve: (n) => n + 1 };
 * let s = eventStore.init({});
 * s = eventStore.apply(s, { type: 'append', stream: 'c', expected: 'any', events: [{ type: 'Inc', data: null }, { type: 'Inc', data: null }], now: 0 }).state;
 * loadStream(counter, s, 'c'); //=> { state: 2, revision: 1 }
 * loadStream(counter, s, 'c', { stream: 'c', revision: 0, state: 1 }); //=> { state: 2, revision: 1 }
 * ```
 */
export function loadStream<C, E extends EventData, S>(
  decider: Decider<C, E, S>,
  store: EventStoreState,
  stream: string,
  snapshot?: StreamSnapshot<S>,
): { readonly state: S; readonly revision: number | 'no_stream' } {
  const usable = snapshot !== undefined && snapshot.stream === stream && snapshot.revision < streamLength(store, stream);
  let state = usable ? snapshot.state : decider.initialState;
  let revision: number | 'no_stream' = usable ? snapshot.revision : 'no_stream';
  let from = usable ? snapshot.revision + 1 : 0;
  for (;;) {
    const page = readStream(store, stream, from);
    if (page.length === 0) break;
    for (const e of page) {
      state = decider.evolve(state, e as unknown as E);
      revision = e.revision;
    }
    from += page.length;
  }
  return { state, revision };
}

function streamLength(store: EventStoreState, stream: string): number {
  return Object.prototype.hasOwnProperty.call(store.streams, stream) ? store.streams[stream]!.length : 0;
}

/**
 * Runs a command through a decider against the stream's current state and returns the append to
 * submit, with the expected revision the decision was made at (optimistic concurrency: if another
 * writer got there first, the append fails with `WrongExpectedVersion`; reload and decide again).
 * `undefined` when the decider emits no events.
 *
 * @example
 * ```ts
 * import { eventStore, decideAppend, type Decider } from 'distkit/messaging';
 * const once: Decider<string, { type: 'Named'; data: string }, string | null> = {
 *   initialState: null,
 *   decide: (name, s) => (s === null ? [{ type: 'Named', data: name }] : []),
 *   evolve: (_s, e) => e.data,
 * };
 * decideAppend(once, eventStore.init({}), 'user-1', 'ada');
 * //=> { type: 'append', stream: 'user-1', expected: 'no_stream', events: [{ type: 'Named', data: 'ada' }] }
 * ```
 */
export function decideAppend<C, E extends EventData, S>(
  decider: Decider<C, E, S>,
  store: EventStoreState,
  stream: string,
  command: C,
  snapshot?: StreamSnapshot<S>,
): Omit<Extract<EventStoreCommand, { type: 'append' }>, 'now'> | undefined {
  const { state, revision } = loadStream(decider, store, stream, snapshot);
  const events = decider.decide(command, state);
  if (events.length === 0) return undefined;
  const expected: ExpectedRevision = revision;
  return { type: 'append', stream, expected, events };
}

/**
 * A snapshot of a stream's state at its current revision, built from the previous snapshot when
 * given (so the cost is the events since it). Take one every N revisions of a long stream.
 *
 * @example
 * ```ts
 * import { eventStore, snapshotStream, type Decider } from 'distkit/messaging';
 * const count: Decider<null, { type: 'E'; data: null }, number> = { initialState: 0, decide: () => [], evolve: (n) => n + 1 };
 * const s = eventStore.apply(eventStore.init({}), { type: 'append', stream: 'x', expected: 'any', events: [{ type: 'E', data: null }], now: 0 }).state;
 * snapshotStream(count, s, 'x'); //=> { stream: 'x', revision: 0, state: 1 }
 * ```
 */
export function snapshotStream<C, E extends EventData, S>(decider: Decider<C, E, S>, store: EventStoreState, stream: string, previous?: StreamSnapshot<S>): StreamSnapshot<S> | undefined {
  const { state, revision } = loadStream(decider, store, stream, previous);
  return revision === 'no_stream' ? undefined : { stream, revision, state };
}

/**
 * A catch-up subscription to the global log: `checkpoint` is the position of the last event the
 * subscriber has durably handled (-1 before the first). Persist it; after a reconnect or a
 * crash, resume from it: no event after it is missed, and only events after it can arrive again.
 *
 * @example
 * ```ts
 * import type { CatchUpSubscription } from 'distkit/messaging';
 * const sub: CatchUpSubscription = { checkpoint: -1, stream: null };
 * ```
 */
export interface CatchUpSubscription {
  readonly checkpoint: number;
  /** Only this stream's events (still in global order), or every stream when null. */
  readonly stream: string | null;
}

/**
 * The next page of a catch-up subscription: events after its checkpoint (of its stream, when it
 * has one), at most `maxCount`, and `upTo`, the position the page covers (checkpoint there once
 * the page is handled, even when a filter left it empty).
 *
 * @example
 * ```ts
 * import { eventStore, catchUp } from 'distkit/messaging';
 * let s = eventStore.init({});
 * s = eventStore.apply(s, { type: 'append', stream: 'a', expected: 'any', events: [{ type: 'E', data: 1 }], now: 0 }).state;
 * s = eventStore.apply(s, { type: 'append', stream: 'b', expected: 'any', events: [{ type: 'E', data: 2 }], now: 0 }).state;
 * const page = catchUp(s, { checkpoint: -1, stream: 'b' });
 * [page.events.map((e) => e.position), page.upTo]; //=> [[1], 1]
 * ```
 */
export function catchUp(store: EventStoreState, subscription: CatchUpSubscription, maxCount = store.options.maxReadCount): { readonly events: readonly RecordedEvent[]; readonly upTo: number } {
  const page = readAll(store, subscription.checkpoint + 1, maxCount);
  const upTo = page.length === 0 ? subscription.checkpoint : page[page.length - 1]!.position;
  const events = subscription.stream === null ? page : page.filter((e) => e.stream === subscription.stream);
  return { events, upTo };
}

/**
 * A projection: a read model built by folding events in global order (the evolve half of a
 * decider, over recorded events).
 *
 * @example
 * ```ts
 * import type { Projection } from 'distkit/messaging';
 * const perStream: Projection<Record<string, number>> = {
 *   name: 'events per stream',
 *   initialState: {},
 *   evolve: (m, e) => ({ ...m, [e.stream]: (m[e.stream] ?? 0) + 1 }),
 * };
 * ```
 */
export interface Projection<S> {
  /** Named in errors. */
  readonly name: string;
  /** The read model before any event. */
  readonly initialState: S;
  /** The read model after one event. */
  evolve(state: S, event: RecordedEvent): S;
}

/**
 * A read model together with the position of the last event folded into it. Store the two in
 * one atomic write: then a crash between writing the read model and writing the subscription's
 * checkpoint costs nothing, since events at or before `position` are skipped when they come again.
 *
 * @example
 * ```ts
 * import type { ProjectionState } from 'distkit/messaging';
 * const p: ProjectionState<number> = { position: -1, state: 0 };
 * ```
 */
export interface ProjectionState<S> {
  readonly position: number;
  readonly state: S;
}

/**
 * Folds events into a projection exactly once each: events at or before `projection.position`
 * (redelivered after a crash) are skipped. Without `upTo` the events must be the global log's,
 * contiguous: a gap (an event after `position + 1` with the ones between missing) would lose
 * events silently and throws `InvalidCommandError`. With `upTo` (the page of a filtered
 * {@link catchUp}) gaps are expected and the projection's position moves to `upTo`.
 *
 * @example
 * ```ts
 * import { project, type Projection, type RecordedEvent } from 'distkit/messaging';
 * const count: Projection<number> = { name: 'count', initialState: 0, evolve: (n) => n + 1 };
 * const e = (position: number): RecordedEvent => ({ stream: 's', revision: position, position, type: 'E', data: null, id: null, at: 0 });
 * const once = project(count, { position: -1, state: 0 }, [e(0), e(1)]);
 * project(count, once, [e(1), e(2)]); //=> { position: 2, state: 3 }
 * ```
 */
export function project<S>(projection: Projection<S>, from: ProjectionState<S>, events: readonly RecordedEvent[], upTo?: number): ProjectionState<S> {
  let { position, state } = from;
  for (const e of events) {
    if (e.position <= position) continue;
    if (upTo === undefined && e.position !== position + 1) {
      throw new InvalidCommandError('project', `${projection.name}: event at position ${e.position} after ${position}: the events between are missing`);
    }
    state = projection.evolve(state, e);
    position = e.position;
  }
  if (upTo !== undefined && upTo > position) position = upTo;
  return position === from.position ? from : { position, state };
}
