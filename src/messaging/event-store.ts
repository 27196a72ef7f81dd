/**
 * An event store as a replicated application: streams of events with expected-revision
 * concurrency control, one global order across streams, and reads by stream or from a global
 * position (the basis of catch-up subscriptions and projections).
 *
 * @packageDocumentation
 */
import { MAX_ID_LENGTH, checkObject, getOwn, parse, positiveInt, v, withOwn, type DataLimits } from '../core/index.js';
import { replicatedStateMachine, type Applied, type ReplicatedApp } from '../consensus/index.js';
import { dataLimitsOption } from './options.js';

/**
 * The revision an append expects its stream to be at (EventStoreDB's expected revision):
 * `'any'` skips the check, `'no_stream'` requires the stream not to exist, `'stream_exists'`
 * requires it to exist, a number requires its last event to have exactly that revision
 * (revisions count from 0).
 *
 * @example
 * ```ts
 * import { eventStore } from 'distkit/messaging';
 * let s = eventStore.init({});
 * s = eventStore.apply(s, { type: 'append', stream: 'account-1', expected: 'no_stream', events: [{ type: 'Opened', data: {} }], now: 5 }).state;
 * import type { ExpectedRevision } from 'distkit/messaging';
 * const deposit = (expected: ExpectedRevision) => eventStore.apply(s, { type: 'append', stream: 'account-1', expected, events: [{ type: 'Deposited', data: { amount: 10 } }], now: 6 }).result.type;
 * // The stream holds revision 0: what each expectation gets.
 * [deposit('any'), deposit('stream_exists'), deposit(0), deposit(1), deposit('no_stream')]; //=> ['appended', 'appended', 'appended', 'WrongExpectedVersion', 'WrongExpectedVersion']
 * ```
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

/**
 * An event to append. `id`, when given, makes a retried append idempotent (see `append`).
 *
 * @example
 * ```ts
 * import { eventStore } from 'distkit/messaging';
 * let s = eventStore.init({});
 * s = eventStore.apply(s, { type: 'append', stream: 'account-1', expected: 'no_stream', events: [{ type: 'Opened', data: {} }], now: 5 }).state;
 * import type { EventData } from 'distkit/messaging';
 * // An event id makes a retried append idempotent: the same ids are answered as a duplicate.
 * const e: EventData = { type: 'Deposited', data: { amount: 10 }, id: 'evt-1' };
 * s = eventStore.apply(s, { type: 'append', stream: 'account-1', expected: 0, events: [e], now: 6 }).state;
 * eventStore.apply(s, { type: 'append', stream: 'account-1', expected: 0, events: [e], now: 7 }).result; //=> { type: 'appended', stream: 'account-1', revision: 1, position: 1, duplicate: true }
 * ```
 */
export interface EventData {
  readonly type: string;
  readonly data: unknown;
  readonly id?: string;
}

/**
 * An event as stored: its stream, its revision in the stream, its global position (order across
 * every stream, from 0) and the store's clock when it was appended.
 *
 * @example
 * ```ts
 * import { eventStore } from 'distkit/messaging';
 * let s = eventStore.init({});
 * s = eventStore.apply(s, { type: 'append', stream: 'account-1', expected: 'no_stream', events: [{ type: 'Opened', data: {} }], now: 5 }).state;
 * // A recorded event: its stream revision, its position in the global order, and when it was appended.
 * eventStore.apply(s, { type: 'readStream', stream: 'account-1', now: 6 }).result; //=> { type: 'events', events: [{ stream: 'account-1', revision: 0, position: 0, type: 'Opened', data: {}, id: null, at: 5 }], next: 1, revision: 0 }
 * ```
 */
export interface RecordedEvent {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly type: string;
  readonly data: unknown;
  readonly id: string | null;
  readonly at: number;
}

/**
 * Configuration of an {@link eventStore}. Every replica must be given the same one.
 *
 * @example
 * ```ts
 * import { eventStore, type EventStoreConfig } from 'distkit/messaging';
 * const config: EventStoreConfig = { maxStreams: 1 };
 * let s = eventStore.init(config);
 * s = eventStore.apply(s, { type: 'append', stream: 'a', expected: 'any', events: [{ type: 'E', data: 1 }], now: 0 }).state;
 * eventStore.apply(s, { type: 'append', stream: 'b', expected: 'any', events: [{ type: 'E', data: 2 }], now: 1 }).result; //=> { type: 'refused', command: 'append', reason: '1 streams exist (maxStreams)' }
 * ```
 */
