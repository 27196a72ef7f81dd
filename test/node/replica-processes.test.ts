// Issue #18's checks on real processes: three OS processes each hosting one replica (startReplica:
// HMAC-authenticated TCP, Raft's state in the write-ahead log), clients in this process, and a fault
// schedule: members SIGKILLed mid-run (the leader, a follower, all three at once) and restarted on
// their data directories, the leader paused (SIGSTOP) and cut off from its peers, the followers cut
// from each other, frames dropped on every peer link (a fault proxy per directed link).
// Queue: nothing acknowledged is lost (Jepsen's total-queue), no value comes out twice although
// every enqueue carries an idempotency key and is retried when its outcome is unknown, an ack on a
// lease that ran out is refused, and every ack that succeeded came within its lease.
// Event store: of the concurrent appends that expect the same revision exactly one wins.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Random } from '../../src/core/index.js';
import { checkAppendRaces, checkTotalQueue, type AppendHistoryInput, type AppendHistoryOutput, type Operation, type TotalQueueInput, type TotalQueueOutput } from '../../src/check/index.js';
import { networkFault, type FaultNet } from '../support/fault-net.js';
import { bundleReplicaServer, startReplicaCluster, type Outcome, type ReplicaCluster } from '../support/replica-cluster.js';
import { sleep } from '../support/wait.js';

let dir: string;
let bundle: string;
const running: ReplicaCluster[] = [];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'distkit-replica-procs-'));
  bundle = await bundleReplicaServer(dir);
}, 60_000);
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
}, 30_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cluster(app: 'queue' | 'events', seed: number, appConfig?: Record<string, unknown>, links: 'tcp' | 'redis' = 'tcp'): Promise<ReplicaCluster> {
  const root = mkdtempSync(join(dir, `${app}-`));
  const c = await startReplicaCluster({ bundle, root, app, seed, links, ...(appConfig ? { appConfig } : {}) });
  running.push(c);
  return c;
}

/** The member the others follow, once they agree on one (up to 5 s), else undefined. */
async function leaderOf(c: ReplicaCluster): Promise<string | undefined> {
  for (let i = 0; i < 100; i++) {
    const leader = await c.leader();
    if (leader !== undefined) return leader;
    await sleep(50);
  }
  return undefined;
}

/**
 * One step of a fault schedule: wait `afterMs`, then inject `fault` for `forMs` and undo it. Kills
 * are SIGKILL (of the leader, another member, or all three at once: only what reached each disk
 * survives) and a restart on the same data directory; a pause is SIGSTOP then SIGCONT; the network
 * faults (the leader cut off from both peers, or over Redis from the redis-server; the two followers
 * cut from each other with the leader bridging them; frames dropped on every link) last until the heal.
 */
type FaultStep = readonly [afterMs: number, fault: 'kill-leader' | 'kill-follower' | 'kill-all' | 'pause-leader' | 'isolate-leader' | 'bridge' | 'loss', forMs: number];

/** Injects `fault`; returns what it did and the members it killed. */
async function inject(c: ReplicaCluster, random: Random, fault: FaultStep[1]): Promise<{ what: string; killed: string[] }> {
  if (fault === 'kill-all') {
    await Promise.all(c.ids.map((id) => c.kill(id)));
    return { what: `SIGKILL ${c.ids.join('+')}`, killed: [...c.ids] };
  }
  const leader = await leaderOf(c);
  const others = c.ids.filter((id) => id !== leader);
  const victim = fault === 'kill-follower' || leader === undefined ? others[random.int(0, others.length)]! : leader;
  const who = `${victim}${victim === leader ? ' (leader)' : ''}`;
  switch (fault) {
    case 'kill-leader':
    case 'kill-follower':
      await c.kill(victim);
      return { what: `SIGKILL ${who}`, killed: [victim] };
    case 'pause-leader':
      c.pause(victim);
      return { what: `SIGSTOP ${who}`, killed: [] };
    case 'isolate-leader':
      if (c.redis !== undefined) {
        const mode = random.float() < 0.5 ? 'blackhole' : 'refuse';
        c.redis[victim]!.partition(mode);
        return { what: `cut ${who} off from redis (${mode})`, killed: [] };
      }
      return { what: `${networkFault(tcpNet(c), c.ids, random, 'isolate', victim)} [leader: ${leader ?? 'none agreed'}]`, killed: [] };
    case 'bridge':
      return { what: `${networkFault(tcpNet(c), c.ids, random, 'bridge', victim)} [leader: ${leader ?? 'none agreed'}]`, killed: [] };
    case 'loss':
      return { what: networkFault(tcpNet(c), c.ids, random, 'loss'), killed: [] };
  }
}

