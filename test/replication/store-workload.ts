/**
 * A simulator workload over the consistency-level store: clients write unique values and read
 * (one key or a snapshot of all keys) at one level, through random replicas that lag by
 * different amounts, under crashes, partitions, loss, duplication and reordering. The write
 * order comes from the longest committed Raft log; final reads after healing judge convergence.
 */
import { checkConsistency, type ConsistencyReport, type Operation, type StoreOpInput } from '../../src/check/index.js';
import { raftEntries } from '../../src/consensus/index.js';
import { Random } from '../../src/core/index.js';
import { distributedStore, type ConsistencyLevel, type SessionToken, type StalenessBound, type StoreOutput, type StoreState } from '../../src/replication/index.js';
import { simulate, type ScheduledFault, type SimResult, type Workload } from '../../src/sim/index.js';

export const nodes = ['a', 'b', 'c'];
export const KEYS = ['x', 'y'];
export const BOUND: StalenessBound = { versions: 2, ms: 300 };
const HORIZON_MS = 4000;
const FINAL_AT = HORIZON_MS + 3000;
const SETTLE_MS = 2500;

export interface StoreRun {
  readonly result: SimResult<StoreOpInput, unknown>;
  readonly history: Operation<StoreOpInput, unknown>[];
  readonly writeOrder: { key: string; value: unknown }[];
  readonly report: ConsistencyReport;
  readonly finalReads: number;
}

function faultPlan(seed: number): ScheduledFault[] {
  const random = new Random(`store-faults/${seed}`);
  const faults: ScheduledFault[] = [];
  for (let t = 300; t < HORIZON_MS - 800; t += 700 + random.int(0, 700)) {
    if (random.int(0, 2) === 0) {
      const node = random.choice(nodes);
      faults.push({ at: t, fault: { type: 'crash', node } }, { at: t + 150 + random.int(0, 400), fault: { type: 'restart', node } });
    } else {
      const alone = random.choice(nodes);
      faults.push({ at: t, fault: { type: 'partition', groups: [[alone], nodes.filter((n) => n !== alone)] } }, { at: t + 200 + random.int(0, 400), fault: { type: 'heal' } });
    }
  }
  return faults;
}

/** Each committed store entry once, in log order (re-proposals dropped as the store drops them). */
function writeOrderOf(states: Readonly<Record<string, unknown>>): { key: string; value: unknown }[] {
  const all = Object.values(states).filter((s): s is StoreState => s !== undefined && s !== null);
  const best = all.reduce((a, b) => (b.raft.commit > a.raft.commit ? b : a));
  const seen = new Set<string>();
  const boots = new Map<string, number>();
  const order: { key: string; value: unknown }[] = [];
  for (const e of raftEntries(best.raft.log, 1, best.raft.commit)) {
    const d = e.data as { o: string; b: number; r: number; k: string; v: unknown } | null;
    if (e.kind !== undefined || d === null || typeof d.k !== 'string') continue;
    // The store's dedupe: an older incarnation's write after a newer one's, or a re-proposal, is dropped.
    const id = `${d.o}/${d.b}/${d.r}`;
    if (seen.has(id) || (boots.get(d.o) ?? 0) > d.b) continue;
    seen.add(id);
    boots.set(d.o, d.b);
    order.push({ key: d.k, value: d.v });
  }
  return order;
}

const base = (client: string) => client.split('.')[0] as string;

export function runStore(seed: number, level: ConsistencyLevel, o: { faults?: boolean } = {}): StoreRun {
  const random = new Random(`store-lag/${seed}`);
  const tokens = new Map<string, SessionToken>();
  const workload: Workload<StoreOpInput, unknown> = {
    clients: 4,
    operations: 30,
    thinkMs: 10,
    timeoutMs: 900,
    generate: (ctx) => {
      const up = nodes.filter((n) => ctx.isUp(n));
      const node = ctx.random.choice(up.length > 0 ? up : nodes);
      const roll = ctx.random.int(0, 5);
      const key = ctx.random.choice(KEYS);
      const input: StoreOpInput = roll < 2 ? { f: 'write', key, value: `${base(ctx.client)}-${ctx.index}` } : roll < 4 ? { f: 'read', key } : { f: 'read', keys: KEYS };
      return { node, input };
    },
    command: (op) => {
      const token = tokens.get(base(op.client)) ?? { index: 0 };
      const i = op.input;
      if (i.f === 'write') return { type: 'write', id: op.id, key: i.key, value: i.value, level, token };
      return { type: 'read', id: op.id, level, token, bound: BOUND, ...('keys' in i ? { keys: i.keys } : { key: i.key }) };
    },
    complete: () => undefined,
  };
  const clientOf = new Map<number, string>();
  const history: Operation<StoreOpInput, unknown>[] = [];
  const finals: Operation<StoreOpInput, unknown>[] = [];
  const wrapped: Workload<StoreOpInput, unknown> = {
    ...workload,
    command: (op) => {
      clientOf.set(op.id, base(op.client));
      return workload.command(op);
    },
    complete: (_node, output) => {
      const out = output as StoreOutput;
      if (out.type !== 'write-ok' && out.type !== 'read-ok' && out.type !== 'request-failed') return undefined;
      if (typeof out.id !== 'number') return undefined;
      const client = clientOf.get(out.id);
      if (out.type === 'request-failed') return out.op === 'read' || out.reason !== 'timed out' ? { id: out.id, failed: true } : undefined;
      if (client !== undefined) tokens.set(client, out.token);
      if (out.type === 'write-ok') return { id: out.id, output: null };
      return { id: out.id, output: out.value !== undefined ? out.value : out.values };
    },
  };
  const FINAL = 1_000_000;
  const result = simulate<StoreOpInput, unknown>({
    seed,
    nodes: nodes.map((id) => ({
      id,
      machine: distributedStore,
      config: { raft: { id, voters: nodes, seed: `${seed}/${id}`, electionTimeoutMs: 150, heartbeatIntervalMs: 15 }, applyDelayMs: random.int(0, 120), requestTimeoutMs: 800, retryMs: 60, staleness: BOUND },
    })),
    network: o.faults === false ? { delay: { type: 'uniform', minMs: 1, maxMs: 15 } } : { delay: { type: 'uniform', minMs: 1, maxMs: 15 }, loss: 0.02, duplicate: 0.02, reorder: 0.05 },
    faults: o.faults === false ? [] : faultPlan(seed),
    commands: nodes.map((node, i) => ({ at: FINAL_AT + i * 10, node, input: { type: 'read', id: FINAL + i, keys: KEYS, level: 'eventual' } })),
    workload: wrapped,
    maxTimeMs: FINAL_AT + 500,
    onOutput: (e) => {
      const out = e.output as StoreOutput;
      if (out.type === 'read-ok' && typeof out.id === 'number' && out.id >= FINAL) {
        finals.push({ id: out.id, client: `final-${e.node}`, input: { f: 'read', keys: KEYS }, call: e.time - 0.5, output: out.values, ret: e.time });
      }
    },
  });
  history.push(...result.history, ...finals);
  const writeOrder = writeOrderOf(result.states);
  const report = checkConsistency(history, {
    writeOrder,
    staleness: BOUND,
    settleMs: SETTLE_MS,
    session: (op) => base(op.client),
    linearizability: { maxSteps: 2_000_000 },
  });
  return { result, history, writeOrder, report, finalReads: finals.length };
}
