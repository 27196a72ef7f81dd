/**
 * A causal workload over three COPS replicas: each client stays with one replica (its
 * datacenter, COPS §3), reads and writes three keys with unique values, and keeps its context
 * with the client library's functions. The history goes to the consistency checker with the
 * version order as the write order.
 */
import { checkConsistency, type ConsistencyReport, type Operation, type StoreOpInput, type StoreOpOutput } from '../../src/check/index.js';
import { checkInvariants } from '../../src/core/index.js';
import {
  compareCopsVersions, copsAfterGet, copsAfterPut, copsConvergence, copsInvariants, copsReplica, type CopsContext, type CopsOutput, type CopsState, type CopsVersion,
} from '../../src/replication/index.js';
import { copsMachine } from '../../src/replication/cops.js';
import { simulate, type SimResult, type Workload } from '../../src/sim/index.js';

export const replicas = ['a', 'b', 'c'];


export interface CopsRunOptions {
  readonly seed: number;
  /** Crashes, partitions, loss, duplication, reordering. Default true. */
  readonly faults?: boolean;
  /** The control: replicas without COPS §4.3's dependency check. */
  readonly withoutDepCheck?: boolean;
  readonly clients?: number;
  readonly operations?: number;
  /** Keys each replica's clients write (everyone reads all). Default 2. */
  readonly keys?: number;
  /** Delay range of the slow a → c link, ms. Default [150, 400]. */
  readonly slowLinkMs?: readonly [number, number];
  readonly thinkMs?: number;
}

export interface CopsRun {
  readonly result: SimResult<StoreOpInput, StoreOpOutput>;
  readonly history: Operation<StoreOpInput, StoreOpOutput>[];
  readonly report: ConsistencyReport;
  /** Puts answered while their replica was cut off from another one by a partition. */
  readonly partitionedPuts: number;
  /** Every replica up at the end, and the convergence invariant's verdict on them. */
  readonly allUp: boolean;
  readonly divergence: string | undefined;
  /** Replicated writes that had to wait for a dependency, summed over replicas. */
  readonly waited: number;
  readonly acknowledgedWrites: number;
  /** Puts a replica refused (none expected: a client's context comes from its own replica). */
  readonly failedPuts: number;
}

const base = (client: string) => client.split('.')[0]!;

