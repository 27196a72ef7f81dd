// A tiny synchronous network for scripted scenarios: every step goes through checkedStep (deep
// freeze, plain-data outputs, rejected inputs keep the state object, one persist before the
// sends, durable(state) equal to what persist wrote). Every input is stamped with the network's
// clock, `now`, which only `tick` and `advance` move.
import { checkedStep, type Machine } from 'distkit/core';

export interface Envelope {
  readonly from: string;
  readonly to: string;
  readonly message: { readonly type: string } & Record<string, unknown>;
}

export class Net<S> {
  readonly states: Record<string, S> = {};
  readonly queue: Envelope[] = [];
  /** Outputs other than sends, per node, in order. */
  readonly events: Record<string, { type: string; [k: string]: unknown }[]> = {};
  /** Every output of the last step of each node (to check persist-before-send ordering). */
  readonly last: Record<string, readonly { type: string }[]> = {};
  /** The clock stamped on every input. */
  now = 0;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(readonly machine: Machine<any, S, any, any>, configs: Record<string, unknown>) {
    for (const [id, c] of Object.entries(configs)) {
      this.states[id] = machine.init(c);
      this.events[id] = [];
    }
  }

  input(id: string, input: object): void {
    const stamped = 'now' in input ? input : { ...input, now: this.now };
    const t = checkedStep(this.machine, this.states[id]!, stamped);
    this.states[id] = t.state;
    this.last[id] = t.outputs as { type: string }[];
    // Architecture rule 6: at most one persist per step, and it comes before every send.
    const persists = t.outputs.flatMap((o, i) => ((o as { type: string }).type === 'persist' ? [i] : []));
    if (persists.length > 1 || (persists.length === 1 && persists[0] !== 0)) throw new Error(`${id}: persist at ${persists.join(', ')} of ${t.outputs.length} outputs`);
    for (const o of t.outputs as { type: string; to?: string; message?: Envelope['message'] }[]) {
      if (o.type === 'send') this.queue.push({ from: id, to: o.to!, message: o.message! });
      else if (o.type !== 'persist') this.events[id]!.push(o as { type: string });
    }
  }

  /** Delivers queued messages matching `pred` (in order) until none is left; others stay queued. */
  run(pred: (e: Envelope) => boolean = () => true, max = 10_000): number {
    let n = 0;
    for (;;) {
      const i = this.queue.findIndex((e) => this.states[e.to] !== undefined && pred(e));
      if (i < 0 || n >= max) return n;
      const [e] = this.queue.splice(i, 1);
      this.input(e!.to, { type: 'message', from: e!.from, message: e!.message });
      n++;
    }
  }

  /** Removes queued messages matching `pred`. */
  drop(pred: (e: Envelope) => boolean): void {
    for (let i = this.queue.length - 1; i >= 0; i--) if (pred(this.queue[i]!)) this.queue.splice(i, 1);
  }

  /** Moves the clock to `now` (never back) and ticks `id` then. */
  tick(id: string, now: number): void {
    this.now = Math.max(this.now, now);
    this.input(id, { type: 'tick', now: this.now });
  }

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.now += ms;
  }
}
