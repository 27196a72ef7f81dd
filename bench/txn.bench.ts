// Transactions: 2PC transactions decided per wall-clock second in the deterministic simulator
// (coordinator + 3 or 10 participants voting YES, LAN-like 1–5 ms delays, 4 transactions started
// per virtual millisecond so that many are in flight at once; one run decides 5,000 transactions.
// Participants forget a decided transaction 100 virtual ms after deciding it — above both the
// 2 x 5 ms message lifetime and the 50 ms vote timeout + 5 ms, as docs/txn.md requires — so after
// the first 100 ms each holds about 400 tombstones and the run length no longer changes the
// figure. The simulator stores durable(state) after every persist, which costs O(retained): a
// host that appends the persist records to a log pays O(1)), and Chandy–Misra–Haas probes handled per second on a 1000-process
// wait-for graph (each process waits for one or two others; 20 blocked processes initiate; the
// probes are delivered in FIFO order by a bare queue, so the figure is the machine's own cost,
// which grows with the path a probe carries).
import { performance } from 'node:perf_hooks';
import { Random } from '../src/core/index.js';
import { simulate } from '../src/sim/index.js';
import { edgeChasing, twoPhaseCoordinator, twoPhaseParticipant, type EdgeChasingOutput, type EdgeChasingState, type ProbeMessage } from '../src/txn/index.js';
import { median, opsFigure, type Figures } from './lib.js';

function twoPhaseRun(participants: number, transactions: number): number {
  const parts = Array.from({ length: participants }, (_, i) => `p${i}`);
  let decided = 0;
  const r = simulate({
    seed: 1,
    nodes: [
      { id: 'c', machine: twoPhaseCoordinator, config: { id: 'c', presumedAbort: true, voteTimeoutMs: 50, resendIntervalMs: 25 } },
      ...parts.map((id) => ({ id, machine: twoPhaseParticipant, config: { id, autoVote: 'yes' as const, retainDecidedMs: 100 } })),
    ],
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 5 } },
    commands: Array.from({ length: transactions }, (_, i) => ({ at: i / 4, node: 'c', input: { type: 'begin', txId: `t${i}`, participants: parts } })),
    onOutput: (e) => {
      if (e.node === 'c' && (e.output as { type: string }).type === 'decided') decided++;
    },
    trace: false,
    maxTimeMs: 1e9,
  });
  if (!r.ok || decided !== transactions) throw new Error(`2PC bench run: ${decided}/${transactions} decided, ${r.stopReason}`);
  return decided;
}

function twoPhaseRate(participants: number, transactions: number): number {
  twoPhaseRun(participants, transactions); // warm-up
  const rates: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const n = twoPhaseRun(participants, transactions);
    rates.push((n * 1000) / (performance.now() - t0));
  }
  return median(rates);
}

/** A random wait-for graph: each process waits for one or two others (so there are cycles). */
function waitForGraph(n: number, seed: number): string[][] {
  const rng = new Random(seed);
  return Array.from({ length: n }, (_, i) => {
    const outs = new Set<string>();
    const k = rng.int(1, 3);
    while (outs.size < k) {
      const j = rng.int(0, n);
      if (j !== i) outs.add(`p${j}`);
    }
    return [...outs];
  });
}

const INITIATORS = Array.from({ length: 20 }, (_, i) => `p${i * 50}`);

function probeRun(graph: string[][]): number {
  const states = new Map<string, EdgeChasingState>();
  graph.forEach((on, i) => {
    const id = `p${i}`;
    states.set(id, edgeChasing.step(edgeChasing.init({ id }), { type: 'block', on, now: 0 }).state);
  });
  const queue: { from: string; to: string; message: ProbeMessage }[] = [];
  const perform = (from: string, outputs: readonly EdgeChasingOutput[]) => {
    for (const o of outputs) if (o.type === 'send') queue.push({ from, to: o.to, message: o.message });
  };
  for (const id of INITIATORS) {
    const t = edgeChasing.step(states.get(id)!, { type: 'detect', now: 0 });
    states.set(id, t.state);
    perform(id, t.outputs);
  }
  let handled = 0;
  for (let head = 0; head < queue.length; head++) {
    const { from, to, message } = queue[head]!;
    const t = edgeChasing.step(states.get(to)!, { type: 'message', from, message, now: 0 });
    states.set(to, t.state);
    perform(to, t.outputs);
    handled++;
  }
  return handled;
}

function probeRate(graph: string[][]): { rate: number; probes: number } {
  probeRun(graph); // warm-up
  const rates: number[] = [];
  let probes = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    probes = probeRun(graph);
    rates.push((probes * 1000) / (performance.now() - t0));
  }
  return { rate: median(rates), probes };
}

export default async function (): Promise<Figures> {
  const figures: Figures = {};
  figures['txn.2pc.decided.3participants'] = opsFigure(twoPhaseRate(3, 5000), 'transactions/s');
  figures['txn.2pc.decided.10participants'] = opsFigure(twoPhaseRate(10, 5000), 'transactions/s');
  const { rate, probes } = probeRate(waitForGraph(1000, 7));
  console.log(`  edge chasing: ${probes} probes per detection wave (20 initiators) on the 1000-process graph`);
  figures['txn.deadlock.probes.n1000'] = opsFigure(rate, 'probes/s');
  return figures;
}
