/**
 * A Jepsen-style set workload over the quorum store: each client alternates a read of key 's'
 * (the union of its siblings) and an add, written as the union of what it last read plus a new
 * element, with the context of that read. Lost acknowledged adds show up in the set checker.
 */
import type { Operation, SetInput, SetOutput } from '../../src/check/index.js';
import { quorumKv, quorumKvInvariants, type QuorumKvConfig, type QuorumKvOutput } from '../../src/replication/index.js';
import { simulate, type ScheduledCommand, type ScheduledFault, type SimResult, type Workload } from '../../src/sim/index.js';
import type { VectorClock } from '../../src/clocks/index.js';
import { Random } from '../../src/core/index.js';

export const KEY = 's';
export const nodes = ['a', 'b', 'c', 'd', 'e'];

export interface KvRun {
  /** Whether a final read succeeded (when not, the set checker must not judge the run). */
  readonly finalRead: boolean;
  readonly result: SimResult<SetInput<string>, SetOutput<string>>;
  /** The history with the final read (r = n, after healing) appended, when one succeeded. */
  readonly history: Operation<SetInput<string>, SetOutput<string>>[];
  /** Sibling counts of every successful client read. */
  readonly siblings: number[];
  /** Sum over nodes of their counters at the end. */
  readonly lwwDiscarded: number;
  readonly hintsDropped: number;
  readonly lwwEvents: number;
}

export interface KvRunOptions {
  readonly seed: number;
  readonly config?: Partial<QuorumKvConfig>;
  readonly faults?: boolean;
  readonly clients?: number;
  readonly operations?: number;
  /** Keys the clients spread over (default 1: every client on key 's'). */
  readonly keys?: number;
}

/** The elements of a read's siblings (each a list of strings), sorted. */
export const union = (values: readonly unknown[]): string[] => [...new Set(values.flatMap((v) => (Array.isArray(v) ? (v as string[]) : [])))].sort();

/** A simulator client's base name (without the `.k` of its later incarnations). */
export const baseClient = (name: string): string => name.split('.')[0]!;

/**
 * The shopping-cart client, as Dynamo's: a read remembers the siblings' union and context per
 * client and key; an add writes that union plus its element, with that context (read-modify-write).
 * `command` turns a set operation into the store's input; `remember` records a read's answer and
 * returns the values the history sees.
 */
export function cartClient(keyOf: (input: SetInput<string>) => string): {
  /** The next operation of `client`: even ones read a fresh key, odd ones add to the key it read last (else `fallback`). */
  next(client: string, index: number, freshKey: () => string, fallback: string): SetInput<string>;
  command(op: { readonly id: number; readonly client: string; readonly input: SetInput<string> }): unknown;
  remember(out: Extract<QuorumKvOutput, { type: 'get-ok' }>): string[];
} {
  const last = new Map<string, { values: string[]; context: VectorClock }>();
  const slot = new Map<number, string>();
  const current = new Map<string, string>();
  return {
    next(client, index, freshKey, fallback) {
      const key = index % 2 === 0 ? freshKey() : (current.get(baseClient(client)) ?? fallback);
      current.set(baseClient(client), key);
      // Extra `key` fields ride along in the history; the set checker reads only `f` and `value`.
      const input = index % 2 === 0 ? { f: 'read', key } : { f: 'add', value: `${baseClient(client)}-${index}`, key };
      return input as SetInput<string>;
    },
    command(op) {
      const key = keyOf(op.input);
      slot.set(op.id, `${baseClient(op.client)}|${key}`);
      if (op.input.f === 'read') return { type: 'get', id: op.id, key };
      const seen = last.get(`${baseClient(op.client)}|${key}`) ?? { values: [], context: {} };
      const value = op.input.f === 'add' ? op.input.value : '';
      return { type: 'put', id: op.id, key, value: union([seen.values, [value]]), context: seen.context };
    },
    remember(out) {
      const values = union(out.values);
      const where = slot.get(out.id);
      if (where !== undefined) last.set(where, { values, context: out.context });
      return values;
    },
  };
}

