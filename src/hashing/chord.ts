/**
 * Chord, a scalable peer-to-peer lookup protocol (Stoica, Morris, Karger, Kaashoek, Balakrishnan,
 * SIGCOMM 2001; extended version IEEE/ACM ToN 2003), as a pure state machine with iterative
 * lookups, successor lists, key storage, migration on join, graceful leave and re-replication.
 *
 * @packageDocumentation
 */
import type { Check, DataLimits, Machine, MessageInput, NodeId, RejectedOutput, SendOutput, TickInput, Timer, Transition } from '../core/index.js';
import { ConfigError, checkObject, InvalidCommandError, MAX_COUNTER, PAYLOAD_LIMITS, STOPPED_TIMER, assertNever, canIncrement, describeValue, earliest, getOwn, hasOwn, inputNow, nonNegativeInt, parse, plainDataProblem, positiveInt, reject, send, setOwn, startTimer, timerDue, v, withOwn, withoutOwn } from '../core/index.js';
import { murmur3 } from './hash.js';

// ---------------------------------------------------------------------------------------------
// Types

/**
 * A Chord node as seen by others: its identifier on the ring and its transport address.
 *
 * @example
 * ```ts
 * import { chord } from 'distkit/hashing';
 * let a = chord.init({ addr: 'a', m: 16 });
 * a = chord.step(a, { type: 'create', now: 0 }).state; // a one-node ring
 * a.self; //=> { id: 7653, addr: 'a' }
 * ```
 */
export interface ChordPeer {
  /** The identifier, an integer in [0, 2^m). */
  readonly id: number;
  /** The transport address (a {@link NodeId}). */
  readonly addr: NodeId;
}

/**
 * Configuration of one Chord node. Every option except `addr` has a default.
 *
 * @example
 * ```ts
 * import { chord, type ChordConfig } from 'distkit/hashing';
 * const config: ChordConfig = { addr: 'node-1', m: 32, successorListLength: 4 };
 * chord.init(config).settings.successorListLength; //=> 4
 * ```
 */
export interface ChordConfig {
  /** This node's transport address. */
  readonly addr: NodeId;
  /** The identifier on the ring; default `chordId(addr, m)` (a hash of the address). */
  readonly id?: number;
  /** Bits of the identifier space, 1..32 (ids are plain numbers). Default 32. */
  readonly m?: number;
  /** Successor list length r (ToN §V.C: r = Θ(log N) survives half the nodes failing). Default 8. */
  readonly successorListLength?: number;
  /** Copies of every key, on the owner and its next successors. Default 3, at most r + 1. */
  readonly replicas?: number;
  /** Period of `stabilize`, ms. Default 500. */
  readonly stabilizeIntervalMs?: number;
  /** Period of `fixFingers`, ms (one finger per period). Default 500. */
  readonly fixFingersIntervalMs?: number;
  /** Period of `checkPredecessor`, ms. Default 1000. */
  readonly checkPredecessorIntervalMs?: number;
  /** Period of re-replication to successors, ms. Default 2000. */
  readonly replicateIntervalMs?: number;
  /** How long to wait for any reply before suspecting the peer, ms. Default 1000. */
  readonly rpcTimeoutMs?: number;
  /** Consecutive timeouts after which a peer is presumed dead and forgotten. Default 2. */
  readonly suspectAfterTimeouts?: number;
  /** A lookup fails after this many hops (loop guard). Default 64. */
  readonly maxLookupHops?: number;
  /** Maximum number of stored keys; further keys are refused. Default {@link CHORD_MAX_KEYS}. */
  readonly maxKeys?: number;
  /**
   * Maximum number of requests this node's user may have in flight (lookups, puts, gets, a
   * join); a command beyond it fails at once with `requestFailed`. Default {@link CHORD_MAX_PENDING}.
   */
  readonly maxPendingRequests?: number;
  /**
   * Bounds on every stored or fetched value, from a peer or a `put` (depth and JSON size).
   * Default `PAYLOAD_LIMITS` (64 deep, 1 MiB).
   */
  readonly payloadLimits?: Partial<DataLimits>;
}

/**
 * The default limit on the keys one node stores (owned and replicas): `maxKeys`.
 *
 * @example
 * ```ts
 * import { CHORD_MAX_KEYS, chord } from 'distkit/hashing';
 * chord.init({ addr: 'a' }).settings.maxKeys === CHORD_MAX_KEYS; //=> true
 * ```
 */
export const CHORD_MAX_KEYS = 100_000;

/**
 * The default limit on the user requests one node keeps in flight: `maxPendingRequests`.
 *
 * @example
 * ```ts
 * import { CHORD_MAX_PENDING } from 'distkit/hashing';
 * CHORD_MAX_PENDING; //=> 1024
 * ```
 */
export const CHORD_MAX_PENDING = 1024;

/**
 * The longest successor list (`successorListLength`) and the longest list of peers or ids a
 * message may carry (a reply's successor list, a lookup's excluded ids); lists beyond it are
 * rejected.
 *
 * @example
 * ```ts
 * import { CHORD_MAX_SUCCESSORS } from 'distkit/hashing';
 * CHORD_MAX_SUCCESSORS; //=> 256
 * ```
 */
export const CHORD_MAX_SUCCESSORS = 256;

/**
 * The most peers a node keeps timeout counts for (`suspects`); when full, the oldest count is
 * forgotten to make room.
 *
 * @example
 * ```ts
 * import { CHORD_MAX_SUSPECTS } from 'distkit/hashing';
 * CHORD_MAX_SUSPECTS; //=> 1024
 * ```
 */
export const CHORD_MAX_SUSPECTS = 1024;

/**
 * The most items one `transfer` message carries; larger hand-overs are split into several.
 *
 * @example
 * ```ts
 * import { CHORD_MAX_TRANSFER_ITEMS } from 'distkit/hashing';
 * CHORD_MAX_TRANSFER_ITEMS; //=> 10000
 * ```
 */
export const CHORD_MAX_TRANSFER_ITEMS = 10_000;

/**
 * The longest key accepted, from a peer or a local command (characters).
 *
 * @example
 * ```ts
 * import { CHORD_MAX_KEY_LENGTH } from 'distkit/hashing';
 * CHORD_MAX_KEY_LENGTH; //=> 4096
 * ```
 */
export const CHORD_MAX_KEY_LENGTH = 4096;

/**
 * The resolved settings kept in the state (all defaults applied).
 *
 * @example
 * ```ts
 * import { chord } from 'distkit/hashing';
 * chord.init({ addr: 'a' }).settings.successorListLength; //=> 8
 * ```
 */
export interface ChordSettings {
  /** Bits of the identifier space. */
  readonly m: number;
  /** Successor list length r. */
  readonly successorListLength: number;
  /** Copies of every key. */
  readonly replicas: number;
  /** Period of stabilize, ms. */
  readonly stabilizeIntervalMs: number;
  /** Period of fixFingers, ms. */
  readonly fixFingersIntervalMs: number;
  /** Period of checkPredecessor, ms. */
  readonly checkPredecessorIntervalMs: number;
  /** Period of re-replication, ms. */
  readonly replicateIntervalMs: number;
  /** RPC timeout, ms. */
  readonly rpcTimeoutMs: number;
  /** Consecutive timeouts before a peer is forgotten. */
  readonly suspectAfterTimeouts: number;
  /** Lookup hop limit. */
  readonly maxLookupHops: number;
  /** Stored key limit. */
  readonly maxKeys: number;
  /** Limit on user requests in flight. */
  readonly maxPendingRequests: number;
  /** Bounds on stored and fetched values. */
  readonly payloadLimits: DataLimits;
}

