// A hand-driven network for scenario tests: every step goes through checkedStep (frozen input,
// plain-data output, rejections keep the state, one persist first whose record folds into the
// durable image), messages wait in a queue until delivered. Inputs without `now` are stamped with
// the network's clock; an input with `now` moves the clock forward.
import { checkedStep, foldPersist, stampNow, type Unstamped } from 'distkit/core';
import {
  raft,
  type RaftConfig,
  type RaftDurable,
  type RaftEntry,
  type RaftInput,
  type RaftMessage,
  type RaftOutput,
  type RaftState,
} from 'distkit/consensus';

export interface Envelope {
  from: string;
  to: string;
  message: RaftMessage;
}

export class Net {
  states: Record<string, RaftState> = {};
  disks: Record<string, RaftDurable> = {};
  applied: Record<string, RaftEntry[]> = {};
  queue: Envelope[] = [];
  outputs: Record<string, RaftOutput[]> = {};
  down = new Set<string>();
  /** Messages for which this returns true are dropped at delivery. */
  drop: (e: Envelope) => boolean = () => false;
  now = 0;
  configs: Record<string, RaftConfig> = {};

  constructor(
    readonly ids: readonly string[],
    overrides: Partial<RaftConfig> = {},
  ) {
    for (const id of ids) {
      const config: RaftConfig = { id, voters: ids, seed: 7, electionTimeoutMs: 100, heartbeatIntervalMs: 10, preVote: false, checkQuorum: false, ...overrides };
      this.configs[id] = config;
      this.states[id] = raft.init(config);
      this.disks[id] = raft.durable(this.states[id]!);
      this.applied[id] = [];
      this.outputs[id] = [];
    }
    for (const id of ids) this.step(id, { type: 'tick', now: 0 });
  }

  /** Replaces a node's state by one recovered from a hand-made durable record. */
  load(id: string, durable: RaftDurable, config: Partial<RaftConfig> = {}): void {
    this.configs[id] = { ...this.configs[id]!, ...config };
    this.disks[id] = durable;
    this.states[id] = raft.recover(this.configs[id], durable);
    this.step(id, { type: 'tick', now: this.now });
  }

  step(id: string, input: RaftInput | Unstamped<RaftInput>): readonly RaftOutput[] {
    const given = (input as { now?: number }).now;
    if (given !== undefined) this.now = Math.max(this.now, given);
    const t = checkedStep(raft, this.states[id]!, stampNow(input, this.now) as RaftInput);
    this.states[id] = t.state;
    let persisted = false;
    for (const o of t.outputs) {
      this.outputs[id]!.push(o);
      if (o.type === 'persist') {
        persisted = true;
        this.disks[id] = foldPersist(raft, this.disks[id]!, o.record) as RaftDurable;
      } else if (o.type === 'send') {
        if (!persisted && t.outputs.some((x) => x.type === 'persist')) throw new Error('send before persist');
        this.queue.push({ from: id, to: o.to, message: o.message });
      } else if (o.type === 'apply') {
        this.applied[id]!.push(...o.entries);
      }
    }
    return t.outputs;
  }

  /** Advances every live node's clock to `now` (one tick each). */
  tickAll(now: number): void {
    this.now = now;
    for (const id of this.ids) if (!this.down.has(id)) this.step(id, { type: 'tick', now });
  }

  deliver(e: Envelope): readonly RaftOutput[] {
    if (this.down.has(e.to) || this.drop(e)) return [];
    return this.step(e.to, { type: 'message', from: e.from, message: e.message });
  }

  /** Delivers queued messages (FIFO) until none are left. */
  stabilize(max = 100_000): void {
    for (let i = 0; i < max && this.queue.length > 0; i++) this.deliver(this.queue.shift()!);
    if (this.queue.length > 0) throw new Error('did not stabilize');
  }

  /** Delivers only the messages matching `pred` (including ones they cause), keeping the rest queued. */
  deliverWhere(pred: (e: Envelope) => boolean): void {
    const keep: Envelope[] = [];
    for (let guard = 0; guard < 100_000; guard++) {
      const i = this.queue.findIndex(pred);
      if (i < 0) break;
      const [e] = this.queue.splice(i, 1);
      this.deliver(e!);
    }
    this.queue = [...keep, ...this.queue];
  }

  campaign(id: string): void {
    this.step(id, { type: 'campaign' });
    this.stabilize();
  }

  crash(id: string): void {
    this.down.add(id);
    this.queue = this.queue.filter((e) => e.to !== id && e.from !== id);
  }

  restart(id: string, applied?: number): void {
    this.down.delete(id);
    const config = applied === undefined ? this.configs[id]! : { ...this.configs[id]!, applied };
    this.states[id] = raft.recover(config, this.disks[id]!);
    this.applied[id] = [];
    this.step(id, { type: 'tick', now: this.now });
  }

  leader(): string | undefined {
    return this.ids.find((id) => !this.down.has(id) && this.states[id]!.role === 'leader');
  }

  terms(id: string): number[] {
    const s = this.states[id]!;
    const out: number[] = [];
    for (let i = 0; i < s.log.length; i++) out.push(s.log.entries[s.log.start + i]!.term);
    return out;
  }

  lastOutputs(id: string, type: RaftOutput['type']): RaftOutput[] {
    return this.outputs[id]!.filter((o) => o.type === type);
  }
}

/** A durable record whose log has the given terms (index 1..n). */
export function durableWithTerms(voters: readonly string[], term: number, terms: readonly number[], vote: string | null = null): RaftDurable {
  return {
    term,
    vote,
    snapshot: { index: 0, term: 0, membership: { voters: voters.slice().sort(), learners: [] }, data: null },
    entries: terms.map((t, i) => ({ index: i + 1, term: t, data: `e${i + 1}` })),
  };
}
