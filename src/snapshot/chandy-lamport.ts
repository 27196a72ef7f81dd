/**
 * Chandy–Lamport distributed snapshots (K. M. Chandy & L. Lamport, "Distributed Snapshots:
 * Determining Global States of Distributed Systems", ACM TOCS 3(1), 1985), as a wrapper around any
 * application machine. Cited below as CL §n.
 */
import type { DataLimits, DurableMachine, Machine, MessageInput, NodeId, RejectedOutput, SendOutput, Transition } from '../core/index.js';
import { InvalidCommandError, PAYLOAD_LIMITS, checkMembers, getOwn, hasOwn, inputNow, isPlainObject, parse, positiveInt, reject, transition, v, withOwn, withoutOwn } from '../core/index.js';

/**
 * Names one snapshot: 1 to 128 characters from letters, digits and `_ . : @ # / -`. Several
 * snapshots may run at once; markers carry the id so that nodes keep them apart.
 *
 * @example
 * ```ts
 * import { isSnapshotId, type SnapshotId } from 'distkit/snapshot';
 * const id: SnapshotId = 'n1#7';
 * isSnapshotId(id); //=> true
 * ```
 */
export type SnapshotId = string;

const SNAPSHOT_ID = /^[\w.:@#/-]{1,128}$/;

/**
 * Whether `id` is a well-formed {@link SnapshotId}.
 *
 * @example
 * ```ts
 * import { isSnapshotId } from 'distkit/snapshot';
 * isSnapshotId('n1#7'); //=> true
 * isSnapshotId('');     //=> false
 * ```
 */
export function isSnapshotId(id: unknown): id is SnapshotId {
  return typeof id === 'string' && SNAPSHOT_ID.test(id);
}

/**
 * Configuration of a {@link chandyLamport} node.
 *
 * @typeParam AC - the wrapped application's configuration.
 * @example
 * ```ts
 * import type { Machine, MessageInput } from 'distkit/core';
 * import { chandyLamport } from 'distkit/snapshot';
 * const counter: Machine<{ id: string }, number, MessageInput<number>, never> = {
 *   name: 'counter',
 *   init: () => 0,
 *   step: (s, i) => ({ state: s + (typeof i.message === 'number' ? i.message : 0), outputs: [] }),
 * };
 * const snap = chandyLamport(counter);
 * let a = snap.init({ id: 'a', nodes: ['a', 'b'], app: { id: 'a' } });
 * const started = snap.step(a, { type: 'initiateSnapshot', snapshotId: 's1', now: 0 });
 * a = started.state;
 * a.id; //=> 'a'
 * a.peers; //=> ['b']
 * ```
 */
export interface ChandyLamportConfig<AC> {
  /** This node. */
  readonly id: NodeId;
  /** Every node; there is a FIFO channel in each direction between any two of them. */
  readonly nodes: readonly NodeId[];
  /** Passed to the application machine's `init`. */
  readonly app: AC;
  /** At most this many snapshots recording at once at this node; more are refused. Default 16. */
  readonly maxConcurrentSnapshots?: number;
  /** How many completed snapshot ids this node remembers, to refuse late or replayed markers. Default 1024. */
  readonly maxRememberedSnapshots?: number;
  /**
   * The most application messages one snapshot records over all its channels. A snapshot that
   * would record more is abandoned at this node (a `snapshotAborted` event) and its markers are
   * refused from then on; the messages still reach the application. Default
   * {@link SNAPSHOT_MAX_RECORDED_MESSAGES}.
   */
  readonly maxRecordedMessages?: number;
  /** Bounds on an application message from the network (depth and JSON size). Default {@link PAYLOAD_LIMITS}. */
  readonly payloadLimits?: Partial<DataLimits>;
}

/**
 * The default {@link ChandyLamportConfig.maxRecordedMessages}: how many in-flight application
 * messages one snapshot may record at one node.
 *
 * @example
 * ```ts
 * import { SNAPSHOT_MAX_RECORDED_MESSAGES } from 'distkit/snapshot';
 * SNAPSHOT_MAX_RECORDED_MESSAGES; //=> 4096
 * ```
 */
export const SNAPSHOT_MAX_RECORDED_MESSAGES = 4096;

/**
 * What travels on a channel: an application message in an envelope, or a marker (CL §3.2).
 *
 * @example
 * ```ts
 * import type { Machine, MessageInput } from 'distkit/core';
 * import { chandyLamport } from 'distkit/snapshot';
 * const counter: Machine<{ id: string }, number, MessageInput<number>, never> = {
 *   name: 'counter',
 *   init: () => 0,
 *   step: (s, i) => ({ state: s + (typeof i.message === 'number' ? i.message : 0), outputs: [] }),
 * };
 * const snap = chandyLamport(counter);
 * let a = snap.init({ id: 'a', nodes: ['a', 'b'], app: { id: 'a' } });
 * const started = snap.step(a, { type: 'initiateSnapshot', snapshotId: 's1', now: 0 });
 * a = started.state;
 * started.outputs; //=> [{ type: 'send', to: 'b', message: { type: 'marker', snapshotId: 's1' } }]
 * ```
 */
export type ChandyLamportMessage =
  | { readonly type: 'app'; readonly message: unknown }
  | { readonly type: 'marker'; readonly snapshotId: SnapshotId };

/**
 * A local command: record this node's state and start snapshot `snapshotId` (CL §3.2, "a process
 * may record its state spontaneously"). Any node may initiate; several nodes may initiate the same
 * id concurrently; initiating an id this node already records is a no-op.
 *
 * @example
 * ```ts
 * import type { Machine, MessageInput } from 'distkit/core';
 * import { chandyLamport } from 'distkit/snapshot';
 * const counter: Machine<{ id: string }, number, MessageInput<number>, never> = {
 *   name: 'counter',
 *   init: () => 0,
 *   step: (s, i) => ({ state: s + (typeof i.message === 'number' ? i.message : 0), outputs: [] }),
 * };
 * const snap = chandyLamport(counter);
 * let a = snap.init({ id: 'a', nodes: ['a', 'b'], app: { id: 'a' } });
 * const started = snap.step(a, { type: 'initiateSnapshot', snapshotId: 's1', now: 0 });
 * a = started.state;
 * Object.keys(a.recording); //=> ['s1']
 * ```
 */
export interface InitiateSnapshotCommand {
  /** Discriminant. */
  readonly type: 'initiateSnapshot';
  /** The new snapshot's id; see {@link SnapshotId}. */
  readonly snapshotId: SnapshotId;
  /** The host's current time (ms). */
  readonly now: number;
}

/**
 * Inputs of a wrapped machine: peer messages (untrusted envelopes), {@link InitiateSnapshotCommand},
 * and every other input of the application (ticks and its local commands), passed through.
 *
 * @typeParam AI - the application's input type.
 * @example
 * ```ts
 * import type { Machine, MessageInput } from 'distkit/core';
 * import { chandyLamport } from 'distkit/snapshot';
 * const counter: Machine<{ id: string }, number, MessageInput<number>, never> = {
 *   name: 'counter',
 *   init: () => 0,
 *   step: (s, i) => ({ state: s + (typeof i.message === 'number' ? i.message : 0), outputs: [] }),
 * };
 * const snap = chandyLamport(counter);
 * let a = snap.init({ id: 'a', nodes: ['a', 'b'], app: { id: 'a' } });
 * const started = snap.step(a, { type: 'initiateSnapshot', snapshotId: 's1', now: 0 });
 * a = started.state;
 * // Application inputs pass through to the wrapped machine.
 * a = snap.step(a, { type: 'message', from: 'b', message: { type: 'app', message: 7 }, now: 1 }).state;
 * a.app; //=> 7
 * ```
 */
export type ChandyLamportInput<AI> = MessageInput<unknown> | InitiateSnapshotCommand | Exclude<AI, { readonly type: 'message' }>;

/**
 * One node's part of a snapshot: its recorded application state and, for each incoming channel
 * (keyed by sender), the application messages in flight on it (CL §3.2).
 *
 * @typeParam AS - the application's state.
 * @example
 * ```ts
 * import type { Machine, MessageInput } from 'distkit/core';
 * import { chandyLamport } from 'distkit/snapshot';
 * const counter: Machine<{ id: string }, number, MessageInput<number>, never> = {
 *   name: 'counter',
 *   init: () => 0,
 *   step: (s, i) => ({ state: s + (typeof i.message === 'number' ? i.message : 0), outputs: [] }),
 * };
 * const snap = chandyLamport(counter);
 * let a = snap.init({ id: 'a', nodes: ['a', 'b'], app: { id: 'a' } });
 * const started = snap.step(a, { type: 'initiateSnapshot', snapshotId: 's1', now: 0 });
 * a = started.state;
 * // 5 from b was in flight when a recorded its state: it lands in the recording of channel b -> a.
 * a = snap.step(a, { type: 'message', from: 'b', message: { type: 'app', message: 5 }, now: 1 }).state;
 * const done = snap.step(a, { type: 'message', from: 'b', message: { type: 'marker', snapshotId: 's1' }, now: 2 });
 * done.outputs.find((o) => o.type === 'snapshotReport'); //=> { type: 'snapshotReport', report: { snapshotId: 's1', node: 'a', state: 0, channels: { b: [5] } } }
 * ```
 */
export interface SnapshotReport<AS> {
  /** Which snapshot. */
  readonly snapshotId: SnapshotId;
  /** The reporting node. */
  readonly node: NodeId;
  /** The application state recorded at this node. */
  readonly state: AS;
  /** Messages recorded per incoming channel, keyed by the sending node, oldest first. */
  readonly channels: Readonly<Record<NodeId, readonly unknown[]>>;
}

/**
 * An event: this node has recorded its state and all its incoming channels for a snapshot (a
 * marker arrived on every one of them). Collect one report per node and combine them with
 * {@link assembleGlobalSnapshot}.
 *
 * @example
 * ```ts
 * import type { Machine, MessageInput } from 'distkit/core';
 * import { chandyLamport } from 'distkit/snapshot';
 * const counter: Machine<{ id: string }, number, MessageInput<number>, never> = {
 *   name: 'counter',
 *   init: () => 0,
 *   step: (s, i) => ({ state: s + (typeof i.message === 'number' ? i.message : 0), outputs: [] }),
 * };
 * const snap = chandyLamport(counter);
 * let a = snap.init({ id: 'a', nodes: ['a', 'b'], app: { id: 'a' } });
 * const started = snap.step(a, { type: 'initiateSnapshot', snapshotId: 's1', now: 0 });
 * a = started.state;
 * // 5 from b was in flight when a recorded its state: it lands in the recording of channel b -> a.
 * a = snap.step(a, { type: 'message', from: 'b', message: { type: 'app', message: 5 }, now: 1 }).state;
 * const done = snap.step(a, { type: 'message', from: 'b', message: { type: 'marker', snapshotId: 's1' }, now: 2 });
 * done.outputs.map((o) => o.type); //=> ['snapshotReport']
 * ```
 */
export interface SnapshotReportOutput<AS> {
  /** Discriminant. */
  readonly type: 'snapshotReport';
  /** The node's part of the snapshot. */
  readonly report: SnapshotReport<AS>;
}

/**
 * An event: this node gave up snapshot `snapshotId` because it would have recorded more than
 * `maxRecordedMessages` application messages. Its report will never come; later markers of the
 * id are refused.
 *
 * @example
 * ```ts
 * import type { Machine, MessageInput } from 'distkit/core';
 * import { chandyLamport } from 'distkit/snapshot';
 * const counter: Machine<{ id: string }, number, MessageInput<number>, never> = { name: 'counter', init: () => 0, step: (s) => ({ state: s, outputs: [] }) };
 * const snap = chandyLamport(counter);
 * let a = snap.init({ id: 'a', nodes: ['a', 'b'], app: { id: 'a' }, maxRecordedMessages: 1 });
 * a = snap.step(a, { type: 'initiateSnapshot', snapshotId: 's1', now: 0 }).state;
 * a = snap.step(a, { type: 'message', from: 'b', message: { type: 'app', message: 1 }, now: 1 }).state;
 * // A second in-flight message would pass the bound: the snapshot is given up, the application goes on.
 * snap.step(a, { type: 'message', from: 'b', message: { type: 'app', message: 2 }, now: 2 }).outputs; //=> [{ type: 'snapshotAborted', snapshotId: 's1', reason: 'more than 1 recorded messages (maxRecordedMessages)' }]
 * ```
 */
export interface SnapshotAbortedOutput {
  /** Discriminant. */
  readonly type: 'snapshotAborted';
  /** Which snapshot. */
  readonly snapshotId: SnapshotId;
  /** Why it was abandoned, naming the limit. */
  readonly reason: string;
}

/**
 * Outputs of a wrapped machine: enveloped sends, rejections, snapshot reports, and every other
 * output of the application (its `persist` included, first as the contract wants), passed through.
 *
 * @typeParam AO - the application's output type.
 * @typeParam AS - the application's state.
 * @example
 * ```ts
 * import type { Machine, MessageInput } from 'distkit/core';
 * import { chandyLamport } from 'distkit/snapshot';
 * const counter: Machine<{ id: string }, number, MessageInput<number>, never> = {
 *   name: 'counter',
 *   init: () => 0,
 *   step: (s, i) => ({ state: s + (typeof i.message === 'number' ? i.message : 0), outputs: [] }),
 * };
 * const snap = chandyLamport(counter);
 * let a = snap.init({ id: 'a', nodes: ['a', 'b'], app: { id: 'a' } });
 * const started = snap.step(a, { type: 'initiateSnapshot', snapshotId: 's1', now: 0 });
 * a = started.state;
 * started.outputs.map((o) => o.type); //=> ['send']
 * ```
 */
export type ChandyLamportOutput<AO, AS> =
  | SendOutput<ChandyLamportMessage>
  | RejectedOutput
  | SnapshotReportOutput<AS>
  | SnapshotAbortedOutput
  | Exclude<AO, { readonly type: 'send' }>;

/**
 * A snapshot this node has recorded its state for and whose incoming channels are not all closed.
 *
 * @typeParam AS - the application's state.
 * @example
 * ```ts
 * import type { Machine, MessageInput } from 'distkit/core';
 * import { chandyLamport } from 'distkit/snapshot';
 * const counter: Machine<{ id: string }, number, MessageInput<number>, never> = {
 *   name: 'counter',
 *   init: () => 0,
 *   step: (s, i) => ({ state: s + (typeof i.message === 'number' ? i.message : 0), outputs: [] }),
 * };
 * const snap = chandyLamport(counter);
 * let a = snap.init({ id: 'a', nodes: ['a', 'b'], app: { id: 'a' } });
 * const started = snap.step(a, { type: 'initiateSnapshot', snapshotId: 's1', now: 0 });
 * a = started.state;
 * // 5 from b was in flight when a recorded its state: it lands in the recording of channel b -> a.
 * a = snap.step(a, { type: 'message', from: 'b', message: { type: 'app', message: 5 }, now: 1 }).state;
 * a.recording['s1']; //=> { state: 0, channels: { b: [5] }, waiting: ['b'], recorded: 1 }
 * ```
 */
export interface SnapshotRecording<AS> {
  /** The application state recorded when the snapshot reached this node. */
  readonly state: AS;
  /** Messages recorded so far per incoming channel. */
  readonly channels: Readonly<Record<NodeId, readonly unknown[]>>;
  /** Incoming channels still being recorded: no marker from these senders yet. */
  readonly waiting: readonly NodeId[];
  /** How many messages the channels hold in all (bounded by `maxRecordedMessages`). */
  readonly recorded: number;
}

/**
 * State of a {@link chandyLamport} node: the application's state plus the snapshots in progress.
 *
 * @typeParam AS - the application's state.
 * @example
 * ```ts
 * import type { Machine, MessageInput } from 'distkit/core';
 * import { chandyLamport } from 'distkit/snapshot';
 * const counter: Machine<{ id: string }, number, MessageInput<number>, never> = {
 *   name: 'counter',
 *   init: () => 0,
 *   step: (s, i) => ({ state: s + (typeof i.message === 'number' ? i.message : 0), outputs: [] }),
 * };
 * const snap = chandyLamport(counter);
 * let a = snap.init({ id: 'a', nodes: ['a', 'b'], app: { id: 'a' } });
 * const started = snap.step(a, { type: 'initiateSnapshot', snapshotId: 's1', now: 0 });
 * a = started.state;
 * // 5 from b was in flight when a recorded its state: it lands in the recording of channel b -> a.
 * a = snap.step(a, { type: 'message', from: 'b', message: { type: 'app', message: 5 }, now: 1 }).state;
 * [a.app, Object.keys(a.recording)]; //=> [5, ['s1']]
 * ```
 */
export interface ChandyLamportState<AS> {
  /** This node. */
  readonly id: NodeId;
  /** The other nodes: both the incoming and the outgoing channels. */
  readonly peers: readonly NodeId[];
  /** The application's current state. */
  readonly app: AS;
  /** Snapshots in progress at this node, by id. */
  readonly recording: Readonly<Record<SnapshotId, SnapshotRecording<AS>>>;
  /** Ids of snapshots completed here, oldest first, at most `maxRemembered`. */
  readonly completed: readonly SnapshotId[];
  /** See {@link ChandyLamportConfig.maxConcurrentSnapshots}. */
  readonly maxConcurrent: number;
  /** See {@link ChandyLamportConfig.maxRememberedSnapshots}. */
  readonly maxRemembered: number;
  /** See {@link ChandyLamportConfig.maxRecordedMessages}. */
  readonly maxRecorded: number;
  /** See {@link ChandyLamportConfig.payloadLimits}. */
  readonly payloadLimits: DataLimits;
}

/**
 * The machine {@link chandyLamport} returns for an application machine. When the application is
 * durable (it has `durable` and `recover`), so is the wrapper: its durable image is the
 * application's (snapshots in progress are volatile: a node that crashes during one never
 * reports it), and the application's `persist` outputs pass through unchanged.
 *
 * @example
 * ```ts
 * import type { ChandyLamportMachine } from 'distkit/snapshot';
 * import type { Machine } from 'distkit/core';
 * declare const app: Machine<{ id: string }, number, { type: 'tick'; now: number }, never>;
 * type M = ChandyLamportMachine<{ id: string }, number, { type: 'tick'; now: number }, never>;
 * ```
 */
export type ChandyLamportMachine<AC, AS, AI, AO> = Machine<
  ChandyLamportConfig<AC>,
  ChandyLamportState<AS>,
  ChandyLamportInput<AI>,
  ChandyLamportOutput<AO, AS>
> &
  Partial<Pick<DurableMachine<ChandyLamportConfig<AC>, ChandyLamportState<AS>, ChandyLamportInput<AI>, ChandyLamportOutput<AO, AS>, unknown>, 'durable' | 'recover' | 'applyPersist'>>;

function envelopeCheck(limits: DataLimits) {
  return v.tagged({
    app: v.object({ type: v.literal('app'), message: v.json(limits) }),
    marker: v.object({ type: v.literal('marker'), snapshotId: v.string({ minLength: 1, maxLength: 128 }) }),
  });
}
const DEFAULT_ENVELOPE_CHECK = envelopeCheck(PAYLOAD_LIMITS);

const own = hasOwn;

/**
 * Adds Chandy–Lamport global snapshots (Chandy & Lamport, TOCS 1985, §3) to any application
 * machine. The wrapper puts the application's messages in envelopes and adds markers to the same
 * channels. On `initiateSnapshot`, or on the first marker of a snapshot, a node records its
 * application state and sends a marker on every outgoing channel before any other message
 * (marker sending rule); it then records each incoming channel's application messages until that
 * channel's marker arrives (marker receiving rule). Once every incoming channel is closed the node
 * emits a `snapshotReport`. Channels must be FIFO (TCP, WebSocket, MessagePort, the simulator's
 * `fifo` links) and reliable; the topology is complete (every node may send to every other).
 *
 * @example
 * ```ts
 * import type { Machine, MessageInput } from 'distkit/core';
 * import { chandyLamport } from 'distkit/snapshot';
 * // A counter that adds whatever number it is sent.
 * const counter: Machine<{ id: string }, number, MessageInput<number>, never> = {
 *   name: 'counter',
 *   init: () => 0,
 *   step: (s, i) => ({ state: s + (typeof i.message === 'number' ? i.message : 0), outputs: [] }),
 * };
 * const snap = chandyLamport(counter);
 * const a = snap.init({ id: 'a', nodes: ['a', 'b'], app: { id: 'a' } });
 * snap.step(a, { type: 'initiateSnapshot', snapshotId: 's1', now: 0 }).outputs;
 * //=> [{ type: 'send', to: 'b', message: { type: 'marker', snapshotId: 's1' } }]
 * ```
 */
export function chandyLamport<AC, AS, AI, AO>(app: Machine<AC, AS, AI, AO>): ChandyLamportMachine<AC, AS, AI, AO> {
  // The envelope check depends only on the state's payload limits; keep the last one built.
  let check = { limits: PAYLOAD_LIMITS, check: DEFAULT_ENVELOPE_CHECK };
  const checkOf = (s: ChandyLamportState<AS>) => {
    const l = s.payloadLimits;
    if (l.maxDepth !== check.limits.maxDepth || l.maxBytes !== check.limits.maxBytes) check = { limits: l, check: envelopeCheck(l) };
    return check.check;
  };

  const machine: ChandyLamportMachine<AC, AS, AI, AO> = {
    name: `chandy-lamport(${app.name})`,
    init: (config) => initState(config, (c) => app.init(c.app)),
    step(state, input): T<AS, AO> {
      const now = inputNow(input);
      switch ((input as { readonly type?: unknown }).type) {
        case 'initiateSnapshot':
          return onInitiate(state, (input as InitiateSnapshotCommand).snapshotId);
        case 'message': {
          const { from, message } = input as MessageInput<unknown>;
          if (typeof from !== 'string' || !state.peers.includes(from)) return reject(state, String(from), `unknown sender ${JSON.stringify(from)}`);
          // Only the parsed copy (a bounded, deep-copied application message) goes on.
          const parsed = parse(checkOf(state), message, 'message');
          if (!parsed.ok) return reject(state, from, parsed.problem);
          const m = parsed.value as ChandyLamportMessage;
          if (m.type === 'marker') {
            if (!isSnapshotId(m.snapshotId)) return reject(state, from, `message.snapshotId: expected 1..128 characters from [A-Za-z0-9_.:@#/-], got ${JSON.stringify(m.snapshotId)}`);
            return onMarker(state, from, m.snapshotId);
          }
          return onApp(app, state, from, m.message, now);
        }
        default:
          // Ticks and the application's own commands; the application throws on unknown ones.
          return passThrough(app, state, input as AI);
      }
    },
    nextDeadline(state) {
      return app.nextDeadline?.(state.app);
    },
  };
  const durableApp = app as Machine<AC, AS, AI, AO> & Partial<DurableMachine<AC, AS, AI, AO, unknown>>;
  if (durableApp.durable !== undefined && durableApp.recover !== undefined) {
    const { durable, recover, applyPersist } = durableApp;
    machine.durable = (state) => durable(state.app);
    machine.recover = (config, image) => initState(config, (c) => recover(c.app, image));
    if (applyPersist !== undefined) machine.applyPersist = (image, record) => applyPersist(image, record);
  }
  return machine;
}

type T<AS, AO> = Transition<ChandyLamportState<AS>, ChandyLamportOutput<AO, AS>>;

function initState<AC, AS>(config: ChandyLamportConfig<AC>, appState: (c: ChandyLamportConfig<AC>) => AS): ChandyLamportState<AS> {
  const c = config as Partial<ChandyLamportConfig<AC>>;
  const nodes = checkMembers(c.id, c.nodes);
  const maxConcurrent = positiveInt('maxConcurrentSnapshots', c.maxConcurrentSnapshots, 16);
  const maxRemembered = positiveInt('maxRememberedSnapshots', c.maxRememberedSnapshots, 1024);
  const maxRecorded = positiveInt('maxRecordedMessages', c.maxRecordedMessages, SNAPSHOT_MAX_RECORDED_MESSAGES);
  const limits = { ...PAYLOAD_LIMITS, ...(c.payloadLimits ?? {}) };
  const payloadLimits: DataLimits = {
    maxDepth: positiveInt('payloadLimits.maxDepth', limits.maxDepth, PAYLOAD_LIMITS.maxDepth),
    maxBytes: positiveInt('payloadLimits.maxBytes', limits.maxBytes, PAYLOAD_LIMITS.maxBytes),
  };
  return {
    id: c.id as NodeId,
    peers: nodes.filter((n) => n !== c.id),
    app: appState(config),
    recording: {},
    completed: [],
    maxConcurrent,
    maxRemembered,
    maxRecorded,
    payloadLimits,
  };
}

/** Application outputs leave in envelopes; everything else (its persist first) passes through. */
function wrap<AS, AO>(outs: readonly AO[], into: ChandyLamportOutput<AO, AS>[]): void {
  for (const o of outs) {
    const out = o as { type?: unknown; to?: unknown; message?: unknown };
    if (out.type === 'send') into.push({ type: 'send', to: out.to as NodeId, message: { type: 'app', message: out.message } });
    else into.push(o as ChandyLamportOutput<AO, AS>);
  }
}

function passThrough<AC, AS, AI, AO>(app: Machine<AC, AS, AI, AO>, state: ChandyLamportState<AS>, input: AI): T<AS, AO> {
  const t = app.step(state.app, input);
  const outputs: ChandyLamportOutput<AO, AS>[] = [];
  wrap(t.outputs, outputs);
  return transition(t.state === state.app ? state : { ...state, app: t.state }, outputs);
}

function onInitiate<AS, AO>(state: ChandyLamportState<AS>, id: SnapshotId): T<AS, AO> {
  if (!isSnapshotId(id)) throw new InvalidCommandError('initiateSnapshot', `snapshotId: expected 1..128 characters from [A-Za-z0-9_.:@#/-], got ${JSON.stringify(id)}`);
  // Joining a snapshot this node already records is what CL §3.2 does with a second initiator.
  if (own(state.recording, id)) return transition(state);
  if (state.completed.includes(id)) return reject(state, 'local', `snapshot ${JSON.stringify(id)} already completed here; pick a new id`);
  if (Object.keys(state.recording).length >= state.maxConcurrent) {
    return reject(state, 'local', `already ${state.maxConcurrent} snapshots in progress (maxConcurrentSnapshots)`);
  }
  return record(state, id, undefined);
}

// CL §3.2 marker sending rule: record the state, then a marker on every outgoing channel before
// any further message. Channels other than `closedBy` start recording.
function record<AS, AO>(state: ChandyLamportState<AS>, snapshotId: SnapshotId, closedBy: NodeId | undefined): T<AS, AO> {
  const outputs: ChandyLamportOutput<AO, AS>[] = state.peers.map((p) => ({ type: 'send', to: p, message: { type: 'marker', snapshotId } }) as ChandyLamportOutput<AO, AS>);
  const channels: Record<NodeId, readonly unknown[]> = {};
  for (const p of state.peers) Object.defineProperty(channels, p, { value: [], enumerable: true, writable: true, configurable: true });
  const rec: SnapshotRecording<AS> = { state: state.app, channels, waiting: state.peers.filter((p) => p !== closedBy), recorded: 0 };
  return settle({ ...state, recording: withOwn(state.recording, snapshotId, rec) }, snapshotId, outputs);
}

function remember(completed: readonly SnapshotId[], snapshotId: SnapshotId, max: number): SnapshotId[] {
  const next = [...completed, snapshotId];
  if (next.length > max) next.splice(0, next.length - max);
  return next;
}

/** A snapshot whose incoming channels are all closed is reported and forgotten. */
function settle<AS, AO>(state: ChandyLamportState<AS>, snapshotId: SnapshotId, outputs: ChandyLamportOutput<AO, AS>[]): T<AS, AO> {
  const rec = getOwn(state.recording, snapshotId)!;
  if (rec.waiting.length > 0) return transition(state, outputs);
  outputs.push({ type: 'snapshotReport', report: { snapshotId, node: state.id, state: rec.state, channels: rec.channels } });
  return transition({ ...state, recording: withoutOwn(state.recording, snapshotId), completed: remember(state.completed, snapshotId, state.maxRemembered) }, outputs);
}

function onMarker<AS, AO>(state: ChandyLamportState<AS>, from: NodeId, snapshotId: SnapshotId): T<AS, AO> {
  const rec = getOwn(state.recording, snapshotId);
  if (rec !== undefined) {
    if (!rec.waiting.includes(from)) return reject(state, from, `second marker from ${JSON.stringify(from)} for snapshot ${JSON.stringify(snapshotId)}`);
    // CL §3.2 marker receiving rule, state already recorded: the channel's state is what arrived
    // on it since the recording began; it is now closed.
    const next: SnapshotRecording<AS> = { ...rec, waiting: rec.waiting.filter((p) => p !== from) };
    return settle({ ...state, recording: withOwn(state.recording, snapshotId, next) }, snapshotId, []);
  }
  if (state.completed.includes(snapshotId)) return reject(state, from, `snapshot ${JSON.stringify(snapshotId)} already completed here`);
  if (Object.keys(state.recording).length >= state.maxConcurrent) {
    return reject(state, from, `snapshot ${JSON.stringify(snapshotId)}: already ${state.maxConcurrent} snapshots in progress (maxConcurrentSnapshots)`);
  }
  // CL §3.2 marker receiving rule, first marker: record the state; this channel's state is empty.
  return record(state, snapshotId, from);
}

function onApp<AC, AS, AI, AO>(app: Machine<AC, AS, AI, AO>, state: ChandyLamportState<AS>, from: NodeId, message: unknown, now: number): T<AS, AO> {
  const t = app.step(state.app, { type: 'message', from, message, now } as AI);
  const outputs: ChandyLamportOutput<AO, AS>[] = [];
  wrap(t.outputs, outputs);
  // A message the application refuses changes nothing, so it is left out of channel states too.
  if (t.state === state.app && t.outputs.length > 0 && t.outputs.every((o) => (o as { type?: unknown }).type === 'rejected')) {
    return transition(state, outputs);
  }
  // CL §3.2: a channel's recorded state is the messages received on it after the receiver
  // recorded its state and before the channel's marker.
  let recording: Readonly<Record<SnapshotId, SnapshotRecording<AS>>> = state.recording;
  let completed = state.completed;
  for (const id of Object.keys(state.recording)) {
    const rec = state.recording[id]!;
    if (!rec.waiting.includes(from)) continue;
    if (rec.recorded >= state.maxRecorded) {
      // The snapshot would grow past its limit: abandon it here rather than refuse the message.
      recording = withoutOwn(recording, id);
      completed = remember(completed, id, state.maxRemembered);
      outputs.push({ type: 'snapshotAborted', snapshotId: id, reason: `more than ${state.maxRecorded} recorded messages (maxRecordedMessages)` });
      continue;
    }
    const channel = getOwn(rec.channels, from) ?? [];
    recording = withOwn(recording, id, { ...rec, channels: withOwn(rec.channels, from, [...channel, message]), recorded: rec.recorded + 1 });
  }
  return transition({ ...state, app: t.state, recording, completed }, outputs);
}

/**
 * A consistent global state: every node's recorded state and every channel's recorded messages.
 *
 * @typeParam AS - the application's state.
 * @example
 * ```ts
 * import { assembleGlobalSnapshot } from 'distkit/snapshot';
 * const r = assembleGlobalSnapshot([{ snapshotId: 's1', node: 'a', state: 90, channels: { b: [] } }, { snapshotId: 's1', node: 'b', state: 100, channels: { a: [10] } }], ['a', 'b']);
 * r.ok && r.snapshot.states; //=> { a: 90, b: 100 }
 * ```
 */
export interface GlobalSnapshot<AS> {
  /** Which snapshot. */
  readonly snapshotId: SnapshotId;
  /** Recorded application state per node. */
  readonly states: Readonly<Record<NodeId, AS>>;
  /** Every channel (one per ordered pair of distinct nodes, in `nodes` order) and its in-flight messages. */
  readonly channels: readonly { readonly from: NodeId; readonly to: NodeId; readonly messages: readonly unknown[] }[];
}

/**
 * The result of {@link assembleGlobalSnapshot}: the snapshot, or why the reports do not make one.
 *
 * @typeParam AS - the application's state.
 * @example
 * ```ts
 * import { assembleGlobalSnapshot } from 'distkit/snapshot';
 * assembleGlobalSnapshot([{ snapshotId: 's1', node: 'a', state: 90, channels: { b: [] } }], ['a', 'b', 'c']); //=> { ok: false, reason: 'reports[0].channels: missing the channel from "c"' }
 * ```
 */
export type AssembleResult<AS> = { readonly ok: true; readonly snapshot: GlobalSnapshot<AS> } | { readonly ok: false; readonly reason: string };

/**
 * Combines the per-node reports of one snapshot into the global state (CL §3.2: the global state
 * is the recorded process states plus the recorded channel states). Checks completeness: exactly
 * one report per node of `nodes`, all for the same snapshot, each with every incoming channel.
 * Pure; never throws on bad reports (they may have come over the network): `ok: false` says why.
 *
 * @example
 * ```ts
 * import { assembleGlobalSnapshot } from 'distkit/snapshot';
 * const r = assembleGlobalSnapshot(
 *   [
 *     { snapshotId: 's1', node: 'a', state: 90, channels: { b: [] } },
 *     { snapshotId: 's1', node: 'b', state: 100, channels: { a: [10] } },
 *   ],
 *   ['a', 'b'],
 * );
 * r.ok && r.snapshot.channels; //=> [{ from: 'a', to: 'b', messages: [10] }, { from: 'b', to: 'a', messages: [] }]
 * ```
 */
export function assembleGlobalSnapshot<AS>(reports: readonly SnapshotReport<AS>[], nodes: readonly NodeId[]): AssembleResult<AS> {
  const fail = (reason: string): AssembleResult<AS> => ({ ok: false, reason });
  if (!Array.isArray(reports) || reports.length === 0) return fail('no reports');
  if (!Array.isArray(nodes) || nodes.length === 0) return fail('nodes: expected a non-empty array');
  if (new Set(nodes).size !== nodes.length) return fail('nodes: duplicate node id');
  const byNode = new Map<NodeId, SnapshotReport<AS>>();
  let snapshotId: SnapshotId | undefined;
  for (let k = 0; k < reports.length; k++) {
    const r = reports[k] as unknown;
    if (!isPlainObject(r)) return fail(`reports[${k}]: expected an object`);
    if (!isSnapshotId(r.snapshotId)) return fail(`reports[${k}].snapshotId: not a snapshot id`);
    if (snapshotId === undefined) snapshotId = r.snapshotId;
    else if (r.snapshotId !== snapshotId) return fail(`reports[${k}]: snapshot ${JSON.stringify(r.snapshotId)}, expected ${JSON.stringify(snapshotId)}`);
    if (typeof r.node !== 'string' || !nodes.includes(r.node)) return fail(`reports[${k}].node: unknown node ${JSON.stringify(r.node)}`);
    if (byNode.has(r.node)) return fail(`reports[${k}]: a second report from node ${JSON.stringify(r.node)}`);
    if (!own(r, 'state')) return fail(`reports[${k}].state: missing`);
    const channels = r.channels;
    if (!isPlainObject(channels)) return fail(`reports[${k}].channels: expected an object`);
    for (const key of Object.keys(channels)) {
      if (key === r.node || !nodes.includes(key)) return fail(`reports[${k}].channels: unexpected channel from ${JSON.stringify(key)}`);
      if (!Array.isArray(channels[key])) return fail(`reports[${k}].channels.${key}: expected an array`);
    }
    for (const from of nodes) {
      if (from !== r.node && !own(channels, from)) return fail(`reports[${k}].channels: missing the channel from ${JSON.stringify(from)}`);
    }
    byNode.set(r.node, r as unknown as SnapshotReport<AS>);
  }
  for (const n of nodes) if (!byNode.has(n)) return fail(`missing the report of node ${JSON.stringify(n)}`);
  const states = Object.fromEntries(nodes.map((n) => [n, byNode.get(n)!.state]));
  const channels: { from: NodeId; to: NodeId; messages: readonly unknown[] }[] = [];
  for (const from of nodes) {
    for (const to of nodes) if (from !== to) channels.push({ from, to, messages: byNode.get(to)!.channels[from]! });
  }
  return { ok: true, snapshot: { snapshotId: snapshotId!, states, channels } };
}