function tcpNet(c: ReplicaCluster): FaultNet {
  if (c.net === undefined) throw new Error('this fault needs the members on TCP links');
  return c.net;
}

/** Runs the schedule (each fault undone after its time: restarts, SIGCONT, heal), then waits `tailMs`; returns what each step did. */
async function runFaults(c: ReplicaCluster, random: Random, steps: readonly FaultStep[], tailMs: number): Promise<string[]> {
  const faults: string[] = [];
  for (const [afterMs, fault, forMs] of steps) {
    await sleep(afterMs);
    const { what, killed } = await inject(c, random, fault);
    await sleep(forMs);
    c.net?.heal();
    for (const p of Object.values(c.redis ?? {})) p.heal();
    c.resumeAll();
    await Promise.all(killed.map((id) => c.restart(id)));
    faults.push(`${what} for ${forMs} ms`);
  }
  await sleep(tailMs);
  return faults;
}

/** Waits until every member answers with the same leader and the same applied index; returns the members' application states. */
async function settled(c: ReplicaCluster): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const st = await c.statuses();
    const first = st[0];
    if (first !== undefined && first.leader !== null && st.every((s) => s !== undefined && s.leader === first.leader && s.appliedIndex === first.appliedIndex && s.commitIndex === s.appliedIndex)) {
      const states = await Promise.all(c.ids.map((id) => c.appState(id)));
      if (states.every((s) => s !== undefined)) return states as string[];
    }
    await sleep(100);
  }
  throw new Error(`the cluster did not settle: ${JSON.stringify(await c.statuses())}`);
}

/** Every kind of fault once, crashes between network faults. */
const QUEUE_FAULTS: readonly FaultStep[] = [[2000, 'kill-leader', 1500], [1500, 'isolate-leader', 2500], [1500, 'kill-follower', 1500], [1500, 'pause-leader', 2000], [1500, 'bridge', 2500], [1500, 'loss', 2500], [1500, 'kill-all', 500]];
/** Over Redis there are no per-link cuts: the leader is cut off from the redis-server instead. */
const QUEUE_REDIS_FAULTS: readonly FaultStep[] = [[2000, 'kill-leader', 1500], [1500, 'isolate-leader', 2500], [1500, 'kill-follower', 1500], [1500, 'pause-leader', 2000], [1500, 'kill-all', 500]];
const EVENT_FAULTS: readonly FaultStep[] = [[2000, 'kill-leader', 1500], [1500, 'isolate-leader', 2000], [1500, 'kill-follower', 1000], [1500, 'pause-leader', 1500], [1500, 'bridge', 2000], [1500, 'loss', 2000], [1500, 'kill-all', 500]];

type QueueOp = Operation<TotalQueueInput<string>, TotalQueueOutput<string>>;

interface QueueRun {
  readonly c: ReplicaCluster;
  readonly t0: number;
  readonly history: QueueOp[];
  /** Values whose ack had an unknown outcome and whose retry was refused: may or may not have been acked by us. */
  readonly ackUncertain: Set<string>;
  /** Message ids seen per value (one value, one idempotency key, one message). */
  readonly idsOf: Map<string, Set<string>>;
  /** Acks sent after the lease ran out on purpose, with their answers. */
  readonly lateAcks: { value: string; answer: string }[];
  /** Successful acks whose queue time was not before their lease's end. */
  readonly outOfLease: string[];
  readonly counts: { enqueueRetries: number; duplicateAnswers: number; redeliveries: number; nacks: number; receives: number };
  stopped: boolean;
  nextOp: number;
}

const VISIBILITY_MS = 1500;
const clock = (run: QueueRun) => performance.now() - run.t0;

