/**
 * A key-value workload over chain replication in the simulator: clients write at the head and
 * read at the tail (or, with CRAQ, at any replica), as the latest `reconfigured` event names
 * them; crashes, partitions, loss and duplication from a seeded plan. The history goes to the
 * linearizability checker with the key-value model.
 */
import type { KvInput, RegisterOutput } from '../../src/check/index.js';
import { Random, type Invariant } from '../../src/core/index.js';
import { chainMaster, chainReplica, primaryBackup, raftChainMaster, raftChainMasterInvariants, type ChainMasterOutput, type ChainReplicaOutput } from '../../src/replication/index.js';
import { simulate, type ClockOptions, type LinkOverride, type ScheduledCommand, type ScheduledFault, type SimResult, type Workload } from '../../src/sim/index.js';

type Reconfigured = Extract<ChainMasterOutput, { type: 'reconfigured' }>;

export const MASTER = 'm';
export const REPLICAS = ['a', 'b', 'c', 'd'];

export interface ChainRunOptions {
  readonly seed: number;
  /** Chain replication (default), or primary-backup in sync or async mode. */
  readonly kind?: 'chain' | 'sync' | 'async';
  readonly faults?: boolean;
  readonly craq?: boolean;
  readonly clients?: number;
  readonly operations?: number;
  readonly keys?: number;
  /** Replicas in the initial chain (the others join later). Default 3. */
  readonly initial?: number;
  readonly crashMaster?: boolean;
  /** Send one write in four to the head of the previous view (a client with a stale view). */
  readonly staleHeads?: boolean;
  /** Run the configuration service as this many `raftChainMaster` nodes (default: one `chainMaster`). */
  readonly masters?: number;
  /** Send one read in four to any replica, as a client holding an old view would. */
  readonly staleReaders?: boolean;
  /** Faults added to the seeded plan (e.g. aimed at the master leader). */
  readonly extraFaults?: readonly ScheduledFault[];
  /** Per-node clock skew and drift. */
  readonly clocks?: Readonly<Record<string, ClockOptions>>;
  /** Link overrides on top of the faulty network (e.g. more duplication around the masters). */
  readonly links?: readonly LinkOverride[];
  /** Invariants checked after every step besides the master's own. */
  readonly invariants?: readonly Invariant<unknown>[];
  /** End the run right after the first `reconfigured` at or after this time (to learn who issued it). */
  readonly stopAtReconfigurationMs?: number;
  /** End the run at this time (a prefix, to learn who leads then). */
  readonly stopAtMs?: number;
  /** Local commands to nodes (e.g. a leadership transfer between master nodes). */
  readonly commands?: readonly ScheduledCommand[];
  /** The master's failure timeout (default 400 ms; the replicas' lease is 250 ms). */
  readonly failureTimeoutMs?: number;
}

export interface ChainRun {
  /** Acknowledged writes a later head or primary did not hold when it took over (lost). */
  readonly lost: number;
  /** Acknowledged writes: id → value. */
  readonly acknowledged: Map<string, number>;
  /** Values of writes sent to a replica that was no longer the head when the client sent them. */
  readonly fencedValues: Set<number>;
  readonly result: SimResult<KvInput<number>, RegisterOutput<number>>;
  readonly reconfigurations: Reconfigured[];
  readonly written: number;
  readonly reads: number;
  readonly craqQueries: number;
  /** Epochs issued (a `reconfigured` event) twice with different chains. */
  readonly conflictingEpochs: number;
  /** Master nodes that issued at least one epoch (more than one: the service failed over). */
  readonly issuers: Set<string>;
  /** Every `reconfigured` event: when, by which master node. */
  readonly issued: readonly { readonly time: number; readonly node: string; readonly epoch: number; readonly chain: readonly string[] }[];
  /** Every master node that became Raft leader, and when. */
  readonly leaders: readonly { readonly time: number; readonly node: string }[];
}

