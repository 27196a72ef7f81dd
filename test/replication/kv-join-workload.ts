/**
 * The set workload of kv-workload.ts over several keys, while one or two nodes join the ring
 * mid-run: each joiner starts (configured `joining`), and every other node hears SWIM's `alive`
 * for it a little later, each at its own time, as SWIM's dissemination would deliver it. Crashes
 * are announced the same way (`member` `dead`, then `alive`). Keys written before the joins and
 * never touched again check the bootstrap alone.
 */
import { checkSet, type Operation, type SetInput, type SetOutput } from '../../src/check/index.js';
import { canonicalJson, Random } from '../../src/core/index.js';
import { HashRing } from '../../src/hashing/index.js';
import { dvvValues, quorumKv, quorumKvInvariants, type QuorumKvConfig, type QuorumKvOutput, type QuorumKvState } from '../../src/replication/index.js';
import { simulate, type ScheduledCommand, type ScheduledFault, type SimResult, type Workload } from '../../src/sim/index.js';
import { onKv, swimKv, type SwimKvState } from './swim-kv-node.js';
import { cartClient, union } from './kv-workload.js';

export const OLD = ['a', 'b', 'c', 'd', 'e'];
const JOINERS = ['f', 'g'];
const KEYS = ['s0', 's1', 's2', 's3', 's4', 's5'];
const PRELOAD = Array.from({ length: 40 }, (_, i) => `p${i}`);
const HORIZON_MS = 6000;
const FINAL = 1_000_000;

export interface JoinRun {
  readonly result: SimResult<SetInput<string>, SetOutput<string>>;
  readonly joiners: readonly string[];
  /** Joiners no old node added to its ring by the end. */
  readonly notJoined: readonly string[];
  /** Per workload key: the set checker's verdict over its operations and final read (absent: no final read). */
  readonly verdicts: Readonly<Record<string, ReturnType<typeof checkSet<string>> | undefined>>;
  /** What is wrong at the end: rings that differ, replicas that differ, ranges a joiner lacks, a bootstrap not over. */
  readonly problems: readonly string[];
  /** Keys, preloaded and written, whose final preference list names a joiner. */
  readonly joinerKeys: number;
  /** Keys the joiners received in bootstrap transfers (their `bootstrapped` outputs). */
  readonly bootstrapped: number;
  /** Preloaded writes acknowledged (the others are not checked). */
  readonly preloaded: number;
  /** Successful client reads, and those that missed an add to their key acknowledged before the read began. */
  readonly reads: number;
  readonly staleReads: number;
}


function plan(seed: number, joiners: readonly string[], bySwim: boolean): { faults: ScheduledFault[]; commands: ScheduledCommand[]; startsAt: Record<string, number> } {
  const random = new Random(`join-faults/${seed}`);
  const faults: ScheduledFault[] = [];
  const commands: ScheduledCommand[] = [];
  const startsAt: Record<string, number> = {};
  // SWIM's news reaches each other node at its own time (dissemination over a few periods).
  const tell = (at: number, node: string, status: 'alive' | 'dead', among: readonly string[]) => {
    if (bySwim) return; // the real SWIM detects and spreads it
    for (const other of among) if (other !== node) commands.push({ at: at + 30 + random.int(0, 300), node: other, input: { type: 'member', node, status } });
  };
  // Under real SWIM a joiner is in every node's SWIM configuration from the start: one that comes
  // up after the others declared it dead refutes its death when the first member it probes tells it.
  let at = bySwim ? 500 + random.int(0, 2500) : 800 + random.int(0, 800);
  for (const j of joiners) {
    startsAt[j] = at;
    faults.push({ at, fault: { type: 'restart', node: j } });
    tell(at, j, 'alive', [...OLD, ...joiners.filter((x) => startsAt[x] !== undefined && x !== j)]);
    at += bySwim ? 300 + random.int(0, 1500) : 600 + random.int(0, 1200);
  }
  for (let t = 300; t < HORIZON_MS - 1500; t += 500 + random.int(0, 600)) {
    const started = [...OLD, ...joiners.filter((j) => startsAt[j]! + 300 < t)];
    const node = random.choice(started);
    // Under SWIM (300 ms periods, N = 7) the suspicion timeout is 1–6 s: many crashes outlast it.
    const back = t + 200 + random.int(0, bySwim ? 3000 : 800);
    faults.push({ at: t, fault: { type: 'crash', node } }, { at: back, fault: { type: 'restart', node } });
    tell(t, node, 'dead', started);
    tell(back, node, 'alive', started);
  }
  if (random.int(0, 2) === 0) {
    const t = 600 + random.int(0, 2500);
    const all = [...OLD, ...joiners];
    faults.push({ at: t, fault: { type: 'partition', groups: [all.filter((x) => 'abf'.includes(x)), all.filter((x) => !'abf'.includes(x))] } }, { at: t + 500, fault: { type: 'heal' } });
  }
  return { faults, commands, startsAt };
}

