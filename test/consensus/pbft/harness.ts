// A synchronous in-process PBFT cluster for scripted tests: messages queue up and are delivered
// one at a time (FIFO, or by a chosen filter); every input is stamped with the cluster's time and
// stepped through checkedStep, which enforces the whole machine contract.
import { checkedStep, type NodeId } from 'distkit/core';
import {
  pbftClient,
  pbftHmacAuthenticator,
  pbftHmacKeyRings,
  pbftReplica,
  type PbftClientMachine,
  type PbftClientOutput,
  type PbftClientState,
  type PbftReplicaConfig,
  type PbftReplicaMachine,
  type PbftReplicaOutput,
  type PbftReplicaState,
} from 'distkit/consensus';

export const SECRET = 'pbft test secret';

export function ids(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `r${i}`);
}

export function rings(nodes: readonly string[]): Record<string, Record<string, string>> {
  return pbftHmacKeyRings(nodes, SECRET);
}

export function replicaMachine(id: string, nodes: readonly string[]): PbftReplicaMachine {
  return pbftReplica({ authenticator: pbftHmacAuthenticator({ id, keys: rings(nodes)[id]! }) });
}

export function clientMachine(id: string, nodes: readonly string[]): PbftClientMachine {
  return pbftClient({ authenticator: pbftHmacAuthenticator({ id, keys: rings(nodes)[id]! }) });
}

export interface Envelope {
  from: NodeId;
  to: NodeId;
  message: unknown;
}

export class Cluster {
  readonly replicas: string[];
  readonly clients: string[];
  readonly machines = new Map<string, PbftReplicaMachine>();
  readonly clientMachines = new Map<string, PbftClientMachine>();
  readonly states = new Map<string, PbftReplicaState>();
  readonly clientStates = new Map<string, PbftClientState>();
  readonly queue: Envelope[] = [];
  readonly events: { node: string; output: PbftReplicaOutput | PbftClientOutput }[] = [];
  /** Every message sent, in order. */
  readonly history: Envelope[] = [];
  /** Messages sent, by type. */
  readonly sent: Record<string, number> = {};
  /** Nodes whose incoming and outgoing messages are dropped. */
  readonly silent = new Set<string>();
  now = 0;

  constructor(n: number, clients: string[] = ['c0'], config: Partial<PbftReplicaConfig> = {}) {
    this.replicas = ids(n);
    this.clients = clients;
    const all = [...this.replicas, ...clients];
    for (const id of this.replicas) {
      const m = replicaMachine(id, all);
      this.machines.set(id, m);
      this.states.set(id, m.init({ ...config, id, replicas: this.replicas }));
    }
    for (const id of clients) {
      const m = clientMachine(id, all);
      this.clientMachines.set(id, m);
      this.clientStates.set(id, m.init({ id, replicas: this.replicas, retransmitMs: 300 }));
    }
  }

  private take(node: string, outputs: readonly (PbftReplicaOutput | PbftClientOutput)[]): void {
    for (const o of outputs) {
      if (o.type === 'send') {
        if (!this.silent.has(node)) this.queue.push({ from: node, to: o.to, message: o.message });
        this.history.push({ from: node, to: o.to, message: o.message });
        const type = (o.message as { type: string }).type;
        this.sent[type] = (this.sent[type] ?? 0) + 1;
      } else this.events.push({ node, output: o });
    }
  }

  /** Steps `node` with `input`, stamped with the cluster's time unless it carries its own `now`. */
  input(node: string, unstamped: object): void {
    const input = 'now' in unstamped ? unstamped : { ...unstamped, now: this.now };
    if (this.states.has(node)) {
      const t = checkedStep(this.machines.get(node)!, this.states.get(node)!, input as never);
      this.states.set(node, t.state);
      this.take(node, t.outputs);
    } else {
      const t = checkedStep(this.clientMachines.get(node)!, this.clientStates.get(node)!, input as never);
      this.clientStates.set(node, t.state);
      this.take(node, t.outputs);
    }
  }

  request(client: string, operation: unknown): void {
    this.input(client, { type: 'request', operation });
  }

  deliver(e: Envelope): void {
    if (this.silent.has(e.to)) return;
    this.input(e.to, { type: 'message', from: e.from, message: e.message });
  }

  /** Delivers queued messages until none is left (or `max` deliveries). */
  run(max = 100_000): number {
    let n = 0;
    while (this.queue.length > 0 && n < max) {
      this.deliver(this.queue.shift()!);
      n++;
    }
    return n;
  }

  /** Delivers queued messages that pass `keep` and drops the others, until none is left. */
  runFiltered(keep: (e: Envelope) => boolean): void {
    while (this.queue.length > 0) {
      const e = this.queue.shift()!;
      if (keep(e)) this.deliver(e);
    }
  }

  /** Advances time to `now`, ticking every node whose deadline has passed, and runs the queue, repeatedly. */
  advance(to: number, stepMs = 10): void {
    for (let t = this.now; t <= to; t += stepMs) {
      this.now = t;
      for (const id of [...this.replicas, ...this.clients]) {
        const deadline = this.states.has(id)
          ? this.machines.get(id)!.nextDeadline(this.states.get(id)!)
          : this.clientMachines.get(id)!.nextDeadline(this.clientStates.get(id)!);
        if (deadline !== undefined && deadline <= t) this.input(id, { type: 'tick', now: t });
      }
      this.run();
    }
  }

  executed(node: string): { seq: number; client: string; timestamp: number }[] {
    return this.events
      .filter((e) => e.node === node && e.output.type === 'execute')
      .map((e) => {
        const o = e.output as Extract<PbftReplicaOutput, { type: 'execute' }>;
        return { seq: o.seq, client: o.client, timestamp: o.timestamp };
      });
  }

  results(client: string): unknown[] {
    return this.events.filter((e) => e.node === client && e.output.type === 'result').map((e) => (e.output as { result: unknown }).result);
  }

  rejected(): { node: string; reason: string }[] {
    return this.events.filter((e) => e.output.type === 'rejected').map((e) => ({ node: e.node, reason: (e.output as { reason: string }).reason }));
  }
}
