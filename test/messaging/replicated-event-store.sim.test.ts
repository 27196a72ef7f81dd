// Evidence for the replicated event store: clients read a stream's revision and append expecting
// it, racing each other, on three Raft replicas with crashes, partitions, loss and duplication.
// Of the appends expecting the same revision exactly one wins; the history is linearizable as a
// compare-and-set register on each stream's revision.
import { describe, expect, it } from 'vitest';
import { raftSafetyInvariants, type RaftState } from 'distkit/consensus';
import type { Invariant } from 'distkit/core';
import { appendsAsRegister, checkAppendRaces, checkLinearizability, formatLinearizability, registerModel, type AppendHistoryInput, type AppendHistoryOutput } from 'distkit/check';
import { eventStoreInvariants, replicatedEventStore, type EventStoreResult, type EventStoreState } from 'distkit/messaging';
import { type ReplicatedState } from 'distkit/consensus';
import { simulate, type Workload } from 'distkit/sim';

const NODES = ['a', 'b', 'c'];
const STREAMS = ['s', 't'];
type S = ReplicatedState<unknown, EventStoreState>;

function workload(): Workload<AppendHistoryInput, AppendHistoryOutput> {
  let leader: string | undefined;
  return {
    clients: 5,
    operations: 400,
    startMs: 300,
    thinkMs: 3,
    timeoutMs: 500,
    generate(ctx) {
      if (ctx.time > 3000) return undefined;
      const node = leader ?? ctx.random.choice(NODES);
      return { node, input: { f: 'read', stream: ctx.random.choice(STREAMS) } };
    },
    command(op) {
      const i = op.input;
      const command =
        i.f === 'read'
          ? { type: 'readStream', stream: i.stream, fromRevision: 0, maxCount: 0 }
          : { type: 'append', stream: i.stream, expected: i.expected, events: [{ type: 'Appended', data: { by: op.client }, id: `op-${op.id}` }] };
      return { type: 'submit', id: String(op.id), command };
    },
    complete(_node, output) {
      const o = output as { type?: string; id?: string; result?: EventStoreResult; leader?: string | null };
      if (o.type === 'notLeader' || o.type === 'dropped') {
        leader = o.type === 'notLeader' && o.leader !== null ? o.leader : undefined;
        return { id: Number(o.id), failed: true };
      }
      if (o.type !== 'result') return undefined;
      const id = Number(o.id);
      const r = o.result!;
      switch (r.type) {
        case 'events':
          return { id, output: r.revision ?? 'no_stream' };
        case 'appended':
          return { id, output: { ok: true, revision: r.revision } };
        case 'WrongExpectedVersion':
          return { id, output: { ok: false, actual: r.actual } };
        case 'refused':
          return { id, failed: true };
      }
    },
  };
}

/** Every client reads a stream, then appends expecting the revision it read. Remembers each read so the client's next operation appends expecting what it read. */
function withReads(w: Workload<AppendHistoryInput, AppendHistoryOutput>): Workload<AppendHistoryInput, AppendHistoryOutput> {
  const inputs = new Map<number, { client: string; input: AppendHistoryInput }>();
  const pending = new Map<string, { stream: string; revision: number | 'no_stream' }>();
  return {
    ...w,
    generate(ctx) {
      const base = ctx.client.split('.')[0]!;
      const read = pending.get(base);
      pending.delete(base);
      const next = w.generate(ctx);
      if (next === undefined || read === undefined) return next;
      return { node: next.node, input: { f: 'append', stream: read.stream, expected: read.revision, count: 1 } };
    },
    command(op) {
      inputs.set(op.id, { client: op.client.split('.')[0]!, input: op.input });
      return w.command(op);
    },
    complete(node, output) {
      const c = w.complete(node, output);
      if (c !== undefined && 'output' in c) {
        const op = inputs.get(c.id);
        if (op?.input.f === 'read' && (typeof c.output === 'number' || c.output === 'no_stream')) pending.set(op.client, { stream: op.input.stream, revision: c.output });
      }
      return c;
    },
  };
}

function invariants(): Invariant<S>[] {
  const raft = raftSafetyInvariants().map((inv): Invariant<S> => ({ name: inv.name, check: (states, view) => inv.check(Object.fromEntries(Object.entries(states).map(([k, s]) => [k, s.raft])) as Record<string, RaftState>, view) }));
  return [...raft, ...eventStoreInvariants()];
}

function run(seed: number) {
  return simulate<AppendHistoryInput, AppendHistoryOutput>({
    seed,
    nodes: NODES.map((id) => ({ id, machine: replicatedEventStore, config: { raft: { id, voters: NODES, seed: `${seed}-${id}`, electionTimeoutMs: 150, heartbeatIntervalMs: 15 }, snapshotEvery: 20 } })),
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 8 }, loss: 0.03, duplicate: 0.05 },
    nemesis: { crashRate: 1, partitionRate: 0.7, untilMs: 2500 },
    workload: withReads(workload()),
    invariants: invariants(),
    maxTimeMs: 4000,
    trace: false,
  });
}

describe('the replicated event store: racing appends with one expected revision (3 nodes, simulated)', () => {
  it('seeds 1-4: at most one winner per expected revision, exactly one where the stream moved on, linearizable', () => {
    let races = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const r = run(seed);
      expect(r.ok, `seed ${seed}: ${r.violation?.invariant}: ${r.violation?.message}`).toBe(true);
      const verdict = checkAppendRaces(r.history);
      expect(verdict.problems, `seed ${seed}`).toEqual([]);
      const states = Object.values(r.states) as S[];
      const final = states.reduce((a, b) => (b.appliedIndex > a.appliedIndex ? b : a)).app;
      for (const race of verdict.races) {
        const ops = r.history.filter((o) => o.input.f === 'append' && o.input.stream === race.stream && o.input.expected === race.expected);
        const finalRevision = (final.streams[race.stream]?.length ?? 0) - 1;
        const before = race.expected === 'no_stream' ? -1 : race.expected;
        if (ops.every((o) => o.output !== undefined) && finalRevision > before) {
          expect(race.winners.length, `seed ${seed} ${race.stream}@${race.expected}`).toBe(1);
          races++;
        }
      }
      const model = registerModel<number>({ initial: -1 });
      for (const stream of STREAMS) {
        const lin = checkLinearizability(model, appendsAsRegister(r.history, stream));
        expect(lin.verdict, `seed ${seed} stream ${stream}: ${formatLinearizability(lin, model)}`).toBe('linearizable');
      }
    }
    expect(races).toBeGreaterThan(4);
  }, 240_000);
});