/** Enqueues until acknowledged: a retry carries the same idempotency key, so the queue stores the value once. */
async function producer(run: QueueRun, name: string): Promise<void> {
  for (let n = 0; !run.stopped; n++) {
    const value = `${name}-${n}`;
    const op: { id: number; client: string; input: TotalQueueInput<string>; call: number; output?: true; ret?: number } = { id: run.nextOp++, client: name, input: { f: 'enqueue', value }, call: clock(run) };
    run.history.push(op);
    for (let attempt = 0; attempt < 20; attempt++) {
      if (attempt > 0) run.counts.enqueueRetries++;
      const o = await run.c.call({ type: 'enqueue', body: value, key: value }, 8000);
      if (o.type === 'result' && o.result.type === 'enqueued') {
        noteId(run, value, o.result.id);
        if (o.result.duplicate) run.counts.duplicateAnswers++;
        Object.assign(op, { output: true, ret: clock(run) });
        break;
      }
      if (o.type === 'result') throw new Error(`enqueue ${value}: ${JSON.stringify(o.result)}`);
      if (run.stopped && o.type === 'failed') break;
    }
    // Now and then a client repeats an enqueue that already succeeded: it must not store it again.
    if (op.output === true && n % 7 === 3) {
      const again = await run.c.call({ type: 'enqueue', body: value, key: value }, 8000);
      if (again.type === 'result') {
        noteId(run, value, again.result.id);
        if (again.result.duplicate !== true) throw new Error(`a repeated enqueue of ${value} was stored again: ${JSON.stringify(again.result)}`);
        run.counts.duplicateAnswers++;
      }
    }
  }
}

function noteId(run: QueueRun, value: string, id: string): void {
  const ids = run.idsOf.get(value) ?? new Set<string>();
  ids.add(id);
  run.idsOf.set(value, ids);
}

/** Acks until the answer is known: a retry after an unknown outcome that is refused leaves the ack uncertain. */
async function ack(run: QueueRun, msg: { id: string; token: number; body: string; expiresAt: number }, client: string, late: boolean): Promise<void> {
  const op: { id: number; client: string; input: TotalQueueInput<string>; call: number; output?: string; ret?: number } = { id: run.nextOp++, client, input: { f: 'dequeue' }, call: clock(run) };
  run.history.push(op);
  let unknownBefore = false;
  for (let attempt = 0; attempt < 10; attempt++) {
    const o: Outcome = await run.c.call({ type: 'ack', id: msg.id, token: msg.token }, 8000);
    if (o.type === 'unknown') {
      unknownBefore = true;
      continue;
    }
    if (o.type === 'failed') break;
    if (late) run.lateAcks.push({ value: msg.body, answer: `${o.result.type}${o.result.reason ? `: ${o.result.reason}` : ''}` });
    if (o.result.type === 'acked') {
      if (!(o.result.at < msg.expiresAt)) run.outOfLease.push(`${msg.body} acked at ${o.result.at}, lease ended ${msg.expiresAt}`);
      Object.assign(op, { output: msg.body, ret: clock(run) });
    } else if (unknownBefore) run.ackUncertain.add(msg.body);
    return;
  }
  run.ackUncertain.add(msg.body);
}

/** Receives and settles: mostly ack, sometimes nack, and sometimes hold the lease past its end before acking; `draining` acks until the queue is empty. */
async function consumer(run: QueueRun, name: string, random: Random, draining = false): Promise<void> {
  while (!run.stopped || draining) {
    const o = await run.c.call({ type: 'receive', consumer: name }, 8000);
    if (o.type !== 'result') continue;
    if (o.result.type === 'empty') {
      if (run.stopped) return;
      await sleep(20);
      continue;
    }
    if (o.result.type !== 'received') throw new Error(`receive: ${JSON.stringify(o.result)}`);
    run.counts.receives++;
    const m = o.result.message as { id: string; token: number; body: string; receiveCount: number; expiresAt: number };
    noteId(run, m.body, m.id);
    if (m.receiveCount > 1) run.counts.redeliveries++;
    const p = run.stopped ? 1 : random.float();
    if (p < 0.1) {
      await sleep(VISIBILITY_MS + 600); // the lease runs out: this ack must be refused
      await ack(run, m, name, true);
    } else if (p < 0.25) {
      run.counts.nacks++;
      await run.c.call({ type: 'nack', id: m.id, token: m.token }, 8000);
    } else {
      await ack(run, m, name, false);
    }
  }
}

/**
 * The queue's checks on one cluster: nothing acknowledged lost, one message per idempotency key,
 * late acks refused, acks within their leases, replicas identical.
 */