/**
 * A stored key: its value (any JSON) and a version; a higher version wins when copies meet.
 *
 * @example
 * ```ts
 * import { chord } from 'distkit/hashing';
 * let a = chord.init({ addr: 'a', m: 16 });
 * a = chord.step(a, { type: 'create', now: 0 }).state; // a one-node ring
 * a = chord.step(a, { type: 'put', key: 'user:1', value: { name: 'ada' }, requestId: 'p1', now: 1 }).state;
 * a.store; //=> { 'user:1': { value: { name: 'ada' }, version: 1 } }
 * ```
 */
export interface ChordItem {
  /** The value, plain JSON data. */
  readonly value: unknown;
  /** Incremented by the owner on every put. */
  readonly version: number;
}

/**
 * What an in-flight lookup is for: a user lookup, put or get, joining, or refreshing a finger.
 *
 * @example
 * ```ts
 * import { chord } from 'distkit/hashing';
 * const b = chord.init({ addr: 'b', m: 16 });
 * const t = chord.step(b, { type: 'join', via: 'a', now: 0 });
 * // Joining asks a for b's successor (Chord §4.4):
 * t.state.pending; //=> { '1': { kind: 'findSuccessor', to: 'a', toId: -1, lookup: { purpose: { kind: 'join' }, target: 33396, hops: 1, exclude: [], path: ['a'] }, id: 1, timer: { at: 1000, attempt: 0 } } }
 * ```
 */
export type ChordLookupPurpose =
  | { readonly kind: 'lookup'; readonly requestId: string; readonly key: string }
  | { readonly kind: 'put'; readonly requestId: string; readonly key: string; readonly value: unknown }
  | { readonly kind: 'get'; readonly requestId: string; readonly key: string }
  | { readonly kind: 'join' }
  | { readonly kind: 'finger'; readonly index: number };

/**
 * An iterative lookup in progress (ToN §IV.C: the querying node asks each hop for a closer node).
 *
 * @example
 * ```ts
 * import { chord } from 'distkit/hashing';
 * const b = chord.init({ addr: 'b', m: 16 });
 * const t = chord.step(b, { type: 'join', via: 'a', now: 0 });
 * t.state.status; //=> 'joining'
 * ```
 */
export interface ChordLookup {
  /** Why the lookup runs. */
  readonly purpose: ChordLookupPurpose;
  /** The identifier whose successor is sought. */
  readonly target: number;
  /** Query messages sent so far. */
  readonly hops: number;
  /** Ids of nodes that timed out during this lookup; hops are asked to route around them. */
  readonly exclude: readonly number[];
  /** Responsive nodes asked so far, to back off to when the next one times out. */
  readonly path: readonly string[];
}

/**
 * An outstanding request to a peer, with the timer after which the peer is suspected
 * (`rpcTimeoutMs` from the input that sent the request).
 *
 * @example
 * ```ts
 * import { chord } from 'distkit/hashing';
 * const b = chord.init({ addr: 'b', m: 16 });
 * const t = chord.step(b, { type: 'join', via: 'a', now: 0 });
 * t.outputs; //=> [{ type: 'send', to: 'a', message: { type: 'findSuccessor', rid: 1, target: 33396, exclude: [] } }]
 * ```
 */
export type ChordPending =
  | {
      readonly kind: 'findSuccessor';
      readonly to: NodeId;
      /** The ring id of `to` when known (from the reply that named it), else -1. */
      readonly toId: number;
      readonly id: number;
      readonly timer: Timer;
      readonly lookup: ChordLookup;
    }
  | { readonly kind: 'getPredecessor'; readonly to: NodeId; readonly id: number; readonly timer: Timer }
  | { readonly kind: 'ping'; readonly to: NodeId; readonly id: number; readonly timer: Timer }
  | ChordKeyPending<'store'>
  | ChordKeyPending<'fetch'>;

/**
 * An outstanding `store` or `fetch` sent to a key's owner for a user's `put` or `get`. One generic
 * shape for both, with `kind` a single literal in each member, so that a reply handler narrows
 * {@link ChordPending} by kind.
 *
 * @example
 * ```ts
 * import type { ChordKeyPending } from 'distkit/hashing';
 * const p: ChordKeyPending<'fetch'> = {
 *   kind: 'fetch', to: 'b', id: 3, timer: { at: 1500, attempt: 0 },
 *   requestId: 'r1', key: 'k', owner: { addr: 'b', id: 42 }, hops: 2,
 * };
 * ```
 */
export interface ChordKeyPending<K extends 'store' | 'fetch'> {
  readonly kind: K;
  /** The owner asked. */
  readonly to: NodeId;
  /** The request id (`rid`) its reply must carry. */
  readonly id: number;
  /** When the owner is given up on. */
  readonly timer: Timer;
  /** The user request it serves. */
  readonly requestId: string;
  /** The key stored or fetched. */
  readonly key: string;
  /** The owner the lookup found. */
  readonly owner: ChordPeer;
  /** Hops the lookup took. */
  readonly hops: number;
}

/**
 * The state of one Chord node: plain JSON data.
 *
 * @example
 * ```ts
 * import { chord, type ChordState } from 'distkit/hashing';
 * const s: ChordState = chord.init({ addr: 'a', m: 16 });
 * s.status; //=> 'idle'
 * ```
 */
export interface ChordState {
  /** This node. */
  readonly self: ChordPeer;
  /** Resolved settings. */
  readonly settings: ChordSettings;
  /** `idle` before create/join, `joining`, `active`, or `left` after a graceful leave. */
  readonly status: 'idle' | 'joining' | 'active' | 'left';
  /** The predecessor, or null when unknown (§IV.E). */
  readonly predecessor: ChordPeer | null;
  /** The successor list, nearest first (ToN §V.C); `[self]` in a ring of one. */
  readonly successors: readonly ChordPeer[];
  /** finger[i] = successor(id + 2^i), or null before it is known (ToN §IV.D, Table I). */
  readonly fingers: readonly (ChordPeer | null)[];
  /** The finger fixFingers refreshes next. */
  readonly nextFinger: number;
  /** Stored keys (owned and replicas). */
  readonly store: Readonly<Record<string, ChordItem>>;
  /** The next request id. */
  readonly nextRequest: number;
  /** Outstanding requests by id, each with its timeout. */
  readonly pending: Readonly<Record<string, ChordPending>>;
  /**
   * Consecutive timeouts per peer address, cleared by any valid message from it (at most
   * {@link CHORD_MAX_SUSPECTS} entries).
   */
  readonly suspects: Readonly<Record<string, number>>;
  /** When each periodic action is next due (stopped until `create` or a completed `join`). */
  readonly timers: {
    /** Next stabilize. */
    readonly stabilize: Timer;
    /** Next fixFingers. */
    readonly fixFingers: Timer;
    /** Next checkPredecessor. */
    readonly checkPredecessor: Timer;
    /** Next re-replication. */
    readonly replicate: Timer;
  };
}

/**
 * Messages between Chord nodes. Every field is validated on receipt.
 *
 * @example
 * ```ts
 * import type { ChordMessage } from 'distkit/hashing';
 * const m: ChordMessage = { type: 'findSuccessor', rid: 1, target: 42, exclude: [] };
 * ```
 */
