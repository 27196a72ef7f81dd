// The simulator's events and the queue that orders them by (virtual time, sequence). The sequence
// number is unique and increasing, so ties in time break in scheduling order and the order of
// events is total and deterministic.
import type { Fault, MessageCounts } from './types.js';
import type { ClientRt, OpRt } from './workload.js';

/** A message arriving at node index `to`; `corrupted` when the network damaged this copy. */
export interface DeliverEvent {
  readonly kind: 'deliver';
  readonly to: number;
  readonly from: number;
  readonly id: number;
  readonly message: unknown;
  readonly corrupted: boolean;
  /** The counters of the message's type, shared by its send, deliveries and drops. */
  readonly counts: MessageCounts;
}

/** A node's timer; stale when the node re-armed (its `timerGen` moved on) since it was set. */
export interface TickEvent {
  readonly kind: 'tick';
  readonly node: number;
  readonly timerGen: number;
}

/** A local command (scripted, injected, or a workload operation) for node index `node`. */
export interface CommandEvent {
  readonly kind: 'command';
  readonly node: number;
  readonly input: unknown;
}

/** A scheduled or drawn fault. */
export interface FaultEvent {
  readonly kind: 'fault';
  readonly fault: Fault;
}

/** A workload client is ready for its next operation. */
export interface InvokeEvent {
  readonly kind: 'invoke';
  readonly client: ClientRt;
}

/** A workload operation's deadline: without a response by now its outcome is unknown. */
export interface TimeoutEvent {
  readonly kind: 'timeout';
  readonly op: OpRt;
}

/** Everything that can happen in a run. */
export type SimEvent = DeliverEvent | TickEvent | CommandEvent | FaultEvent | InvokeEvent | TimeoutEvent;

/** An event in the queue with its time. One class for every kind keeps the heap's reads monomorphic. */
export class Queued {
  constructor(
    readonly time: number,
    readonly seq: number,
    readonly event: SimEvent,
  ) {}
}

function before(a: Queued, b: Queued): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** A binary min-heap of events ordered by (time, scheduling order). */
export class EventQueue {
  private readonly items: Queued[] = [];
  private seq = 0;

  /** Schedules `event` at virtual time `time`, after everything already scheduled for that time. */
  push(time: number, event: SimEvent): void {
    const e = new Queued(time, this.seq++, event);
    const a = this.items;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const q = a[p]!;
      if (before(q, e)) break;
      a[i] = q;
      i = p;
    }
    a[i] = e;
  }

  /** Removes and returns the earliest event with its time, or `undefined` when none is left. */
  pop(): Queued | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    this.siftDown(last);
    return top;
  }

  private siftDown(e: Queued): void {
    const a = this.items;
    const m = a.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= m) break;
      const r = l + 1;
      const c = r < m && before(a[r]!, a[l]!) ? r : l;
      const cv = a[c]!;
      if (before(e, cv)) break;
      a[i] = cv;
      i = c;
    }
    a[i] = e;
  }
}
