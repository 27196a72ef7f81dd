// A hand-driven cluster of a chain master and replicas (chain or primary-backup) for the tests.
import { deepFreeze } from '../../src/core/index.js';
import {
  chainMaster,
  chainReplica,
  primaryBackup,
  type ChainMasterOutput,
  type ChainReplicaOutput,
  type ChainReplicaState,
  type ChainView,
} from '../../src/replication/index.js';

type Replica = typeof chainReplica | typeof primaryBackup;
export type Out = ChainReplicaOutput | ChainMasterOutput;
export type AnyState = ChainReplicaState | ReturnType<typeof chainMaster.init>;

/** A hand-driven cluster: messages are queued and delivered FIFO; down nodes drop theirs. */
export class Cluster {
  readonly states = new Map<string, AnyState>();
  readonly down = new Set<string>();
  readonly events: { node: string; out: Out }[] = [];
  queue: { from: string; to: string; message: unknown }[] = [];
  now = 0;

  constructor(
    replicas: string[],
    initial = replicas.length,
    leaseMs = 200,
    failureTimeoutMs = 300,
    readonly replica_: Replica = chainReplica,
    extra: Record<string, unknown> = {},
  ) {
    this.states.set('m', chainMaster.init({ id: 'm', replicas, initial, failureTimeoutMs, checkMs: 10 }));
    for (const id of replicas) this.states.set(id, replica_.init({ id, master: 'm', heartbeatMs: 10, leaseMs, ...extra } as never));
  }

  step(node: string, input: Record<string, unknown>): void {
    if (this.down.has(node)) return;
    const machine = node === 'm' ? chainMaster : this.replica_;
    const t = (machine.step as (s: AnyState, i: unknown) => { state: AnyState; outputs: readonly Out[] })(deepFreeze(this.states.get(node)!), { ...input, now: this.now });
    this.states.set(node, t.state);
    for (const o of t.outputs) {
      if (o.type === 'send') this.queue.push({ from: node, to: o.to, message: o.message });
      else if (o.type !== 'persist') this.events.push({ node, out: o });
    }
  }

  deliver(filter: (m: { from: string; to: string; message: unknown }) => boolean = () => true): void {
    for (let guard = 0; this.queue.length > 0 && guard < 10_000; guard++) {
      const m = this.queue.shift()!;
      if (this.down.has(m.to) || this.down.has(m.from) || !filter(m)) continue;
      this.step(m.to, { type: 'message', from: m.from, message: m.message });
    }
  }

  /** Advances time in ticks of 10 ms, delivering everything after each. */
  run(ms: number, filter?: (m: { from: string; to: string; message: unknown }) => boolean): void {
    for (const end = this.now + ms; this.now < end; ) {
      this.now += 10;
      for (const id of this.states.keys()) this.step(id, { type: 'tick' });
      this.deliver(filter);
    }
  }

  replica(id: string): ChainReplicaState {
    return this.states.get(id) as ChainReplicaState;
  }

  view(): ChainView {
    return (this.states.get('m') as ReturnType<typeof chainMaster.init>).view;
  }

  client(node: string, input: { readonly type: 'write' | 'read'; readonly id: string; readonly key: string; readonly value?: unknown }): void {
    this.step(node, input);
    this.deliver();
  }

  outputs(type: string): { node: string; out: Out }[] {
    return this.events.filter((e) => e.out.type === type);
  }

  answer(id: string): Out | undefined {
    return this.events.find((e) => 'id' in e.out && e.out.id === id)?.out;
  }
}

