/**
 * A write-ahead log: segmented append-only files, every record framed with its length, sequence
 * number and CRC-32C, group commit, torn-tail recovery and snapshots that retire old segments.
 *
 * @packageDocumentation
 */
import { open, readFile, readdir, rename, unlink, mkdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, StoreError, positiveInt } from '../core/index.js';
import { crc32cRange as crc32c } from '../resilience/index.js';

// ---------------------------------------------------------------------------------------------
// On-disk format (all integers big-endian)
//
// segment <first seq, 16 hex digits>.wal:
//   header  (24 bytes): magic "DKWAL\0\0\x01" | first seq u64 | CRC-32C of bytes 0..16 | 0 u32
//   frames, each 8-byte aligned:
//     length u32 | CRC-32C u32 | seq u64 | seq - first seq of its write batch u32 | 0 u32 | payload
//     | zero padding to a multiple of 8.  The CRC covers the length, bytes 8..24 and the payload.
//   then zeros (preallocation) to the segment's size.
// snapshot <seq, 16 hex digits>.snap:
//   magic "DKSNAP\0\x01" | seq u64 | length u32 | CRC-32C of bytes 8..20 and the data u32 | data
// ---------------------------------------------------------------------------------------------

const SEGMENT_MAGIC = Buffer.from('DKWAL\0\0\x01', 'latin1');
const SNAPSHOT_MAGIC = Buffer.from('DKSNAP\0\x01', 'latin1');
/** Bytes of a segment header. */
export const WAL_SEGMENT_HEADER_BYTES = 24;
/** Bytes of a record's frame header (the payload follows, padded to 8 bytes). */
export const WAL_FRAME_HEADER_BYTES = 24;
const SNAPSHOT_HEADER_BYTES = 24;
const ZERO_CHUNK = Buffer.alloc(1 << 20);
/** Largest segment: read whole on open, so kept well under Node's buffer limit. */
const MAX_SEGMENT_BYTES = 1 << 30;
const NAME = /^([0-9a-f]{16})\.(wal|snap)$/;

/**
 * A write-ahead log file that is damaged where a crash cannot have torn it: `file` and the byte
 * `offset` of the first bad frame (or header) are named, and the log refuses to open rather than
 * drop records silently. Restore the file from a replica, or move it away knowingly.
 *
 * @example
 * ```ts
 * import { WalCorruptionError } from 'distkit/node';
 * const e = new WalCorruptionError('/data/0000000000000001.wal', 4096, 'CRC mismatch');
 * e.message; //=> '/data/0000000000000001.wal at byte 4096: CRC mismatch'
 * ```
 */
export class WalCorruptionError extends StoreError {
  /** The damaged file. */
  readonly file: string;
  /** Byte offset of the damage in `file`. */
  readonly offset: number;
  constructor(file: string, offset: number, problem: string) {
    super(`${file} at byte ${offset}: ${problem}`);
    this.file = file;
    this.offset = offset;
  }
}

/**
 * Options of {@link openWal}.
 *
 * @example
 * ```ts
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { openWal } from 'distkit/node';
 * const dir = mkdtempSync(join(tmpdir(), 'wal-'));
 * import type { WalOptions } from 'distkit/node';
 * const options: WalOptions = { segmentBytes: 1 << 16, maxRecordBytes: 16 };
 * const wal = await openWal(dir, options);
 * // A record larger than maxRecordBytes is refused before anything is written.
 * await wal.append(new Uint8Array(32)).then(() => 'written', (e: Error) => e.name); //=> 'StoreError'
 * await wal.append(new Uint8Array(8)); //=> 1
 * await wal.close();
 * ```
 */