export interface EventStoreConfig {
  /** Most events stored; an append beyond it is refused (back-pressure). Default 100 000. */
  readonly maxEvents?: number;
  /** Most streams; an append creating one more is refused. Default 10 000. */
  readonly maxStreams?: number;
  /** Most events in one append. Default 100. */
  readonly maxEventsPerAppend?: number;
  /** Most events one read returns. Default 1000. */
  readonly maxReadCount?: number;
  /** Bounds on one event's data. Default 64 levels, 64 KiB. */
  readonly dataLimits?: Partial<DataLimits>;
}

/**
 * The options of an {@link EventStoreConfig} with defaults filled in.
 *
 * @example
 * ```ts
 * import { eventStore } from 'distkit/messaging';
 * eventStore.init({}).options.maxEvents; //=> 100000
 * ```
 */
export interface EventStoreOptions {
  readonly maxEvents: number;
  readonly maxStreams: number;
  readonly maxEventsPerAppend: number;
  readonly maxReadCount: number;
  readonly dataLimits: DataLimits;
}

/**
 * The store: the global log and, per stream, the global positions of its events.
 *
 * @example
 * ```ts
 * import { eventStore } from 'distkit/messaging';
 * eventStore.init({}).events.length; //=> 0
 * ```
 */
export interface EventStoreState {
  readonly options: EventStoreOptions;
  /** The largest `now` of any command applied. */
  readonly clock: number;
  /** Every event, in global order: `events[p].position === p`. */
  readonly events: readonly RecordedEvent[];
  /** Per stream, the global position of each revision: `streams[s][r]`. */
  readonly streams: Readonly<Record<string, readonly number[]>>;
}

/**
 * A command of the event store (`now`: the proposer's clock). Reads are commands too, so that a
 * read through the replicated log is linearizable.
 *
 * @example
 * ```ts
 * import { eventStore } from 'distkit/messaging';
 * let s = eventStore.init({});
 * s = eventStore.apply(s, { type: 'append', stream: 'account-1', expected: 'no_stream', events: [{ type: 'Opened', data: {} }], now: 5 }).state;
 * import type { EventStoreCommand } from 'distkit/messaging';
 * const commands: EventStoreCommand[] = [
 *   { type: 'append', stream: 'account-2', expected: 'no_stream', events: [{ type: 'Opened', data: {} }], now: 6 },
 *   { type: 'readAll', fromPosition: 0, now: 7 },
 * ];
 * // readAll returns every stream's events in the one global order.
 * commands.map((c) => { const t = eventStore.apply(s, c); s = t.state; return t.result; }).at(-1); //=> { type: 'events', events: [{ stream: 'account-1', revision: 0, position: 0, type: 'Opened', data: {}, id: null, at: 5 }, { stream: 'account-2', revision: 0, position: 1, type: 'Opened', data: {}, id: null, at: 6 }], next: 2 }
 * ```
 */
export type EventStoreCommand =
  | { readonly type: 'append'; readonly now: number; readonly stream: string; readonly expected: ExpectedRevision; readonly events: readonly EventData[] }
  | { readonly type: 'readStream'; readonly now: number; readonly stream: string; readonly fromRevision?: number; readonly maxCount?: number }
  | { readonly type: 'readAll'; readonly now: number; readonly fromPosition?: number; readonly maxCount?: number };

/**
 * The typed failure of an append whose expected revision does not hold: what it expected, and
 * what the stream actually is at (`'no_stream'` when it does not exist).
 *
 * @example
 * ```ts
 * import { eventStore } from 'distkit/messaging';
 * let s = eventStore.init({});
 * s = eventStore.apply(s, { type: 'append', stream: 'account-1', expected: 'no_stream', events: [{ type: 'Opened', data: {} }], now: 5 }).state;
 * import type { WrongExpectedVersion } from 'distkit/messaging';
 * // Two writers read revision 0 and both append: the second is told the stream moved on.
 * s = eventStore.apply(s, { type: 'append', stream: 'account-1', expected: 0, events: [{ type: 'Deposited', data: 10 }], now: 6 }).state;
 * const r = eventStore.apply(s, { type: 'append', stream: 'account-1', expected: 0, events: [{ type: 'Withdrawn', data: 5 }], now: 7 }).result;
 * r as WrongExpectedVersion; //=> { type: 'WrongExpectedVersion', stream: 'account-1', expected: 0, actual: 1 }
 * ```
 */
