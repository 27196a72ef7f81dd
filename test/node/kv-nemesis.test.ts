// Jepsen's method against the KV server: three `distkit kv serve` processes, every peer link
// through its own fault proxy, six clients reading, writing and compare-and-swapping registers and
// putting once-only keys on any member, while a seeded nemesis SIGKILLs members (restarted on
// their data dirs), SIGSTOPs them, partitions (isolation, one-way, bridge), drops and delays. After
// the heal: the register history is linearizable, every acknowledged put is on every member, and
// the replicas' stores are identical. `npm run nemesis` runs the same for minutes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleServer, formatKvNemesisReport, runKvNemesis, stopAllKvNemesis } from '../support/kv-nemesis.js';

let dir: string;
let serverBundle: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'distkit-nemesis-test-'));
  serverBundle = await bundleServer(dir);
}, 60_000);
// A run ends its processes itself; this catches one cut short by the test's timeout.
afterEach(() => stopAllKvNemesis(), 30_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the KV server under real faults (3 processes, fault proxies, seeded nemesis)', () => {
  it('seed 1 with the parallel leader append: linearizable registers, no acknowledged put lost, identical replicas', async () => {
    const report = await runKvNemesis({ seed: 1, rounds: 6, parallelAppend: true, faultMs: 1000, healMs: 800, serverBundle, checkMs: 20_000 });
    let text = formatKvNemesisReport(report);
    if (!report.valid) {
      const file = join(tmpdir(), `kv-nemesis-seed-1-${process.pid}.json`);
      writeFileSync(file, JSON.stringify(report.histories));
      text += `\n  histories and member logs: ${file}`;
    }
    expect(report.faults.length, text).toBe(6);
    // Six rounds go through every family of faults at least once.
    for (const family of [/kill/, /pause/, /isolate|cut/, /drop|delay/]) expect(report.faults.some((f) => family.test(f)), text).toBe(true);
    // The workload ran (a loaded machine answers few requests through these faults).
    expect(report.registerOps.ok, text).toBeGreaterThan(20);
    expect(report.registerOps.cas, text).toBeGreaterThan(0);
    expect(report.setAdds.acknowledged, text).toBeGreaterThan(0);
    expect(report.linearizability.verdict, text).toBe('linearizable');
    for (const s of report.set) expect({ member: s.member, valid: s.valid, lost: s.lost, unexpected: s.unexpected }, text).toEqual({ member: s.member, valid: true, lost: [], unexpected: [] });
    expect(report.converged.ok, text).toBe(true);
    expect(report.valid, text).toBe(true);
  }, 150_000);
});