/** Crashes and restarts of replicas, at most one down at a time, and a partition now and then. */
function faultPlan(seed: number, horizonMs: number, crashMaster: boolean, masters: readonly string[]): ScheduledFault[] {
  const random = new Random(`chain-faults/${seed}`);
  const faults: ScheduledFault[] = [];
  for (let t = 300; t < horizonMs - 1500; t += 900 + random.int(0, 900)) {
    const node = random.choice(REPLICAS);
    faults.push({ at: t, fault: { type: 'crash', node } }, { at: t + 100 + random.int(0, 700), fault: { type: 'restart', node } });
  }
  if (random.int(0, 2) === 0) {
    const at = 400 + random.int(0, 2500);
    const cut = random.choice(REPLICAS);
    faults.push({ at, fault: { type: 'partition', groups: [[cut], [...masters, ...REPLICAS.filter((r) => r !== cut)]] } }, { at: at + 300 + random.int(0, 600), fault: { type: 'heal' } });
  }
  if (crashMaster) {
    const at = 500 + random.int(0, 2500);
    const node = random.choice(masters);
    faults.push({ at, fault: { type: 'crash', node } }, { at: at + 200 + random.int(0, 400), fault: { type: 'restart', node } });
  }
  if (crashMaster && masters.length > 1) {
    // A master node cut off from the other masters, with some replicas on its side.
    const at = 2000 + random.int(0, 1500);
    const alone = random.choice(masters);
    const side = REPLICAS.filter(() => random.int(0, 2) === 0);
    faults.push({ at, fault: { type: 'partition', groups: [[alone, ...side], [...masters.filter((m) => m !== alone), ...REPLICAS.filter((r) => !side.includes(r))]] } }, { at: at + 400 + random.int(0, 600), fault: { type: 'heal' } });
  }
  return faults;
}