export type ChordMessage =
  | { readonly type: 'findSuccessor'; readonly rid: number; readonly target: number; readonly exclude: readonly number[] }
  | { readonly type: 'findSuccessorReply'; readonly rid: number; readonly done: boolean; readonly node: ChordPeer }
  | { readonly type: 'getPredecessor'; readonly rid: number }
  | {
      readonly type: 'getPredecessorReply';
      readonly rid: number;
      readonly predecessor: ChordPeer | null;
      readonly successors: readonly ChordPeer[];
    }
  | { readonly type: 'notify'; readonly node: ChordPeer }
  | { readonly type: 'ping'; readonly rid: number }
  | { readonly type: 'pong'; readonly rid: number }
  | { readonly type: 'transfer'; readonly items: readonly { readonly key: string; readonly value: unknown; readonly version: number }[] }
  | { readonly type: 'store'; readonly rid: number; readonly key: string; readonly value: unknown }
  | { readonly type: 'storeAck'; readonly rid: number; readonly ok: boolean }
  | { readonly type: 'fetch'; readonly rid: number; readonly key: string }
  | { readonly type: 'fetchReply'; readonly rid: number; readonly found: boolean; readonly value: unknown }
  | {
      readonly type: 'leaving';
      readonly node: ChordPeer;
      readonly predecessor: ChordPeer | null;
      readonly successors: readonly ChordPeer[];
    };

/**
 * Inputs of the Chord machine: ticks, peer messages, and local commands, each with the host's
 * current time `now` (ms, monotonic clock).
 *
 * @example
 * ```ts
 * import type { ChordInput } from 'distkit/hashing';
 * const cmds: ChordInput[] = [
 *   { type: 'create', now: 0 },
 *   { type: 'join', via: 'node-0', now: 0 },
 *   { type: 'lookup', key: 'user:42', requestId: 'r1', now: 10 },
 *   { type: 'put', key: 'user:42', value: { name: 'ada' }, requestId: 'r2', now: 20 },
 *   { type: 'get', key: 'user:42', requestId: 'r3', now: 30 },
 *   { type: 'leave', now: 40 },
 * ];
 * ```
 */
export type ChordInput =
  | TickInput
  | MessageInput<unknown>
  | { readonly type: 'create'; readonly now: number }
  | { readonly type: 'join'; readonly via: NodeId; readonly now: number }
  | { readonly type: 'lookup'; readonly key: string; readonly requestId: string; readonly now: number }
  | { readonly type: 'put'; readonly key: string; readonly value: unknown; readonly requestId: string; readonly now: number }
  | { readonly type: 'get'; readonly key: string; readonly requestId: string; readonly now: number }
  | { readonly type: 'leave'; readonly now: number };

/**
 * Outputs of the Chord machine: sends, rejections and events for the host.
 *
 * @example
 * ```ts
 * import type { ChordOutput } from 'distkit/hashing';
 * function onOutput(o: ChordOutput): void {
 *   if (o.type === 'lookupDone') console.log(o.key, '→', o.owner.addr, 'in', o.hops, 'hops');
 * }
 * ```
 */
export type ChordOutput =
  | SendOutput<ChordMessage>
  | RejectedOutput
  | { readonly type: 'joined'; readonly successor: ChordPeer }
  | { readonly type: 'lookupDone'; readonly requestId: string; readonly key: string; readonly keyId: number; readonly owner: ChordPeer; readonly hops: number }
  | { readonly type: 'putDone'; readonly requestId: string; readonly key: string; readonly owner: ChordPeer; readonly hops: number }
  | {
      readonly type: 'getDone';
      readonly requestId: string;
      readonly key: string;
      readonly found: boolean;
      readonly value: unknown;
      readonly owner: ChordPeer;
      readonly hops: number;
    }
  | { readonly type: 'requestFailed'; readonly requestId: string; readonly key: string; readonly reason: string }
  | { readonly type: 'left' };

// ---------------------------------------------------------------------------------------------
// Identifier arithmetic (ToN §IV.A: identifiers ordered on a circle modulo 2^m)

/**
 * The Chord identifier of a string (a node address or a key): MurmurHash3 of its UTF-8 bytes,
 * reduced to m bits. (The paper uses SHA-1; any uniform hash keeps the analysis.)
 *
 * @example
 * ```ts
 * import { chordId } from 'distkit/hashing';
 * chordId('user:42', 16) < 2 ** 16; //=> true
 * ```
 */
export function chordId(s: string, m = 32): number {
  const h = murmur3(s, 0x0c4a9d);
  return m >= 32 ? h : h % 2 ** m;
}

/** x in the open arc (a, b); the whole circle but a when a = b. */
function between(x: number, a: number, b: number): boolean {
  if (a < b) return a < x && x < b;
  if (a > b) return x > a || x < b;
  return x !== a;
}

/** x in the half-open arc (a, b]; the whole circle when a = b. */
function betweenRight(x: number, a: number, b: number): boolean {
  if (a < b) return a < x && x <= b;
  if (a > b) return x > a || x <= b;
  return true;
}

function distance(a: number, b: number, size: number): number {
  const d = b - a;
  return d < 0 ? d + size : d;
}

// ---------------------------------------------------------------------------------------------
// Validation of peer messages

/** Lookup bookkeeping lists (excluded ids, the path of hops) are cut to this length. */
const MAX_LIST = CHORD_MAX_SUCCESSORS;

/**
 * Accepts any present value: a value field's shape is checked afterwards against the node's
 * configured payload limits with `v.json` (see {@link parseValue}), which also copies it.
 */
const opaque: Check<unknown> = (value, path) => (value === undefined ? `${path ?? 'value'}: missing` : undefined);

function peerCheck(m: number) {
  return v.object({ id: v.int({ min: 0, max: 2 ** m - 1 }), addr: v.string({ minLength: 1, maxLength: 1024 }) });
}

function messageCheck(m: number) {
  const peer = peerCheck(m);
  const rid = v.int({ min: 0, max: MAX_COUNTER });
  const id = v.int({ min: 0, max: 2 ** m - 1 });
  const key = v.string({ maxLength: CHORD_MAX_KEY_LENGTH });
  return v.tagged({
    findSuccessor: v.object({ type: v.literal('findSuccessor'), rid, target: id, exclude: v.array(id, { maxLength: MAX_LIST }) }),
    findSuccessorReply: v.object({ type: v.literal('findSuccessorReply'), rid, done: v.boolean(), node: peer }),
    getPredecessor: v.object({ type: v.literal('getPredecessor'), rid }),
    getPredecessorReply: v.object({ type: v.literal('getPredecessorReply'), rid, predecessor: v.nullable(peer), successors: v.array(peer, { maxLength: MAX_LIST }) }),
    notify: v.object({ type: v.literal('notify'), node: peer }),
    ping: v.object({ type: v.literal('ping'), rid }),
    pong: v.object({ type: v.literal('pong'), rid }),
    transfer: v.object({
      type: v.literal('transfer'),
      items: v.array(v.object({ key, value: opaque, version: v.int({ min: 0, max: MAX_COUNTER }) }), { maxLength: CHORD_MAX_TRANSFER_ITEMS }),
    }),
    store: v.object({ type: v.literal('store'), rid, key, value: opaque }),
    storeAck: v.object({ type: v.literal('storeAck'), rid, ok: v.boolean() }),
    fetch: v.object({ type: v.literal('fetch'), rid, key }),
    fetchReply: v.object({ type: v.literal('fetchReply'), rid, found: v.boolean(), value: opaque }),
    leaving: v.object({ type: v.literal('leaving'), node: peer, predecessor: v.nullable(peer), successors: v.array(peer, { maxLength: MAX_LIST }) }),
  });
}

// One immutable check per identifier width, built once.
const CHECKS = Array.from({ length: 33 }, (_, m) => messageCheck(Math.max(1, m)));
function checkFor(m: number): ReturnType<typeof messageCheck> {
  return CHECKS[m]!;
}

/** Checks an opaque value against the node's payload limits; returns a deep copy, or the reason. */
function parseValue(state: ChordState, value: unknown, path: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  return parse(v.json(state.settings.payloadLimits), value, path);
}

