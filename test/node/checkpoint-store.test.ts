import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from 'distkit/core';
import { FileCheckpointStore } from 'distkit/node';
import { CheckpointCorruptError, CheckpointManager, RecoveryManager, type CorruptCheckpoint } from 'distkit/resilience';
import { blobFor } from './fixtures/checkpoint-writer.js';
import { bundleFixture } from '../support/bundle-fixture.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'distkit-ckpt-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const fresh = async (): Promise<string> => mkdtemp(join(root, 'case-'));

describe('FileCheckpointStore', () => {
  it('saves, lists, loads and removes versions; keeps the last N through the manager', async () => {
    const dir = await fresh();
    const cp = new CheckpointManager({ store: new FileCheckpointStore(dir), keep: 2 });
    for (let i = 1; i <= 4; i++) expect(await cp.save('job/1', { i }, 'copy')).toBe(i);
    expect(await cp.versions('job/1')).toEqual([3, 4]);
    expect((await cp.load<{ i: number }>('job/1'))?.record.state.i).toBe(4);
    expect(await cp.tasks()).toEqual(['job/1']);
    await cp.clear('job/1');
    expect(await cp.load('job/1')).toBeUndefined();
  });

  it('task ids cannot escape the directory', async () => {
    const dir = await fresh();
    const store = new FileCheckpointStore(dir);
    await store.save('../../evil', 1, 'x');
    await store.save('..', 1, 'y');
    expect((await readdir(dir)).sort()).toEqual(['%2E%2E', '%2E%2E%2F..%2Fevil'].sort());
    expect(await store.tasks()).toEqual(['..', '../../evil']);
  });

  it('a flipped byte or a truncated file is detected; the previous good version is loaded and the corruption reported', async () => {
    const dir = await fresh();
    const store = new FileCheckpointStore(dir);
    const cp = new CheckpointManager({ store, keep: 5 });
    for (let i = 1; i <= 3; i++) await cp.save('t', { i, text: 'payload'.repeat(50) });
    const file3 = join(dir, 't', '3.ckpt');
    const bytes = await readFile(file3);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0x01;
    await writeFile(file3, bytes);
    await truncate(join(dir, 't', '2.ckpt'), 40);
    await expect(store.load('t', 3)).rejects.toBeInstanceOf(CheckpointCorruptError);
    const reported: CorruptCheckpoint[] = [];
    cp.onCorruption((c) => reported.push(c));
    const loaded = await cp.load<{ i: number }>('t');
    expect(loaded?.record.state.i).toBe(1);
    expect(loaded?.corrupt.map((c) => c.version)).toEqual([3, 2]);
    expect(loaded?.corrupt[0]?.reason).toContain('CRC32C');
    expect(loaded?.corrupt[1]?.reason).toContain('torn');
    expect(reported).toHaveLength(2);
  });

  it('stray temp files from a crashed save are ignored and can be swept', async () => {
    const dir = await fresh();
    const store = new FileCheckpointStore(dir);
    await store.save('t', 1, 'good');
    await writeFile(join(dir, 't', '.tmp-2-abc'), 'DKCF1 half');
    expect(await store.versions('t')).toEqual([1]);
    expect(await store.sweepTemp('t')).toBe(1);
  });

  it('recovery from files dispatches by task type', async () => {
    const dir = await fresh();
    const cp = new CheckpointManager({ store: new FileCheckpointStore(dir) });
    await cp.save('a', { n: 1 }, 'double');
    const rec = new RecoveryManager(cp);
    rec.registerHandler<{ n: number }, number>('double', ({ state }) => state.n * 2);
    expect(await rec.recoverAll()).toEqual([{ taskId: 'a', recovered: true, version: 1, result: 2, corrupt: [] }]);
  });
});

describe('crash test: a writer SIGKILLed at random moments never leaves a torn checkpoint', () => {
  const KILLS = 40;
  it(`${KILLS} kills (seed 20261121)`, async () => {
    const bundle = join(root, 'checkpoint-writer.mjs');
    await bundleFixture(new URL('./fixtures/checkpoint-writer.ts', import.meta.url), bundle);
    const dir = await fresh();
    const rng = new Random(20261121);
    let lastI = -1;
    let loadedSome = 0;
    for (let k = 0; k < KILLS; k++) {
      const child = spawn(process.execPath, [bundle, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // Half the kills land during start-up (possibly mid-load), half while saving.
      const waitReady = rng.float() < 0.5;
      if (waitReady) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`writer not ready: ${stderr}`)), 10_000);
          child.stdout.once('data', () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      await new Promise((r) => setTimeout(r, rng.int(0, 40)));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      expect(stderr).toBe('');
      const cp = new CheckpointManager({ store: new FileCheckpointStore(dir), keep: 3 });
      const loaded = await cp.load<{ i: number; blob: string }>('task');
      if (loaded === undefined) {
        expect(lastI).toBe(-1);
        continue;
      }
      loadedSome++;
      expect(loaded.corrupt).toEqual([]);
      const { i, blob } = loaded.record.state;
      expect(blob).toBe(blobFor(i));
      expect(i).toBeGreaterThanOrEqual(lastI);
      lastI = i;
      // keep (3) + the one being written when the kill landed
      expect((await cp.versions('task')).length).toBeLessThanOrEqual(4);
    }
    expect(loadedSome).toBeGreaterThan(KILLS / 2);
  });
});