/** Crashes and restarts, each announced to the other nodes (as a failure detector would, late). */
function faultPlan(seed: number, horizonMs: number): { faults: ScheduledFault[]; commands: ScheduledCommand[] } {
  const random = new Random(`faults/${seed}`);
  const faults: ScheduledFault[] = [];
  const commands: ScheduledCommand[] = [];
  for (let t = 200; t < horizonMs - 1500; t += 600 + random.int(0, 600)) {
    const node = random.choice(nodes);
    const back = t + 200 + random.int(0, 800);
    faults.push({ at: t, fault: { type: 'crash', node } }, { at: back, fault: { type: 'restart', node } });
    for (const other of nodes) {
      if (other === node) continue;
      commands.push({ at: t + 30 + random.int(0, 50), node: other, input: { type: 'down', node } });
      commands.push({ at: back + 30 + random.int(0, 50), node: other, input: { type: 'up', node } });
    }
  }
  if (random.int(0, 2) === 0) {
    const at = 300 + random.int(0, 2000);
    faults.push({ at, fault: { type: 'partition', groups: [['a', 'b'], ['c', 'd', 'e']] } }, { at: at + 400, fault: { type: 'heal' } });
  }
  return { faults, commands };
}

export function runSetWorkload(o: KvRunOptions): KvRun {
  const horizonMs = 6000;
  const siblings: number[] = [];
  const keys = o.keys ?? 1;
  const cart = cartClient((input) => (input as { key?: string }).key ?? KEY);
  const workload: Workload<SetInput<string>, SetOutput<string>> = {
    clients: o.clients ?? 4,
    operations: o.operations ?? 40,
    thinkMs: 5,
    timeoutMs: 1500,
    generate: (ctx) => {
      const up = nodes.filter((n) => ctx.isUp(n));
      const node = ctx.random.choice(up.length > 0 ? up : nodes);
      // Read-modify-write, as Dynamo's shopping cart does: an add goes to the key just read.
      return { node, input: cart.next(ctx.client, ctx.index, () => (keys === 1 ? KEY : `${KEY}${ctx.random.int(0, keys)}`), KEY) };
    },
    command: (op) => cart.command(op),
    complete: (_node, output) => {
      const out = output as QuorumKvOutput;
      if (out.type === 'get-ok') {
        siblings.push(out.values.length);
        return { id: out.id, output: cart.remember(out) };
      }
      if (out.type === 'put-ok') return { id: out.id, output: null };
      if (out.type === 'request-failed' && out.op === 'get') return { id: out.id, failed: true };
      return undefined; // a failed put may have reached replicas: its outcome stays unknown
    },
  };
  const plan = o.faults === true ? faultPlan(o.seed, horizonMs) : { faults: [], commands: [] };
  const FINAL = 1_000_000;
  let final: { values: string[]; time: number } | undefined;
  const config = { n: 3, r: 2, w: 2, requestTimeoutMs: 400, handoffIntervalMs: 100, ...o.config };
  const result = simulate<SetInput<string>, SetOutput<string>>({
    seed: o.seed,
    nodes: nodes.map((id) => ({ id, machine: quorumKv, config: { id, nodes, ...config } })),
    network: o.faults === true ? { delay: { type: 'uniform', minMs: 1, maxMs: 30 }, loss: 0.02, duplicate: 0.02, reorder: 0.05 } : { delay: { type: 'uniform', minMs: 1, maxMs: 30 } },
    faults: plan.faults,
    // Jepsen's final read, after the faults: r = n, retried until one succeeds.
    commands: [...plan.commands, ...[0, 1, 2, 3, 4].map((i) => ({ at: horizonMs + 2000 + i * 500, node: nodes[i]!, input: { type: 'get', id: FINAL + i, key: KEY, r: 3 } }))],
    workload,
    invariants: quorumKvInvariants(),
    maxTimeMs: horizonMs + 5000,
    onOutput: (e) => {
      const out = e.output as QuorumKvOutput;
      if (out.type === 'get-ok' && out.id >= FINAL && final === undefined) final = { values: union(out.values), time: e.time };
    },
  });
  const history = [...result.history];
  if (final !== undefined) history.push({ id: FINAL, client: 'final', input: { f: 'read' }, call: final.time - 0.5, output: final.values, ret: final.time });
  const states = Object.values(result.states) as { stats: { lwwDiscarded: number; hintsDropped: number } }[];
  const lwwEvents = result.trace.filter((t) => t.kind === 'output' && (t.output as { type?: string }).type === 'lww-discarded').length;
  return {
    finalRead: final !== undefined,
    result,
    history,
    siblings,
    lwwDiscarded: states.reduce((n, s) => n + s.stats.lwwDiscarded, 0),
    hintsDropped: states.reduce((n, s) => n + s.stats.hintsDropped, 0),
    lwwEvents,
  };
}