async function queueChecks(links: 'tcp' | 'redis', seed: number, schedule: readonly FaultStep[]): Promise<void> {
  const random = new Random(`queue-procs/${links}/${seed}`);
  const c = await cluster('queue', seed, { visibilityTimeoutMs: VISIBILITY_MS, maxReceiveCount: 1000 }, links);
  const run: QueueRun = {
    c, t0: performance.now(), history: [], ackUncertain: new Set(), idsOf: new Map(), lateAcks: [], outOfLease: [],
    counts: { enqueueRetries: 0, duplicateAnswers: 0, redeliveries: 0, nacks: 0, receives: 0 }, stopped: false, nextOp: 0,
  };
  const producers = ['p1', 'p2'].map((p) => producer(run, p));
  const consumers = ['c1', 'c2', 'c3'].map((n) => consumer(run, n, new Random(`${seed}/${n}`)));
  const faults = await runFaults(c, random, schedule, 2000);
  run.stopped = true;
  await Promise.all([...producers, ...consumers]);
  // Every lease has run out: drain what is left, acking each message.
  await sleep(VISIBILITY_MS + 200);
  await consumer(run, 'drain', random, true);
  const states = await settled(c);

  const verdict = checkTotalQueue<string>(run.history);
  const lost = verdict.lost.filter((v) => !run.ackUncertain.has(v));
  const twoIds = [...run.idsOf].filter(([, ids]) => ids.size > 1).map(([v, ids]) => `${v}: ${[...ids].join(',')}`);
  const summary = JSON.stringify({ faults, ...run.counts, attempts: verdict.attemptCount, acknowledged: verdict.acknowledgedCount, dequeued: verdict.okCount, lost: verdict.lost, ackUncertain: [...run.ackUncertain], unexpected: verdict.unexpected, duplicated: verdict.duplicated, recovered: verdict.recoveredCount, lateAcks: run.lateAcks.length });
  writeFileSync(join(tmpdir(), `distkit-queue-procs-${links}-seed-${seed}.json`), summary);

  expect(faults, summary).toHaveLength(schedule.length);
  expect(verdict.acknowledgedCount, summary).toBeGreaterThan(50);
  expect(lost, summary).toEqual([]);
  // The drain emptied the queue and nothing was dead-lettered: a value whose ack stayed uncertain
  // left the queue, and only an ack with its lease's token removes a message, so that ack took effect.
  const final = JSON.parse(states[0]!) as { messages: Record<string, unknown>; deadLetters: unknown[] };
  expect({ messages: Object.keys(final.messages).length, deadLetters: final.deadLetters.length }, summary).toEqual({ messages: 0, deadLetters: 0 });
  expect(verdict.unexpected, summary).toEqual([]);
  expect(verdict.duplicated, summary).toEqual([]);
  expect(twoIds, summary).toEqual([]);
  expect(run.counts.duplicateAnswers, summary).toBeGreaterThan(0);
  expect(run.lateAcks.length, summary).toBeGreaterThan(0);
  for (const late of run.lateAcks) expect(late.answer, summary).toMatch(/^refused: (lease expired|stale fencing token)/);
  expect(run.outOfLease, summary).toEqual([]);
  expect(states[1], 'replica r2 differs from r1').toBe(states[0]);
  expect(states[2], 'replica r3 differs from r1').toBe(states[0]);
}

describe('replicated queue on three processes, members SIGKILLed, paused and cut off', () => {
  it('over TCP, seed 1: nothing acknowledged lost, one message per idempotency key, late acks refused, acks within their leases, replicas identical', () => queueChecks('tcp', 1, QUEUE_FAULTS), 120_000);
  it('over Redis Streams, seed 1: the same checks', () => queueChecks('redis', 1, QUEUE_REDIS_FAULTS), 120_000);
});

type AppendOp = Operation<AppendHistoryInput, AppendHistoryOutput>;