export interface WalOptions {
  /** Size of a segment file, preallocated with zeros (default 16 MiB). */
  segmentBytes?: number;
  /** Largest payload accepted, and believed when read back (default 1 MiB; at most a segment minus headers). */
  maxRecordBytes?: number;
  /** Fill new segments with zeros up front so a sync does not also have to grow the file (default true). */
  preallocate?: boolean;
  /** fdatasync appends and fsync files and the directory (default true). Off only for scratch data. */
  fsync?: boolean;
  /** Called during open for every record after the snapshot, in order (replay). */
  onRecord?(seq: number, payload: Uint8Array): void;
}

/**
 * The latest snapshot of a log: records up to `seq` are summarised by `data`.
 *
 * @example
 * ```ts
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { openWal } from 'distkit/node';
 * const dir = mkdtempSync(join(tmpdir(), 'wal-'));
 * import type { WalSnapshot } from 'distkit/node';
 * const wal = await openWal(dir, { segmentBytes: 1 << 16 });
 * for (let i = 0; i < 5; i++) await wal.append(new Uint8Array([i]));
 * await wal.saveSnapshot(4, new TextEncoder().encode('state after 4'));
 * await wal.close();
 * // On open, the snapshot comes back and replay starts after it.
 * const replayed: number[] = [];
 * const again = await openWal(dir, { segmentBytes: 1 << 16, onRecord: (seq) => replayed.push(seq) });
 * const s: WalSnapshot | undefined = again.snapshot;
 * [s?.seq, new TextDecoder().decode(s?.data), replayed]; //=> [4, 'state after 4', [5]]
 * await again.close();
 * ```
 */
export interface WalSnapshot {
  /** The last record the snapshot covers. */
  readonly seq: number;
  /** The snapshot's bytes. */
  readonly data: Uint8Array;
}

/**
 * An open write-ahead log (see {@link openWal}).
 *
 * @example
 * ```ts
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { openWal } from 'distkit/node';
 * const dir = mkdtempSync(join(tmpdir(), 'wal-'));
 * import type { Wal } from 'distkit/node';
 * const wal: Wal = await openWal(dir, { segmentBytes: 1 << 16 });
 * // append resolves with the record's sequence number once it is durable (fsync, group commit).
 * const seq = await wal.append(new TextEncoder().encode('hello'));
 * [seq, new TextDecoder().decode(await wal.read(seq))]; //=> [1, 'hello']
 * await wal.close();
 * ```
 */
export interface Wal {
  /** The latest snapshot (found on open or saved since), if any. */
  readonly snapshot: WalSnapshot | undefined;
  /** The oldest record still readable (records before it were retired with their segment). */
  readonly firstSeq: number;
  /** The last record appended (durable or not); `firstSeq - 1` when there is none. */
  readonly lastSeq: number;
  /** The last record known durable. */
  readonly durableSeq: number;
  /**
   * Appends a record; its sequence number is `lastSeq` as soon as this returns. Resolves with that
   * number once the record is durable. Records appended while a sync is in flight are written and
   * synced together by the next one (group commit). After a failed write or sync the log refuses
   * every further append (the file's state is unknown): reopen it.
   */
  append(payload: Uint8Array): Promise<number>;
  /** Reads record `seq` back from disk (checking its CRC), or from memory if not yet written. */
  read(seq: number): Promise<Uint8Array>;
  /**
   * Saves `data` as a snapshot covering records up to `seq` (temp file, fsync, rename, fsync the
   * directory), then deletes older snapshots and every segment whose records all lie at or below
   * `seq` — or below `keepFrom`, when given and lower: records from `keepFrom` on stay readable.
   * Resolves once the snapshot is durable and the old files are gone. Replay on open starts after
   * `seq`.
   */
  saveSnapshot(seq: number, data: Uint8Array, keepFrom?: number): Promise<void>;
  /** Waits for pending appends, then closes the files. */
  close(): Promise<void>;
}

interface Segment {
  readonly firstSeq: number;
  readonly file: string;
  /** Byte offset of each record's frame, by `seq - firstSeq`. */
  offsets: Uint32Array;
  count: number;
}

interface Pending {
  readonly seq: number;
  readonly payload: Uint8Array;
  resolve(seq: number): void;
  reject(e: unknown): void;
}