export interface WrongExpectedVersion {
  readonly type: 'WrongExpectedVersion';
  readonly stream: string;
  readonly expected: ExpectedRevision;
  readonly actual: number | 'no_stream';
}

/**
 * The result of one event-store command.
 *
 * - `appended`: the stream's revision and the global position of the last event written
 *   (`duplicate` when a retried append with the same event ids was recognised and not stored again).
 * - `WrongExpectedVersion`: the append was not applied.
 * - `events`: a read; `next` is where the following read starts (revision or position),
 *   `revision` the stream's last revision (`'no_stream'` when it does not exist).
 *
 * @example
 * ```ts
 * import { eventStore } from 'distkit/messaging';
 * let s = eventStore.init({});
 * s = eventStore.apply(s, { type: 'append', stream: 'account-1', expected: 'no_stream', events: [{ type: 'Opened', data: {} }], now: 5 }).state;
 * import type { EventStoreResult } from 'distkit/messaging';
 * const r: EventStoreResult = eventStore.apply(s, { type: 'append', stream: 'account-1', expected: 0, events: [{ type: 'Deposited', data: 10 }, { type: 'Deposited', data: 5 }], now: 6 }).result;
 * // Several events append atomically; the result names the last one's revision and position.
 * r; //=> { type: 'appended', stream: 'account-1', revision: 2, position: 2, duplicate: false }
 * ```
 */
export type EventStoreResult =
  | { readonly type: 'appended'; readonly stream: string; readonly revision: number; readonly position: number; readonly duplicate: boolean }
  | WrongExpectedVersion
  | { readonly type: 'events'; readonly events: readonly RecordedEvent[]; readonly next: number; readonly revision?: number | 'no_stream' }
  | { readonly type: 'refused'; readonly command: string; readonly reason: string };

const streamName = () => v.string({ minLength: 1, maxLength: MAX_ID_LENGTH });
const count = () => v.int({ min: 0 });

function storeOptions(config: EventStoreConfig): EventStoreOptions {
  checkObject('config', config);
  return {
    maxEvents: positiveInt('maxEvents', config.maxEvents, 100_000),
    maxStreams: positiveInt('maxStreams', config.maxStreams, 10_000),
    maxEventsPerAppend: positiveInt('maxEventsPerAppend', config.maxEventsPerAppend, 100),
    maxReadCount: positiveInt('maxReadCount', config.maxReadCount, 1000),
    dataLimits: dataLimitsOption('dataLimits', config.dataLimits, 64 * 1024),
  };
}

function commandCheck(o: EventStoreOptions) {
  const expected = v.union(v.literal('any', 'no_stream', 'stream_exists'), v.int({ min: 0 }));
  const event = v.object({ type: v.string({ minLength: 1, maxLength: MAX_ID_LENGTH }), data: v.json(o.dataLimits), id: v.optional(v.string({ minLength: 1, maxLength: MAX_ID_LENGTH })) });
  return v.tagged({
    append: v.object({ type: v.literal('append'), stream: streamName(), expected, events: v.array(event, { minLength: 1, maxLength: o.maxEventsPerAppend }) }),
    readStream: v.object({ type: v.literal('readStream'), stream: streamName(), fromRevision: v.optional(count()), maxCount: v.optional(count()) }),
    readAll: v.object({ type: v.literal('readAll'), fromPosition: v.optional(count()), maxCount: v.optional(count()) }),
  });
}

/** The stream's last revision, or 'no_stream'. */
function actualOf(state: EventStoreState, stream: string): number | 'no_stream' {
  const positions = getOwn(state.streams, stream);
  return positions === undefined ? 'no_stream' : positions.length - 1;
}

