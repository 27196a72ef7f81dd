// Soak test for Raft: `node --import tsx scripts/soak-raft.ts --seeds N [--from S] [--kv-every K]`.
// Every seed runs a 5-node cluster through loss (up to 20%), duplication, reordering, partitions,
// crashes and restarts with Raft's five safety invariants checked after every step, then checks
// that a new proposal commits within 10 election timeouts of the heal. Every K-th seed also runs
// the replicated KV store in distkit/sim and checks its client history for linearizability.
import { checkLinearizability, kvModel } from 'distkit/check';
import { ELECTION_TIMEOUT_MS, runSeed } from '../test/consensus/raft/seeds.js';
import { KV_ELECTION_TIMEOUT_MS, runKvSeed } from '../examples/raft-kv/simulation.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) {
    console.error(`soak-raft: --${name} needs a non-negative integer`);
    process.exit(2);
  }
  return v;
}

const seeds = arg('seeds', 1000);
const from = arg('from', 1);
const kvEvery = arg('kv-every', 10);
const started = performance.now();
const failures: string[] = [];
const fail = (what: string): void => {
  failures.push(what);
  console.log(`  FAIL ${what}`);
};
const recovery: number[] = [];
let steps = 0;
let kvRuns = 0;
let kvOps = 0;

for (let seed = from; seed < from + seeds; seed++) {
  try {
    const r = runSeed(seed);
    steps += r.steps;
    if (r.recoveryMs < 0 || r.recoveryMs > 10 * ELECTION_TIMEOUT_MS) fail(`seed ${seed}: no commit within 10 T after the heal`);
    else recovery.push(r.recoveryMs);
  } catch (err) {
    fail(`seed ${seed}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (kvEvery > 0 && (seed - from) % kvEvery === 0) {
    const { result, recoveryMs } = runKvSeed(seed);
    kvRuns++;
    kvOps += result.history.length;
    steps += result.stats.steps;
    if (!result.ok) fail(`kv seed ${seed}: ${result.violation?.invariant}: ${result.violation?.message}`);
    if (recoveryMs < 0 || recoveryMs > 10 * KV_ELECTION_TIMEOUT_MS) fail(`kv seed ${seed}: no write within 10 T after the heal`);
    const lin = checkLinearizability(kvModel<string>(), result.history);
    if (lin.verdict !== 'linearizable') fail(`kv seed ${seed}: history ${lin.verdict}`);
  }
  const done = seed - from + 1;
  if (done % 500 === 0) console.log(`  ${done}/${seeds} seeds, ${failures.length} failures, ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

recovery.sort((a, b) => a - b);
const q = (p: number): number => recovery[Math.min(recovery.length - 1, Math.floor(p * recovery.length))] ?? NaN;
console.log(`soak-raft: ${seeds} seeds (${from}..${from + seeds - 1}), ${kvRuns} KV runs with ${kvOps} operations checked for linearizability`);
console.log(`  steps: ${steps}, elapsed ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`  recovery after heal (virtual ms): median ${q(0.5)}, p99 ${q(0.99)}, max ${q(1)} (limit ${10 * ELECTION_TIMEOUT_MS})`);
console.log(`  failures: ${failures.length}`);
for (const f of failures.slice(0, 50)) console.log(`    ${f}`);
process.exit(failures.length === 0 ? 0 : 1);