/** One append until its outcome is known: a retry carries the same event id, so a first attempt that was applied is recognised. */
async function raceAppend(c: ReplicaCluster, history: AppendOp[], t0: number, client: string, expected: number | 'no_stream', eventId: string): Promise<void> {
  const op: { id: number; client: string; input: AppendHistoryInput; call: number; output?: AppendHistoryOutput; ret?: number } = {
    id: history.length, client, input: { f: 'append', stream: 'race', expected, count: 1 }, call: performance.now() - t0,
  };
  history.push(op);
  for (let attempt = 0; attempt < 10; attempt++) {
    const o = await c.call({ type: 'append', stream: 'race', expected, events: [{ type: 'Raced', id: eventId, data: { client, pad: 'x'.repeat(60) } }] }, 8000);
    if (o.type === 'unknown') continue;
    if (o.type === 'failed') return;
    if (o.result.type === 'appended') Object.assign(op, { output: { ok: true, revision: o.result.revision }, ret: performance.now() - t0 });
    else if (o.result.type === 'WrongExpectedVersion') Object.assign(op, { output: { ok: false, actual: o.result.actual }, ret: performance.now() - t0 });
    else throw new Error(`append: ${JSON.stringify(o.result)}`);
    return;
  }
}

async function streamRevision(c: ReplicaCluster): Promise<number | 'no_stream'> {
  for (;;) {
    const o = await c.call({ type: 'readStream', stream: 'race', maxCount: 1 }, 8000);
    if (o.type === 'result' && o.result.type === 'events') return o.result.revision as number | 'no_stream';
  }
}

describe('replicated event store on three processes over TCP, members SIGKILLed and restarted', () => {
  it('seed 1: of the concurrent appends expecting one revision exactly one wins, and the stream holds exactly the winners', async () => {
    const seed = 1;
    const random = new Random(`events-procs/${seed}`);
    const c = await cluster('events', seed);
    const t0 = performance.now();
    const history: AppendOp[] = [];
    const eventOf = new Map<number, string>();
    let stop = false;
    const rounds = (async () => {
      let round = 0;
      while (!stop) {
        const expected = await streamRevision(c);
        await Promise.all(['a', 'b', 'c', 'd', 'e'].map((client) => {
          const id = `r${round}-${client}`;
          eventOf.set(history.length, id);
          return raceAppend(c, history, t0, client, expected, id);
        }));
        round++;
      }
      return round;
    })();
    const faults = await runFaults(c, random, EVENT_FAULTS, 1500);
    stop = true;
    const roundCount = await rounds;
    const states = await settled(c);

    const verdict = checkAppendRaces(history);
    const known = (op: AppendOp) => op.output !== undefined;
    const decided = verdict.races.filter((r) => history.filter((op) => op.input.f === 'append' && op.input.expected === r.expected).every(known));
    const final = await c.call({ type: 'readStream', stream: 'race', maxCount: 10_000 }, 10_000);
    if (final.type !== 'result') throw new Error(`final read: ${JSON.stringify(final)}`);
    const stream = (final.result.events as { id?: string; revision: number }[]).map((e) => `${e.revision}:${e.id}`);
    const winners = history.filter((op) => typeof op.output === 'object' && op.output !== null && op.output.ok).map((op) => `${(op.output as { revision: number }).revision}:${eventOf.get(op.id)}`);
    const unknownIds = new Set(history.filter((op) => !known(op)).map((op) => eventOf.get(op.id)));
    const summary = JSON.stringify({ faults, rounds: roundCount, appends: history.length, unknown: unknownIds.size, races: verdict.races.length, decided: decided.length, winners: winners.length, streamLength: stream.length, problems: verdict.problems });
    writeFileSync(join(tmpdir(), `distkit-events-procs-seed-${seed}.json`), summary);

    expect(faults, summary).toHaveLength(EVENT_FAULTS.length);
    expect(roundCount, summary).toBeGreaterThan(20);
    expect(verdict.valid, summary).toBe(true);
    expect(decided.length, summary).toBeGreaterThan(20);
    for (const race of decided) expect({ race: race.expected, winners: race.winners.length }, summary).toEqual({ race: race.expected, winners: 1 });
    // The stream is the winners in revision order, plus only appends whose outcome stayed unknown.
    for (const w of winners) expect(stream, summary).toContain(w);
    expect(stream.filter((e) => !winners.includes(e) && !unknownIds.has(e.slice(e.indexOf(':') + 1))), summary).toEqual([]);
    expect(stream.map((e) => Number(e.slice(0, e.indexOf(':')))), summary).toEqual(stream.map((_, i) => i));
    expect(states[1], 'replica r2 differs from r1').toBe(states[0]);
    expect(states[2], 'replica r3 differs from r1').toBe(states[0]);
  }, 120_000);
});
