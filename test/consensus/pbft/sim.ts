// One seeded simulator run of PBFT: n = 3f+1 replicas, f of them Byzantine, two clients with a
// workload of sequential requests. Checked after every step: correct replicas that executed the
// same number of requests have the same service state (the hash chain of everything executed, so
// the same requests in the same order). Checked at the end: per sequence number, correct replicas
// executed the same request; no correct replica executed a request twice; every client result
// is the one correct replicas computed; every operation completed.
import { Random, type Invariant, type NodeId } from 'distkit/core';
import { simulate, type FinalCheck, type LinkOptions, type ScheduledFault, type SimNode, type SimResult } from 'distkit/sim';
import type { PbftExecuteOutput, PbftHashChainState, PbftReplicaState } from 'distkit/consensus';
import { BEHAVIOURS, byzantineReplica, type Behaviour, type ByzantineState } from './byzantine.js';
import { clientMachine, ids, replicaMachine, rings } from './harness.js';

export interface RunOptions {
  f?: number;
  /** Byzantine replicas and their behaviours; default: drawn from the seed. */
  faulty?: Record<NodeId, Behaviour>;
  network?: LinkOptions;
  faults?: readonly ScheduledFault[];
  operations?: number;
  trace?: boolean;
  maxTimeMs?: number;
}

export interface RunSummary {
  seed: number;
  result: SimResult<Op, unknown>;
  faulty: Record<NodeId, Behaviour>;
  correct: NodeId[];
  /** Highest view reached by a correct replica. */
  maxView: number;
  completed: number;
  operations: number;
  problems: string[];
}

interface Op {
  /** The client's n-th operation (its request timestamp is index + 1). */
  readonly index: number;
  readonly client: string;
}

export const CHECKPOINT_INTERVAL = 4;
export const VIEW_CHANGE_TIMEOUT_MS = 300;

export function drawFaulty(seed: number, f: number): Record<NodeId, Behaviour> {
  const rng = new Random(seed ^ 0x0bad);
  const replicas = ids(3 * f + 1);
  const faulty: Record<NodeId, Behaviour> = {};
  // Half of the runs make the first primary faulty: the case that needs a view change.
  const pool = [...replicas];
  if (rng.float() < 0.5) faulty[pool.shift()!] = rng.choice(BEHAVIOURS);
  while (Object.keys(faulty).length < f) {
    const i = rng.int(0, pool.length);
    faulty[pool.splice(i, 1)[0]!] = rng.choice(BEHAVIOURS);
  }
  return faulty;
}