export function runCops(o: CopsRunOptions): CopsRun {
  const horizonMs = 4000;
  const faults = o.faults ?? true;
  const clients = o.clients ?? 6;
  const KEYS = replicas.flatMap((r) => Array.from({ length: o.keys ?? 2 }, (_, i) => `${r}${i}`));
  const contexts = new Map<string, CopsContext>();
  const requests = new Map<number, { client: string; key: string; value: unknown }>();
  const versions: { key: string; value: unknown; version: CopsVersion; time: number }[] = [];
  const homeOf = (client: string) => replicas[Number(base(client).slice(1)) % replicas.length]!;
  const workload: Workload<StoreOpInput, StoreOpOutput> = {
    clients,
    operations: o.operations ?? 120,
    thinkMs: o.thinkMs ?? 30,
    timeoutMs: 800,
    generate: (ctx) => {
      // Each datacenter's users write their own keys and read everyone's (a social-network
      // shape, COPS §1): a stale key then shows, instead of being masked by a newer local write.
      const home = homeOf(ctx.client);
      if (ctx.random.float() < 0.5) return { node: home, input: { f: 'read', key: ctx.random.choice(KEYS) } };
      const own = KEYS.filter((k) => k.startsWith(home));
      return { node: home, input: { f: 'write', key: ctx.random.choice(own), value: `${base(ctx.client)}-${ctx.index}` } };
    },
    command: (op) => {
      const client = base(op.client);
      const input = op.input as { f: string; key: string; value?: unknown };
      requests.set(op.id, { client, key: input.key, value: input.value });
      if (input.f === 'read') return { type: 'get', id: op.id, key: input.key };
      return { type: 'put', id: op.id, key: input.key, value: input.value, deps: contexts.get(client) ?? [] };
    },
    complete: (_node, output) => {
      const out = output as CopsOutput;
      if (out.type !== 'get-ok' && out.type !== 'put-ok' && out.type !== 'get-failed' && out.type !== 'put-failed') return undefined;
      const req = requests.get(out.id);
      if (req === undefined) return undefined;
      if (out.type === 'get-failed' || out.type === 'put-failed') return { id: out.id, failed: true };
      const ctx = contexts.get(req.client) ?? [];
      if (out.type === 'get-ok') {
        contexts.set(req.client, copsAfterGet(ctx, out.key, out.version));
        return { id: out.id, output: out.value };
      }
      contexts.set(req.client, copsAfterPut(ctx, out.key, out.version));
      return { id: out.id, output: null };
    },
  };
  const FINAL = 1_000_000;
  const finals: Operation<StoreOpInput, StoreOpOutput>[] = [];
  const machine = o.withoutDepCheck === true ? copsMachine({ dependencyCheck: false }) : copsReplica;
  const result = simulate<StoreOpInput, StoreOpOutput>({
    seed: o.seed,
    nodes: replicas.map((id) => ({ id, machine, config: { id, replicas, replicateIntervalMs: 40 } })),
    network: faults ? { delay: { type: 'uniform', minMs: 1, maxMs: 80 }, loss: 0.02, duplicate: 0.02, reorder: 0.1 } : { delay: { type: 'uniform', minMs: 1, maxMs: 80 } },
    // One slow long-haul link: c hears from a late, so writes that depend on a's reach c first.
    links: [{ from: 'a', to: 'c', delay: { type: 'uniform', minMs: o.slowLinkMs?.[0] ?? 150, maxMs: o.slowLinkMs?.[1] ?? 400 } }],
    ...(faults ? { nemesis: { crashRate: 0.6, partitionRate: 0.8, untilMs: horizonMs, downMs: [100, 600], partitionMs: [200, 900] } } : {}),
    workload,
    // The control would stop at the first invisible dependency: let it run so the checker judges its history.
    invariants: o.withoutDepCheck === true ? [] : copsInvariants(),
    // After the faults stop and replication settles: one read of every key at every replica.
    commands: replicas.flatMap((node, i) => KEYS.map((key, j) => ({ at: horizonMs + 3000, node, input: { type: 'get', id: FINAL + i * KEYS.length + j, key } }))),
    maxTimeMs: horizonMs + 3500,
    onOutput: (e) => {
      const out = e.output as CopsOutput;
      if (out.type === 'put-ok') {
        const req = requests.get(out.id);
        if (req !== undefined) versions.push({ key: req.key, value: req.value, version: out.version, time: e.time });
      }
      if (out.type === 'get-ok' && out.id >= FINAL) finals.push({ id: out.id, client: `final-${e.node}`, input: { f: 'read', key: out.key }, call: e.time - 0.5, output: out.value, ret: e.time });
    },
  });
  const history = [...result.history, ...finals];
  const cut: [number, number][] = [];
  for (const f of result.faults) {
    if (f.fault.type === 'partition') cut.push([f.at, Infinity]);
    if (f.fault.type === 'heal' && cut.length > 0) cut[cut.length - 1]![1] = f.at;
  }
  const partitionedPuts = versions.filter((w) => cut.some(([from, to]) => w.time >= from && w.time < to)).length;
  // Last-writer-wins: a key's writes took effect in version order, which extends causality (COPS §4).
  const writeOrder = [...versions].sort((x, y) => compareCopsVersions(x.version, y.version)).map(({ key, value }) => ({ key, value }));
  const report = checkConsistency(history, { writeOrder, settleMs: 2000 });
  const states = result.states as Record<string, CopsState>;
  const allUp = replicas.every((r) => states[r] !== undefined);
  return {
    result,
    history,
    report,
    partitionedPuts,
    allUp,
    divergence: checkInvariants([copsConvergence()], states)?.description,
    waited: Object.values(states).reduce((n, s) => n + s.stats.waited, 0),
    acknowledgedWrites: versions.length,
    failedPuts: result.trace.filter((t) => t.kind === 'output' && (t.output as { type?: string }).type === 'put-failed').length,
  };
}
