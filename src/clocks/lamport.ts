import type { NodeId } from '../core/index.js';
import { ClockError, describeValue, isPlainObject } from '../core/index.js';
import { counterProblem, fail, nodeIdProblem, ok, type ParseResult } from './parse.js';
import { assertNodeId } from './vector.js';

/**
 * A Lamport timestamp (Lamport 1978, "Time, Clocks, and the Ordering of Events in a Distributed
 * System" §2): the logical time of an event and the node it happened at. A node's clock is the
 * timestamp of its latest event, so the same shape serves as the clock value.
 *
 * @example
 * ```ts
 * import type { LamportTimestamp } from 'distkit/clocks';
 * const t: LamportTimestamp = { time: 4, node: 'a' };
 * ```
 */
export interface LamportTimestamp {
  /** The logical time C(e): a safe integer ≥ 0. */
  readonly time: number;
  /** The node whose clock stamped the event; breaks ties in the total order. */
  readonly node: NodeId;
}

/**
 * A node's Lamport clock: the timestamp of its latest event (time 0 before any).
 *
 * @example
 * ```ts
 * import { createLamportClock, type LamportClock } from 'distkit/clocks';
 * const c: LamportClock = createLamportClock('a'); //=> { time: 0, node: 'a' }
 * ```
 */
export type LamportClock = LamportTimestamp;

/**
 * What {@link lamportSend} returns: the advanced clock, and the timestamp to attach to the message.
 *
 * @example
 * ```ts
 * import { createLamportClock, lamportSend, type LamportSend } from 'distkit/clocks';
 * const s: LamportSend = lamportSend(createLamportClock('a'));
 * s.timestamp; //=> { time: 1, node: 'a' }
 * ```
 */
export interface LamportSend {
  /** The sender's clock after the send event. */
  readonly clock: LamportClock;
  /** The timestamp Tm to attach to the message (Lamport 1978, IR2 (a)). */
  readonly timestamp: LamportTimestamp;
}

/**
 * A new Lamport clock for `node`, at `time` (default 0). Throws {@link ClockError} on an invalid
 * node id or time.
 *
 * @example
 * ```ts
 * import { createLamportClock } from 'distkit/clocks';
 * createLamportClock('a'); //=> { time: 0, node: 'a' }
 * ```
 */
export function createLamportClock(node: NodeId, time = 0): LamportClock {
  assertNodeId(node, 'createLamportClock');
  const p = counterProblem(time, 'time');
  if (p !== undefined) throw new ClockError(`createLamportClock: ${p}`);
  return { time, node };
}

function advance(time: number, what: string): number {
  if (time >= Number.MAX_SAFE_INTEGER) throw new ClockError(`${what}: Lamport time would exceed 2^53 - 1`);
  return time + 1;
}

/**
 * A local event: the clock advances by one (Lamport 1978, IR1: each process increments its clock
 * between any two successive events).
 *
 * @example
 * ```ts
 * import { createLamportClock, lamportTick } from 'distkit/clocks';
 * lamportTick(createLamportClock('a')); //=> { time: 1, node: 'a' }
 * ```
 */
export function lamportTick(clock: LamportClock): LamportClock {
  return { time: advance(clock.time, 'lamportTick'), node: clock.node };
}

/**
 * A send event: the clock advances (IR1) and the new time is the timestamp the message carries
 * (IR2 (a): if event a is the sending of message m by process Pi, m contains Tm = Ci⟨a⟩).
 *
 * @example
 * ```ts
 * import { createLamportClock, lamportSend } from 'distkit/clocks';
 * const { clock, timestamp } = lamportSend(createLamportClock('a', 3));
 * timestamp; //=> { time: 4, node: 'a' }
 * ```
 */
export function lamportSend(clock: LamportClock): LamportSend {
  const next = lamportTick(clock);
  return { clock: next, timestamp: next };
}

