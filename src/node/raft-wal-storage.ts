/**
 * A durable {@link RaftStorage} on the write-ahead log: each `persist` record is one log record,
 * so a write costs the size of the record, not of the log.
 *
 * @packageDocumentation
 */
import { StoreError } from '../core/index.js';
import type { RaftDurable, RaftEntry, RaftPersistRecord, RaftSnapshot } from '../consensus/index.js';
import type { RaftStorage } from './raft-storage.js';
import { openWal, type Wal, type WalOptions } from './wal.js';

const CHECKPOINT_FORMAT = 'distkit-raft-wal/1';

/**
 * Options of {@link openRaftStorage}: the write-ahead log's (segment size, record limit, fsync)
 * and the state of a fresh node.
 *
 * @example
 * ```ts
 * import type { RaftWalStorageOptions } from 'distkit/node';
 * const options: RaftWalStorageOptions = { segmentBytes: 64 << 20, maxRecordBytes: 16 << 20 };
 * ```
 */
export interface RaftWalStorageOptions extends Omit<WalOptions, 'onRecord'> {
  /**
   * The durable state of a fresh node, `raft.durable(raft.init(config))`: written as the base the
   * first time the directory is opened. Without it an empty storage refuses to persist.
   */
  initial?: RaftDurable;
}

/**
 * Where each live log entry is, by Raft index: entry `start + i` is in log record `seqs[i]`
 * (and, while replaying, `entries[i]`). `start` is always the snapshot's index + 1, as in Figure 2's
 * log after compaction (Raft §7).
 */
interface LogIndex {
  start: number;
  seqs: number[];
  entries: RaftEntry[] | undefined;
}

/** What a record does to the log: drop `drop` entries from the front, keep `keep` of the rest, append. */
interface Plan {
  readonly start: number;
  readonly drop: number;
  readonly keep: number;
}

/**
 * Works out a persist record's log changes with the order and meaning of `applyRaftPersist`
 * (snapshot, truncate, append) from the log's bounds alone. Returns why the record would leave the
 * log non-contiguous (which `raft.recover` could not load) instead, so nothing is changed for it.
 */
function plan(start: number, length: number, record: RaftPersistRecord): Plan | string {
  let drop = 0;
  let rest = length;
  if (record.snapshot !== undefined) {
    const at = record.snapshot.index;
    const d = Math.min(Math.max(at - start + 1, 0), length);
    // Entries after the snapshot stay only if they start right after it.
    drop = length - d > 0 && start + d === at + 1 ? d : length;
    rest = length - drop;
    start = at + 1;
  }
  if (record.truncateFrom !== undefined) rest = Math.min(Math.max(record.truncateFrom - start, 0), rest);
  const entries = record.entries;
  if (entries !== undefined && entries.length > 0) {
    const first = entries[0]!.index;
    for (let k = 1; k < entries.length; k++) if (entries[k]!.index !== first + k) return `entries: index ${entries[k]!.index} at position ${k} does not follow ${first + k - 1}`;
    if (first < start || first > start + rest) return `entries: the first index ${first} does not follow the log (snapshot at ${start - 1}, last index ${start + rest - 1})`;
    rest = first - start;
  }
  return { start, drop, keep: rest };
}

/** Applies a record to the index in place; the cost is the record's size plus the prefix a snapshot drops. */
function applyToIndex(log: LogIndex, record: RaftPersistRecord, seq: number): string | undefined {
  const p = plan(log.start, log.seqs.length, record);
  if (typeof p === 'string') return p;
  if (p.drop > 0) {
    log.seqs.splice(0, p.drop);
    log.entries?.splice(0, p.drop);
  }
  log.start = p.start;
  log.seqs.length = p.keep;
  if (log.entries) log.entries.length = p.keep;
  for (const e of record.entries ?? []) {
    log.seqs.push(seq);
    log.entries?.push(e);
  }
  return undefined;
}

/** The checkpoint written when a snapshot is installed: the whole durable state at `seq`. */
interface Checkpoint {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly durable: RaftDurable;
  /** Run-length list of the log records holding the entries: `[seq, count]` pairs. */
  readonly seqs: readonly (readonly [number, number])[];
}

function runs(seqs: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const s of seqs) {
    const last = out.at(-1);
    if (last !== undefined && last[0] === s) last[1]++;
    else out.push([s, 1]);
  }
  return out;
}