/**
 * One run: `joins` nodes (1 or 2) join while four clients read and add over six keys. With
 * `bootstrap: false` a joiner is configured as a plain member of the grown ring (no `joining`):
 * it answers reads at once, from an empty replica, and gets data only by read repair, anti-entropy
 * and new writes.
 */
export interface JoinRunOptions {
  readonly seed: number;
  readonly joins: 1 | 2;
  readonly config?: Partial<QuorumKvConfig>;
  /** Default true; false: joiners are plain members of the grown ring, without a bootstrap. */
  readonly bootstrap?: boolean;
  /** Run the real SWIM on every node (swim-kv-node.ts) instead of scripted `member` commands. */
  readonly swim?: boolean;
}

export function runJoinWorkload(o: JoinRunOptions): JoinRun {
  const { seed, joins } = o;
  const bootstrap = o.bootstrap ?? true;
  const extra = o.config ?? {};
  const joiners = JOINERS.slice(0, joins);
  const all = [...OLD, ...joiners];
  const p = plan(seed, joiners, o.swim === true);
  const keyOf = (input: SetInput<string>): string => (input as { key?: string }).key ?? KEYS[0]!;
  const cart = cartClient(keyOf);
  const workload: Workload<SetInput<string>, SetOutput<string>> = {
    clients: 4,
    operations: 50,
    thinkMs: 5,
    timeoutMs: 1500,
    generate: (ctx) => {
      const up = all.filter((n) => ctx.isUp(n));
      const node = ctx.random.choice(up.length > 0 ? up : OLD);
      return { node, input: cart.next(ctx.client, ctx.index, () => ctx.random.choice(KEYS), KEYS[0]!) };
    },
    command: (op) => cart.command(op),
    complete: (_node, output) => {
      const out = output as QuorumKvOutput;
      if (out.type === 'get-ok' && out.id < FINAL) return { id: out.id, output: cart.remember(out) };
      if (out.type === 'put-ok' && out.id < FINAL) return { id: out.id, output: null };
      if (out.type === 'request-failed' && out.op === 'get' && out.id < FINAL) return { id: out.id, failed: true };
      return undefined;
    },
  };
  const config = { n: 3, r: 2, w: 2, requestTimeoutMs: 400, handoffIntervalMs: 100, membershipIntervalMs: 200, acceptJoins: true, antiEntropyIntervalMs: 300, merkleDepth: 3, ...extra };
  // Preloaded keys: written with W = N before anything fails, never touched again.
  const preload: ScheduledCommand[] = PRELOAD.map((key, i) => ({ at: 20 + i * 5, node: OLD[i % OLD.length]!, input: { type: 'put', id: 2 * FINAL + i, key, value: [key], w: 3 } }));
  // Jepsen's final read per key, after the faults: r = n, retried on another node until one succeeds.
  const finals: ScheduledCommand[] = KEYS.flatMap((key, k) => [0, 1, 2, 3, 4].map((i) => ({ at: HORIZON_MS + 4000 + i * 600 + k * 20, node: all[(k + i) % all.length]!, input: { type: 'get', id: FINAL + k * 10 + i, key, r: 3 } })));
  const final = new Map<string, { values: string[]; time: number }>();
  const preloaded = new Set<string>();
  let bootstrapped = 0;
  const result = simulate<SetInput<string>, SetOutput<string>>({
    seed,
    nodes: all.map((id, i) => {
      const joiner = joiners.includes(id);
      // A joiner is configured with the ring it joins: the old nodes, the joiners before it, itself.
      const ring = joiner ? [...OLD, ...joiners.slice(0, joiners.indexOf(id) + 1)] : OLD;
      const kv = { id, nodes: ring, joining: joiner && bootstrap, ...config };
      if (o.swim !== true) return { id, machine: quorumKv, config: kv, startDown: joiner };
      return { id, machine: swimKv, config: { swim: { id, nodes: all, seed: seed * 100 + i, protocolPeriodMs: 300 }, kv }, startDown: joiner };
    }),
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 30 }, loss: 0.02, duplicate: 0.02, reorder: 0.05 },
    faults: p.faults,
    commands: [...preload, ...p.commands, ...finals],
    workload,
    invariants: (o.swim === true ? onKv(quorumKvInvariants()) : quorumKvInvariants()) as never,
    maxTimeMs: HORIZON_MS + 11_000,
    onOutput: (e) => {
      const out = e.output as QuorumKvOutput;
      if (out.type === 'put-ok' && out.id >= 2 * FINAL) preloaded.add(out.key);
      if (out.type === 'bootstrapped') bootstrapped += out.keys;
      if (out.type !== 'get-ok' || out.id < FINAL || out.id >= 2 * FINAL) return;
      const key = KEYS[Math.floor((out.id - FINAL) / 10)]!;
      // The last successful final read is the one judged: it follows every client operation.
      final.set(key, { values: union(out.values), time: e.time });
    },
  });
  const verdicts: Record<string, ReturnType<typeof checkSet<string>> | undefined> = {};
  const problems: string[] = [];
  for (const key of KEYS) {
    const f = final.get(key);
    if (f === undefined) {
      verdicts[key] = undefined;
      continue;
    }
    const ops = result.history.filter((o) => keyOf(o.input) === key) as Operation<SetInput<string>, SetOutput<string>>[];
    const late = ops.filter((o) => o.call > f.time - 0.5 || (o.ret ?? 0) > f.time - 0.5).length;
    if (late > 0) problems.push(`${key}: ${late} client operations after the final read`);
    verdicts[key] = checkSet([...ops, { id: FINAL, client: 'final', input: { f: 'read' }, call: f.time - 0.5, output: f.values, ret: f.time }]);
  }
  const states = Object.fromEntries(Object.entries(result.states).map(([id, s]) => [id, o.swim === true ? (s as SwimKvState).kv : (s as QuorumKvState)]));
  // The ring as an old node sees it; every member of it must see the same one. A joiner SWIM never
  // reported alive (see plan) is not in it, and is judged by `notJoined`.
  const members = states['a']?.nodes ?? OLD;
  const notJoined = joiners.filter((j) => !members.includes(j));
  const ring = HashRing.create(members, { vnodes: 64 });
  for (const id of members) {
    const s = states[id];
    if (s === undefined) problems.push(`${id}: no state at the end`);
    else if (canonicalJson(s.nodes) !== canonicalJson(members)) problems.push(`${id}: ring ${s.nodes.join(',')}`);
    else if (s.bootstrap !== null) problems.push(`${id}: bootstrap not over`);
  }
  let joinerKeys = 0;
  // A preloaded write that was not acknowledged (a message lost before anything else failed) may be nowhere.
  for (const key of [...KEYS, ...PRELOAD.filter((k) => preloaded.has(k))]) {
    const owners = ring.preferenceList(key, 3);
    const clocks = owners.map((o) => (states[o] !== undefined && Object.hasOwn(states[o]!.store, key) ? canonicalJson(states[o]!.store[key]) : 'missing'));
    if (owners.some((o) => joiners.includes(o))) joinerKeys++;
    if (clocks.includes('missing')) problems.push(`${key}: missing at ${owners.filter((_, i) => clocks[i] === 'missing').join(',')} (owners ${owners.join(',')})`);
    else if (new Set(clocks).size > 1) problems.push(`${key}: replicas differ (owners ${owners.join(',')})`);
    else if (PRELOAD.includes(key)) {
      const values = dvvValues(states[owners[0]!]!.store[key]!).map((x) => x.value);
      if (canonicalJson(values) !== canonicalJson([[key]])) problems.push(`${key}: holds ${canonicalJson(values)}`);
    }
  }
  const adds = result.history.filter((o) => o.input.f === 'add' && o.ret !== undefined);
  const reads = result.history.filter((o) => o.input.f === 'read' && Array.isArray(o.output));
  const staleReads = reads.filter((r) => adds.some((a) => keyOf(a.input) === keyOf(r.input) && a.ret! < r.call && !(r.output as string[]).includes((a.input as { value: string }).value))).length;
  return { result, joiners, notJoined, verdicts, problems, joinerKeys, bootstrapped, preloaded: preloaded.size, reads: reads.length, staleReads };
}
