import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError, Random, StoreError } from 'distkit/core';
import { openWal, WalCorruptionError, WAL_FRAME_HEADER_BYTES, WAL_SEGMENT_HEADER_BYTES, type WalOptions } from 'distkit/node';
import { payloadFor } from './fixtures/wal-writer.js';
import { bundleFixture } from '../support/bundle-fixture.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'distkit-wal-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
const fresh = async (): Promise<string> => mkdtemp(join(root, 'case-'));

const bytes = (...xs: number[]) => Uint8Array.from(xs);

/** Opens `dir` and returns every replayed record as [seq, bytes]. */
async function replay(dir: string, options: WalOptions = {}): Promise<[number, number[]][]> {
  const seen: [number, number[]][] = [];
  const wal = await openWal(dir, { ...options, onRecord: (seq, p) => seen.push([seq, [...p]]) });
  await wal.close();
  return seen;
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort();
}

/** Frame offsets of every record in a segment file, by walking the frames. */
async function frameOffsets(file: string): Promise<number[]> {
  const buf = await readFile(file);
  const out: number[] = [];
  for (let at = WAL_SEGMENT_HEADER_BYTES; at + WAL_FRAME_HEADER_BYTES <= buf.length; ) {
    const length = buf.readUInt32BE(at);
    if (buf.readUInt32BE(at + 4) === 0 && length === 0) break;
    out.push(at);
    at += (WAL_FRAME_HEADER_BYTES + length + 7) & ~7;
  }
  return out;
}

