/**
 * The storage a Raft host writes `persist` records to, and an in-memory one for tests and
 * embedding.
 *
 * @packageDocumentation
 */
import { applyRaftPersist, type RaftDurable, type RaftPersistRecord } from '../consensus/index.js';

/**
 * Where a Raft host keeps Figure 2's persistent state. `persist` applies one `persist` record
 * (a delta: snapshot, truncate, append, term and vote) and resolves once it is durable; records
 * passed before an earlier call has resolved may be made durable by one shared sync (group commit),
 * in the order they were passed. `durable` is what the storage held when it was opened (`undefined`
 * for a fresh one), for `raft.recover`.
 *
 * @example
 * ```ts
 * import { memoryRaftStorage, type RaftStorage } from 'distkit/node';
 * const storage: RaftStorage = memoryRaftStorage();
 * storage.durable; //=> undefined
 * ```
 */
export interface RaftStorage {
  /** The state found on open, or `undefined` when the storage was empty. */
  readonly durable: RaftDurable | undefined;
  /** Makes one persist record durable; resolves when it is. */
  persist(record: RaftPersistRecord): Promise<void>;
  /** Flushes and releases the storage. */
  close(): Promise<void>;
}

/**
 * A {@link RaftStorage} kept in memory, which can show what it holds.
 *
 * @example
 * ```ts
 * import { memoryRaftStorage, type MemoryRaftStorage } from 'distkit/node';
 * import { raft } from 'distkit/consensus';
 * const storage: MemoryRaftStorage = memoryRaftStorage(raft.durable(raft.init({ id: 'a', voters: ['a'], seed: 1 })));
 * storage.current().term; //=> 0
 * ```
 */
export interface MemoryRaftStorage extends RaftStorage {
  /** What a restart would recover: the initial state with every persisted record applied. */
  current(): RaftDurable;
}

/**
 * A {@link RaftStorage} in memory (nothing survives the process): applies each record with
 * `applyRaftPersist`. `current()` returns what a restart would recover.
 *
 * @example
 * ```ts
 * import { memoryRaftStorage } from 'distkit/node';
 * import { raft } from 'distkit/consensus';
 * const storage = memoryRaftStorage(raft.durable(raft.init({ id: 'a', voters: ['a'], seed: 1 })));
 * await storage.persist({ term: 2, vote: 'a' });
 * storage.current().term; //=> 2
 * ```
 */
export function memoryRaftStorage(initial?: RaftDurable): MemoryRaftStorage {
  let saved = initial;
  return {
    durable: initial,
    current() {
      if (saved === undefined) throw new Error('memoryRaftStorage: nothing persisted yet and no initial state given');
      return saved;
    },
    persist(record) {
      if (saved === undefined) throw new Error('memoryRaftStorage: give the initial durable state (raft.durable(raft.init(config))) before persisting');
      saved = applyRaftPersist(saved, record);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}