// ---------------------------------------------------------------------------------------------
// init

/** An integer option in `[min, max]` (Chord's identifier width and list lengths are bounded). */
function intIn(config: ChordConfig, field: keyof ChordConfig, fallback: number, min: number, max: number): number {
  const x = nonNegativeInt(field, config[field], fallback);
  if (x < min || x > max) throw new ConfigError(field, `expected an integer in [${min}, ${max}], got ${x}`);
  return x;
}

function limitsOf(config: ChordConfig): DataLimits {
  const l = config.payloadLimits ?? {};
  if (l === null || typeof l !== 'object') throw new ConfigError('payloadLimits', `expected { maxDepth?, maxBytes? }, got ${describeValue(l)}`);
  const maxDepth = l.maxDepth ?? PAYLOAD_LIMITS.maxDepth;
  const maxBytes = l.maxBytes ?? PAYLOAD_LIMITS.maxBytes;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 0 || maxDepth > 1000) throw new ConfigError('payloadLimits.maxDepth', `expected an integer in [0, 1000], got ${describeValue(maxDepth)}`);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new ConfigError('payloadLimits.maxBytes', `expected a positive integer, got ${describeValue(maxBytes)}`);
  return { maxDepth, maxBytes };
}

function init(config: ChordConfig): ChordState {
  checkObject('config', config, 'expected an object');
  if (typeof config.addr !== 'string' || config.addr.length === 0 || config.addr.length > 1024) {
    throw new ConfigError('addr', 'expected a non-empty string of at most 1024 characters');
  }
  const m = intIn(config, 'm', 32, 1, 32);
  const id = intIn(config, 'id', chordId(config.addr, m), 0, 2 ** m - 1);
  const r = intIn(config, 'successorListLength', 8, 1, CHORD_MAX_SUCCESSORS);
  const settings: ChordSettings = {
    m,
    successorListLength: r,
    replicas: intIn(config, 'replicas', Math.min(3, r + 1), 1, r + 1),
    stabilizeIntervalMs: positiveInt('stabilizeIntervalMs', config.stabilizeIntervalMs, 500),
    fixFingersIntervalMs: positiveInt('fixFingersIntervalMs', config.fixFingersIntervalMs, 500),
    checkPredecessorIntervalMs: positiveInt('checkPredecessorIntervalMs', config.checkPredecessorIntervalMs, 1000),
    replicateIntervalMs: positiveInt('replicateIntervalMs', config.replicateIntervalMs, 2000),
    rpcTimeoutMs: positiveInt('rpcTimeoutMs', config.rpcTimeoutMs, 1000),
    suspectAfterTimeouts: intIn(config, 'suspectAfterTimeouts', 2, 1, 1000),
    maxLookupHops: positiveInt('maxLookupHops', config.maxLookupHops, 64),
    maxKeys: positiveInt('maxKeys', config.maxKeys, CHORD_MAX_KEYS),
    maxPendingRequests: positiveInt('maxPendingRequests', config.maxPendingRequests, CHORD_MAX_PENDING),
    payloadLimits: limitsOf(config),
  };
  const self = { id, addr: config.addr };
  return {
    self,
    settings,
    status: 'idle',
    predecessor: null,
    successors: [self],
    fingers: new Array<ChordPeer | null>(m).fill(null),
    nextFinger: 0,
    store: {},
    nextRequest: 1,
    pending: {},
    suspects: {},
    timers: { stabilize: STOPPED_TIMER, fixFingers: STOPPED_TIMER, checkPredecessor: STOPPED_TIMER, replicate: STOPPED_TIMER },
  };
}

// ---------------------------------------------------------------------------------------------
// step

type Out = ChordOutput;
type T = Transition<ChordState, Out>;

type Item = { readonly key: string; readonly value: unknown; readonly version: number };

/** `transfer` messages to `to`, at most {@link CHORD_MAX_TRANSFER_ITEMS} items each. */
function transfers(to: NodeId, items: readonly Item[]): SendOutput<ChordMessage>[] {
  const out: SendOutput<ChordMessage>[] = [];
  for (let i = 0; i < items.length; i += CHORD_MAX_TRANSFER_ITEMS) out.push(send(to, { type: 'transfer', items: items.slice(i, i + CHORD_MAX_TRANSFER_ITEMS) }));
  return out;
}

function step(state: ChordState, input: ChordInput): T {
  const now = inputNow(input);
  switch (input.type) {
    case 'tick':
      return onTick(state, now);
    case 'message':
      return onMessage(state, input.from, input.message, now);
    case 'create':
      return create(state, now);
    case 'join':
      return join(state, input.via, now);
    case 'lookup':
    case 'put':
    case 'get':
      return request(state, input, now);
    case 'leave':
      return leave(state);
    default:
      return assertNever(input, 'input');
  }
}

function requireStatus(state: ChordState, command: string, ...allowed: ChordState['status'][]): void {
  if (!allowed.includes(state.status)) throw new InvalidCommandError(command, `not allowed while ${state.status}`);
}

function armTimers(state: ChordState, now: number): ChordState['timers'] {
  const s = state.settings;
  return {
    stabilize: startTimer(now, s.stabilizeIntervalMs),
    fixFingers: startTimer(now, s.fixFingersIntervalMs),
    checkPredecessor: startTimer(now, s.checkPredecessorIntervalMs),
    replicate: startTimer(now, s.replicateIntervalMs),
  };
}

/** ToN Fig. 6 `create`: a new ring whose only member is this node. */
function create(state: ChordState, now: number): T {
  requireStatus(state, 'create', 'idle');
  return { state: { ...state, status: 'active', predecessor: null, successors: [state.self], timers: armTimers(state, now) }, outputs: [] };
}

/** ToN Fig. 6 `join(n')`: ask n' to find our successor. */
function join(state: ChordState, via: NodeId, now: number): T {
  requireStatus(state, 'join', 'idle');
  if (typeof via !== 'string' || via.length === 0 || via.length > 1024) throw new InvalidCommandError('join', 'via must be a node address of 1..1024 characters');
  const lookup: ChordLookup = { purpose: { kind: 'join' }, target: state.self.id, hops: 0, exclude: [], path: [] };
  const joining = { ...state, status: 'joining' as const };
  return ask(joining, via, lookup, [], now);
}

function request(state: ChordState, input: Extract<ChordInput, { type: 'lookup' | 'put' | 'get' }>, now: number): T {
  requireStatus(state, input.type, 'active');
  if (typeof input.key !== 'string' || input.key.length > CHORD_MAX_KEY_LENGTH) {
    throw new InvalidCommandError(input.type, `key must be a string of at most ${CHORD_MAX_KEY_LENGTH} characters`);
  }
  if (typeof input.requestId !== 'string') throw new InvalidCommandError(input.type, `requestId must be a string, got ${describeValue(input.requestId)}`);
  let purpose: ChordLookupPurpose;
  if (input.type === 'put') {
    const problem = plainDataProblem(input.value, 'value', state.settings.payloadLimits);
    if (problem !== undefined) throw new InvalidCommandError('put', problem);
    purpose = { kind: 'put', requestId: input.requestId, key: input.key, value: JSON.parse(JSON.stringify(input.value)) as unknown };
  } else {
    purpose = { kind: input.type, requestId: input.requestId, key: input.key };
  }
  if (Object.keys(state.pending).length >= state.settings.maxPendingRequests) {
    return {
      state,
      outputs: [{ type: 'requestFailed', requestId: input.requestId, key: input.key, reason: `maxPendingRequests: ${state.settings.maxPendingRequests} requests already in flight` }],
    };
  }
  return startLookup(state, purpose, chordId(input.key, state.settings.m), [], now);
}

