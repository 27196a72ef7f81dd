// Runs the Raft KV store in distkit/sim: 5 nodes, a lossy, duplicating, reordering network, a
// nemesis that crashes nodes and partitions the network, clients recording a history, and Raft's
// safety invariants after every step.
import { raftSafetyInvariants, type RaftState } from 'distkit/consensus';
import type { Invariant } from 'distkit/core';
import { simulate, type ScheduledFault, type SimNode, type SimResult, type Workload } from 'distkit/sim';
import { raftKv, type KvConfig, type KvOp, type KvOutput, type KvState, type KvValue } from './kv.js';

export const KV_IDS = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
export const KV_ELECTION_TIMEOUT_MS = 100;

export function kvNodes(seed: number | string, ids: readonly string[] = KV_IDS, overrides: Partial<KvConfig> = {}): SimNode[] {
  return ids.map((id) => ({
    id,
    machine: raftKv,
    config: {
      id,
      voters: ids,
      seed,
      electionTimeoutMs: KV_ELECTION_TIMEOUT_MS,
      heartbeatIntervalMs: 20,
      snapshotEvery: 32,
      ...overrides,
    } satisfies KvConfig,
  }));
}

/** Raft's five safety invariants over the KV nodes' Raft states. */
export function kvInvariants(): Invariant<KvState>[] {
  // One projection per step, made by the first check: the checks run in order after every step.
  let raftStates: Record<string, RaftState> = {};
  return raftSafetyInvariants().map((inv, k) => ({
    name: inv.name,
    check: (states, view) => {
      if (k === 0) {
        raftStates = {};
        for (const id in states) raftStates[id] = states[id]!.raft;
      }
      return inv.check(raftStates, view);
    },
  }));
}

/**
 * Clients that read, write and compare-and-set a few keys. Each sends to the node it believes
 * leads (learned from `notLeader` hints and `role` outputs), else to a random live node.
 */
export function kvWorkload(options: { clients?: number; operations?: number; keys?: readonly string[]; thinkMs?: number } = {}): Workload<KvOp, KvValue> & {
  observe(node: string, output: unknown): void;
} {
  const keys = options.keys ?? ['x', 'y'];
  let leader: string | undefined;
  return {
    clients: options.clients ?? 4,
    operations: options.operations ?? 5000,
    thinkMs: options.thinkMs ?? 10,
    timeoutMs: 300,
    generate(ctx) {
      const up = ctx.nodes.filter((n) => ctx.isUp(n));
      const node = leader !== undefined && ctx.isUp(leader) ? leader : ctx.random.choice(up.length > 0 ? up : ctx.nodes);
      const key = ctx.random.choice(keys);
      const r = ctx.random.float();
      const value = `${ctx.client}:${ctx.index}`;
      const input: KvOp =
        r < 0.4 ? { f: 'read', key } : r < 0.8 ? { f: 'write', key, value } : { f: 'cas', key, from: `c${ctx.random.int(0, 4)}:${ctx.random.int(0, 8)}`, to: value };
      return { node, input };
    },
    command: (op) => ({ type: 'request', id: op.id, op: op.input }),
    complete(node, output) {
      const o = output as KvOutput;
      if (o.type !== 'reply') return undefined;
      if (o.result.ok) {
        leader = node;
        return { id: o.id, output: o.result.value };
      }
      leader = o.result.leader ?? undefined;
      return { id: o.id, failed: true };
    },
    observe(node, output) {
      const o = output as KvOutput;
      if (o.type === 'role' && o.role === 'leader') leader = node;
    },
  };
}

export interface KvSeedOptions {
  /** Faults happen before this virtual time; everything is healed by then. Default 1500. */
  readonly faultUntilMs?: number;
  /** Keep the whole trace (for exports). Default false. */
  readonly trace?: boolean;
  /** Scripted faults instead of the random nemesis. */
  readonly faults?: readonly ScheduledFault[];
  /** Network loss probability. Default: drawn per seed in [0, 0.2). */
  readonly loss?: number;
}

export interface KvSeedResult {
  readonly result: SimResult<KvOp, KvValue>;
  /** Virtual ms from the last fault healing to the first write invoked after it completing; -1 if none. */
  readonly recoveryMs: number;
  readonly healAt: number;
}

/** One seeded run; the seed decides the network, the faults and the workload. */
export function runKvSeed(seed: number, options: KvSeedOptions = {}): KvSeedResult {
  const healAt = options.faultUntilMs ?? 1500;
  // Per-seed network parameters, drawn from the seed itself so runs are reproducible.
  const u = (k: number): number => ((Math.imul(seed + 1, 2654435761) ^ Math.imul(k + 7, 40503)) >>> 0) / 2 ** 32;
  const workload = kvWorkload();
  const result = simulate<KvOp, KvValue>({
    seed,
    nodes: kvNodes(seed),
    network: {
      delay: { type: 'uniform', minMs: 1, maxMs: 5 + Math.floor(u(1) * 20) },
      loss: options.loss ?? u(2) * 0.2,
      duplicate: u(3) * 0.1,
      reorder: u(4) * 0.2,
      reorderMaxMs: 30,
    },
    ...(options.faults !== undefined
      ? { faults: options.faults }
      : {
          nemesis: {
            crashRate: 1.5,
            partitionRate: 1.5,
            downMs: [50, 400] as const,
            partitionMs: [50, 400] as const,
            untilMs: healAt,
          },
        }),
    workload,
    invariants: kvInvariants(),
    maxTimeMs: healAt + 10 * KV_ELECTION_TIMEOUT_MS + 50,
    trace: options.trace ?? false,
    onOutput: (e) => workload.observe(e.node, e.output),
  });
  let recoveryMs = -1;
  for (const op of result.history) {
    if (op.input.f !== 'read' && op.call >= healAt && op.ret !== undefined) {
      const r = op.ret - healAt;
      if (recoveryMs < 0 || r < recoveryMs) recoveryMs = r;
    }
  }
  return { result, recoveryMs, healAt };
}