interface Config {
  readonly dir: string;
  readonly segmentBytes: number;
  readonly maxRecordBytes: number;
  readonly preallocate: boolean;
  readonly fsync: boolean;
}

/**
 * Opens (or creates) the write-ahead log in `dir`, replaying it through `options.onRecord`.
 *
 * Recovery: every segment is read and every frame's CRC checked. A bad frame at the end of the
 * last segment is a torn tail — a write batch a crash interrupted before its sync, which was never
 * acknowledged — and is zeroed; the log continues after the last good record. A bad frame anywhere
 * else (an earlier segment, a header, or followed by a frame from a later write batch) is damage
 * and raises {@link WalCorruptionError} naming the file and byte offset. The index kept in memory
 * is one 32-bit offset per record; payloads are read back on demand with {@link Wal.read}.
 *
 * Rules from etcd's WAL (segments, CRC per record, torn-write repair of the last segment) and
 * LevelDB's log format; group commit as in Helland et al., "Group Commit Timers and High Volume
 * Transaction Systems" (1987).
 *
 * @throws WalCorruptionError when a file is damaged anywhere but the tail.
 * @example
 * ```ts
 * import { openWal } from 'distkit/node';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'wal-'));
 * const wal = await openWal(dir, { segmentBytes: 1 << 16 });
 * await Promise.all([1, 2, 3].map((n) => wal.append(new Uint8Array([n]))));
 * await wal.close();
 * const seen: number[] = [];
 * const again = await openWal(dir, { segmentBytes: 1 << 16, onRecord: (seq, p) => seen.push(seq * 10 + p[0]!) });
 * seen; //=> [11, 22, 33]
 * await again.close();
 * ```
 */
export async function openWal(dir: string, options: WalOptions = {}): Promise<Wal> {
  const config = walConfig(dir, options);
  await mkdir(dir, { recursive: true });
  const names = await readdir(dir);
  for (const n of names) if (n.endsWith('.tmp')) await unlink(join(dir, n));
  const snapSeqs = names.flatMap((n) => (NAME.exec(n)?.[2] === 'snap' ? [parseInt(n.slice(0, 16), 16)] : [])).sort((a, b) => a - b);
  const segSeqs = names.flatMap((n) => (NAME.exec(n)?.[2] === 'wal' ? [parseInt(n.slice(0, 16), 16)] : [])).sort((a, b) => a - b);
  const snapshot = snapSeqs.length > 0 ? await readSnapshot(join(dir, seqName(snapSeqs.at(-1)!, 'snap'))) : undefined;
  const snapSeq = snapshot?.seq ?? 0;
  for (const s of snapSeqs.slice(0, -1)) await unlink(join(dir, seqName(s, 'snap')));
  if (segSeqs.length > 0 && segSeqs[0]! > snapSeq + 1) {
    throw new WalCorruptionError(join(dir, seqName(segSeqs[0]!, 'wal')), 0, `records ${snapSeq + 1}..${segSeqs[0]! - 1} are missing (no segment or snapshot holds them)`);
  }
  const segments: Segment[] = [];
  let end = WAL_SEGMENT_HEADER_BYTES;
  for (let k = 0; k < segSeqs.length; k++) {
    const next = k + 1 < segSeqs.length ? segSeqs[k + 1]! : undefined;
    const scanned = await scanSegment(config, segSeqs[k]!, next, snapSeq, options.onRecord);
    segments.push(scanned.segment);
    end = scanned.end;
  }
  const log = new WriteAheadLog(config, segments, snapshot);
  await log.start(end);
  return log;
}

