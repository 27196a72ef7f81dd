// A client workload for the replicated queue in the simulator: producers (with and without
// idempotency keys) that retry an enqueue whose answer never came, consumers that receive and ack,
// "slow" consumers whose leases are too short to ack in time, and a drain at the end.
import { raftSafetyInvariants, type RaftState } from 'distkit/consensus';
import type { Invariant } from 'distkit/core';
import { checkTotalQueue, type Operation, type TotalQueueInput, type TotalQueueOutput } from 'distkit/check';
import { queueInvariants, replicatedQueue, type QueueResult, type QueueState } from 'distkit/messaging';
import { type ReplicatedState } from 'distkit/consensus';
import { simulate, type NemesisOptions, type SimResult, type Workload } from 'distkit/sim';

export type QueueOp =
  | { readonly f: 'enqueue'; readonly value: string; readonly key?: string }
  | { readonly f: 'receive'; readonly vt: number }
  | { readonly f: 'ack'; readonly id: string; readonly token: number; readonly value: string };

export const NODES = ['a', 'b', 'c'];
export const PRODUCE_UNTIL_MS = 3000;
export const VISIBILITY_MS = 300;
export const VALUES_PER_PRODUCER = 40;
const DRAIN_QUIET_MS = 1200;
export const END_MS = 6000;

interface Client {
  last?: number | undefined;
  lastInput?: QueueOp | undefined;
  retries: number;
  n: number;
  held?: { id: string; token: number; value: string } | undefined;
  quietSince?: number | undefined;
  done: boolean;
}

export function queueWorkload(): Workload<QueueOp, QueueResult> {
  const results = new Map<number, QueueResult>();
  const clients = new Map<string, Client>();
  let leader: string | undefined;
  const producers = ['p0', 'p1', 'p2'];
  return {
    clients: [...producers, 'w0', 'w1', 'slow'],
    operations: 2000,
    thinkMs: 5,
    timeoutMs: 600,
    generate(ctx) {
      const base = ctx.client.split('.')[0]!;
      const c = clients.get(base) ?? { retries: 0, n: 0, done: false };
      clients.set(base, c);
      const outcome = c.last === undefined ? undefined : results.get(c.last);
      if (c.last !== undefined && outcome === undefined) leader = undefined; // timed out: look elsewhere
      const node = leader ?? ctx.random.choice(NODES);
      let input: QueueOp | undefined;
      if (producers.includes(base)) {
        if (c.lastInput?.f === 'enqueue' && (outcome === undefined || outcome.type === 'refused') && c.retries < 5) {
          c.retries++;
          input = c.lastInput; // a retry of an enqueue whose answer was lost: same value, same key
        } else if (ctx.time < PRODUCE_UNTIL_MS && c.n < VALUES_PER_PRODUCER) {
          c.retries = 0;
          const value = `${base}-${c.n++}`;
          input = base === 'p2' ? { f: 'enqueue', value } : { f: 'enqueue', value, key: value };
        }
      } else {
        if (outcome?.type === 'received') c.held = { id: outcome.message.id, token: outcome.message.token, value: String(outcome.message.body) };
        if (outcome?.type === 'empty' && ctx.time > PRODUCE_UNTIL_MS) c.quietSince ??= ctx.time;
        if (outcome?.type === 'received') c.quietSince = undefined;
        if (c.held !== undefined && c.lastInput?.f !== 'ack') {
          input = { f: 'ack', ...c.held };
        } else {
          c.held = undefined;
          const quiet = c.quietSince !== undefined && ctx.time - c.quietSince > DRAIN_QUIET_MS;
          if (base === 'slow' ? ctx.time < PRODUCE_UNTIL_MS : !quiet && ctx.time < END_MS) input = { f: 'receive', vt: base === 'slow' ? 2 : VISIBILITY_MS };
        }
      }
      c.lastInput = input;
      if (input === undefined) return undefined;
      return { node, input };
    },
    command(op) {
      const i = op.input;
      const command =
        i.f === 'enqueue'
          ? { type: 'enqueue', body: i.value, ...(i.key === undefined ? {} : { key: i.key }) }
          : i.f === 'receive'
            ? { type: 'receive', consumer: op.client, visibilityTimeoutMs: i.vt }
            : { type: 'ack', id: i.id, token: i.token };
      const c = clients.get(op.client.split('.')[0]!);
      if (c !== undefined) c.last = op.id;
      return { type: 'submit', id: String(op.id), command };
    },
    complete(_node, output) {
      const o = output as { type?: string; id?: string; result?: QueueResult; leader?: string | null };
      if (o.type === 'result') {
        results.set(Number(o.id), o.result!);
        return { id: Number(o.id), output: o.result! };
      }
      if (o.type === 'notLeader' || o.type === 'dropped') {
        leader = o.type === 'notLeader' && o.leader !== null ? o.leader : undefined;
        return { id: Number(o.id), failed: true };
      }
      return undefined;
    },
  };
}

type Q = ReplicatedState<unknown, QueueState>;

/** Raft's safety properties over the replicas' Raft states, and the queue's own. */
export function replicatedQueueInvariants(): Invariant<Q>[] {
  const raftInvariants = raftSafetyInvariants().map(
    (inv): Invariant<Q> => ({ name: inv.name, check: (states, view) => inv.check(Object.fromEntries(Object.entries(states).map(([k, s]) => [k, s.raft])) as Record<string, RaftState>, view) }),
  );
  return [...raftInvariants, ...queueInvariants()];
}