/**
 * A receive event: the clock jumps past the message's timestamp, to max(local, remote) + 1
 * (Lamport 1978, IR2 (b): on receiving m, Pj sets Cj greater than or equal to its present value
 * and greater than Tm). `remote` must be valid — a peer's value must first pass
 * {@link parseLamportTimestamp}; an invalid one throws {@link ClockError} and is never merged.
 *
 * @example
 * ```ts
 * import { createLamportClock, lamportReceive } from 'distkit/clocks';
 * lamportReceive(createLamportClock('b', 2), { time: 7, node: 'a' }); //=> { time: 8, node: 'b' }
 * lamportReceive(createLamportClock('b', 9), 7);                      //=> { time: 10, node: 'b' }
 * ```
 */
export function lamportReceive(clock: LamportClock, remote: LamportTimestamp | number): LamportClock {
  const t = typeof remote === 'number' ? remote : remote.time;
  const p = counterProblem(t, 'remote time');
  if (p !== undefined) throw new ClockError(`lamportReceive: ${p} (validate peer timestamps with parseLamportTimestamp)`);
  return { time: advance(Math.max(clock.time, t), 'lamportReceive'), node: clock.node };
}

/**
 * The total order of events (Lamport 1978 §3, relation ⇒): by time, then by node id (plain string
 * order, the arbitrary total order of processes ≺ the paper asks for). Returns -1, 0 or 1, so it
 * sorts arrays. If a happened before b then `compareLamportTimestamps(a, b) < 0`; the converse does
 * not hold (use vector clocks to detect concurrency).
 *
 * @example
 * ```ts
 * import { compareLamportTimestamps } from 'distkit/clocks';
 * compareLamportTimestamps({ time: 3, node: 'b' }, { time: 4, node: 'a' }); //=> -1
 * compareLamportTimestamps({ time: 4, node: 'b' }, { time: 4, node: 'a' }); //=> 1
 * ```
 */
export function compareLamportTimestamps(a: LamportTimestamp, b: LamportTimestamp): -1 | 0 | 1 {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.node === b.node) return 0;
  return a.node < b.node ? -1 : 1;
}

/**
 * Validates a Lamport timestamp received from a peer: a plain object with `time` (a safe integer
 * ≥ 0 and < 2^53 − 1, so that receiving it cannot overflow) and `node` (a valid node id). Refuses
 * anything else with a reason. The accepted value is a fresh copy holding only those two fields.
 *
 * @example
 * ```ts
 * import { parseLamportTimestamp } from 'distkit/clocks';
 * parseLamportTimestamp({ time: 3, node: 'a' });   //=> { ok: true, value: { time: 3, node: 'a' } }
 * parseLamportTimestamp({ time: -1, node: 'a' }).ok; //=> false
 * ```
 */
export function parseLamportTimestamp(value: unknown): ParseResult<LamportTimestamp> {
  if (!isPlainObject(value)) return fail(`Lamport timestamp: expected an object, got ${describeValue(value)}`);
  const time = parseLamportTime(value['time']);
  if (!time.ok) return time;
  const np = nodeIdProblem(value['node']);
  if (np !== undefined) return fail(`node: ${np}`);
  return ok({ time: time.value, node: value['node'] as NodeId });
}

/**
 * Validates a bare Lamport time received from a peer: a safe integer in [0, 2^53 − 2].
 *
 * @example
 * ```ts
 * import { parseLamportTime } from 'distkit/clocks';
 * parseLamportTime(12);  //=> { ok: true, value: 12 }
 * parseLamportTime(NaN); //=> { ok: false, reason: 'time: expected an integer >= 0, got NaN' }
 * ```
 */
export function parseLamportTime(value: unknown): ParseResult<number> {
  const p = counterProblem(value, 'time');
  if (p !== undefined) return fail(p);
  if ((value as number) >= Number.MAX_SAFE_INTEGER) return fail('time: must be below 2^53 - 1 so that receiving it cannot overflow');
  return ok(value as number);
}