function walConfig(dir: string, options: WalOptions): Config {
  if (typeof dir !== 'string' || dir.length === 0) throw new ConfigError('dir', 'expected a non-empty directory path');
  const segmentBytes = positiveInt('segmentBytes', options.segmentBytes, 16 << 20);
  if (segmentBytes < 4096 || segmentBytes > MAX_SEGMENT_BYTES) throw new ConfigError('segmentBytes', `expected 4096..${MAX_SEGMENT_BYTES}, got ${segmentBytes}`);
  const maxRecordBytes = positiveInt('maxRecordBytes', options.maxRecordBytes, Math.min(1 << 20, segmentBytes - WAL_SEGMENT_HEADER_BYTES - WAL_FRAME_HEADER_BYTES));
  if (frameBytes(maxRecordBytes) > segmentBytes - WAL_SEGMENT_HEADER_BYTES) {
    throw new ConfigError('maxRecordBytes', `a ${maxRecordBytes}-byte record does not fit in a ${segmentBytes}-byte segment; raise segmentBytes`);
  }
  return { dir, segmentBytes, maxRecordBytes, preallocate: options.preallocate ?? true, fsync: options.fsync ?? true };
}

/** File name of a segment or snapshot starting at / covering `seq`. */
function seqName(seq: number, kind: 'wal' | 'snap'): string {
  return `${seq.toString(16).padStart(16, '0')}.${kind}`;
}

function frameBytes(payloadBytes: number): number {
  return (WAL_FRAME_HEADER_BYTES + payloadBytes + 7) & ~7;
}

function writeU64(buf: Buffer, at: number, value: number): void {
  buf.writeUInt32BE(Math.floor(value / 0x1_0000_0000), at);
  buf.writeUInt32BE(value >>> 0, at + 4);
}

function readU64(buf: Buffer, at: number): number {
  return buf.readUInt32BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 4);
}

/** Writes one frame at `at`; returns the offset after it (padding zeroed). */
function writeFrame(buf: Buffer, at: number, seq: number, batchStart: number, payload: Uint8Array): number {
  buf.writeUInt32BE(payload.length, at);
  writeU64(buf, at + 8, seq);
  buf.writeUInt32BE(seq - batchStart, at + 16);
  buf.writeUInt32BE(0, at + 20);
  buf.set(payload, at + WAL_FRAME_HEADER_BYTES);
  const after = at + WAL_FRAME_HEADER_BYTES + payload.length;
  const next = at + frameBytes(payload.length);
  buf.fill(0, after, next);
  buf.writeUInt32BE(frameCrc(buf, at, payload.length), at + 4);
  return next;
}

function frameCrc(buf: Uint8Array, at: number, length: number): number {
  return crc32c(buf, at + 8, at + WAL_FRAME_HEADER_BYTES + length, crc32c(buf, at, at + 4));
}

/** A checked frame, or why the bytes at `at` are not one. */
type Frame = { readonly length: number; readonly seq: number; readonly batchStart: number } | string;

function frameAt(buf: Buffer, at: number, end: number, maxRecordBytes: number): Frame {
  if (at + WAL_FRAME_HEADER_BYTES > end) return 'partial frame header';
  const length = buf.readUInt32BE(at);
  if (length > maxRecordBytes) return `record length ${length} exceeds maxRecordBytes ${maxRecordBytes}`;
  if (at + WAL_FRAME_HEADER_BYTES + length > end) return `record length ${length} runs past the end of the file`;
  if (buf.readUInt32BE(at + 20) !== 0) return 'reserved header bytes are not zero';
  if (frameCrc(buf, at, length) !== buf.readUInt32BE(at + 4)) return 'CRC mismatch';
  const seq = readU64(buf, at + 8);
  return { length, seq, batchStart: seq - buf.readUInt32BE(at + 16) };
}

function isZero(buf: Buffer, from: number, to: number): boolean {
  for (let at = from; at < to; at += ZERO_CHUNK.length) {
    const n = Math.min(ZERO_CHUNK.length, to - at);
    if (!buf.subarray(at, at + n).equals(ZERO_CHUNK.subarray(0, n))) return false;
  }
  return true;
}

/**
 * Reads and checks one segment, indexing its records and replaying those after the snapshot.
 * Returns the segment and the offset where its valid records end.
 */