/** EventStoreDB's rule: does `expected` hold for a stream at `actual`? */
function expectationHolds(expected: ExpectedRevision, actual: number | 'no_stream'): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 'no_stream';
  if (expected === 'stream_exists') return actual !== 'no_stream';
  return actual === expected;
}

/**
 * An append retried after its answer was lost: the events after `expected` carry the same ids,
 * in order (EventStoreDB's idempotent writes). Only exact expectations can be recognised.
 */
function isRetry(state: EventStoreState, stream: string, expected: ExpectedRevision, events: readonly EventData[]): number | undefined {
  if (typeof expected !== 'number' && expected !== 'no_stream') return undefined;
  if (events.some((e) => e.id === undefined)) return undefined;
  const positions = getOwn(state.streams, stream) ?? [];
  const first = expected === 'no_stream' ? 0 : expected + 1;
  if (first + events.length > positions.length) return undefined;
  for (let i = 0; i < events.length; i++) if (state.events[positions[first + i]!]!.id !== events[i]!.id) return undefined;
  return first + events.length - 1;
}

function append(state: EventStoreState, c: Extract<EventStoreCommand, { type: 'append' }>): Applied<EventStoreState, EventStoreResult> {
  const o = state.options;
  const actual = actualOf(state, c.stream);
  const retried = isRetry(state, c.stream, c.expected, c.events);
  if (retried !== undefined) {
    const positions = getOwn(state.streams, c.stream)!;
    return { state, result: { type: 'appended', stream: c.stream, revision: retried, position: positions[retried]!, duplicate: true } };
  }
  if (!expectationHolds(c.expected, actual)) return { state, result: { type: 'WrongExpectedVersion', stream: c.stream, expected: c.expected, actual } };
  if (state.events.length + c.events.length > o.maxEvents) return { state, result: { type: 'refused', command: 'append', reason: `store full: ${o.maxEvents} events (maxEvents)` } };
  if (actual === 'no_stream' && Object.keys(state.streams).length >= o.maxStreams) return { state, result: { type: 'refused', command: 'append', reason: `${o.maxStreams} streams exist (maxStreams)` } };
  const positions = [...(getOwn(state.streams, c.stream) ?? [])];
  const events = [...state.events];
  for (const e of c.events) {
    const position = events.length;
    const data = JSON.parse(JSON.stringify(e.data)) as unknown;
    events.push({ stream: c.stream, revision: positions.length, position, type: e.type, data, id: e.id ?? null, at: state.clock });
    positions.push(position);
  }
  const next = { ...state, events, streams: withOwn(state.streams, c.stream, positions) };
  return { state: next, result: { type: 'appended', stream: c.stream, revision: positions.length - 1, position: events.length - 1, duplicate: false } };
}

/**
 * Reads a stream from `fromRevision` (default 0), at most `maxCount` events (default and cap:
 * the store's `maxReadCount`).
 *
 * @example
 * ```ts
 * import { eventStore, readStream } from 'distkit/messaging';
 * const s = eventStore.apply(eventStore.init({}), { type: 'append', stream: 'a', expected: 'any', events: [{ type: 'E', data: 1 }], now: 0 }).state;
 * readStream(s, 'a').map((e) => e.revision); //=> [0]
 * ```
 */
export function readStream(state: EventStoreState, stream: string, fromRevision = 0, maxCount = state.options.maxReadCount): RecordedEvent[] {
  const positions = getOwn(state.streams, stream) ?? [];
  const n = Math.min(maxCount, state.options.maxReadCount);
  return positions.slice(fromRevision, fromRevision + n).map((p) => state.events[p]!);
}

/**
 * Reads every stream in global order from `fromPosition` (default 0): what a catch-up
 * subscription pages through.
 *
 * @example
 * ```ts
 * import { eventStore, readAll } from 'distkit/messaging';
 * let s = eventStore.init({});
 * s = eventStore.apply(s, { type: 'append', stream: 'a', expected: 'any', events: [{ type: 'E', data: 1 }], now: 0 }).state;
 * s = eventStore.apply(s, { type: 'append', stream: 'b', expected: 'any', events: [{ type: 'E', data: 2 }], now: 1 }).state;
 * readAll(s, 1).map((e) => e.stream); //=> ['b']
 * ```
 */
