import { describe, expect, it } from 'vitest';
import { Random } from '../../../src/core/index.js';
import { runStreamJob, type CommittedRecord, type SinkMode, type SourceRecord, type StreamJobOptions } from '../../../src/dataflow/index.js';

const SIZE_MS = 50;
const OUT_OF_ORDER_MS = 20;

/** Source logs whose timestamps rise with jitter within the out-of-orderness bound (so nothing is late). */
function logs(seed: number, sources: number, perSource: number, keys: number): SourceRecord[][] {
  const rng = new Random(`logs-${seed}`);
  return Array.from({ length: sources }, () => {
    let t = 0;
    return Array.from({ length: perSource }, () => {
      t += rng.int(0, 4);
      return { key: `k${rng.int(0, keys)}`, timestamp: Math.max(0, t - rng.int(0, OUT_OF_ORDER_MS + 1)) };
    });
  });
}

/** The expected output, computed directly: the count of every (key, tumbling window). */
function expectedCounts(sources: readonly (readonly SourceRecord[])[]): CommittedRecord[] {
  const m = new Map<string, number>();
  for (const log of sources) for (const r of log) {
    const end = Math.floor(r.timestamp / SIZE_MS) * SIZE_MS + SIZE_MS - 1;
    const k = `${r.key}\u0000${end}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m].map(([k, value]) => ({ key: k.split('\u0000')[0] as string, timestamp: Number(k.split('\u0000')[1]), value }));
}

const order = (a: CommittedRecord, b: CommittedRecord) => a.timestamp - b.timestamp || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const sorted = (rs: readonly CommittedRecord[]) => [...rs].sort(order);

/** Jepsen-style verdict: records lost, duplicated, or unexpected, against the expected output. */
function verdict(expected: readonly CommittedRecord[], got: readonly CommittedRecord[]): { lost: number; duplicated: number; unexpected: number } {
  const id = (r: CommittedRecord) => `${r.key}\u0000${r.timestamp}\u0000${JSON.stringify(r.value)}`;
  const want = new Map<string, number>();
  for (const r of expected) want.set(id(r), (want.get(id(r)) ?? 0) + 1);
  let duplicated = 0;
  let unexpected = 0;
  const seen = new Map<string, number>();
  for (const r of got) {
    const n = (seen.get(id(r)) ?? 0) + 1;
    seen.set(id(r), n);
    if (!want.has(id(r))) unexpected++;
    else if (n > (want.get(id(r)) as number)) duplicated++;
  }
  let lost = 0;
  for (const [k, n] of want) lost += Math.max(0, n - (seen.get(k) ?? 0));
  return { lost, duplicated, unexpected };
}

function job(seed: number, sink: SinkMode, extra: Partial<StreamJobOptions> = {}): StreamJobOptions {
  return {
    sources: logs(seed, 3, 100, 12),
    watermarkEvery: 4,
    window: { kind: 'tumbling', sizeMs: SIZE_MS },
    aggregate: { kind: 'count' },
    windowTasks: 2,
    sink,
    outOfOrdernessMs: OUT_OF_ORDER_MS,
    seed,
    ...extra,
  };
}

describe('runStreamJob: exactly-once under failures (ABS, Carbone et al. 2015)', () => {
  it('a run without failures commits exactly the expected window counts', () => {
    for (const sink of ['two-phase', 'idempotent'] as const) {
      const o = job(7, sink);
      const r = runStreamJob(o);
      expect(sorted(r.committed)).toEqual(sorted(expectedCounts(o.sources)));
      expect(r.restarts).toBe(0);
      expect(r.checkpoints).toBeGreaterThan(3);
      expect(r.late + r.rejected).toBe(0);
    }
  });

  it('tasks killed at random steps over 200 seeds: committed output equals the failure-free run, no loss, no duplicate', () => {
    const totals = { runs: 0, restarts: 0, fromCheckpoint: 0, replayed: 0, lost: 0, duplicated: 0, unexpected: 0, coordinatorCrashes: 0 };
    for (let seed = 1; seed <= 200; seed++) {
      const rng = new Random(`faults-${seed}`);
      const sink: SinkMode = seed % 3 === 0 ? 'idempotent' : 'two-phase';
      const baseline = runStreamJob(job(seed, sink));
      const failures = Array.from({ length: rng.int(1, 5) }, () => rng.int(1, Math.floor(baseline.steps * 1.3)));
      const coordinatorCrashes = seed % 4 === 0;
      const r = runStreamJob(job(seed, sink, { failures, coordinatorCrashes, checkpointEvery: rng.int(20, 200), seed: seed + 1_000_000 }));
      const v = verdict(baseline.committed, r.committed);
      totals.runs++;
      totals.restarts += r.restarts;
      totals.replayed += r.replayed;
      totals.lost += v.lost;
      totals.duplicated += v.duplicated;
      totals.unexpected += v.unexpected;
      if (coordinatorCrashes) totals.coordinatorCrashes += r.restarts;
      if (r.checkpoints > 0 && r.replayed < 300) totals.fromCheckpoint++;
      expect({ seed, ...v }).toEqual({ seed, lost: 0, duplicated: 0, unexpected: 0 });
      expect(sorted(r.committed)).toEqual(sorted(baseline.committed));
      expect(r.rejected).toBe(0);
    }
    expect(totals.restarts).toBeGreaterThan(200);
    expect(totals.replayed).toBeGreaterThan(5_000);
    expect(totals.fromCheckpoint).toBeGreaterThan(50);
  }, 300_000);

  it('the check can fail: committing every write at once (no two-phase commit) duplicates records after a restart', () => {
    let duplicated = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const base = job(seed, 'two-phase');
      const baseline = runStreamJob(base);
      const r = runStreamJob({ ...base, failures: [Math.floor(baseline.steps * 0.8)], checkpointEvery: 150 });
      // Writes made visible as they happen, as an at-least-once sink would: the replay's writes count twice.
      duplicated += r.writes - baseline.writes;
    }
    expect(duplicated).toBeGreaterThan(0);
  }, 60_000);

  it('a failure before the first checkpoint restarts from the beginning of every log', () => {
    const o = job(3, 'two-phase', { checkpointEvery: null, failures: [200] });
    const r = runStreamJob(o);
    expect(sorted(r.committed)).toEqual(sorted(expectedCounts(o.sources)));
    expect(r.restarts).toBe(1);
    expect(r.checkpoints).toBe(1); // only the final one
  });
});
