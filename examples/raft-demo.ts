// The Raft showcase: a 5-node replicated key-value store in the deterministic simulator takes
// client writes, loses its leader to a crash, then gets partitioned, and recovers each time. It
// prints a timeline, the linearizability verdict of the clients' history, and writes the run as
// an HTML space-time diagram.
import { writeFileSync } from 'node:fs';
import { checkLinearizability, kvModel } from 'distkit/check';
import { simulate, toHtml, type ScheduledFault, type SimResult, type TraceEvent } from 'distkit/sim';
import type { KvOp, KvOutput, KvState, KvValue } from './raft-kv/kv.js';
import { kvInvariants, kvNodes, kvWorkload } from './raft-kv/simulation.js';

const SEED = 2026;
const END_MS = 3000;

function run(faults: readonly ScheduledFault[], maxTimeMs: number): SimResult<KvOp, KvValue> {
  const workload = kvWorkload({ clients: 3, thinkMs: 20, keys: ['x', 'y', 'z'] });
  return simulate<KvOp, KvValue>({
    seed: SEED,
    nodes: kvNodes(SEED),
    network: { delay: { type: 'uniform', minMs: 2, maxMs: 12 }, loss: 0.02, duplicate: 0.01 },
    faults,
    workload,
    invariants: kvInvariants(),
    maxTimeMs,
    onOutput: (e) => workload.observe(e.node, e.output),
  });
}

function leaderOf(r: SimResult): string | undefined {
  let best: { id: string; term: number } | undefined;
  for (const [id, s] of Object.entries(r.states)) {
    const raft = (s as KvState).raft;
    if (raft.role === 'leader' && (best === undefined || raft.term > best.term)) best = { id, term: raft.term };
  }
  return best?.id;
}

/**
 * Runs the demo and prints its timeline line by line. Writes the HTML diagram to `htmlPath` when given.
 * Returns the verdict and a few numbers.
 */
export async function raftDemo(
  print: (line: string) => void,
  htmlPath?: string,
): Promise<{ linearizable: boolean; operations: number; elections: number; htmlPath?: string }> {
  // The same seed replays the same run, so each fault can target whoever leads at that moment:
  // run up to the fault, look, then script it.
  const crashAt = 700;
  const firstLeader = leaderOf(run([], crashAt)) ?? 'n1';
  const faults: ScheduledFault[] = [
    { at: crashAt, fault: { type: 'crash', node: firstLeader } },
    { at: crashAt + 600, fault: { type: 'restart', node: firstLeader } },
  ];
  const partitionAt = 1700;
  const secondLeader = leaderOf(run(faults, partitionAt)) ?? 'n2';
  const buddy = ['n1', 'n2', 'n3', 'n4', 'n5'].find((id) => id !== secondLeader)!;
  const majority = ['n1', 'n2', 'n3', 'n4', 'n5'].filter((id) => id !== secondLeader && id !== buddy);
  faults.push(
    { at: partitionAt, fault: { type: 'partition', groups: [[secondLeader, buddy], majority] } },
    { at: partitionAt + 600, fault: { type: 'heal' } },
  );
  const result = run(faults, END_MS);

  print(`Raft KV demo: 5 nodes, seed ${SEED}, 3 clients, ${END_MS} ms of virtual time`);
  print(`network: 2-12 ms delays, 2% loss, 1% duplication; Raft safety invariants checked after every step`);
  print('');
  const lines = timeline(result.trace);
  for (const l of lines.text) print(l);
  print('');
  const verdict = checkLinearizability(kvModel<string>(), result.history);
  const writes = result.history.filter((o) => o.input.f !== 'read').length;
  const unknown = result.history.filter((o) => o.ret === undefined).length;
  print(`invariants: ${result.ok ? 'all held' : `VIOLATED: ${result.violation?.invariant}: ${result.violation?.message}`} over ${result.stats.steps} steps`);
  print(
    `history: ${result.history.length} operations (${writes} writes/cas, ${result.history.length - writes} reads, ${unknown} with unknown outcome)`,
  );
  print(`linearizability: ${verdict.verdict} (${verdict.partitions.length} keys checked, ${verdict.steps} search steps)`);
  let written: string | undefined;
  if (htmlPath !== undefined) {
    writeFileSync(htmlPath, toHtml(result, { title: `Raft KV, seed ${SEED}: leader crash and partition` }));
    written = htmlPath;
    print(`space-time diagram: ${htmlPath}`);
  }
  return {
    linearizable: verdict.verdict === 'linearizable' && result.ok,
    operations: result.history.length,
    elections: lines.elections,
    ...(written !== undefined ? { htmlPath: written } : {}),
  };
}

/** Elections, faults, and commits per 250 ms window, in time order. */
function timeline(trace: readonly TraceEvent[]): { text: string[]; elections: number } {
  const text: string[] = [];
  const ms = (t: number): string => `${Math.round(t).toString().padStart(5)} ms`;
  let windowStart = 0;
  let committed = 0;
  let firstIndex = 0;
  let lastIndex = 0;
  let firstTime = 0;
  let elections = 0;
  const leaderApplies = new Set<string>();
  let leader: string | undefined;
  const flush = (until: number): void => {
    if (committed > 0) text.push(`${ms(firstTime)}  committed ${committed} entries (log ${firstIndex}..${lastIndex}), leader ${leader ?? '?'}`);
    committed = 0;
    windowStart = until;
  };
  for (const e of trace) {
    if (e.time >= windowStart + 250) flush(Math.floor(e.time / 250) * 250);
    if (e.kind === 'fault') {
      flush(windowStart);
      const f = e.fault;
      const what =
        f.type === 'crash' ? `crash ${f.node}${f.node === leader ? ' (the leader)' : ''}` :
        f.type === 'restart' ? `restart ${f.node} (recovers from its persisted log)` :
        f.type === 'partition' ? `partition ${f.groups.map((g) => `{${g.join(' ')}}`).join(' | ')}` :
        f.type === 'heal' ? 'heal the network' : f.type;
      text.push(`${ms(e.time)}  FAULT ${what}`);
    } else if (e.kind === 'output') {
      const o = e.output as KvOutput;
      if (o.type === 'role' && o.role === 'leader') {
        flush(windowStart);
        elections++;
        leader = e.node;
        text.push(`${ms(e.time)}  ${e.node} elected leader of term ${o.term}`);
      } else if (o.type === 'role' && o.role === 'follower' && e.node === leader && o.leader !== e.node) {
        text.push(`${ms(e.time)}  ${e.node} steps down (term ${o.term})`);
        leader = undefined;
      } else if (o.type === 'applied' && e.node === leader) {
        const key = `${o.index}`;
        if (!leaderApplies.has(key)) {
          leaderApplies.add(key);
          if (committed === 0) {
            firstIndex = o.index;
            firstTime = e.time;
          }
          committed++;
          lastIndex = o.index;
        }
      }
    }
  }
  flush(windowStart);
  return { text, elections };
}

// Run directly: `node --import tsx examples/raft-demo.ts [out.html]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? 'raft-demo.html';
  await raftDemo((line) => console.log(line), out);
}
