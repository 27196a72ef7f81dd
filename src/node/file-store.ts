import { open, readFile, rename, unlink, mkdir, readdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { StoreError, plainDataProblem, type Store } from '../core/index.js';

const FORMAT = 'distkit-store/1';

/**
 * Options of {@link FileStore}.
 *
 * @example
 * ```ts
 * import type { FileStoreOptions } from 'distkit/node';
 * const options: FileStoreOptions = { dir: './data/node-a', fsync: true };
 * ```
 */
export interface FileStoreOptions {
  /** The directory holding one file per key (created if missing). */
  dir: string;
  /** fsync files and the directory (default true). Turn off only for tests and scratch data. */
  fsync?: boolean;
}

/**
 * A durable {@link Store} on the local file system, one file per key. Each `put` writes a temp file,
 * fsyncs it, renames it over the old file and fsyncs the directory, so after a crash a key holds
 * either its old or its new value. Every file carries a SHA-256 of its data, verified on `get`:
 * a torn or corrupted file raises {@link StoreError} naming the file instead of returning bad data.
 *
 * @example
 * ```ts
 * import { FileStore } from 'distkit/node';
 * const store = new FileStore({ dir: './data/node-a' });
 * await store.put('raft', { term: 3, vote: 'b', log: [] });
 * const durable = await store.get('raft');
 * ```
 */
export class FileStore implements Store {
  private readonly dir: string;
  private readonly fsync: boolean;
  private ready: Promise<void> | undefined;
  private seq = 0;

  constructor(options: FileStoreOptions) {
    if (typeof options?.dir !== 'string' || options.dir.length === 0) {
      throw new StoreError('dir: expected a non-empty directory path');
    }
    this.dir = options.dir;
    this.fsync = options.fsync ?? true;
  }

  /** The value last put under `key`, or `undefined`; throws {@link StoreError} if the file is corrupt. */
  async get(key: string): Promise<unknown> {
    const file = this.fileOf(key);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    let envelope: { format?: unknown; sha256?: unknown; data?: unknown };
    try {
      envelope = JSON.parse(text) as typeof envelope;
    } catch {
      throw new StoreError(`${file}: corrupt (not JSON; a torn write?)`);
    }
    if (envelope === null || typeof envelope !== 'object' || envelope.format !== FORMAT || typeof envelope.data !== 'string') {
      throw new StoreError(`${file}: corrupt (not a ${FORMAT} file)`);
    }
    if (sha256(envelope.data) !== envelope.sha256) throw new StoreError(`${file}: corrupt (checksum mismatch)`);
    return JSON.parse(envelope.data) as unknown;
  }

  /** Atomically replaces the value under `key`; resolves once it is durable. */
  async put(key: string, value: unknown): Promise<void> {
    const problem = plainDataProblem(value);
    if (problem !== undefined) throw new StoreError(`put(${JSON.stringify(key)}): ${problem}`);
    await this.init();
    const data = JSON.stringify(value);
    const body = JSON.stringify({ format: FORMAT, sha256: sha256(data), data });
    const file = this.fileOf(key);
    const tmp = `${file}.tmp-${process.pid}-${this.seq++}`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(body, 'utf8');
      if (this.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    await this.syncDir();
  }

  /** Removes `key`; resolves once the removal is durable. */
  async delete(key: string): Promise<void> {
    try {
      await unlink(this.fileOf(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await this.syncDir();
  }

  /** The keys stored, decoded from the file names (temp files from interrupted writes are skipped). */
  async keys(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names.filter((n) => n.endsWith('.json')).map((n) => decodeURIComponent(n.slice(0, -'.json'.length)));
  }

  private fileOf(key: string): string {
    if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
      throw new StoreError(`key: expected a string of length 1..200, got ${JSON.stringify(key)}`);
    }
    // encodeURIComponent leaves '.', '*', etc.; escape dots too so no key can name '..' or a temp file.
    const safe = encodeURIComponent(key).replace(/\./g, '%2E').replace(/\*/g, '%2A');
    return join(this.dir, `${safe}.json`);
  }

  private init(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true }).then(() => undefined);
    return this.ready;
  }

  private async syncDir(): Promise<void> {
    if (!this.fsync) return;
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
