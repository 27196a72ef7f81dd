// The KV server under real faults, for as long as you like:
//   npm run nemesis -- [--seed N] [--minutes M] [--runs R] [--fault-ms F] [--heal-ms H]
//                      [--clients C] [--election-timeout MS] [--snapshot-count N] [--peer-secret] [--parallel-append]
// Runs R seeds from N (default: one seed, the clock's), each a 3-process cluster through M minutes
// of nemesis rounds (kill, pause, partitions, loss, delay), then checks the history. Prints every
// seed and its verdict; exits 1 when any run is not valid (a seed reproduces its schedule).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleServer, formatKvNemesisReport, runKvNemesis, stopAllKvNemesis } from '../test/support/kv-nemesis.js';

// Ctrl-C ends the member processes too.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.log(`kv-nemesis: ${sig}, stopping`);
    void stopAllKvNemesis().finally(() => process.exit(130));
  });
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) {
    console.error(`kv-nemesis: --${name} needs a non-negative number`);
    process.exit(2);
  }
  return v;
}

const seed = arg('seed', Date.now() % 1_000_000);
const minutes = arg('minutes', 2);
const runs = Math.max(1, Math.floor(arg('runs', 1)));
const faultMs = arg('fault-ms', 2000);
const healMs = arg('heal-ms', 1500);
const clients = Math.max(1, Math.floor(arg('clients', 6)));
const electionTimeoutMs = Math.max(10, Math.floor(arg('election-timeout', 500)));
const snapshotCount = Math.max(1, Math.floor(arg('snapshot-count', 200)));
const peerSecret = process.argv.includes('--peer-secret');
const parallelAppend = process.argv.includes('--parallel-append');
const rounds = Math.max(1, Math.round((minutes * 60_000) / (faultMs + healMs)));

const dir = mkdtempSync(join(tmpdir(), 'distkit-nemesis-bundle-'));
let failed = 0;
try {
  const serverBundle = await bundleServer(dir);
  for (let s = seed; s < seed + runs; s++) {
    console.log(`kv-nemesis: seed ${s}, ${rounds} rounds of ${faultMs} ms fault + ${healMs} ms heal, ${clients} clients, election timeout ${electionTimeoutMs} ms, snapshot every ${snapshotCount}${peerSecret ? ', HMAC-authenticated peers' : ''}${parallelAppend ? ', parallel leader append' : ''}`);
    try {
      const report = await runKvNemesis({ seed: s, rounds, faultMs, healMs, clients, electionTimeoutMs, snapshotCount, peerSecret, parallelAppend, serverBundle, log: (line) => console.log(`  ${line}`) });
      console.log(formatKvNemesisReport(report));
      if (!report.valid) {
        failed++;
        const file = join(process.cwd(), `kv-nemesis-seed-${s}.json`);
        writeFileSync(file, JSON.stringify(report.histories));
        console.log(`kv-nemesis: seed ${s}: histories written to ${file}`);
      }
    } catch (e) {
      failed++;
      console.log(`seed ${s}: ERROR ${e instanceof Error ? e.message : String(e)}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(failed === 0 ? `kv-nemesis: ${runs} run(s) from seed ${seed}: all valid` : `kv-nemesis: ${failed} of ${runs} run(s) from seed ${seed} FAILED`);
process.exit(failed === 0 ? 0 : 1);