const isIndex = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** Checks the shape of a persist record read from disk (bytes that passed their CRC, but still data). */
function recordProblem(r: unknown): string | undefined {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return 'not an object';
  const x = r as Record<string, unknown>;
  if (x.term !== undefined && !isIndex(x.term)) return 'term: not a non-negative integer';
  if (x.vote !== undefined && x.vote !== null && typeof x.vote !== 'string') return 'vote: not a node id or null';
  if (x.truncateFrom !== undefined && !isIndex(x.truncateFrom)) return 'truncateFrom: not a non-negative integer';
  if (x.snapshot !== undefined && snapshotProblem(x.snapshot) !== undefined) return `snapshot: ${snapshotProblem(x.snapshot)!}`;
  if (x.entries !== undefined) {
    if (!Array.isArray(x.entries)) return 'entries: not an array';
    for (const e of x.entries as unknown[]) if (entryProblem(e) !== undefined) return `entries: ${entryProblem(e)!}`;
  }
  return undefined;
}

function snapshotProblem(s: unknown): string | undefined {
  if (s === null || typeof s !== 'object') return 'not an object';
  const x = s as Record<string, unknown>;
  if (!isIndex(x.index) || !isIndex(x.term)) return 'index and term must be non-negative integers';
  const m = x.membership as Record<string, unknown> | null;
  if (m === null || typeof m !== 'object' || !Array.isArray(m.voters) || !Array.isArray(m.learners)) return 'membership: not { voters, learners }';
  return undefined;
}

function entryProblem(e: unknown): string | undefined {
  if (e === null || typeof e !== 'object') return 'an entry is not an object';
  const x = e as Record<string, unknown>;
  if (!isIndex(x.index) || !isIndex(x.term)) return 'an entry without a non-negative integer index and term';
  return undefined;
}

function decode(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch (e) {
    throw new StoreError(`${what}: not UTF-8 JSON (${(e as Error).message})`);
  }
}

function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function loadCheckpoint(bytes: Uint8Array, seq: number): { durable: RaftDurable; log: LogIndex } {
  const c = decode(bytes, `checkpoint at record ${seq}`) as Partial<Checkpoint> | null;
  const d = c?.durable;
  if (c === null || typeof c !== 'object' || c.format !== CHECKPOINT_FORMAT || d === null || typeof d !== 'object' || !Array.isArray(c.seqs)) {
    throw new StoreError(`checkpoint at record ${seq}: not a ${CHECKPOINT_FORMAT} checkpoint`);
  }
  const problem = recordProblem({ term: d.term, vote: d.vote, snapshot: d.snapshot, entries: d.entries });
  if (problem !== undefined || !Array.isArray(d.entries)) throw new StoreError(`checkpoint at record ${seq}: ${problem ?? 'entries: not an array'}`);
  const seqs: number[] = [];
  for (const run of c.seqs) {
    if (!Array.isArray(run) || !isIndex(run[0]) || !isIndex(run[1]) || seqs.length + run[1] > d.entries.length) throw new StoreError(`checkpoint at record ${seq}: bad record list`);
    for (let k = 0; k < run[1]; k++) seqs.push(run[0]);
  }
  const log: LogIndex = { start: d.snapshot.index + 1, seqs: [], entries: [] };
  const fault = applyToIndex(log, { entries: d.entries }, 0);
  if (fault !== undefined || seqs.length !== d.entries.length) throw new StoreError(`checkpoint at record ${seq}: ${fault ?? 'record list does not match the entries'}`);
  log.seqs = seqs;
  return { durable: d as RaftDurable, log };
}

