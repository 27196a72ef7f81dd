import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { StoreError } from 'distkit/core';
import { FileStore } from 'distkit/node';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'filestore-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FileStore', () => {
  it('round-trips plain data and deletes', async () => {
    const store = new FileStore({ dir: join(dir, 'a') });
    expect(await store.get('raft')).toBeUndefined();
    await store.put('raft', { term: 3, vote: 'b', log: [{ term: 1, data: 'x' }] });
    expect(await store.get('raft')).toEqual({ term: 3, vote: 'b', log: [{ term: 1, data: 'x' }] });
    await store.put('raft', { term: 4 });
    expect(await new FileStore({ dir: join(dir, 'a') }).get('raft')).toEqual({ term: 4 });
    expect(await store.keys()).toEqual(['raft']);
    await store.delete('raft');
    await store.delete('raft');
    expect(await store.get('raft')).toBeUndefined();
  });

  it('keys with any characters stay inside the directory', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), fc.integer(), async (key, value) => {
        const store = new FileStore({ dir, fsync: false });
        await store.put(key, value);
        expect(await store.get(key)).toBe(value);
        expect(readdirSync(dir).every((n) => n.endsWith('.json'))).toBe(true);
        await store.delete(key);
      }),
      { numRuns: 50 },
    );
  });

  it('detects a torn or corrupted file instead of returning bad data', async () => {
    const store = new FileStore({ dir });
    await store.put('k', { balance: 100 });
    const file = join(dir, readdirSync(dir)[0]!);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length - 7));
    await expect(store.get('k')).rejects.toThrow(/corrupt \(not JSON/);
    writeFileSync(file, text.replace('100', '900'));
    await expect(store.get('k')).rejects.toThrow(/checksum mismatch/);
    writeFileSync(file, '{"hello":1}');
    await expect(store.get('k')).rejects.toBeInstanceOf(StoreError);
  });

  it('refuses non-plain data and bad keys without touching the stored value', async () => {
    const store = new FileStore({ dir });
    await store.put('k', 1);
    await expect(store.put('k', { m: new Map() })).rejects.toThrow(/not a plain object/);
    await expect(store.put('', 1)).rejects.toThrow(/key: expected a string/);
    expect(await store.get('k')).toBe(1);
    expect(() => new FileStore({ dir: '' })).toThrow(StoreError);
  });
});