/** Graceful leave (ToN §IV.E.3): hand keys to the successor and link predecessor and successor. */
function leave(state: ChordState): T {
  requireStatus(state, 'leave', 'active');
  const outputs: Out[] = [];
  const succ = state.successors[0]!;
  if (succ.addr !== state.self.addr) {
    const items = Object.entries(state.store).map(([key, it]) => ({ key, value: it.value, version: it.version }));
    outputs.push(...transfers(succ.addr, items));
    const msg: ChordMessage = { type: 'leaving', node: state.self, predecessor: state.predecessor, successors: state.successors };
    outputs.push(send(succ.addr, msg));
    if (state.predecessor !== null && state.predecessor.addr !== succ.addr && state.predecessor.addr !== state.self.addr) {
      outputs.push(send(state.predecessor.addr, msg));
    }
  }
  outputs.push({ type: 'left' });
  return { state: { ...state, status: 'left', pending: {}, suspects: {}, store: {}, predecessor: null, successors: [state.self] }, outputs };
}

// --- ticks: timeouts, then periodic maintenance ---------------------------------------------

function onTick(state0: ChordState, now: number): T {
  let state = state0;
  if (state.status === 'idle' || state.status === 'left') return { state, outputs: [] };
  const outputs: Out[] = [];
  // Timeouts first: a silent peer is suspected dead.
  for (const [rid, p] of Object.entries(state.pending)) {
    if (!timerDue(p.timer, now)) continue;
    state = { ...state, pending: withoutOwn(state.pending, rid) };
    const t = onTimeout(state, p, now);
    state = t.state;
    outputs.push(...t.outputs);
  }
  if (state.status !== 'active') return { state, outputs };
  const settings = state.settings;
  // Stabilization runs periodically (ToN Fig. 6): each task runs when its own timer is due, then re-arms it.
  for (const [timer, every, task] of PERIODIC) {
    if (!timerDue(state.timers[timer], now)) continue;
    state = { ...state, timers: { ...state.timers, [timer]: startTimer(now, settings[every]) } };
    const t = task(state, now);
    state = t.state;
    outputs.push(...t.outputs);
  }
  return { state, outputs };
}

/** The periodic tasks, in the order they run within one tick: timer, its period setting, the task. */
const PERIODIC: readonly (readonly [keyof ChordState['timers'], 'stabilizeIntervalMs' | 'fixFingersIntervalMs' | 'checkPredecessorIntervalMs' | 'replicateIntervalMs', (s: ChordState, now: number) => T])[] = [
  ['stabilize', 'stabilizeIntervalMs', stabilize],
  ['fixFingers', 'fixFingersIntervalMs', fixFingers],
  ['checkPredecessor', 'checkPredecessorIntervalMs', checkPredecessor],
  ['replicate', 'replicateIntervalMs', (s) => ({ state: s, outputs: replicate(s) })],
];

/**
 * Counts a timeout against a peer; after `suspectAfterTimeouts` consecutive ones the peer is
 * presumed dead and forgotten (one lost message must not evict a live successor).
 */
function strike(state: ChordState, addr: NodeId): { state: ChordState; dead: boolean } {
  const count = (getOwn(state.suspects, addr) ?? 0) + 1;
  if (count < state.settings.suspectAfterTimeouts) {
    let suspects = state.suspects;
    // A full table forgets its oldest count (CHORD_MAX_SUSPECTS): a timeout costs at most a retry.
    if (!hasOwn(suspects, addr) && Object.keys(suspects).length >= CHORD_MAX_SUSPECTS) suspects = withoutOwn(suspects, Object.keys(suspects)[0]!);
    return { state: { ...state, suspects: withOwn(suspects, addr, count) }, dead: false };
  }
  return { state: forget({ ...state, suspects: withoutOwn(state.suspects, addr) }, addr), dead: true };
}

/** Forgets a peer presumed dead: drop it from the successor list, fingers and predecessor. */
function forget(state: ChordState, addr: NodeId): ChordState {
  if (addr === state.self.addr) return state;
  let successors = state.successors.filter((p) => p.addr !== addr);
  if (successors.length === 0) {
    // ToN §V.C: with all r successors gone the ring is broken; fall back to the nearest finger or
    // the predecessor, and with nobody else known keep retrying the last one rather than isolate.
    const f = state.fingers.find((x) => x !== null && x.addr !== addr && x.addr !== state.self.addr);
    const p = state.predecessor !== null && state.predecessor.addr !== addr ? state.predecessor : undefined;
    successors = [f ?? p ?? state.successors[0] ?? state.self];
  }
  const fingers = state.fingers.some((f) => f !== null && f.addr === addr)
    ? state.fingers.map((f) => (f !== null && f.addr === addr ? null : f))
    : state.fingers;
  const predecessor = state.predecessor !== null && state.predecessor.addr === addr ? null : state.predecessor;
  return { ...state, successors, fingers, predecessor };
}

function onTimeout(state: ChordState, p: ChordPending, now: number): T {
  switch (p.kind) {
    case 'getPredecessor': {
      // ToN §V.C: the successor failed; use the next entry of the successor list right away
      // (the stabilize timer is due now, so this very tick runs it).
      const { state: s, dead } = strike(state, p.to);
      return { state: dead ? { ...s, timers: { ...s.timers, stabilize: startTimer(now, 0) } } : s, outputs: [] };
    }
    case 'ping':
      // ToN Fig. 7 check_predecessor: a silent predecessor is cleared.
      return { state: strike(state, p.to).state, outputs: [] };
    case 'findSuccessor': {
      const l = p.lookup;
      const s = state.status === 'joining' ? state : strike(state, p.to).state;
      const deadId = p.toId >= 0 ? p.toId : findId(state, p.to);
      const exclude = deadId === undefined || l.exclude.includes(deadId) ? l.exclude : [...l.exclude, deadId].slice(-MAX_LIST);
      const next: ChordLookup = { ...l, exclude };
      if (l.hops >= s.settings.maxLookupHops) return failLookup(s, l, 'too many hops');
      // Back off to the last responsive node of the path, else restart here.
      const path = l.path.slice(0, -1);
      const back = path[path.length - 1];
      if (back !== undefined) return ask(s, back, { ...next, path }, exclude, now);
      if (s.status === 'joining') return { state: { ...s, status: 'idle' }, outputs: [{ type: 'requestFailed', requestId: 'join', key: '', reason: `join via ${p.to} timed out` }] };
      return startLookup(s, next.purpose, next.target, exclude, now, next.hops);
    }
    case 'store':
    case 'fetch':
      return {
        state: strike(state, p.to).state,
        outputs: [{ type: 'requestFailed', requestId: p.requestId, key: p.key, reason: `${p.kind} at ${p.to} timed out` }],
      };
    default:
      return assertNever(p, 'pending request');
  }
}

function findId(state: ChordState, addr: NodeId): number | undefined {
  for (const p of state.successors) if (p.addr === addr) return p.id;
  for (const f of state.fingers) if (f !== null && f.addr === addr) return f.id;
  if (state.predecessor !== null && state.predecessor.addr === addr) return state.predecessor.id;
  return undefined;
}

type PendingSpec = ChordPending extends infer P ? (P extends ChordPending ? Omit<P, 'id' | 'timer'> : never) : never;