async function scanSegment(
  config: Config,
  firstSeq: number,
  nextSegmentSeq: number | undefined,
  snapSeq: number,
  onRecord: WalOptions['onRecord'],
): Promise<{ segment: Segment; end: number }> {
  const file = join(config.dir, seqName(firstSeq, 'wal'));
  const buf = await readFile(file);
  checkSegmentHeader(buf, file, firstSeq);
  const segment: Segment = { firstSeq, file, offsets: new Uint32Array(1024), count: 0 };
  let at = WAL_SEGMENT_HEADER_BYTES;
  let expected = firstSeq;
  let batchStart = firstSeq;
  let problem: string;
  for (;;) {
    const f = frameAt(buf, at, buf.length, config.maxRecordBytes);
    if (typeof f === 'string') {
      problem = f;
      break;
    }
    if (f.seq !== expected) throw new WalCorruptionError(file, at, `record ${f.seq} where ${expected} was expected`);
    if (f.batchStart > f.seq || f.batchStart < batchStart) throw new WalCorruptionError(file, at, `record ${f.seq} claims write batch ${f.batchStart}, out of order`);
    batchStart = f.batchStart;
    pushOffset(segment, at);
    if (f.seq > snapSeq) onRecord?.(f.seq, buf.subarray(at + WAL_FRAME_HEADER_BYTES, at + WAL_FRAME_HEADER_BYTES + f.length));
    at += frameBytes(f.length);
    expected++;
  }
  if (nextSegmentSeq !== undefined) {
    // Earlier segments were synced whole before the next one was created: nothing may be torn.
    // A gap is allowed only where the snapshot covers it (see WriteAheadLog.start).
    if (nextSegmentSeq !== expected && !(expected - 1 <= snapSeq && nextSegmentSeq === snapSeq + 1)) throw new WalCorruptionError(file, at, `${problem} at record ${expected}, and the next segment starts at ${nextSegmentSeq}`);
    return { segment, end: at };
  }
  const damage = tailDamage(buf, at, expected - 1, config.maxRecordBytes);
  if (damage !== undefined) throw new WalCorruptionError(file, at, `${problem} at record ${expected}, followed by ${damage}`);
  await zeroTail(file, buf, at, config.fsync);
  return { segment, end: at };
}

function checkSegmentHeader(buf: Buffer, file: string, firstSeq: number): void {
  // A segment is renamed into place only after its header is synced: a bad header is damage.
  if (buf.length < WAL_SEGMENT_HEADER_BYTES) throw new WalCorruptionError(file, 0, `shorter (${buf.length} bytes) than a segment header`);
  if (!buf.subarray(0, 8).equals(SEGMENT_MAGIC)) throw new WalCorruptionError(file, 0, 'not a distkit WAL segment (bad magic)');
  if (crc32c(buf, 0, 16) !== buf.readUInt32BE(16)) throw new WalCorruptionError(file, 16, 'segment header CRC mismatch');
  if (readU64(buf, 8) !== firstSeq) throw new WalCorruptionError(file, 8, `header says first record ${readU64(buf, 8)}, the name says ${firstSeq}`);
}

/**
 * Decides whether the bytes from `at` on, in the last segment, are a torn tail. Records are
 * written batch by batch, each synced before the next is written; a crash tears at most the last
 * batch, whose pages may reach the disk in any order. So a valid frame after the bad one is fine
 * if it belongs to the same batch as the record the bad one should be (`lastGood + 1`), and proves
 * damage if it belongs to a later batch: that batch was written only after ours was durable.
 * Returns a description of the damage, or `undefined` for a torn tail.
 */
