// A client workload for the replicated pub/sub log in the simulator: an admin that creates the
// topic, idempotent producers that retry a publish whose answer never came with the same
// (producer, sequence), and a consumer group whose members join, fetch from their committed
// offsets, commit and heartbeat; one member goes silent past its session and comes back.
import { raftSafetyInvariants, type RaftState } from 'distkit/consensus';
import type { Invariant } from 'distkit/core';
import { checkPubSub, type Operation, type PubSubCheckResult, type PubSubHistoryInput, type PubSubHistoryOutput } from 'distkit/check';
import { pubSubInvariants, replicatedPubSub, type PubSubResult, type PubSubState, type TopicPartition } from 'distkit/messaging';
import { type ReplicatedState } from 'distkit/consensus';
import { simulate, type NemesisOptions, type SimResult, type Workload } from 'distkit/sim';

export type PubSubOp =
  | { readonly f: 'create' }
  | { readonly f: 'publish'; readonly value: string; readonly producer: string; readonly sequence: number; readonly key?: string }
  | { readonly f: 'join'; readonly member: string }
  | { readonly f: 'heartbeat'; readonly member: string; readonly generation: number }
  | { readonly f: 'fetch'; readonly member: string; readonly partition: number }
  | { readonly f: 'commit'; readonly member: string; readonly generation: number; readonly partition: number; readonly offset: number }
  | { readonly f: 'offsets' };

export const NODES = ['a', 'b', 'c'];
export const TOPIC = 't';
export const PARTITIONS = 3;
const PRODUCE_UNTIL_MS = 3000;
const VALUES_PER_PRODUCER = 40;
const PACE_MS = 60;
export const SESSION_MS = 400;
const SILENT_FROM_MS = 1200;
const SILENT_UNTIL_MS = 2000;
const END_MS = 6000;

interface Client {
  last?: number | undefined;
  lastInput?: PubSubOp | undefined;
  // producers
  sequence: number;
  // consumers
  generation?: number | undefined;
  assignment: readonly TopicPartition[];
  turn: number;
  pendingCommit?: { partition: number; offset: number } | undefined;
  lastHeartbeat: number;
  created: boolean;
}

const producers = ['p0', 'p1'];
const consumers = ['c0', 'c1', 'c2'];

function producerOp(base: string, c: Client, outcome: PubSubResult | undefined, time: number): PubSubOp | undefined {
  // A publish is retried with the same sequence until it is answered `published`.
  if (c.lastInput?.f === 'publish' && outcome?.type !== 'published') return c.lastInput;
  if (c.lastInput?.f === 'publish') c.sequence++;
  if (time >= PRODUCE_UNTIL_MS || c.sequence >= VALUES_PER_PRODUCER) return undefined;
  if (time < c.sequence * PACE_MS) return { f: 'offsets' }; // paced: publishes spread over the run
  const value = `${base}-${c.sequence}`;
  return base === 'p0' ? { f: 'publish', value, producer: base, sequence: c.sequence, key: `k${c.sequence % 4}` } : { f: 'publish', value, producer: base, sequence: c.sequence };
}

function consumerOp(base: string, c: Client, outcome: PubSubResult | undefined, time: number): PubSubOp | undefined {
  if (outcome?.type === 'joined' || outcome?.type === 'heartbeat') {
    c.generation = outcome.generation;
    c.assignment = outcome.assignment;
  }
  if (outcome?.type === 'fetched' && outcome.records.length > 0) c.pendingCommit = { partition: outcome.partition, offset: outcome.nextOffset };
  if (outcome?.type === 'committed' || outcome?.type === 'refused') c.pendingCommit = undefined;
  if (outcome?.type === 'refused' && /unknown member/.test(outcome.reason)) c.generation = undefined;
  if (time > END_MS) return undefined;
  // c2 goes silent past its session (a long pause, a lost connection) and comes back as itself.
  if (base === 'c2' && time >= SILENT_FROM_MS && time < SILENT_UNTIL_MS) {
    c.pendingCommit = undefined;
    return { f: 'offsets' };
  }
  if (c.generation === undefined) return { f: 'join', member: base };
  if (c.pendingCommit !== undefined) return { f: 'commit', member: base, generation: c.generation, ...c.pendingCommit };
  if (time - c.lastHeartbeat > SESSION_MS / 4 || c.assignment.length === 0) {
    c.lastHeartbeat = time;
    return { f: 'heartbeat', member: base, generation: c.generation };
  }
  const tp = c.assignment[c.turn++ % c.assignment.length]!;
  return { f: 'fetch', member: base, partition: tp.partition };
}