/** Records an outstanding request; it times out `rpcTimeoutMs` after `now`, the time it is sent. */
function newRequest(state: ChordState, p: PendingSpec, now: number): { state: ChordState; rid: number } {
  let rid = state.nextRequest;
  // Request ids wrap before MAX_COUNTER (peers reject larger ones), skipping ids still in flight.
  while (hasOwn(state.pending, String(rid))) rid = rid >= MAX_COUNTER ? 1 : rid + 1;
  const pending = withOwn(state.pending, String(rid), { ...p, id: rid, timer: startTimer(now, state.settings.rpcTimeoutMs) } as ChordPending);
  return { state: { ...state, nextRequest: rid >= MAX_COUNTER ? 1 : rid + 1, pending }, rid };
}

/** ToN Fig. 7 stabilize: ask the successor for its predecessor (and successor list, §V.C). */
function stabilize(state: ChordState, now: number): T {
  const succ = state.successors[0]!;
  if (succ.addr === state.self.addr) {
    // A ring of one: the predecessor, once known, is also the successor.
    const x = state.predecessor;
    if (x === null || x.addr === state.self.addr) return { state, outputs: [] };
    return { state: { ...state, successors: [x] }, outputs: [send(x.addr, { type: 'notify', node: state.self })] };
  }
  if (Object.values(state.pending).some((p) => p.kind === 'getPredecessor')) return { state, outputs: [] };
  const r = newRequest(state, { kind: 'getPredecessor', to: succ.addr }, now);
  return { state: r.state, outputs: [send(succ.addr, { type: 'getPredecessor', rid: r.rid })] };
}

/** Builds a successor list: `first` then `rest`, cut at ourselves, without duplicates, length <= r. */
function successorList(state: ChordState, list: readonly ChordPeer[]): ChordPeer[] {
  const out: ChordPeer[] = [];
  const seen = new Set<string>();
  for (const p of list) {
    if (p.addr === state.self.addr) break;
    if (seen.has(p.addr)) continue;
    seen.add(p.addr);
    out.push(p);
    if (out.length === state.settings.successorListLength) break;
  }
  return out.length === 0 ? [state.self] : out;
}

function onGetPredecessorReply(state: ChordState, from: NodeId, msg: Extract<ChordMessage, { type: 'getPredecessorReply' }>): T {
  const succ = state.successors[0]!;
  if (succ.addr !== from) return { state, outputs: [] };
  let list: ChordPeer[] = [succ, ...msg.successors];
  const x = msg.predecessor;
  // ToN Fig. 7: if x in (n, successor) then successor = x.
  if (x !== null && x.addr !== state.self.addr && between(x.id, state.self.id, succ.id)) list = [x, ...list];
  const successors = successorList(state, list);
  const fingers = state.fingers[0] === undefined ? state.fingers : state.fingers.map((f, i) => (i === 0 ? successors[0]! : f));
  const next = { ...state, successors, fingers };
  const head = successors[0]!;
  return { state: next, outputs: head.addr === state.self.addr ? [] : [send(head.addr, { type: 'notify', node: state.self })] };
}

/** ToN Fig. 7 notify(n'): n' thinks it might be our predecessor; migrate its keys (§IV.E). */
function onNotify(state: ChordState, node: ChordPeer): T {
  if (node.addr === state.self.addr) return { state, outputs: [] };
  const old = state.predecessor;
  if (old !== null && old.addr === node.addr) return { state, outputs: [] };
  if (old !== null && !between(node.id, old.id, state.self.id)) return { state, outputs: [] };
  let next: ChordState = { ...state, predecessor: node };
  // A ring of one learns its first other member here.
  if (state.successors[0]!.addr === state.self.addr) next = { ...next, successors: [node] };
  // Keys in (old, node] now belong to node: hand them over (kept here as replicas).
  const items: Item[] = [];
  for (const [key, it] of Object.entries(state.store)) {
    const k = chordId(key, state.settings.m);
    const moves = old !== null ? betweenRight(k, old.id, node.id) : !betweenRight(k, node.id, state.self.id);
    if (moves) items.push({ key, value: it.value, version: it.version });
  }
  return { state: next, outputs: transfers(node.addr, items) };
}

/** ToN Fig. 7 fix_fingers: refresh the next finger by looking up id + 2^i. */
function fixFingers(state: ChordState, now: number): T {
  if (Object.values(state.pending).some((p) => p.kind === 'findSuccessor' && p.lookup.purpose.kind === 'finger')) return { state, outputs: [] };
  const i = state.nextFinger;
  const s = { ...state, nextFinger: (i + 1) % state.settings.m };
  const target = (state.self.id + 2 ** i) % 2 ** state.settings.m;
  return startLookup(s, { kind: 'finger', index: i }, target, [], now);
}

/** ToN Fig. 7 check_predecessor. */
function checkPredecessor(state: ChordState, now: number): T {
  const p = state.predecessor;
  if (p === null || p.addr === state.self.addr) return { state, outputs: [] };
  if (Object.values(state.pending).some((x) => x.kind === 'ping')) return { state, outputs: [] };
  const r = newRequest(state, { kind: 'ping', to: p.addr }, now);
  return { state: r.state, outputs: [send(p.addr, { type: 'ping', rid: r.rid })] };
}

/**
 * Re-replication (ToN §V.C and DHash): push the keys this node owns, (predecessor, self], to the
 * next `replicas - 1` successors, so a failed owner's successor already holds its keys.
 */
function replicate(state: ChordState): Out[] {
  if (state.predecessor === null || state.settings.replicas < 2) return [];
  const items: Item[] = [];
  for (const [key, it] of Object.entries(state.store)) {
    if (betweenRight(chordId(key, state.settings.m), state.predecessor.id, state.self.id)) items.push({ key, value: it.value, version: it.version });
  }
  if (items.length === 0) return [];
  const outputs: Out[] = [];
  for (const p of state.successors.slice(0, state.settings.replicas - 1)) {
    if (p.addr !== state.self.addr) outputs.push(...transfers(p.addr, items));
  }
  return outputs;
}

// --- lookups ---------------------------------------------------------------------------------

/**
 * ToN Fig. 5 closest_preceding_node, over fingers and the successor list (§V.C), skipping
 * excluded (suspected) ids: the known node in (self, target) closest to target.
 */
function closestPreceding(state: ChordState, target: number, exclude: readonly number[]): ChordPeer {
  const size = 2 ** state.settings.m;
  const selfId = state.self.id;
  let best: ChordPeer = state.self;
  let bestDist = 0;
  const consider = (p: ChordPeer | null): void => {
    if (p === null || p.addr === state.self.addr || !between(p.id, selfId, target)) return;
    if (exclude.length > 0 && exclude.includes(p.id)) return;
    const d = distance(selfId, p.id, size);
    if (d > bestDist) {
      bestDist = d;
      best = p;
    }
  };
  for (let i = state.fingers.length - 1; i >= 0; i--) consider(state.fingers[i]!);
  for (const p of state.successors) consider(p);
  return best;
}

/** The first live successor not excluded. */
function liveSuccessor(state: ChordState, exclude: readonly number[]): ChordPeer {
  for (const p of state.successors) if (!exclude.includes(p.id)) return p;
  return state.successors[0]!;
}

/** One routing decision at this node (ToN Fig. 5 find_successor, one iterative step). */
function route(state: ChordState, target: number, exclude: readonly number[]): { done: boolean; node: ChordPeer } {
  const succ = liveSuccessor(state, exclude);
  if (succ.addr === state.self.addr || betweenRight(target, state.self.id, succ.id)) return { done: true, node: succ };
  const next = closestPreceding(state, target, exclude);
  if (next.addr === state.self.addr) return { done: true, node: succ };
  return { done: false, node: next };
}