function tailDamage(buf: Buffer, at: number, lastGood: number, maxRecordBytes: number): string | undefined {
  if (isZero(buf, at, buf.length)) return undefined;
  for (let p = at + 8; p + WAL_FRAME_HEADER_BYTES <= buf.length; p += 8) {
    if (buf.readUInt32BE(p) === 0 && buf.readUInt32BE(p + 4) === 0 && buf.readUInt32BE(p + 8) === 0 && buf.readUInt32BE(p + 12) === 0) continue;
    const f = frameAt(buf, p, buf.length, maxRecordBytes);
    if (typeof f === 'string' || f.seq <= lastGood) continue;
    if (f.batchStart > lastGood + 1) return `record ${f.seq} of a later write batch at byte ${p}`;
  }
  return undefined;
}

/** Zeroes what a torn write left after the last good record, so a later recovery cannot see it. */
async function zeroTail(file: string, buf: Buffer, at: number, fsync: boolean): Promise<void> {
  let last = buf.length;
  while (last > at && buf[last - 1] === 0) last--;
  if (last <= at) return;
  const handle = await open(file, 'r+');
  try {
    await writeAll(handle, Buffer.alloc(last - at), at);
    if (fsync) await handle.datasync();
  } finally {
    await handle.close();
  }
}

function pushOffset(segment: Segment, offset: number): void {
  if (segment.count === segment.offsets.length) {
    const grown = new Uint32Array(segment.offsets.length * 2);
    grown.set(segment.offsets);
    segment.offsets = grown;
  }
  segment.offsets[segment.count++] = offset;
}