export function runPbft(seed: number, options: RunOptions = {}): RunSummary {
  const f = options.f ?? 1;
  const replicas = ids(3 * f + 1);
  const clients = ['c0', 'c1'];
  const everyone = [...replicas, ...clients];
  const keyRings = rings(everyone);
  const faulty = options.faulty ?? drawFaulty(seed, f);
  const correct = replicas.filter((r) => faulty[r] === undefined);
  const config = { replicas, checkpointInterval: CHECKPOINT_INTERVAL, viewChangeTimeoutMs: VIEW_CHANGE_TIMEOUT_MS };
  const nodes: SimNode[] = [
    ...replicas.map((id): SimNode =>
      faulty[id] !== undefined
        ? { id, machine: byzantineReplica(keyRings[id]!, id), config: { ...config, id, behaviour: faulty[id], seed, everyone } }
        : { id, machine: replicaMachine(id, everyone), config: { ...config, id } },
    ),
    ...clients.map((id): SimNode => ({ id, machine: clientMachine(id, everyone), config: { id, replicas, retransmitMs: 500 } })),
  ];
  const innerState = (s: unknown): PbftReplicaState => ((s as ByzantineState).inner ?? s) as PbftReplicaState;
  // Executions of correct replicas: per replica, seq -> "client/timestamp", and per request the result.
  const executed = new Map<NodeId, Map<number, string>>(correct.map((r) => [r, new Map()]));
  const once = new Map<NodeId, Set<string>>(correct.map((r) => [r, new Set()]));
  const resultOf = new Map<string, string>();
  const problems: string[] = [];
  const sameState: Invariant = {
    name: 'correct replicas with the same number of executions have the same service state',
    check(states) {
      const byCount = new Map<number, { id: string; hash: string }>();
      for (const id of correct) {
        const s = states[id] as PbftReplicaState | undefined;
        if (s === undefined || s.stable.snapshot === null) continue;
        const svc = s.service as PbftHashChainState;
        const other = byCount.get(svc.executed);
        if (other !== undefined && other.hash !== svc.hash) return `${id} and ${other.id} executed ${svc.executed} requests but differ`;
        byCount.set(svc.executed, { id, hash: svc.hash });
      }
      return undefined;
    },
  };
  const operations = options.operations ?? 6;
  const finalChecks: FinalCheck<Op, unknown>[] = [
    {
      name: 'every operation completed',
      check: (end) => {
        const open = end.history.filter((e) => e.ret === undefined);
        return open.length === 0 ? undefined : `${open.length} operations without a result`;
      },
    },
  ];
  const result = simulate<Op, unknown>({
    seed,
    nodes,
    network: options.network ?? { delay: { type: 'uniform', minMs: 1, maxMs: 10 }, duplicate: 0.05, reorder: 0.1 },
    faults: options.faults ?? [],
    maxTimeMs: options.maxTimeMs ?? 30_000,
    trace: options.trace ?? false,
    invariants: [sameState],
    finalChecks,
    workload: {
      clients,
      operations,
      thinkMs: 5,
      timeoutMs: 1_000_000,
      generate: (ctx) => ({ node: ctx.client, input: { index: ctx.index, client: ctx.client } }),
      command: (op) => ({ type: 'request', operation: { op: op.id, index: op.input.index, client: op.input.client } }),
      complete: (node, out) => {
        const o = out as { type?: string; operation?: { op?: unknown } };
        if (o.type !== 'result' || !clients.includes(node) || typeof o.operation?.op !== 'number') return undefined;
        return { id: o.operation.op, output: (out as { result: unknown }).result };
      },
    },
    onOutput(event) {
      const o = event.output as { type?: string };
      if (o.type === 'execute' && executed.has(event.node)) {
        const e = o as PbftExecuteOutput;
        const key = `${e.client}/${e.timestamp}`;
        const mine = executed.get(event.node)!;
        if (mine.has(e.seq)) problems.push(`${event.node} executed ${e.seq} twice`);
        mine.set(e.seq, key);
        if (once.get(event.node)!.has(key)) problems.push(`${event.node} executed ${key} twice`);
        once.get(event.node)!.add(key);
        const r = JSON.stringify(e.result);
        const known = resultOf.get(key);
        if (known !== undefined && known !== r) problems.push(`${key}: results differ between correct replicas`);
        resultOf.set(key, r);
      }
    },
  });
  // Agreement per sequence number across correct replicas.
  const bySeq = new Map<number, string>();
  for (const [id, mine] of executed) {
    for (const [seq, key] of mine) {
      const other = bySeq.get(seq);
      if (other !== undefined && other !== key) problems.push(`seq ${seq}: ${id} executed ${key}, another correct replica ${other}`);
      bySeq.set(seq, key);
    }
  }
  // Clients accept only what correct replicas computed.
  for (const e of result.history) {
    if (e.ret === undefined) continue;
    const op = e.input as Op;
    const key = `${op.client}/${op.index + 1}`;
    const expected = resultOf.get(key);
    if (expected === undefined || expected !== JSON.stringify(e.output)) problems.push(`client result for ${key} is not the correct replicas' result`);
  }
  let maxView = 0;
  for (const id of correct) {
    const s = result.states[id];
    if (s !== undefined) maxView = Math.max(maxView, innerState(s).view);
  }
  return {
    seed,
    result,
    faulty,
    correct,
    maxView,
    completed: result.history.filter((e) => e.ret !== undefined).length,
    operations: operations * clients.length,
    problems,
  };
}
