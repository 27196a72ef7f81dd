// The write-ahead log on this machine's disk: durable 100-byte records per second with group
// commit (64 concurrent appenders) next to a raw write + fdatasync loop and a single appender;
// the cost of one Raft persist (one entry) with 1k, 10k, 100k and 1M entries in the log, which
// should stay flat; and the time to recover 1M entries after a snapshot.
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { raft, type RaftDurable, type RaftEntry } from '../src/consensus/index.js';
import { openRaftStorage, openWal } from '../src/node/index.js';
import { opsFigure, round, type Figures } from './lib.js';

const RECORD = new Uint8Array(100).fill(0x61);

async function rawSyncLoop(dir: string, ms: number): Promise<number> {
  const handle = await open(join(dir, 'raw'), 'w');
  let n = 0;
  let at = 0;
  const end = performance.now() + ms;
  const t0 = performance.now();
  while (performance.now() < end) {
    await handle.write(RECORD, 0, RECORD.length, at);
    await handle.datasync();
    at += RECORD.length;
    n++;
  }
  const rate = (n * 1000) / (performance.now() - t0);
  await handle.close();
  return rate;
}

async function walAppenders(dir: string, appenders: number, ms: number): Promise<number> {
  const wal = await openWal(dir);
  const run = async (forMs: number): Promise<number> => {
    let n = 0;
    const end = performance.now() + forMs;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: appenders }, async () => {
        while (performance.now() < end) {
          await wal.append(RECORD);
          n++;
        }
      }),
    );
    return (n * 1000) / (performance.now() - t0);
  };
  await run(500); // warm-up: the first moments after a segment is created are slower
  const rate = await run(ms);
  await wal.close();
  return rate;
}

const entry = (index: number): RaftEntry => ({ index, term: 1, data: { key: `k${index % 1000}`, value: 'v'.repeat(60) } });

/** Grows the storage in `dir` to `upTo` entries (unsynced bulk records: this is set-up, not measured). */
async function fill(dir: string, from: number, upTo: number): Promise<void> {
  const storage = await openRaftStorage(dir, { fsync: false });
  for (let i = from; i <= upTo; i += 1000) {
    const n = Math.min(1000, upTo - i + 1);
    await storage.persist({ entries: Array.from({ length: n }, (_, k) => entry(i + k)) });
  }
  await storage.close();
}

/** Mean ms of one synced persist of one entry (each awaited), after reopening with `upTo` entries. */
async function persistCost(dir: string, next: number, count: number): Promise<{ ms: number; recoverMs: number }> {
  const t0 = performance.now();
  const storage = await openRaftStorage(dir);
  const recoverMs = performance.now() - t0;
  const t1 = performance.now();
  for (let k = 0; k < count; k++) await storage.persist({ entries: [entry(next + k)] });
  const ms = (performance.now() - t1) / count;
  // Take the probe entries back out so the log keeps its size.
  await storage.persist({ truncateFrom: next });
  await storage.close();
  return { ms, recoverMs };
}

export default async function (): Promise<Figures> {
  const dir = await mkdtemp(join(tmpdir(), 'distkit-bench-wal-'));
  try {
    const raw = await rawSyncLoop(dir, 1000);
    const single = await walAppenders(join(dir, 'single'), 1, 1000);
    const grouped = await walAppenders(join(dir, 'grouped'), 64, 2000);
    const figures: Figures = {
      'wal.raw-write-fdatasync.100B': opsFigure(raw, 'records/s'),
      'wal.append.1-appender.100B': opsFigure(single, 'records/s'),
      'wal.append.group-commit-64-appenders.100B': opsFigure(grouped, 'records/s'),
    };
    const raftDir = join(dir, 'raft');
    const initial: RaftDurable = raft.durable(raft.init({ id: 'a', voters: ['a'], seed: 1 }));
    const setup = await openRaftStorage(raftDir, { initial });
    // A snapshot first, so the 1M-entry recovery loads a checkpoint and replays the entries after it.
    await setup.persist({ snapshot: { index: 1000, term: 1, membership: initial.snapshot.membership, data: { blob: 'x'.repeat(100_000) } } });
    await setup.close();
    let last = 1000;
    for (const target of [1_000, 10_000, 100_000, 1_000_000]) {
      await fill(raftDir, last + 1, 1000 + target);
      last = 1000 + target;
      const { ms, recoverMs } = await persistCost(raftDir, last + 1, 100);
      figures[`wal.raft-persist.1-entry.log-${target}`] = { value: round(ms, 3), unit: 'ms' };
      if (target === 1_000_000) figures['wal.raft-recover.1M-entries-after-snapshot'] = { value: Math.round(recoverMs), unit: 'ms' };
    }
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