async function writeAll(handle: FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await handle.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

async function syncDir(dir: string, fsync: boolean): Promise<void> {
  if (!fsync) return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readSnapshot(file: string): Promise<WalSnapshot> {
  const buf = await readFile(file);
  if (buf.length < SNAPSHOT_HEADER_BYTES || !buf.subarray(0, 8).equals(SNAPSHOT_MAGIC)) throw new WalCorruptionError(file, 0, 'not a distkit WAL snapshot (bad magic or too short)');
  const seq = readU64(buf, 8);
  const length = buf.readUInt32BE(16);
  if (SNAPSHOT_HEADER_BYTES + length !== buf.length) throw new WalCorruptionError(file, 16, `length ${length} does not match the file's ${buf.length - SNAPSHOT_HEADER_BYTES} data bytes`);
  if (crc32c(buf, SNAPSHOT_HEADER_BYTES, buf.length, crc32c(buf, 8, 20)) !== buf.readUInt32BE(20)) throw new WalCorruptionError(file, 20, 'snapshot CRC mismatch');
  if (!file.endsWith(seqName(seq, 'snap'))) throw new WalCorruptionError(file, 8, `header says record ${seq}, unlike the file name`);
  return { seq, data: buf.subarray(SNAPSHOT_HEADER_BYTES) };
}

/** Writes `buf` to `file` durably: temp file, fsync, rename, fsync the directory. */
async function writeFileDurably(dir: string, file: string, parts: readonly Uint8Array[], fsync: boolean): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    let at = 0;
    for (const p of parts) {
      await writeAll(handle, p, at);
      at += p.length;
    }
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  await syncDir(dir, fsync);
}

class WriteAheadLog implements Wal {
  snapshot: WalSnapshot | undefined;
  lastSeq: number;
  durableSeq: number;
  private active!: FileHandle;
  private writeAt = 0;
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private failed: unknown;
  private closed = false;
  private snapshotting: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: Config,
    private readonly segments: Segment[],
    snapshot: WalSnapshot | undefined,
  ) {
    this.snapshot = snapshot;
    const last = segments.at(-1);
    this.lastSeq = last === undefined ? (snapshot?.seq ?? 0) : last.firstSeq + last.count - 1;
    this.durableSeq = this.lastSeq;
  }

  get firstSeq(): number {
    return this.segments[0]?.firstSeq ?? this.lastSeq + 1;
  }

  /** Opens the last segment for appending at `end`, or starts a fresh one after the snapshot. */
  async start(end: number): Promise<void> {
    const snapSeq = this.snapshot?.seq ?? 0;
    const last = this.segments.at(-1);
    if (last === undefined || this.lastSeq < snapSeq) {
      // Nothing after the snapshot survived: continue numbering after it, in a fresh segment.
      this.lastSeq = this.durableSeq = Math.max(this.lastSeq, snapSeq);
      await this.createSegment(this.lastSeq + 1);
      return;
    }
    this.active = await open(last.file, 'r+');
    this.writeAt = end;
  }

  append(payload: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(new StoreError('append: the write-ahead log is closed'));
    if (this.failed !== undefined) return Promise.reject(new StoreError(`append: an earlier write failed (${String(this.failed)}); reopen the log`));
    if (!(payload instanceof Uint8Array)) return Promise.reject(new StoreError('append: payload must be a Uint8Array'));
    if (payload.length > this.config.maxRecordBytes) {
      return Promise.reject(new StoreError(`append: a ${payload.length}-byte record exceeds maxRecordBytes (${this.config.maxRecordBytes})`));
    }
    const seq = ++this.lastSeq;
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ seq, payload, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushing !== undefined || this.scheduled) return;
    this.scheduled = true;
    // Let every appender that is ready this turn join the batch before it is written.
    setImmediate(() => {
      this.scheduled = false;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.pending.length > 0) this.schedule();
      });
    });
  }

  /** The commit loop: write everything pending as one batch, sync once, acknowledge, repeat. */
  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0 && this.failed === undefined) {
        if (this.writeAt + frameBytes(this.pending[0]!.payload.length) > this.config.segmentBytes) await this.roll(this.pending[0]!.seq);
        const room = this.config.segmentBytes - this.writeAt;
        let bytes = 0;
        let n = 0;
        while (n < this.pending.length && bytes + frameBytes(this.pending[n]!.payload.length) <= room) bytes += frameBytes(this.pending[n++]!.payload.length);
        const batch = this.pending.slice(0, n);
        const buf = Buffer.allocUnsafe(bytes);
        const offsets: number[] = [];
        let at = 0;
        for (const p of batch) {
          offsets.push(this.writeAt + at);
          at = writeFrame(buf, at, p.seq, batch[0]!.seq, p.payload);
        }
        await writeAll(this.active, buf, this.writeAt);
        if (this.config.fsync) await this.active.datasync();
        this.pending.splice(0, n);
        const segment = this.segments.at(-1)!;
        for (const o of offsets) pushOffset(segment, o);
        this.writeAt += bytes;
        this.durableSeq = batch.at(-1)!.seq;
        for (const p of batch) p.resolve(p.seq);
      }
    } catch (e) {
      this.failed = e;
      for (const p of this.pending.splice(0)) p.reject(e);
    }
  }

  /** Closes the full segment (already synced) and starts the next at `firstSeq`. */
  private async roll(firstSeq: number): Promise<void> {
    await this.active.close();
    await this.createSegment(firstSeq);
  }

  private async createSegment(firstSeq: number): Promise<void> {
    const file = join(this.config.dir, seqName(firstSeq, 'wal'));
    const header = Buffer.alloc(WAL_SEGMENT_HEADER_BYTES);
    SEGMENT_MAGIC.copy(header, 0);
    writeU64(header, 8, firstSeq);
    header.writeUInt32BE(crc32c(header, 0, 16), 16);
    const parts: Uint8Array[] = [header];
    if (this.config.preallocate) {
      for (let left = this.config.segmentBytes - WAL_SEGMENT_HEADER_BYTES; left > 0; left -= ZERO_CHUNK.length) parts.push(ZERO_CHUNK.subarray(0, Math.min(left, ZERO_CHUNK.length)));
    }
    await writeFileDurably(this.config.dir, file, parts, this.config.fsync);
    this.active = await open(file, 'r+');
    this.writeAt = WAL_SEGMENT_HEADER_BYTES;
    this.segments.push({ firstSeq, file, offsets: new Uint32Array(1024), count: 0 });
  }

  async read(seq: number): Promise<Uint8Array> {
    if (!Number.isInteger(seq) || seq < this.firstSeq || seq > this.lastSeq) {
      throw new StoreError(`read: record ${seq} is not in the log (it holds ${this.firstSeq}..${this.lastSeq})`);
    }
    const segment = this.segmentOf(seq);
    if (segment === undefined || seq - segment.firstSeq >= segment.count) {
      const p = this.pending.find((x) => x.seq === seq);
      if (p === undefined) throw new StoreError(`read: record ${seq} is not in the log (lost before the snapshot that covers it)`);
      return p.payload.slice();
    }
    const offset = segment.offsets[seq - segment.firstSeq]!;
    const handle = await open(segment.file, 'r');
    try {
      const head = Buffer.alloc(WAL_FRAME_HEADER_BYTES);
      await handle.read(head, 0, WAL_FRAME_HEADER_BYTES, offset);
      const length = head.readUInt32BE(0);
      if (length > this.config.maxRecordBytes) throw new WalCorruptionError(segment.file, offset, `record length ${length} exceeds maxRecordBytes`);
      const buf = Buffer.alloc(WAL_FRAME_HEADER_BYTES + length);
      head.copy(buf);
      await handle.read(buf, WAL_FRAME_HEADER_BYTES, length, offset + WAL_FRAME_HEADER_BYTES);
      const f = frameAt(buf, 0, buf.length, this.config.maxRecordBytes);
      if (typeof f === 'string' || f.seq !== seq) throw new WalCorruptionError(segment.file, offset, typeof f === 'string' ? f : `record ${f.seq} where ${seq} was expected`);
      return buf.subarray(WAL_FRAME_HEADER_BYTES);
    } finally {
      await handle.close();
    }
  }

  private segmentOf(seq: number): Segment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.firstSeq <= seq) lo = mid;
      else hi = mid - 1;
    }
    const s = this.segments[lo];
    return s !== undefined && s.firstSeq <= seq ? s : undefined;
  }

  saveSnapshot(seq: number, data: Uint8Array, keepFrom = seq + 1): Promise<void> {
    const prev = this.snapshot?.seq ?? 0;
    if (!Number.isInteger(seq) || seq < prev || seq > this.lastSeq) {
      return Promise.reject(new StoreError(`saveSnapshot: seq must be an integer in ${prev}..${this.lastSeq}, got ${seq}`));
    }
    if (!(data instanceof Uint8Array)) return Promise.reject(new StoreError('saveSnapshot: data must be a Uint8Array'));
    const run = this.snapshotting.then(async () => {
      const header = Buffer.alloc(SNAPSHOT_HEADER_BYTES);
      SNAPSHOT_MAGIC.copy(header, 0);
      writeU64(header, 8, seq);
      header.writeUInt32BE(data.length, 16);
      header.writeUInt32BE(crc32c(data, 0, data.length, crc32c(header, 8, 20)), 20);
      await writeFileDurably(this.config.dir, join(this.config.dir, seqName(seq, 'snap')), [header, data], this.config.fsync);
      const old = this.snapshot;
      this.snapshot = { seq, data };
      if (old !== undefined && old.seq !== seq) await unlink(join(this.config.dir, seqName(old.seq, 'snap')));
      await this.retire(Math.min(seq, keepFrom - 1));
    });
    this.snapshotting = run.catch(() => undefined);
    return run;
  }

  /** Deletes every segment but the active one whose records all lie at or below `seq`. */
  private async retire(seq: number): Promise<void> {
    let removed = 0;
    while (this.segments.length > 1 && this.segments[1]!.firstSeq - 1 <= seq) {
      await unlink(this.segments.shift()!.file);
      removed++;
    }
    if (removed > 0) await syncDir(this.config.dir, this.config.fsync);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing !== undefined || this.scheduled) await (this.flushing ?? new Promise((r) => setImmediate(r)));
    await this.snapshotting;
    await this.active.close();
  }
}