/**
 * Opens (or creates) a Raft storage in `dir` on a write-ahead log ({@link openWal}).
 *
 * Every `persist` record becomes one log record (its JSON): appended entries, a truncation, a new
 * term and vote, an installed snapshot — whatever the record holds — made durable together, with
 * group commit across records passed before the previous one resolved. A record that installs a
 * snapshot also writes a checkpoint: the whole durable state at that record (the snapshot and the
 * entries after it, read back from the log), after which segments holding nothing live are
 * deleted. On open the checkpoint is loaded and the records after it are replayed with the same
 * rules as `applyRaftPersist` (Raft §7 compaction; Figure 2's persistent state), to the same
 * `RaftDurable`. Memory between restarts: one number per live entry (which record holds it).
 *
 * A record that would leave the log non-contiguous (which `raft.recover` refuses) is rejected
 * with a `StoreError` and nothing is written.
 *
 * @throws WalCorruptionError or StoreError when the files are damaged (see {@link openWal}).
 * @example
 * ```ts
 * import { openRaftStorage } from 'distkit/node';
 * import { raft } from 'distkit/consensus';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'raft-'));
 * const config = { id: 'a', voters: ['a'], seed: 1 };
 * const storage = await openRaftStorage(dir, { initial: raft.durable(raft.init(config)), segmentBytes: 1 << 16 });
 * storage.durable; //=> undefined
 * await storage.persist({ term: 1, vote: 'a', entries: [{ index: 1, term: 1, data: 'x' }] });
 * await storage.close();
 * const again = await openRaftStorage(dir, { segmentBytes: 1 << 16 });
 * again.durable?.entries.length; //=> 1
 * await again.close();
 * ```
 */
export async function openRaftStorage(dir: string, options: RaftWalStorageOptions = {}): Promise<RaftStorage> {
  const records: { seq: number; record: RaftPersistRecord }[] = [];
  const wal = await openWal(dir, {
    ...options,
    onRecord: (seq, payload) => {
      const record = decode(payload, `record ${seq}`) as RaftPersistRecord;
      const problem = recordProblem(record);
      if (problem !== undefined) throw new StoreError(`record ${seq}: ${problem}`);
      records.push({ seq, record });
    },
  });
  let found: { durable: RaftDurable; log: LogIndex } | undefined;
  if (wal.snapshot !== undefined) found = loadCheckpoint(wal.snapshot.data, wal.snapshot.seq);
  else if (records.length > 0) throw new StoreError(`${dir}: log records but no checkpoint (the base state is missing)`);
  let durable: RaftDurable | undefined;
  let current: { term: number; vote: string | null; snapshot: RaftSnapshot; log: LogIndex } | undefined;
  if (found !== undefined) {
    let { term, vote, snapshot } = found.durable;
    const log = found.log;
    for (const { seq, record } of records) {
      const fault = applyToIndex(log, record, seq);
      if (fault !== undefined) throw new StoreError(`record ${seq}: ${fault}`);
      if (record.snapshot !== undefined) snapshot = record.snapshot;
      if (record.term !== undefined) term = record.term;
      if (record.vote !== undefined) vote = record.vote;
    }
    // A fresh node whose only state is the base it was created with reports an empty storage.
    const fresh = wal.lastSeq === 0;
    durable = fresh ? undefined : { term, vote, snapshot, entries: log.entries! };
    log.entries = undefined;
    current = { term, vote, snapshot, log };
  } else if (options.initial !== undefined) {
    const base = options.initial;
    const log: LogIndex = { start: base.snapshot.index + 1, seqs: [], entries: [] };
    const fault = applyToIndex(log, { entries: base.entries }, 0);
    if (fault !== undefined) throw new StoreError(`initial: ${fault}`);
    // Entries of the base live in the checkpoint itself (record 0).
    log.entries = undefined;
    await wal.saveSnapshot(0, encode({ format: CHECKPOINT_FORMAT, durable: base, seqs: runs(log.seqs) } satisfies Checkpoint));
    current = { term: base.term, vote: base.vote, snapshot: base.snapshot, log };
  }
  return new WalRaftStorage(wal, durable, current);
}

interface HardState {
  term: number;
  vote: string | null;
  snapshot: RaftSnapshot;
  log: LogIndex;
}

class WalRaftStorage implements RaftStorage {
  private checkpoints: Promise<void> = Promise.resolve();

  constructor(
    private readonly wal: Wal,
    readonly durable: RaftDurable | undefined,
    private current: HardState | undefined,
  ) {}

  /**
   * An empty storage whose first record installs a snapshot (a host bootstrapping from its initial
   * membership): that snapshot, term and vote become the base checkpoint, then the rest applies.
   */
  private async startFrom(record: RaftPersistRecord): Promise<void> {
    const problem = recordProblem(record);
    if (problem !== undefined) throw new StoreError(`persist: ${problem}`);
    const snapshot = record.snapshot!;
    const base: RaftDurable = { term: record.term ?? 0, vote: record.vote ?? null, snapshot, entries: [] };
    const log: LogIndex = { start: snapshot.index + 1, seqs: [], entries: undefined };
    this.current = { term: base.term, vote: base.vote, snapshot, log };
    await this.wal.saveSnapshot(0, encode({ format: CHECKPOINT_FORMAT, durable: base, seqs: runs(log.seqs) } satisfies Checkpoint));
    if (record.truncateFrom !== undefined || (record.entries !== undefined && record.entries.length > 0)) {
      const rest: { truncateFrom?: number; entries?: NonNullable<RaftPersistRecord['entries']> } = {};
      if (record.truncateFrom !== undefined) rest.truncateFrom = record.truncateFrom;
      if (record.entries !== undefined) rest.entries = record.entries;
      await this.persist(rest);
    }
  }