/** One simulated run; `raft` adds Raft options (e.g. `parallelAppend`) to every replica. */
export function runQueue(seed: number, nemesis: NemesisOptions, network = {}, invariants: readonly Invariant<Q>[] = replicatedQueueInvariants(), raft: { readonly parallelAppend?: boolean } = {}): SimResult<QueueOp, QueueResult> {
  return simulate<QueueOp, QueueResult>({
    seed,
    nodes: NODES.map((id) => ({
      id,
      machine: replicatedQueue,
      config: { raft: { id, voters: NODES, seed: `${seed}-${id}`, electionTimeoutMs: 150, heartbeatIntervalMs: 15, ...raft }, app: { visibilityTimeoutMs: VISIBILITY_MS, maxReceiveCount: 1000 }, snapshotEvery: 25 },
    })),
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 8 }, ...network },
    nemesis: { untilMs: PRODUCE_UNTIL_MS + 500, ...nemesis },
    workload: queueWorkload(),
    invariants,
    maxTimeMs: END_MS + 500,
    trace: false,
  });
}

export interface QueueVerdict {
  readonly totalQueue: ReturnType<typeof checkTotalQueue<string>>;
  /** Values enqueued with an idempotency key that were acked more than once, or stored under two ids. */
  readonly keyedTwice: string[];
  /** Successful acks whose lease had expired, or that were not the message's latest lease. */
  readonly lateAcks: string[];
  /** Deliveries of a message while an earlier lease on it was still running. */
  readonly earlyRedeliveries: string[];
  readonly refusedAcks: number;
  readonly redeliveries: number;
  readonly acks: number;
}

/** Judges a run: total-queue over acked values, idempotency, fencing. */
export function judge(r: SimResult<QueueOp, QueueResult>): QueueVerdict {
  const ops = r.history as readonly Operation<QueueOp, QueueResult>[];
  const states = Object.values(r.states) as Q[];
  const final = states.reduce((a, b) => (b.appliedIndex > a.appliedIndex ? b : a));
  const stillThere = new Set([...Object.keys(final.app.messages), ...final.app.deadLetters.map((d) => d.message.id)]);
  const tq: Operation<TotalQueueInput<string>, TotalQueueOutput<string>>[] = [];
  const ackedCount = new Map<string, number>();
  const idsOfValue = new Map<string, Set<string>>();
  const expiry = new Map<number, { id: string; expiresAt: number }>();
  const maxToken = new Map<string, number>();
  const lateAcks: string[] = [];
  let refusedAcks = 0;
  let redeliveries = 0;
  for (const op of ops) {
    const out = op.output;
    if (op.input.f === 'enqueue') {
      if (out?.type === 'refused') continue; // certainly not stored
      tq.push({ ...op, input: { f: 'enqueue', value: op.input.value }, ...(out === undefined ? {} : { output: true }) } as Operation<TotalQueueInput<string>, TotalQueueOutput<string>>);
      if (out?.type === 'enqueued' && op.input.key !== undefined) idsOfValue.set(op.input.value, (idsOfValue.get(op.input.value) ?? new Set()).add(out.id));
    } else if (op.input.f === 'receive' && out?.type === 'received') {
      expiry.set(out.message.token, { id: out.message.id, expiresAt: out.message.expiresAt });
      maxToken.set(out.message.id, Math.max(maxToken.get(out.message.id) ?? 0, out.message.token));
      if (out.message.receiveCount > 1) redeliveries++;
    }
  }
  for (const op of ops) {
    if (op.input.f !== 'ack') continue;
    const out = op.output;
    const value = op.input.value;
    // An ack of unknown outcome took effect exactly when the message is gone from the final state.
    const took = out?.type === 'acked' || (out === undefined && !stillThere.has(op.input.id) && maxToken.get(op.input.id) === op.input.token);
    if (out?.type === 'refused') refusedAcks++;
    if (took) {
      tq.push({ id: op.id, client: op.client, call: op.call, input: { f: 'dequeue' }, output: value, ret: op.ret ?? op.call + 1 });
      ackedCount.set(value, (ackedCount.get(value) ?? 0) + 1);
    }
    if (out?.type === 'acked') {
      const lease = expiry.get(out.token);
      if (lease === undefined || lease.id !== out.id || out.at >= lease.expiresAt) lateAcks.push(`ack of ${out.id} token ${out.token} at ${out.at}, lease ${JSON.stringify(lease)}`);
      if ((maxToken.get(out.id) ?? 0) > out.token) lateAcks.push(`ack of ${out.id} with token ${out.token} after token ${maxToken.get(out.id)} was issued`);
    }
  }
  // At-least-once allows a second delivery only after the previous lease ended (no nacks here).
  const earlyRedeliveries: string[] = [];
  const receives = ops.flatMap((op) => (op.input.f === 'receive' && op.output?.type === 'received' ? [{ ...op.output.message, at: op.output.at }] : []));
  const byMessage = new Map<string, typeof receives>();
  for (const m of receives) byMessage.set(m.id, [...(byMessage.get(m.id) ?? []), m]);
  for (const [id, list] of byMessage) {
    list.sort((x, y) => x.token - y.token);
    for (let i = 1; i < list.length; i++) if (list[i]!.at < list[i - 1]!.expiresAt) earlyRedeliveries.push(`${id}: token ${list[i]!.token} at ${list[i]!.at} while token ${list[i - 1]!.token} ran until ${list[i - 1]!.expiresAt}`);
  }
  const keyedTwice: string[] = [];
  for (const [value, ids] of idsOfValue) {
    if (ids.size > 1 || (ackedCount.get(value) ?? 0) > 1) keyedTwice.push(`${value}: ids ${[...ids].join(',')}, acked ${ackedCount.get(value) ?? 0} times`);
  }
  return { totalQueue: checkTotalQueue(tq), keyedTwice, lateAcks, earlyRedeliveries, refusedAcks, redeliveries, acks: [...ackedCount.values()].reduce((a, b) => a + b, 0) };
}