export function runChain(o: ChainRunOptions): ChainRun {
  const horizonMs = 6000;
  const initial = o.initial ?? 3;
  let chain = REPLICAS.slice(0, initial);
  let joining: string | null = null;
  const reconfigurations: Reconfigured[] = [];
  let previousHead = chain[0]!;
  const fencedValues = new Set<number>();
  let nextValue = 1;
  let written = 0;
  let reads = 0;
  const keys = o.keys ?? 3;
  const kind = o.kind ?? 'chain';
  const acknowledged = new Map<string, number>();
  const values = new Map<string, number>();
  const acks: { node: string; seq: number; time: number }[] = [];
  let lost = 0;
  let head = chain[0]!;
  const tail = () => (joining !== null && chain.length > 1 ? chain[chain.length - 2]! : chain[chain.length - 1]!);
  const workload: Workload<KvInput<number>, RegisterOutput<number>> = {
    clients: o.clients ?? 4,
    operations: o.operations ?? 60,
    startMs: 300,
    thinkMs: 10,
    timeoutMs: 1000,
    generate: (ctx) => {
      const key = `k${ctx.random.int(0, keys)}`;
      if (ctx.random.int(0, 2) === 0) {
        const value = nextValue++;
        const stale = o.staleHeads === true && ctx.random.int(0, 4) === 0 && previousHead !== chain[0];
        if (stale) fencedValues.add(value);
        return { node: stale ? previousHead : chain[0]!, input: { f: 'write', key, value } };
      }
      const reader =
        o.staleReaders === true && ctx.random.int(0, 4) === 0 ? ctx.random.choice(REPLICAS) : kind !== 'chain' ? chain[0]! : o.craq === false ? tail() : ctx.random.choice(chain.filter((n) => n !== joining));
      return { node: reader, input: { f: 'read', key } };
    },
    command: (op) => {
      if (op.input.f !== 'write') return { type: 'read', id: String(op.id), key: op.input.key };
      values.set(String(op.id), op.input.value as number);
      return { type: 'write', id: String(op.id), key: op.input.key, value: op.input.value };
    },
    complete: (_node, output) => {
      const out = output as ChainReplicaOutput;
      if (out.type === 'written') return { id: Number(out.id), output: null };
      if (out.type === 'value') return { id: Number(out.id), output: out.value as number | null };
      if (out.type === 'redirect') return { id: Number(out.id), failed: true };
      return undefined;
    },
  };
  const masters = o.masters === undefined ? [MASTER] : Array.from({ length: o.masters }, (_, i) => `${MASTER}${i + 1}`);
  const masterNodes =
    o.masters === undefined
      ? [{ id: MASTER, machine: chainMaster, config: { id: MASTER, replicas: REPLICAS, initial, failureTimeoutMs: o.failureTimeoutMs ?? 400 } }]
      : masters.map((id, i) => ({
          id,
          machine: raftChainMaster,
          config: { raft: { id, voters: masters, seed: o.seed * 10 + i, electionTimeoutMs: 100, heartbeatIntervalMs: 20 }, replicas: REPLICAS, initial, failureTimeoutMs: o.failureTimeoutMs ?? 400, snapshotEvery: 8 },
        }));
  const issued = new Map<number, { node: string; chain: string }>();
  const issuers = new Set<string>();
  const issuedLog: { time: number; node: string; epoch: number; chain: readonly string[] }[] = [];
  const leaders: { time: number; node: string }[] = [];
  let stop = false;
  let conflictingEpochs = 0;
  const result = simulate<KvInput<number>, RegisterOutput<number>>({
    seed: o.seed,
    nodes: [
      ...masterNodes,
      ...REPLICAS.map((id) =>
        kind === 'chain'
          ? { id, machine: chainReplica, config: { id, master: masters[0]!, masters, leaseMs: 250, craq: o.craq ?? true } }
          : { id, machine: primaryBackup, config: { id, master: masters[0]!, masters, leaseMs: 250, mode: kind } },
      ),
    ],
    invariants: [...(o.masters === undefined ? [] : raftChainMasterInvariants()), ...(o.invariants ?? [])],
    network: o.faults === true ? { delay: { type: 'uniform', minMs: 1, maxMs: 20 }, loss: 0.02, duplicate: 0.02, reorder: 0.05 } : { delay: { type: 'uniform', minMs: 1, maxMs: 20 } },
    faults: [...(o.faults === true ? faultPlan(o.seed, horizonMs, o.crashMaster === true, masters) : []), ...(o.extraFaults ?? [])],
    ...(o.clocks === undefined ? {} : { clocks: o.clocks }),
    ...(o.commands === undefined ? {} : { commands: o.commands }),
    ...(o.links === undefined ? {} : { links: o.links }),
    ...(o.stopAtReconfigurationMs === undefined && o.stopAtMs === undefined ? {} : { stopWhen: (view: { time: number }) => stop || view.time >= (o.stopAtMs ?? Infinity) }),
    workload,
    maxTimeMs: horizonMs + 3000,
    onOutput: (e) => {
      const out = e.output as ChainMasterOutput | ChainReplicaOutput | { type: 'role'; role: string };
      if (out.type === 'role' && out.role === 'leader') leaders.push({ time: e.time, node: e.node });
      if (out.type === 'reconfigured') {
        const chainKey = JSON.stringify([out.chain, out.joining]);
        const before = issued.get(out.epoch);
        if (before !== undefined && before.chain !== chainKey) conflictingEpochs++;
        issued.set(out.epoch, { node: e.node, chain: chainKey });
        issuers.add(e.node);
        issuedLog.push({ time: e.time, node: e.node, epoch: out.epoch, chain: out.chain });
        if (o.stopAtReconfigurationMs !== undefined && e.time >= o.stopAtReconfigurationMs) stop = true;
        reconfigurations.push(out);
        previousHead = chain[0]!;
        chain = [...out.chain];
        joining = out.joining;
      }
      // A replica taking over as head or primary: acknowledged writes beyond what it holds are lost.
      if (out.type === 'view' && out.chain[0] === e.node && head !== e.node) {
        head = e.node;
        for (const a of acks) if (a.node !== e.node && a.seq > out.held) lost++;
        acks.length = 0;
      }
      if (out.type === 'written') {
        acks.push({ node: e.node, seq: out.seq, time: e.time });
        written++;
        if (values.has(out.id)) acknowledged.set(out.id, values.get(out.id)!);
      }
      if (out.type === 'value') reads++;
    },
  });
  const craqQueries = result.stats.byType['query']?.sent ?? 0;
  return { result, reconfigurations, written, reads, craqQueries, fencedValues, acknowledged, lost, conflictingEpochs, issuers, issued: issuedLog, leaders };
}