  persist(record: RaftPersistRecord): Promise<void> {
    const now = this.current;
    if (now === undefined) {
      if (record.snapshot === undefined) {
        return Promise.reject(new StoreError('persist: the storage is empty; open it with { initial: raft.durable(raft.init(config)) } or make the first record a snapshot'));
      }
      return this.startFrom(record);
    }
    // Check first, so a refused record changes nothing.
    const problem = recordProblem(record);
    const p = problem ?? plan(now.log.start, now.log.seqs.length, record);
    if (typeof p === 'string') return Promise.reject(new StoreError(`persist: ${p}`));
    let payload: Uint8Array;
    try {
      payload = encode(record);
    } catch (e) {
      return Promise.reject(new StoreError(`persist: the record is not JSON data (${(e as Error).message})`));
    }
    const before = this.wal.lastSeq;
    const written = this.wal.append(payload);
    const seq = this.wal.lastSeq;
    // A refused append (too large, log closed or failed) takes no sequence number: change nothing.
    if (seq === before) return written.then(() => undefined);
    applyToIndex(now.log, record, seq);
    if (record.snapshot !== undefined) now.snapshot = record.snapshot;
    if (record.term !== undefined) now.term = record.term;
    if (record.vote !== undefined) now.vote = record.vote;
    if (record.snapshot === undefined) return written.then(() => undefined);
    // Capture the durable state at this record now; write it once the record itself is durable.
    const at = { seq, term: now.term, vote: now.vote, snapshot: now.snapshot, start: now.log.start, seqs: now.log.seqs.slice() };
    const checkpoint = this.checkpoints.then(() => written).then(() => this.checkpoint(at));
    this.checkpoints = checkpoint.catch(() => undefined);
    return checkpoint;
  }

  /** Writes the whole durable state at record `at.seq` and lets the log retire what it covers. */
  private async checkpoint(at: { seq: number; term: number; vote: string | null; snapshot: RaftSnapshot; start: number; seqs: number[] }): Promise<void> {
    const entries: RaftEntry[] = [];
    let fromCheckpoint: Map<number, RaftEntry> | undefined;
    let cached: { seq: number; byIndex: Map<number, RaftEntry> } | undefined;
    for (let i = 0; i < at.seqs.length; i++) {
      const seq = at.seqs[i]!;
      const index = at.start + i;
      let entry: RaftEntry | undefined;
      if (seq < this.wal.firstSeq || seq === 0) {
        fromCheckpoint ??= entriesByIndex((decode(this.wal.snapshot!.data, 'checkpoint') as Checkpoint).durable.entries);
        entry = fromCheckpoint.get(index);
      } else {
        if (cached?.seq !== seq) cached = { seq, byIndex: entriesByIndex((decode(await this.wal.read(seq), `record ${seq}`) as RaftPersistRecord).entries ?? []) };
        entry = cached.byIndex.get(index);
      }
      if (entry === undefined) throw new StoreError(`checkpoint: entry ${index} is not in record ${seq}`);
      entries.push(entry);
    }
    const durable: RaftDurable = { term: at.term, vote: at.vote, snapshot: at.snapshot, entries };
    let keepFrom = at.seq + 1;
    for (const seq of at.seqs) if (seq > 0 && seq < keepFrom) keepFrom = seq;
    await this.wal.saveSnapshot(at.seq, encode({ format: CHECKPOINT_FORMAT, durable, seqs: runs(at.seqs) } satisfies Checkpoint), keepFrom);
  }

  async close(): Promise<void> {
    await this.checkpoints;
    await this.wal.close();
  }
}

function entriesByIndex(entries: readonly RaftEntry[]): Map<number, RaftEntry> {
  return new Map(entries.map((e) => [e.index, e]));
}
