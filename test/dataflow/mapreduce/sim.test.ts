// MapReduce in the deterministic simulator, with the checks of MIT 6.5840's lab 1 test script
// (test-mr.sh): wc, indexer, map and reduce parallelism, job count, early exit, crash — each
// over many seeds — plus backup tasks against a 10× slower worker (Dean & Ghemawat §3.6) and the
// attempt cap.
import { describe, expect, it } from 'vitest';
import { runSequential } from '../../../src/dataflow/index.js';
import type { ScheduledFault } from '../../../src/sim/index.js';
import { invertedIndex, wordCount, type Doc } from '../../../examples/mapreduce-programs.js';
import { documents, maxConcurrent, runJobInSim, workerIds } from './harness.js';

const SEEDS = Array.from({ length: 12 }, (_x, i) => 1000 + i);
const sorted = <K, V>(m: Map<K, V>) => JSON.stringify([...m].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)));
const lines = (seed: number) => documents(seed, 40, 30).map((d) => d.text);

describe('lab 1 checks in the simulator', () => {
  it('wc: word count equals a sequential run, for many seeds', () => {
    for (const seed of SEEDS) {
      const input = lines(seed);
      const r = runJobInSim({ seed, fns: wordCount, input, workers: 3, splits: 8, partitions: 4 });
      expect(r.sim.ok, `seed ${seed}: ${r.sim.violation?.invariant} ${r.sim.violation?.message}`).toBe(true);
      expect(r.status).toBe('done');
      expect(sorted(r.output), `seed ${seed}`).toBe(sorted(runSequential(wordCount, input)));
    }
  });

  it('indexer: the inverted index equals a sequential run, for many seeds', () => {
    for (const seed of SEEDS) {
      const input: Doc[] = documents(seed, 24, 20);
      const r = runJobInSim({ seed, fns: invertedIndex, input, workers: 4, splits: 6, partitions: 3 });
      expect(r.status).toBe('done');
      expect(sorted(r.output), `seed ${seed}`).toBe(sorted(runSequential(invertedIndex, input)));
    }
  });

  it('map parallelism and reduce parallelism: workers run tasks of one phase at the same time', () => {
    const r = runJobInSim({ seed: 7, fns: wordCount, input: lines(7), workers: 4, splits: 8, partitions: 4 });
    expect(r.status).toBe('done');
    expect(maxConcurrent(r.runs, 'map')).toBeGreaterThanOrEqual(2);
    expect(maxConcurrent(r.runs, 'reduce')).toBeGreaterThanOrEqual(2);
    // The reduce phase starts only when every map task completed.
    const lastMapEnd = Math.max(...r.runs.filter((x) => x.kind === 'map').map((x) => x.end));
    expect(Math.min(...r.runs.filter((x) => x.kind === 'reduce').map((x) => x.start))).toBeGreaterThanOrEqual(lastMapEnd);
  });

  it('job count: without faults every split is mapped exactly once and every partition reduced once', () => {
    for (const seed of SEEDS) {
      const r = runJobInSim({ seed, fns: wordCount, input: lines(seed), workers: 3, splits: 8, partitions: 4, coordinator: { speculation: false } });
      expect(r.status).toBe('done');
      const maps = r.runs.filter((x) => x.kind === 'map').map((x) => x.index).sort((a, b) => a - b);
      expect(maps, `seed ${seed}`).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(r.runs.filter((x) => x.kind === 'reduce').length).toBe(4);
    }
  });

  it('early exit: no worker is told to exit before every partition is committed', () => {
    for (const seed of SEEDS) {
      const r = runJobInSim({ seed, fns: wordCount, input: lines(seed), workers: 4, splits: 8, partitions: 4 });
      expect(r.status).toBe('done');
      expect(r.exits.length, `seed ${seed}`).toBe(4);
      for (const e of r.exits) expect(e.time).toBeGreaterThanOrEqual(r.doneAt!);
    }
  });

  it('crash: with a third of the workers crashing mid-task and a third stalling, the output is still right', () => {
    for (const seed of SEEDS) {
      const input = lines(seed);
      const ids = workerIds(6);
      // w1, w2 crash while running (and come back later as new incarnations); w3, w4 stall
      // (paused: no heartbeats, their results held back) for longer than the worker timeout.
      const t = 30 + (seed % 7) * 10;
      const faults: ScheduledFault[] = [
        { at: t, fault: { type: 'crash', node: ids[0]! } },
        { at: t + 15, fault: { type: 'crash', node: ids[1]! } },
        { at: t + 5, fault: { type: 'pause', node: ids[2]! } },
        { at: t + 25, fault: { type: 'pause', node: ids[3]! } },
        { at: t + 1500, fault: { type: 'restart', node: ids[0]! } },
        { at: t + 2500, fault: { type: 'resume', node: ids[2]! } },
        { at: t + 3000, fault: { type: 'resume', node: ids[3]! } },
      ];
      const r = runJobInSim({ seed, fns: wordCount, input, workers: 6, splits: 12, partitions: 5, faults });
      expect(r.sim.ok, `seed ${seed}: ${r.sim.violation?.invariant} ${r.sim.violation?.message}`).toBe(true);
      expect(r.status, `seed ${seed}`).toBe('done');
      expect(sorted(r.output), `seed ${seed}`).toBe(sorted(runSequential(wordCount, input)));
      // Some attempt was lost with its worker and ran again.
      expect(r.runs.length).toBeGreaterThan(12 + 5);
    }
  });

  it('crash of every map worker during the reduce phase: lost map outputs are re-executed and reducers read the new ones', () => {
    for (const seed of SEEDS.slice(0, 6)) {
      const input = lines(seed);
      const ids = workerIds(3);
      // Map phase ends near 100-200 ms; w1 crashes in the reduce phase and its outputs go with it.
      const faults: ScheduledFault[] = [{ at: 160, fault: { type: 'crash', node: ids[0]! } }];
      const r = runJobInSim({ seed, fns: wordCount, input, workers: 3, splits: 6, partitions: 6, faults });
      expect(r.status, `seed ${seed}`).toBe('done');
      expect(sorted(r.output), `seed ${seed}`).toBe(sorted(runSequential(wordCount, input)));
    }
  });
});