describe('openWal: append and reopen', () => {
  it('replays exactly what was appended, across segment rolls and snapshots (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 60 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.boolean(),
        async (payloads, snapAt, preallocate) => {
          const dir = await fresh();
          const options = { segmentBytes: 4096, preallocate, fsync: false };
          const wal = await openWal(dir, options);
          const seqs = await Promise.all(payloads.map((p) => wal.append(p)));
          expect(seqs).toEqual(payloads.map((_, i) => i + 1));
          const snap = snapAt === undefined ? 0 : snapAt % (payloads.length + 1);
          if (snap > 0) await wal.saveSnapshot(snap, bytes(snap & 0xff));
          for (let seq = Math.max(wal.firstSeq, 1); seq <= wal.lastSeq; seq++) expect([...(await wal.read(seq))]).toEqual([...payloads[seq - 1]!]);
          await wal.close();
          const seen = await replay(dir, options);
          expect(seen).toEqual(payloads.map((p, i) => [i + 1, [...p]]).slice(snap));
          const again = await openWal(dir, options);
          expect(again.snapshot?.seq).toBe(snap > 0 ? snap : undefined);
          expect(again.lastSeq).toBe(payloads.length);
          expect(await again.append(bytes(9))).toBe(payloads.length + 1);
          await again.close();
          await rm(dir, { recursive: true });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('group commit: records appended while a sync is in flight share the next one', async () => {
    const dir = await fresh();
    const wal = await openWal(dir, { segmentBytes: 1 << 20 });
    const first = wal.append(bytes(1));
    // Appended in the same turn: one batch.
    const rest = Array.from({ length: 99 }, (_, i) => wal.append(bytes(i)));
    await Promise.all([first, ...rest]);
    expect(wal.durableSeq).toBe(100);
    await wal.close();
    // Every frame of that batch names record 1 as its batch's first record.
    const buf = await readFile(join(dir, (await segmentFiles(dir))[0]!));
    const offsets = await frameOffsets(join(dir, (await segmentFiles(dir))[0]!));
    expect(offsets.length).toBe(100);
    expect(offsets.map((at) => buf.readUInt32BE(at + 12) - buf.readUInt32BE(at + 16))).toEqual(Array(100).fill(1));
  });

  it('rolls segments, and a snapshot deletes the segments wholly below it (or below keepFrom)', async () => {
    const dir = await fresh();
    const wal = await openWal(dir, { segmentBytes: 4096 });
    for (let i = 0; i < 10; i++) await Promise.all(Array.from({ length: 20 }, () => wal.append(new Uint8Array(100))));
    const before = await segmentFiles(dir);
    expect(before.length).toBeGreaterThan(5);
    await wal.saveSnapshot(150, bytes(1), 60);
    const kept = await segmentFiles(dir);
    expect(parseInt(kept[0]!, 16)).toBeLessThanOrEqual(60);
    expect(parseInt(before[1]!, 16)).toBeLessThanOrEqual(60); // something was deleted...
    expect(kept.length).toBeLessThan(before.length);
    expect(wal.firstSeq).toBeLessThanOrEqual(60);
    expect((await wal.read(60)).length).toBe(100);
    await wal.saveSnapshot(180, bytes(2));
    expect((await readdir(dir)).filter((n) => n.endsWith('.snap'))).toEqual([`${(180).toString(16).padStart(16, '0')}.snap`]);
    await expect(wal.read(1)).rejects.toBeInstanceOf(StoreError);
    await expect(wal.saveSnapshot(170, bytes(3))).rejects.toThrow(/seq must be/);
    await wal.close();
    const seen = await replay(dir, { segmentBytes: 4096 });
    expect(seen.map(([s]) => s)).toEqual(Array.from({ length: 20 }, (_, i) => 181 + i));
  });

  it('a snapshot past the records that survived: numbering goes on after the snapshot', async () => {
    const dir = await fresh();
    const options = { segmentBytes: 8192 };
    const wal = await openWal(dir, options);
    for (let seq = 1; seq <= 5; seq++) await wal.append(payloadFor(seq));
    await wal.saveSnapshot(5, bytes(5));
    await wal.close();
    // Records 4 and 5 lost (as if the snapshot had been saved before they were synced).
    const file = join(dir, (await segmentFiles(dir))[0]!);
    const offsets = await frameOffsets(file);
    const buf = await readFile(file);
    buf.fill(0, offsets[3]!);
    await writeFile(file, buf);
    const again = await openWal(dir, options);
    expect(again.lastSeq).toBe(5);
    expect(await again.append(payloadFor(6))).toBe(6);
    await again.close();
    expect(await replay(dir, options)).toEqual([[6, [...payloadFor(6)]]]);
    expect((await segmentFiles(dir)).length).toBe(2);
  });

  it('refuses bad options, oversized records and use after close', async () => {
    const dir = await fresh();
    await expect(openWal(dir, { segmentBytes: 100 })).rejects.toBeInstanceOf(ConfigError);
    await expect(openWal(dir, { segmentBytes: 8192, maxRecordBytes: 9000 })).rejects.toBeInstanceOf(ConfigError);
    const wal = await openWal(dir, { segmentBytes: 8192, maxRecordBytes: 100 });
    await expect(wal.append(new Uint8Array(101))).rejects.toThrow(/maxRecordBytes/);
    await expect(wal.read(1)).rejects.toThrow(/not in the log/);
    await wal.close();
    await expect(wal.append(bytes(1))).rejects.toThrow(/closed/);
  });
});

describe('openWal: torn tails and damage', () => {
  /** A log of `n` records appended one batch each, in one segment; returns the segment file. */
  async function logOf(dir: string, n: number, preallocate = true): Promise<string> {
    const wal = await openWal(dir, { segmentBytes: 8192, preallocate });
    for (let seq = 1; seq <= n; seq++) await wal.append(payloadFor(seq));
    await wal.close();
    return join(dir, (await segmentFiles(dir))[0]!);
  }
  const expectRecords = (seen: [number, number[]][], n: number) => expect(seen).toEqual(Array.from({ length: n }, (_, i) => [i + 1, [...payloadFor(i + 1)]]));

  it('a tail cut at every byte of the last record loses only that record (file shortened, or zeros left by preallocation)', async () => {
    const base = await fresh();
    const file = await logOf(base, 5);
    const original = await readFile(file);
    const offsets = await frameOffsets(file);
    const last = offsets.at(-1)!;
    const end = last + WAL_FRAME_HEADER_BYTES + payloadFor(5).length;
    for (let cut = last; cut < end; cut++) {
      // Shortened file (no preallocation) and zeroed tail (preallocated file), at the same byte.
      await writeFile(file, original.subarray(0, cut));
      expectRecords(await replay(base, { segmentBytes: 8192 }), 4);
      const zeroed = Buffer.from(original);
      zeroed.fill(0, cut, end);
      await writeFile(file, zeroed);
      expectRecords(await replay(base, { segmentBytes: 8192 }), 4);
      // The log goes on after the cut, and the record that follows is record 5 again.
      const wal = await openWal(base, { segmentBytes: 8192 });
      expect(await wal.append(payloadFor(5))).toBe(5);
      await wal.close();
      expectRecords(await replay(base, { segmentBytes: 8192 }), 5);
    }
  });

  it('a torn batch whose pages reached the disk out of order is still a torn tail', async () => {
    const dir = await fresh();
    const wal = await openWal(dir, { segmentBytes: 8192 });
    for (let seq = 1; seq <= 3; seq++) await wal.append(payloadFor(seq));
    await Promise.all([4, 5, 6, 7].map((seq) => wal.append(payloadFor(seq)))); // one batch
    await wal.close();
    const file = join(dir, (await segmentFiles(dir))[0]!);
    const buf = await readFile(file);
    const offsets = await frameOffsets(file);
    buf.fill(0, offsets[4]!, offsets[5]!); // record 5 never made it; 6 and 7 did
    await writeFile(file, buf);
    expectRecords(await replay(dir, { segmentBytes: 8192 }), 4);
    // ...and the stale frames 6 and 7 were zeroed, so they cannot confuse a later recovery.
    const after = await readFile(file);
    expect(after.subarray(offsets[4]!).every((b) => b === 0)).toBe(true);
  });

  it('a flipped bit before the tail is a WalCorruptionError naming the file and the frame offset (fast-check)', async () => {
    const base = await fresh();
    const file = await logOf(base, 8);
    const original = await readFile(file);
    const offsets = await frameOffsets(file);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 6 }), fc.nat(), fc.nat(7), async (record, at, bit) => {
        const frame = offsets[record]!;
        const span = WAL_FRAME_HEADER_BYTES + payloadFor(record + 1).length;
        const damaged = Buffer.from(original);
        damaged[frame + (at % span)]! ^= 1 << bit;
        await writeFile(file, damaged);
        const error = await openWal(base, { segmentBytes: 8192 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(WalCorruptionError);
        expect((error as WalCorruptionError).file).toBe(file);
        expect((error as WalCorruptionError).offset).toBe(frame);
        expect((error as Error).message).toContain(file);
      }),
      { numRuns: 60 },
    );
    await writeFile(file, original);
  });

  it('damage in an earlier segment or a segment header is reported, never skipped', async () => {
    const dir = await fresh();
    const wal = await openWal(dir, { segmentBytes: 4096 });
    for (let seq = 1; seq <= 60; seq++) await wal.append(payloadFor(seq));
    await wal.close();
    const [first, second] = (await segmentFiles(dir)).map((n) => join(dir, n));
    const buf = await readFile(first!);
    const offsets = await frameOffsets(first!);
    const lastFrame = offsets.at(-1)!;
    buf[lastFrame + WAL_FRAME_HEADER_BYTES]! ^= 0x10; // the last record of a full segment
    await writeFile(first!, buf);
    await expect(openWal(dir, { segmentBytes: 4096 })).rejects.toMatchObject({ file: first, offset: lastFrame });
    buf[lastFrame + WAL_FRAME_HEADER_BYTES]! ^= 0x10;
    await writeFile(first!, buf);
    const header = await readFile(second!);
    header[3]! ^= 1;
    await writeFile(second!, header);
    await expect(openWal(dir, { segmentBytes: 4096 })).rejects.toMatchObject({ file: second, offset: 0 });
    header[3]! ^= 1;
    await writeFile(second!, header);
    await rm(second!);
    await expect(openWal(dir, { segmentBytes: 4096 })).rejects.toBeInstanceOf(WalCorruptionError);
  });

  it('damage confined to the last write batch is indistinguishable from a torn write: that batch is dropped', async () => {
    const dir = await fresh();
    const file = await logOf(dir, 4);
    const buf = await readFile(file);
    const offsets = await frameOffsets(file);
    buf[offsets[3]! + WAL_FRAME_HEADER_BYTES]! ^= 1;
    await writeFile(file, buf);
    expectRecords(await replay(dir, { segmentBytes: 8192 }), 3);
  });

  it('hostile bytes anywhere: open either recovers a prefix of the records or throws WalCorruptionError (fast-check)', async () => {
    const base = await fresh();
    const wal = await openWal(base, { segmentBytes: 4096, maxRecordBytes: 1000 });
    for (let seq = 1; seq <= 40; seq++) await wal.append(payloadFor(seq));
    await wal.saveSnapshot(10, bytes(7), 5);
    await wal.close();
    const names = (await readdir(base)).sort();
    const originals = await Promise.all(names.map((n) => readFile(join(base, n))));
    await fc.assert(
      fc.asyncProperty(
        fc.nat(names.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (which, writes, cutAt) => {
          const damaged = Buffer.from(originals[which]!);
          for (const [at, value] of writes) damaged[at % damaged.length] = value;
          const body = cutAt === undefined ? damaged : damaged.subarray(0, cutAt % (damaged.length + 1));
          await writeFile(join(base, names[which]!), body);
          try {
            const seen = await replay(base, { segmentBytes: 4096, maxRecordBytes: 1000 });
            for (const [seq, payload] of seen) expect(payload).toEqual([...payloadFor(seq)]);
            expect(seen.map(([s]) => s)).toEqual(Array.from({ length: seen.length }, (_, i) => 11 + i));
          } catch (e) {
            expect(e).toBeInstanceOf(WalCorruptionError);
          } finally {
            await writeFile(join(base, names[which]!), originals[which]!);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('read() checks the CRC again: a record damaged after open is a WalCorruptionError, not bad bytes', async () => {
    const dir = await fresh();
    const wal = await openWal(dir, { segmentBytes: 8192 });
    for (let seq = 1; seq <= 3; seq++) await wal.append(payloadFor(seq));
    const file = join(dir, (await segmentFiles(dir))[0]!);
    const offsets = await frameOffsets(file);
    const buf = await readFile(file);
    buf[offsets[1]! + WAL_FRAME_HEADER_BYTES + 2]! ^= 4;
    await writeFile(file, buf);
    await expect(wal.read(2)).rejects.toMatchObject({ file, offset: offsets[1] });
    expect([...(await wal.read(3))]).toEqual([...payloadFor(3)]);
    await wal.close();
  });

  it('a snapshot file that does not check out is reported', async () => {
    const dir = await fresh();
    const wal = await openWal(dir, { segmentBytes: 4096 });
    await wal.append(bytes(1));
    await wal.saveSnapshot(1, bytes(1, 2, 3));
    await wal.close();
    const snap = join(dir, (await readdir(dir)).find((n) => n.endsWith('.snap'))!);
    await truncate(snap, 25);
    await expect(openWal(dir, { segmentBytes: 4096 })).rejects.toMatchObject({ file: snap });
  });
});

describe('crash test: a writer SIGKILLed mid-stream never loses an acknowledged record', () => {
  const KILLS = 12;
  it(`${KILLS} kills (seed 20261207)`, async () => {
    const bundle = join(root, 'wal-writer.mjs');
    await bundleFixture(new URL('./fixtures/wal-writer.ts', import.meta.url), bundle);
    const dir = await fresh();
    const rng = new Random(20261207);
    let acked = 0;
    for (let k = 0; k < KILLS; k++) {
      const child = spawn(process.execPath, [bundle, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let out = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`writer not ready: ${stderr}`)), 10_000);
        const poll = setInterval(() => {
          if (out.startsWith('ready\n')) {
            clearTimeout(t);
            clearInterval(poll);
            resolve();
          }
        }, 2);
      });
      await new Promise((r) => setTimeout(r, rng.int(5, 120)));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      expect(stderr).toBe('');
      const lines = out.split('\n').slice(1, -1).map(Number);
      acked = Math.max(acked, ...lines);
      const seen = await replay(dir, { segmentBytes: 64 * 1024 });
      // Every acknowledged record is there, in order, with its bytes; nothing after a gap.
      expect(seen.length).toBeGreaterThanOrEqual(acked);
      for (const [i, [seq, payload]] of seen.entries()) {
        expect(seq).toBe(i + 1);
        expect(payload).toEqual([...payloadFor(seq)]);
      }
    }
    expect(acked).toBeGreaterThan(KILLS * 10);
  }, 120_000);
});