function startLookup(state: ChordState, purpose: ChordLookupPurpose, target: number, exclude: readonly number[], now: number, hops = 0): T {
  const lookup: ChordLookup = { purpose, target, hops, exclude, path: [] };
  // A key in (predecessor, self] is ours: no need to go around the ring.
  const pred = state.predecessor;
  if (pred !== null && purpose.kind !== 'finger' && betweenRight(target, pred.id, state.self.id)) return finishLookup(state, lookup, state.self, now);
  const r = route(state, target, exclude);
  if (r.done) return finishLookup(state, lookup, r.node, now);
  return ask(state, r.node.addr, lookup, exclude, now, r.node.id);
}

function ask(state: ChordState, to: NodeId, lookup: ChordLookup, exclude: readonly number[], now: number, toId = -1): T {
  if (lookup.hops >= state.settings.maxLookupHops) return failLookup(state, lookup, 'too many hops');
  const l: ChordLookup = { ...lookup, hops: lookup.hops + 1, path: lookup.path[lookup.path.length - 1] === to ? lookup.path : [...lookup.path, to].slice(-MAX_LIST) };
  const r = newRequest(state, { kind: 'findSuccessor', to, toId, lookup: l }, now);
  return { state: r.state, outputs: [send(to, { type: 'findSuccessor', rid: r.rid, target: lookup.target, exclude })] };
}

function failLookup(state: ChordState, l: ChordLookup, reason: string): T {
  const p = l.purpose;
  switch (p.kind) {
    case 'lookup':
    case 'put':
    case 'get':
      return { state, outputs: [{ type: 'requestFailed', requestId: p.requestId, key: p.key, reason }] };
    case 'join':
      return { state: { ...state, status: 'idle' }, outputs: [{ type: 'requestFailed', requestId: 'join', key: '', reason }] };
    case 'finger':
      return { state, outputs: [] };
    default:
      return assertNever(p, 'lookup purpose');
  }
}

function finishLookup(state: ChordState, l: ChordLookup, owner: ChordPeer, now: number): T {
  const p = l.purpose;
  switch (p.kind) {
    case 'lookup':
      return { state, outputs: [{ type: 'lookupDone', requestId: p.requestId, key: p.key, keyId: l.target, owner, hops: l.hops }] };
    case 'join': {
      // ToN Fig. 6 join: predecessor = nil; successor = n'.find_successor(n). Stabilize at once.
      const successors = owner.addr === state.self.addr ? [state.self] : [owner];
      const fingers = state.fingers.map((f, i) => (i === 0 ? successors[0]! : f));
      const timers = { ...armTimers(state, now), stabilize: startTimer(now, 0) };
      const next: ChordState = { ...state, status: 'active', predecessor: null, successors, fingers, timers };
      return { state: next, outputs: [{ type: 'joined', successor: successors[0]! }] };
    }
    case 'finger': {
      const cur = state.fingers[p.index];
      if (cur !== undefined && cur !== null && cur.addr === owner.addr && cur.id === owner.id) return { state, outputs: [] };
      return { state: { ...state, fingers: state.fingers.map((f, i) => (i === p.index ? owner : f)) }, outputs: [] };
    }
    case 'put': {
      if (owner.addr === state.self.addr) {
        const t = storeLocal(state, p.key, p.value);
        const outputs: Out[] = t.ok ? [{ type: 'putDone', requestId: p.requestId, key: p.key, owner, hops: l.hops }] : [{ type: 'requestFailed', requestId: p.requestId, key: p.key, reason: t.reason }];
        return { state: t.state, outputs };
      }
      const r = newRequest(state, { kind: 'store', to: owner.addr, requestId: p.requestId, key: p.key, owner, hops: l.hops }, now);
      return { state: r.state, outputs: [send(owner.addr, { type: 'store', rid: r.rid, key: p.key, value: p.value })] };
    }
    case 'get': {
      if (owner.addr === state.self.addr) {
        const it = getOwn(state.store, p.key);
        return { state, outputs: [{ type: 'getDone', requestId: p.requestId, key: p.key, found: it !== undefined, value: it?.value ?? null, owner, hops: l.hops }] };
      }
      const r = newRequest(state, { kind: 'fetch', to: owner.addr, requestId: p.requestId, key: p.key, owner, hops: l.hops }, now);
      return { state: r.state, outputs: [send(owner.addr, { type: 'fetch', rid: r.rid, key: p.key })] };
    }
    default:
      return assertNever(p, 'lookup purpose');
  }
}

/** Stores a value (already validated and copied) under `key`, as an own property whatever the key. */
function storeLocal(state: ChordState, key: string, value: unknown): { state: ChordState; ok: true } | { state: ChordState; ok: false; reason: string } {
  const cur = getOwn(state.store, key);
  if (cur === undefined && Object.keys(state.store).length >= state.settings.maxKeys) return { state, ok: false, reason: `store full (maxKeys ${state.settings.maxKeys})` };
  if (cur !== undefined && (!canIncrement(cur.version) || cur.version >= MAX_COUNTER)) return { state, ok: false, reason: `version of ${JSON.stringify(key)} cannot grow past MAX_COUNTER` };
  const store = withOwn(state.store, key, { value, version: (cur?.version ?? 0) + 1 });
  return { state: { ...state, store }, ok: true };
}

// --- messages --------------------------------------------------------------------------------

function takePending<K extends ChordPending['kind']>(
  state: ChordState,
  from: NodeId,
  rid: number,
  kind: K,
): { state: ChordState; p: Extract<ChordPending, { kind: K }> } | string {
  const p = getOwn(state.pending, String(rid));
  if (p === undefined) return `rid: no outstanding request ${rid}`;
  if (p.kind !== kind) return `rid: request ${rid} is a ${p.kind}, not a ${kind}`;
  if (p.to !== from) return `from: request ${rid} was sent to ${p.to}`;
  return { state: { ...state, pending: withoutOwn(state.pending, String(rid)) }, p: p as Extract<ChordPending, { kind: K }> };
}

function onMessage(state: ChordState, from: NodeId, raw: unknown, now: number): T {
  if (typeof from !== 'string' || from.length === 0) return reject(state, typeof from === 'string' ? from : 'unknown', 'from: expected a node address');
  if (state.status === 'idle' || state.status === 'left') return reject(state, from, `node is ${state.status}`);
  // Only the validated fields are kept (parse copies them); values are checked and copied below.
  const parsed = parse(checkFor(state.settings.m), raw, 'message');
  if (!parsed.ok) return reject(state, from, parsed.problem);
  const msg = parsed.value as ChordMessage;
  const t = dispatch(state, from, msg, now);
  // Any accepted message from a suspected peer proves it alive.
  if (!hasOwn(t.state.suspects, from) || t.outputs.some((o) => o.type === 'rejected')) return t;
  return { state: { ...t.state, suspects: withoutOwn(t.state.suspects, from) }, outputs: t.outputs };
}