describe('backup tasks (§3.6) with one worker 10× slower', () => {
  const jobTime = (speculation: boolean, seed: number) => {
    const r = runJobInSim({
      seed,
      fns: wordCount,
      input: lines(seed),
      workers: 5,
      splits: 20,
      partitions: 5,
      coordinator: { speculation },
      costMs: (worker, task, units) => (task.ref.kind === 'map' ? 20 + units : 10 + units / 2) * (worker === 'w1' ? 10 : 1),
    });
    expect(r.status).toBe('done');
    expect(sorted(r.output)).toBe(sorted(runSequential(wordCount, lines(seed))));
    return { time: r.doneAt!, backups: r.runs.filter((x) => x.attempt > 0).length };
  };

  it('finishes sooner with backup tasks than without, and the output is the same', () => {
    const on: number[] = [];
    const off: number[] = [];
    for (const seed of SEEDS.slice(0, 6)) {
      const a = jobTime(true, seed);
      const b = jobTime(false, seed);
      expect(a.backups).toBeGreaterThan(0);
      expect(b.backups).toBe(0);
      on.push(a.time);
      off.push(b.time);
    }
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    // Measured (docs/dataflow.md): backups on 559 ms, off 1682 ms, means of seeds 1000-1005.
    expect(mean(on)).toBeLessThan(mean(off) * 0.7);
  });
});