export function readAll(state: EventStoreState, fromPosition = 0, maxCount = state.options.maxReadCount): RecordedEvent[] {
  return state.events.slice(fromPosition, fromPosition + Math.min(maxCount, state.options.maxReadCount));
}

function apply(state: EventStoreState, command: unknown): Applied<EventStoreState, EventStoreResult> {
  const now = (command as { now?: unknown } | null)?.now;
  const type = typeof (command as { type?: unknown } | null)?.type === 'string' ? (command as { type: string }).type : 'command';
  if (typeof now !== 'number' || !Number.isFinite(now)) return { state, result: { type: 'refused', command: type, reason: 'now must be a finite number of milliseconds' } };
  const checked = parse(commandCheck(state.options), command);
  if (!checked.ok) return { state, result: { type: 'refused', command: type, reason: checked.problem } };
  const s = now > state.clock ? { ...state, clock: now } : state;
  const c = command as EventStoreCommand;
  switch (c.type) {
    case 'append':
      return append(s, c);
    case 'readStream': {
      const events = readStream(s, c.stream, c.fromRevision, c.maxCount);
      return { state: s, result: { type: 'events', events, next: (c.fromRevision ?? 0) + events.length, revision: actualOf(s, c.stream) } };
    }
    case 'readAll': {
      const events = readAll(s, c.fromPosition, c.maxCount);
      return { state: s, result: { type: 'events', events, next: (c.fromPosition ?? 0) + events.length } };
    }
  }
}

const snapshotShape = v.object({
  clock: v.number({ min: 0 }),
  events: v.array(v.object({ stream: streamName(), revision: count(), position: count(), type: v.string(), id: v.nullable(v.string()), at: v.number() })),
  streams: v.record(v.array(count())),
});

function restore(data: unknown, config: EventStoreConfig): EventStoreState | undefined {
  const p = parse(snapshotShape, data);
  if (!p.ok) return undefined;
  const copy = JSON.parse(JSON.stringify(data)) as EventStoreState;
  // Every position a stream names must hold that stream's event at that revision.
  for (const [stream, positions] of Object.entries(copy.streams)) {
    for (let r = 0; r < positions.length; r++) {
      const e = copy.events[positions[r]!];
      if (e === undefined || e.stream !== stream || e.revision !== r) return undefined;
    }
  }
  if (copy.events.some((e, i) => e.position !== i)) return undefined;
  return { ...copy, options: storeOptions(config) };
}

/**
 * The event store as a replicated application (Young, "CQRS Documents", 2010; EventStoreDB's
 * expected-revision rules): `append` checks the expected revision and fails with a typed
 * {@link WrongExpectedVersion} naming expected and actual; every event gets a global position;
 * `readStream` and `readAll` read. Run it over Raft with {@link replicatedEventStore}.
 *
 * @example
 * ```ts
 * import { eventStore } from 'distkit/messaging';
 * let s = eventStore.init({});
 * const open = { type: 'append', stream: 'acct', expected: 'no_stream', events: [{ type: 'Opened', data: {} }], now: 0 } as const;
 * s = eventStore.apply(s, open).state;
 * eventStore.apply(s, open).result;
 * //=> { type: 'WrongExpectedVersion', stream: 'acct', expected: 'no_stream', actual: 0 }
 * ```
 */
export const eventStore: ReplicatedApp<EventStoreConfig, EventStoreState, EventStoreResult> = {
  name: 'eventStore',
  init: (config = {}) => ({ options: storeOptions(config), clock: 0, events: [], streams: {} }),
  apply,
  restore,
};

/**
 * The event store replicated over Raft: appends and reads are log entries, so two appends with the
 * same expected revision are ordered by the log and exactly one of them wins.
 *
 * @example
 * ```ts
 * import { replicatedEventStore } from 'distkit/messaging';
 * let s = replicatedEventStore.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = replicatedEventStore.step(s, { type: 'campaign', now: 0 }).state;
 * const t = replicatedEventStore.step(s, { type: 'submit', id: 'w', command: { type: 'append', stream: 's', expected: 'no_stream', events: [{ type: 'E', data: 1 }] }, now: 1 });
 * t.state.app.events.length; //=> 1
 * ```
 */
export const replicatedEventStore = replicatedStateMachine(eventStore);