function dispatch(state: ChordState, from: NodeId, msg: ChordMessage, now: number): T {
  switch (msg.type) {
    case 'findSuccessor': {
      if (state.status !== 'active') return reject(state, from, 'not active yet');
      const r = route(state, msg.target, msg.exclude);
      return { state, outputs: [send(from, { type: 'findSuccessorReply', rid: msg.rid, done: r.done, node: r.node })] };
    }
    case 'findSuccessorReply': {
      const t = takePending(state, from, msg.rid, 'findSuccessor');
      if (typeof t === 'string') return reject(state, from, t);
      const l = t.p.lookup;
      if (msg.done) return finishLookup(t.state, l, msg.node, now);
      if (msg.node.addr === from || msg.node.addr === t.state.self.addr) {
        // No progress possible through this node: take its answer as final (its successor).
        return finishLookup(t.state, l, msg.node, now);
      }
      return ask(t.state, msg.node.addr, l, l.exclude, now, msg.node.id);
    }
    case 'getPredecessor':
      if (state.status !== 'active') return reject(state, from, 'not active yet');
      return {
        state,
        outputs: [send(from, { type: 'getPredecessorReply', rid: msg.rid, predecessor: state.predecessor, successors: state.successors })],
      };
    case 'getPredecessorReply': {
      const t = takePending(state, from, msg.rid, 'getPredecessor');
      if (typeof t === 'string') return reject(state, from, t);
      return onGetPredecessorReply(t.state, from, msg);
    }
    case 'notify':
      if (msg.node.addr !== from) return reject(state, from, 'node.addr: does not match the sender');
      if (state.status !== 'active') return reject(state, from, 'not active yet');
      return onNotify(state, msg.node);
    case 'ping':
      return { state, outputs: [send(from, { type: 'pong', rid: msg.rid })] };
    case 'pong': {
      const t = takePending(state, from, msg.rid, 'ping');
      if (typeof t === 'string') return reject(state, from, t);
      return { state: t.state, outputs: [] };
    }
    case 'transfer':
      return onTransfer(state, from, msg.items);
    case 'store': {
      const value = parseValue(state, msg.value, 'value');
      if (!value.ok) return reject(state, from, value.problem);
      const t = storeLocal(state, msg.key, value.value);
      return { state: t.state, outputs: [send(from, { type: 'storeAck', rid: msg.rid, ok: t.ok })] };
    }
    case 'storeAck': {
      const t = takePending(state, from, msg.rid, 'store');
      if (typeof t === 'string') return reject(state, from, t);
      const p = t.p;
      return {
        state: t.state,
        outputs: [msg.ok ? { type: 'putDone', requestId: p.requestId, key: p.key, owner: p.owner, hops: p.hops } : { type: 'requestFailed', requestId: p.requestId, key: p.key, reason: 'store refused' }],
      };
    }
    case 'fetch': {
      // An own-property lookup: a key named `constructor` or `__proto__` is found only if stored.
      const it = getOwn(state.store, msg.key);
      return { state, outputs: [send(from, { type: 'fetchReply', rid: msg.rid, found: it !== undefined, value: it?.value ?? null })] };
    }
    case 'fetchReply': {
      const value = parseValue(state, msg.value, 'value');
      if (!value.ok) return reject(state, from, value.problem);
      const t = takePending(state, from, msg.rid, 'fetch');
      if (typeof t === 'string') return reject(state, from, t);
      const p = t.p;
      return { state: t.state, outputs: [{ type: 'getDone', requestId: p.requestId, key: p.key, found: msg.found, value: value.value, owner: p.owner, hops: p.hops }] };
    }
    case 'leaving':
      if (msg.node.addr !== from) return reject(state, from, 'node.addr: does not match the sender');
      return onLeaving(state, msg);
    default:
      return assertNever(msg, 'chord message');
  }
}

/**
 * Keys handed over by a peer (migration, leave, re-replication): newer versions win. Every value
 * is checked against the payload limits and copied before it is stored; keys are own properties.
 */
function onTransfer(state: ChordState, from: NodeId, items: readonly Item[]): T {
  let store: Record<string, ChordItem> | undefined;
  let count = Object.keys(state.store).length;
  for (const [i, it] of items.entries()) {
    const cur = getOwn(store ?? state.store, it.key);
    if (cur !== undefined && cur.version >= it.version) continue;
    if (cur === undefined && count >= state.settings.maxKeys) return reject(state, from, `items: store full (maxKeys ${state.settings.maxKeys})`);
    const value = parseValue(state, it.value, `items[${i}].value`);
    if (!value.ok) return reject(state, from, value.problem);
    store ??= { ...state.store };
    setOwn(store, it.key, { value: value.value, version: it.version });
    if (cur === undefined) count++;
  }
  return { state: store === undefined ? state : { ...state, store }, outputs: [] };
}

/** A neighbour leaves gracefully (ToN §IV.E.3): splice it out of our pointers. */
function onLeaving(state: ChordState, msg: Extract<ChordMessage, { type: 'leaving' }>): T {
  let next = state;
  if (state.successors[0]!.addr === msg.node.addr) {
    next = { ...next, successors: successorList(next, [...state.successors.slice(1), ...msg.successors].filter((p) => p.addr !== msg.node.addr)) };
  } else if (state.successors.some((p) => p.addr === msg.node.addr)) {
    next = { ...next, successors: successorList(next, state.successors.filter((p) => p.addr !== msg.node.addr)) };
  }
  if (state.predecessor !== null && state.predecessor.addr === msg.node.addr) {
    const p = msg.predecessor;
    next = { ...next, predecessor: p !== null && p.addr !== state.self.addr ? p : null };
  }
  next = { ...next, fingers: next.fingers.map((f) => (f !== null && f.addr === msg.node.addr ? null : f)) };
  return { state: next, outputs: [] };
}

// ---------------------------------------------------------------------------------------------
// deadlines

function nextDeadline(state: ChordState): number | undefined {
  if (state.status === 'idle' || state.status === 'left') return undefined;
  let d = earliest(...Object.values(state.pending).map((p) => p.timer));
  if (state.status === 'active') {
    const t = state.timers;
    d = earliest(d, t.stabilize, t.fixFingers, t.checkPredecessor, t.replicate);
  }
  return d;
}

/**
 * The Chord machine (Stoica et al., SIGCOMM 2001 / ToN 2003). Inputs: `tick`, peer `message`s and
 * the commands `create`, `join`, `lookup`, `put`, `get`, `leave`, each with the host's `now`.
 * Periodic `stabilize`, `fixFingers`, `checkPredecessor` and re-replication run from ticks, and a
 * request times out `rpcTimeoutMs` after the input that sent it; `nextDeadline` says when.
 * Peer-chosen keys and addresses are own properties of the state's records, values are checked
 * against `payloadLimits` and copied, and every table a peer can grow has a named limit
 * ({@link CHORD_MAX_KEYS}, {@link CHORD_MAX_PENDING}, {@link CHORD_MAX_SUCCESSORS},
 * {@link CHORD_MAX_SUSPECTS}).
 *
 * @example
 * ```ts
 * import { chord } from 'distkit/hashing';
 * let a = chord.init({ addr: 'a', m: 16 });
 * a = chord.step(a, { type: 'create', now: 0 }).state;
 * const t = chord.step(a, { type: 'lookup', key: 'user:42', requestId: 'r1', now: 5 });
 * const done = t.outputs[0];
 * done?.type === 'lookupDone' ? [done.owner.addr, done.hops] : undefined; //=> ['a', 0]
 * ```
 */
export const chord: Machine<ChordConfig, ChordState, ChordInput, ChordOutput> & {
  /** The earliest time (ms) at which the node wants a tick, or `undefined` when idle or left. */
  nextDeadline(state: ChordState): number | undefined;
} = {
  name: 'chord',
  init,
  step,
  nextDeadline,
};

/**
 * The identifier whose successor owns `key` (for checks and tools): `chordId(key, m)`.
 *
 * @example
 * ```ts
 * import { chordKeyId, chordId } from 'distkit/hashing';
 * chordKeyId('k', 16) === chordId('k', 16); //=> true
 * ```
 */
export function chordKeyId(key: string, m = 32): number {
  return chordId(key, m);
}

/**
 * `true` when `x` lies on the half-open arc (a, b] of the identifier circle (the whole circle
 * when a = b): the rule by which a key with id x belongs to node b whose predecessor is a.
 *
 * @example
 * ```ts
 * import { chordOwns } from 'distkit/hashing';
 * chordOwns(5, 250, 10); //=> true (the arc wraps past zero)
 * ```
 */
export function chordOwns(x: number, a: number, b: number): boolean {
  return betweenRight(x, a, b);
}