describe('attempt cap', () => {
  it('a map function that always throws on one record fails the job after maxFailures attempts, naming the task', () => {
    const input = lines(3);
    const bad = input[13]!;
    const fns = { ...wordCount, map: (line: string) => (line === bad ? ((): never => { throw new Error('cannot parse'); })() : wordCount.map(line, { count: () => undefined })) };
    const r = runJobInSim({ seed: 3, fns, input, workers: 3, splits: 8, partitions: 2 });
    expect(r.status).toBe('failed');
    // Record 13 of 40 lies in split floor(13 * 8 / 40) = 2.
    expect(r.error).toBe('map task 2 failed 4 times; most recent failure: Error: cannot parse');
    expect(r.runs.filter((x) => x.kind === 'map' && x.index === 2).length).toBe(4);
    expect(r.runs.filter((x) => x.kind === 'reduce').length).toBe(0);
  });

  it('with skipBadRecords the record is skipped after two failures and the job completes without it', () => {
    const input = lines(3);
    const bad = input[13]!;
    const fns = { ...wordCount, map: (line: string) => (line === bad ? ((): never => { throw new Error('cannot parse'); })() : wordCount.map(line, { count: () => undefined })) };
    const r = runJobInSim({ seed: 3, fns, input, workers: 3, splits: 8, partitions: 2, coordinator: { skipBadRecords: true } });
    expect(r.status).toBe('done');
    expect(sorted(r.output)).toBe(sorted(runSequential(wordCount, input.filter((l) => l !== bad))));
    expect(r.counters['mapreduce.skippedRecords']).toBe(1);
    expect(r.runs.filter((x) => x.kind === 'map' && x.index === 2).length).toBe(3);
  });
});

describe('§3.3 master failure in the simulator', () => {
  it('a coordinator that crashes mid-job restarts from its durable task table and finishes with the right output', () => {
    for (const seed of SEEDS.slice(0, 6)) {
      const input = lines(seed);
      const at = 60 + (seed % 5) * 30;
      const faults: ScheduledFault[] = [
        { at, fault: { type: 'crash', node: 'c' } },
        { at: at + 400, fault: { type: 'restart', node: 'c' } },
      ];
      const r = runJobInSim({ seed, fns: wordCount, input, workers: 4, splits: 10, partitions: 4, faults });
      expect(r.doneAt!, `seed ${seed}: the job outlived the coordinator's crash`).toBeGreaterThan(at + 400);
      expect(r.sim.ok, `seed ${seed}: ${r.sim.violation?.invariant} ${r.sim.violation?.message}`).toBe(true);
      expect(r.status, `seed ${seed}`).toBe('done');
      expect(sorted(r.output), `seed ${seed}`).toBe(sorted(runSequential(wordCount, input)));
    }
  });
});

describe('random faults', () => {
  it('with message loss, duplication, reordering and corruption, and random crashes (coordinator too), pauses and partitions, the output is still right', () => {
    const faults = { coordinatorCrashes: 0, workerCrashes: 0, pauses: 0, partitions: 0 };
    for (let seed = 1; seed <= 24; seed++) {
      const input = documents(seed, 30, 20).map((d) => d.text);
      const r = runJobInSim({
        seed,
        fns: wordCount,
        input,
        workers: 5,
        splits: 10,
        partitions: 4,
        network: { loss: 0.05, duplicate: 0.05, reorder: 0.1, corrupt: 0.02 },
        nemesis: { crashRate: 2, pauseRate: 2, partitionRate: 1, maxDown: 3, untilMs: 4000, nodes: ['c', ...workerIds(5)] },
        maxTimeMs: 60_000,
      });
      expect(r.sim.ok, `seed ${seed}: ${r.sim.violation?.invariant} ${r.sim.violation?.message}`).toBe(true);
      expect(r.status, `seed ${seed}`).toBe('done');
      expect(sorted(r.output), `seed ${seed}`).toBe(sorted(runSequential(wordCount, input)));
      for (const f of r.sim.faults) {
        if (f.at > (r.doneAt ?? 0)) continue;
        if (f.fault.type === 'crash') faults[f.fault.node === 'c' ? 'coordinatorCrashes' : 'workerCrashes']++;
        if (f.fault.type === 'pause') faults.pauses++;
        if (f.fault.type === 'partition') faults.partitions++;
      }
    }
    // The sweep exercised every kind of fault before the jobs finished.
    expect(Object.values(faults).every((n) => n > 0), JSON.stringify(faults)).toBe(true);
  });
});