function commandOf(i: PubSubOp): unknown {
  switch (i.f) {
    case 'create':
      return { type: 'createTopic', topic: TOPIC, partitions: PARTITIONS };
    case 'publish':
      return { type: 'publish', topic: TOPIC, value: i.value, producerId: i.producer, sequence: i.sequence, ...(i.key === undefined ? {} : { key: i.key }) };
    case 'join':
      return { type: 'join', group: 'g', member: i.member, topics: [TOPIC] };
    case 'heartbeat':
      return { type: 'heartbeat', group: 'g', member: i.member, generation: i.generation };
    case 'fetch':
      return { type: 'fetch', topic: TOPIC, partition: i.partition, group: 'g', maxCount: 5 };
    case 'commit':
      return { type: 'commit', group: 'g', topic: TOPIC, partition: i.partition, offset: i.offset, member: i.member, generation: i.generation };
    case 'offsets':
      return { type: 'offsets', group: 'g' };
  }
}

export function pubSubWorkload(): Workload<PubSubOp, PubSubResult> {
  const results = new Map<number, PubSubResult>();
  const clients = new Map<string, Client>();
  let leader: string | undefined;
  return {
    clients: ['admin', ...producers, ...consumers],
    operations: 3000,
    thinkMs: 5,
    timeoutMs: 500,
    generate(ctx) {
      const base = ctx.client.split('.')[0]!;
      const c = clients.get(base) ?? { sequence: 0, assignment: [], turn: 0, lastHeartbeat: 0, created: false };
      clients.set(base, c);
      const outcome = c.last === undefined ? undefined : results.get(c.last);
      if (c.last !== undefined && outcome === undefined) leader = undefined; // timed out: look elsewhere
      let input: PubSubOp | undefined;
      if (base === 'admin') {
        if (outcome?.type === 'topicCreated') c.created = true;
        input = c.created ? undefined : { f: 'create' };
      } else if (producers.includes(base)) input = producerOp(base, c, outcome, ctx.time);
      else input = consumerOp(base, c, outcome, ctx.time);
      c.lastInput = input;
      if (input === undefined) return undefined;
      return { node: leader ?? ctx.random.choice(NODES), input };
    },
    command(op) {
      const c = clients.get(op.client.split('.')[0]!);
      if (c !== undefined) c.last = op.id;
      return { type: 'submit', id: String(op.id), command: commandOf(op.input) };
    },
    complete(_node, output) {
      const o = output as { type?: string; id?: string; result?: PubSubResult; leader?: string | null };
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

type P = ReplicatedState<unknown, PubSubState>;

/** Raft's safety properties over the replicas' Raft states, and the pub/sub log's own. */
export function replicatedPubSubInvariants(): Invariant<P>[] {
  const raftInvariants = raftSafetyInvariants().map(
    (inv): Invariant<P> => ({ name: inv.name, check: (states, view) => inv.check(Object.fromEntries(Object.entries(states).map(([k, s]) => [k, s.raft])) as Record<string, RaftState>, view) }),
  );
  return [...raftInvariants, ...pubSubInvariants()];
}

export function runPubSub(seed: number, nemesis: NemesisOptions, network = {}, machine: typeof replicatedPubSub = replicatedPubSub): SimResult<PubSubOp, PubSubResult> {
  return simulate<PubSubOp, PubSubResult>({
    seed,
    nodes: NODES.map((id) => ({
      id,
      machine,
      config: { raft: { id, voters: NODES, seed: `${seed}-${id}`, electionTimeoutMs: 150, heartbeatIntervalMs: 15 }, app: { sessionTimeoutMs: SESSION_MS, retentionCount: 1000 }, snapshotEvery: 25 },
    })),
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 8 }, ...network },
    nemesis: { untilMs: PRODUCE_UNTIL_MS + 500, ...nemesis },
    workload: pubSubWorkload(),
    invariants: replicatedPubSubInvariants(),
    maxTimeMs: END_MS + 500,
    trace: false,
  });
}

export interface PubSubVerdict {
  readonly publishes: PubSubCheckResult;
  /** Retried publishes (the same producer and sequence sent more than once). */
  readonly retries: number;
  /** Offsets below the group's final committed offset that no member of the group was ever handed. */
  readonly gaps: string[];
  /** Successful commits to one partition in one generation by two different members. */
  readonly twoOwners: string[];
  /** Commits refused for a stale generation or an expired member (the fence at work). */
  readonly fencedCommits: number;
  /** Records handed out more than once (at-least-once redelivery after a rebalance). */
  readonly redelivered: number;
  /** Records c2 fetched after it came back. */
  readonly resumedFetches: number;
  readonly committed: readonly number[];
  readonly logEnds: readonly number[];
}

/** Judges a run: publishes against the final logs, the group's coverage and fencing. */
export function judge(r: SimResult<PubSubOp, PubSubResult>): PubSubVerdict {
  const ops = r.history as readonly Operation<PubSubOp, PubSubResult>[];
  const final = (Object.values(r.states) as P[]).reduce((a, b) => (b.appliedIndex > a.appliedIndex ? b : a)).app;
  const publishes: Operation<PubSubHistoryInput, PubSubHistoryOutput>[] = [];
  const attemptsOf = new Map<string, number>();
  const delivered = Array.from({ length: PARTITIONS }, () => new Map<number, number>());
  const owners = new Map<string, string>();
  const twoOwners: string[] = [];
  let fencedCommits = 0;
  let resumedFetches = 0;
  for (const op of ops) {
    const i = op.input;
    const out = op.output;
    if (i.f === 'publish') {
      const key = `${i.producer}#${i.sequence}`;
      attemptsOf.set(key, (attemptsOf.get(key) ?? 0) + 1);
      const output: PubSubHistoryOutput | undefined = out === undefined ? undefined : out.type === 'published' ? { partition: out.partition, offset: out.offset } : 'refused';
      publishes.push({ ...op, input: { f: 'publish', topic: TOPIC, value: i.value, producer: i.producer, sequence: i.sequence }, ...(output === undefined ? {} : { output }) } as Operation<PubSubHistoryInput, PubSubHistoryOutput>);
    } else if (i.f === 'fetch' && out?.type === 'fetched') {
      for (const rec of out.records) delivered[i.partition]!.set(rec.offset, (delivered[i.partition]!.get(rec.offset) ?? 0) + 1);
      if (i.member === 'c2' && op.call >= SILENT_UNTIL_MS) resumedFetches += out.records.length;
    } else if (i.f === 'commit') {
      if (out?.type === 'committed') {
        const k = `${i.partition}@${i.generation}`;
        const first = owners.get(k);
        if (first !== undefined && first !== i.member) twoOwners.push(`partition ${i.partition} generation ${i.generation}: commits by ${first} and ${i.member}`);
        owners.set(k, first ?? i.member);
      } else if (out?.type === 'refused' && /stale generation|unknown member|does not own/.test(out.reason)) fencedCommits++;
    }
  }
  const topic = final.topics[TOPIC];
  const committedByPartition = final.groups.g?.offsets[TOPIC] ?? {};
  const committed = Array.from({ length: PARTITIONS }, (_, p) => committedByPartition[String(p)] ?? 0);
  const gaps: string[] = [];
  committed.forEach((upTo, p) => {
    for (let o = 0; o < upTo; o++) if (!delivered[p]!.has(o)) gaps.push(`partition ${p} offset ${o} committed past but never fetched`);
  });
  const logs = topic === undefined ? {} : { [TOPIC]: topic };
  return {
    publishes: checkPubSub(publishes, logs),
    retries: [...attemptsOf.values()].reduce((a, n) => a + n - 1, 0),
    gaps,
    twoOwners,
    fencedCommits,
    redelivered: delivered.reduce((a, m) => a + [...m.values()].reduce((x, n) => x + n - 1, 0), 0),
    resumedFetches,
    committed,
    logEnds: topic === undefined ? [] : topic.partitions.map((p) => p.startOffset + p.records.length),
  };
}
