import { open, readdir, readFile, rename, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CheckpointCorruptError, crc32c, type CheckpointStore } from '../resilience/index.js';

const HEADER = /^DKCF1 ([0-9a-f]{8}) (\d+)\n/;
const VERSION_FILE = /^(\d{1,15})\.ckpt$/;

/**
 * A {@link CheckpointStore} on the file system: one directory per task, one file per version.
 * A save writes a temp file, fsyncs it, renames it over the final name and fsyncs the directory,
 * so a crash leaves the old version, the new one, or a stray temp file (ignored), never a torn
 * version. Each file carries a CRC32C and its byte length, verified on load: a damaged file throws
 * {@link CheckpointCorruptError}, which the CheckpointManager reports before falling back to the
 * previous version.
 *
 * @example
 * ```ts
 * import { FileCheckpointStore } from 'distkit/node';
 * import { CheckpointManager } from 'distkit/resilience';
 * const checkpoints = new CheckpointManager({ store: new FileCheckpointStore('/var/lib/app/checkpoints'), keep: 3 });
 * await checkpoints.save('import-42', { offset: 1000 }, 'import');
 * ```
 */
export class FileCheckpointStore implements CheckpointStore {
  /** The root directory. */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  private taskDir(taskId: string): string {
    // encodeURIComponent keeps '/' and '..' out of the path; '.' alone is escaped by hand.
    const safe = encodeURIComponent(taskId).replace(/^\.+/, (dots) => '%2E'.repeat(dots.length));
    return join(this.dir, safe);
  }

  /** Writes version `version` of `taskId` atomically and durably. */
  async save(taskId: string, version: number, data: string): Promise<void> {
    if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`version: must be a non-negative integer, got ${version}`);
    const dir = this.taskDir(taskId);
    await mkdir(dir, { recursive: true });
    const payload = Buffer.from(data, 'utf8');
    const header = Buffer.from(`DKCF1 ${crc32c(payload).toString(16).padStart(8, '0')} ${payload.length}\n`, 'utf8');
    const final = join(dir, `${version}.ckpt`);
    const tmp = join(dir, `.tmp-${version}-${randomBytes(6).toString('hex')}`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(Buffer.concat([header, payload]));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, final);
    await syncDir(dir);
  }

  /** Reads and verifies one version; `undefined` if absent; CheckpointCorruptError if damaged. */
  async load(taskId: string, version: number): Promise<string | undefined> {
    let buf: Buffer;
    try {
      buf = await readFile(join(this.taskDir(taskId), `${version}.ckpt`));
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return undefined;
      throw e;
    }
    const nl = buf.indexOf(0x0a);
    const m = nl < 0 ? null : HEADER.exec(buf.subarray(0, nl + 1).toString('latin1'));
    if (m === null) throw new CheckpointCorruptError(taskId, version, 'bad file header');
    const payload = buf.subarray(nl + 1);
    if (payload.length !== Number(m[2])) throw new CheckpointCorruptError(taskId, version, `file holds ${payload.length} bytes, header says ${m[2]} (torn write)`);
    if (crc32c(payload) !== parseInt(m[1]!, 16)) throw new CheckpointCorruptError(taskId, version, 'file CRC32C mismatch');
    return payload.toString('utf8');
  }

  /** Versions of `taskId`, ascending (temp files ignored). */
  async versions(taskId: string): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.taskDir(taskId));
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return [];
      throw e;
    }
    const out: number[] = [];
    for (const n of names) {
      const m = VERSION_FILE.exec(n);
      if (m !== null) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  /** Removes one version (absent is fine). */
  async remove(taskId: string, version: number): Promise<void> {
    const dir = this.taskDir(taskId);
    await rm(join(dir, `${version}.ckpt`), { force: true });
    await syncDir(dir).catch(() => undefined);
  }

  /** Task ids with at least one version. */
  async tasks(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return [];
      throw e;
    }
    const out: string[] = [];
    for (const n of names) {
      const id = decodeURIComponent(n);
      if ((await this.versions(id)).length > 0) out.push(id);
    }
    return out.sort();
  }

  /** Deletes temp files left by crashed saves of `taskId` (call when no save is running). */
  async sweepTemp(taskId: string): Promise<number> {
    const dir = this.taskDir(taskId);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return 0;
    }
    const stale = names.filter((n) => n.startsWith('.tmp-'));
    for (const n of stale) await rm(join(dir, n), { force: true });
    return stale.length;
  }
}

/** fsync a directory so a rename in it is durable (a no-op where directories cannot be opened). */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await fh.sync();
  } catch {
    // Some platforms (Windows) refuse fsync on a directory; the rename is still atomic there.
  } finally {
    await fh.close();
  }
}
