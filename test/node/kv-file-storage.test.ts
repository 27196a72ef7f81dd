import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyRaftPersist, raft, type RaftDurable, type RaftEntry, type RaftPersistRecord, type RaftSnapshot } from '../../src/consensus/index.js';
import { FileStore } from '../../src/node/index.js';
import { openKvFileStorage } from '../../src/node/kv-file-storage.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'distkit-kvfs-'));
  dirs.push(d);
  return d;
}

const config = { id: 'a', voters: ['a', 'b', 'c'], seed: 1 };
const boot = raft.init(config).log.snapshot;
const entry = (index: number, term: number): RaftEntry => ({ index, term, data: { n: index } });
const snap = (index: number, term: number): RaftSnapshot => ({ index, term, membership: boot.membership, data: { upTo: index } });

describe('the KV server’s file-backed RaftStorage', () => {
  it('reopens with exactly what applyRaftPersist folds from the records it was given', async () => {
    const d = dir();
    const records: RaftPersistRecord[] = [
      { snapshot: boot, term: 0, vote: null },
      { term: 1, vote: 'a', entries: [entry(1, 1), entry(2, 1), entry(3, 1)] },
      { truncateFrom: 3, entries: [entry(3, 2)], term: 2, vote: 'b' },
      { snapshot: snap(2, 1) },
      { entries: [entry(4, 2)] },
    ];
    const s = await openKvFileStorage(d, { fsync: false });
    expect(s.durable).toBeUndefined();
    let want: RaftDurable = { term: 0, vote: null, snapshot: boot, entries: [] };
    for (const r of records) {
      await s.persist(r);
      want = applyRaftPersist(want, r);
    }
    await s.close();
    const again = await openKvFileStorage(d, { fsync: false });
    expect(again.durable).toEqual(want);
    expect(raft.recover(config, again.durable!).log.snapshotIndex).toBe(2);
  });

  it('a fresh storage refuses a first record without the bootstrap snapshot', async () => {
    const s = await openKvFileStorage(dir(), { fsync: false });
    await expect(s.persist({ term: 1 })).rejects.toThrow(/first record/);
  });

  it('a crash between the snapshot file and the state file: entries after the snapshot are kept only when they follow it', async () => {
    const d = dir();
    const files = new FileStore({ dir: d, fsync: false });
    // The state file still describes the log before a compaction at index 2 (term 1).
    await files.put('snapshot', snap(2, 1));
    await files.put('state', { term: 2, vote: 'a', snapshotIndex: 0, entries: [entry(1, 1), entry(2, 1), entry(3, 2)] });
    expect((await openKvFileStorage(d)).durable).toEqual({ term: 2, vote: 'a', snapshot: snap(2, 1), entries: [entry(3, 2)] });
    // An installed snapshot the old log does not hold (index 2 of term 3): the old suffix is dropped.
    await files.put('snapshot', snap(2, 3));
    expect((await openKvFileStorage(d)).durable).toEqual({ term: 2, vote: 'a', snapshot: snap(2, 3), entries: [] });
  });
});
