/**
 * A small file-backed {@link RaftStorage} for the KV server: the snapshot and the rest of the
 * durable state (term, vote, entries after the snapshot) in two {@link FileStore} files, each
 * rewritten atomically (temp file, fsync, rename). Simple and crash-safe, with a cost per write
 * that grows with the entries since the last snapshot — the server compacts every
 * `snapshotEvery` entries to keep that bounded.
 *
 * @packageDocumentation
 */
import { applyRaftPersist, type RaftDurable, type RaftEntry, type RaftSnapshot } from '../consensus/index.js';
import { FileStore } from './file-store.js';
import type { RaftStorage } from './raft-storage.js';

/** The state file: everything but the snapshot's data, and which snapshot it follows. */
interface StateFile {
  readonly term: number;
  readonly vote: string | null;
  readonly snapshotIndex: number;
  readonly entries: readonly RaftEntry[];
}

/**
 * Opens (or creates) the storage in `dir`. A fresh storage has `durable` undefined and needs a
 * first record carrying a snapshot (the server persists the bootstrap snapshot first).
 */
export async function openKvFileStorage(dir: string, options: { fsync?: boolean } = {}): Promise<RaftStorage> {
  const files = new FileStore({ dir, fsync: options.fsync ?? true });
  const snapshot = (await files.get('snapshot')) as RaftSnapshot | undefined;
  const state = (await files.get('state')) as StateFile | undefined;
  let disk: RaftDurable | undefined = snapshot === undefined ? undefined : recoverDurable(snapshot, state);
  const durable = disk;
  let chain: Promise<void> = Promise.resolve();
  return {
    durable,
    persist(record) {
      if (disk === undefined) {
        if (record.snapshot === undefined) return Promise.reject(new Error('openKvFileStorage: the first record of a fresh storage must carry a snapshot'));
        disk = { term: 0, vote: null, snapshot: record.snapshot, entries: [] };
      }
      disk = applyRaftPersist(disk, record);
      const image = disk;
      // Writes go in order; each writes the whole image as of its record (later images include earlier records).
      const write = chain.then(async () => {
        if (record.snapshot !== undefined) await files.put('snapshot', image.snapshot);
        const s: StateFile = { term: image.term, vote: image.vote, snapshotIndex: image.snapshot.index, entries: image.entries };
        await files.put('state', s);
      });
      chain = write.catch(() => undefined);
      return write;
    },
    close: () => chain,
  };
}

/**
 * The durable state from the two files. A crash between writing a new snapshot and the state
 * file leaves the state one snapshot behind: its entries after the new snapshot are kept only
 * when its log holds the snapshot's last entry (§7), like `applyRaftPersist` installing it.
 */
function recoverDurable(snapshot: RaftSnapshot, state: StateFile | undefined): RaftDurable {
  if (state === undefined) return { term: 0, vote: null, snapshot, entries: [] };
  const base: RaftDurable = { term: state.term, vote: state.vote, snapshot, entries: [] };
  if (state.snapshotIndex === snapshot.index) return { ...base, entries: state.entries };
  const at = state.entries.find((e) => e.index === snapshot.index);
  const keep = at !== undefined && at.term === snapshot.term ? state.entries.filter((e) => e.index > snapshot.index) : [];
  return { ...base, entries: keep };
}
