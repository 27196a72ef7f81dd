import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from 'distkit/core';
import {
  CheckpointManager,
  MemoryCheckpointStore,
  NoRecoveryHandlerError,
  RecoveryManager,
  decodeCheckpoint,
  encodeCheckpoint,
  retentionVictims,
  type CheckpointRecord,
} from 'distkit/resilience';
import { FakeTime } from './fake-time.js';

const recordArb: fc.Arbitrary<CheckpointRecord> = fc.record({
  taskId: fc.string({ minLength: 1 }),
  taskType: fc.string(),
  version: fc.integer({ min: 1, max: 1e9 }),
  savedAt: fc.integer({ min: 0 }),
  state: fc.jsonValue(),
});

describe('checkpoint framing: properties', () => {
  it('encode then decode gives the record back', () => {
    fc.assert(
      fc.property(recordArb, (r) => {
        const d = decodeCheckpoint(encodeCheckpoint(r));
        expect(d.ok).toBe(true);
        if (d.ok) expect(d.record).toEqual(JSON.parse(JSON.stringify(r)));
      }),
    );
  });

  it('any truncation or single-character change is detected', () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), fc.integer({ min: 1, max: 0xffff }), (r, pos, delta) => {
        const text = encodeCheckpoint(r);
        const cut = pos % text.length;
        expect(decodeCheckpoint(text.slice(0, cut)).ok).toBe(false);
        const code = text.charCodeAt(cut);
        const changed = text.slice(0, cut) + String.fromCharCode((code + delta) % 0x10000) + text.slice(cut + 1);
        if (changed !== text) {
          const d = decodeCheckpoint(changed);
          // Never a different record: either rejected, or (impossible in practice) the same one.
          if (d.ok) expect(d.record).toEqual(JSON.parse(JSON.stringify(r)));
        }
      }),
    );
  });

  it('retention keeps the newest N', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 1000 })), fc.integer({ min: 1, max: 10 }), (vs, keep) => {
        const victims = retentionVictims(vs, keep);
        const kept = vs.filter((v) => !victims.includes(v));
        expect(kept.length).toBe(Math.min(keep, vs.length));
        for (const k of kept) for (const v of victims) expect(k).toBeGreaterThan(v);
      }),
    );
  });
});

describe('CheckpointManager (memory store)', () => {
  it('numbers versions, keeps the last N, and loads the newest', async () => {
    const time = new FakeTime();
    const cp = new CheckpointManager({ store: new MemoryCheckpointStore(), keep: 3, clock: time });
    for (let i = 0; i < 6; i++) await cp.save('job', { i }, 'etl');
    expect(await cp.versions('job')).toEqual([4, 5, 6]);
    const l = await cp.load<{ i: number }>('job');
    expect(l?.record).toEqual({ taskId: 'job', taskType: 'etl', version: 6, savedAt: time.wallNow(), state: { i: 5 } });
    expect(await cp.load('none')).toBeUndefined();
  });

  it('a save after interrupted prunes removes the surplus, so a crash leaves at most keep + 1 versions', async () => {
    const store = new MemoryCheckpointStore();
    const cp = new CheckpointManager({ store, keep: 3 });
    // Writers killed between their save and their pruning leave versions 1..6 behind.
    for (let v = 1; v <= 6; v++) await store.save('job', v, 'left by a killed writer');
    const removed: number[] = [];
    let savedWith: number[] | undefined;
    const spy = {
      save: async (t: string, v: number, d: string) => {
        savedWith ??= await store.versions(t);
        return store.save(t, v, d);
      },
      load: (t: string, v: number) => store.load(t, v),
      versions: (t: string) => store.versions(t),
      remove: async (t: string, v: number) => {
        removed.push(v);
        return store.remove(t, v);
      },
      tasks: () => store.tasks(),
    };
    await new CheckpointManager({ store: spy, keep: 3 }).save('job', { i: 7 });
    expect(savedWith).toEqual([4, 5, 6]); // at most keep versions exist while the new one is written
    expect(removed).toEqual([1, 2, 3, 4]);
    expect(await cp.versions('job')).toEqual([5, 6, 7]);
  });

  it('concurrent saves of one task are serialized into distinct versions', async () => {
    const cp = new CheckpointManager({ store: new MemoryCheckpointStore(), keep: 10 });
    const vs = await Promise.all(Array.from({ length: 8 }, (_, i) => cp.save('t', i)));
    expect(vs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('a corrupt newest version is skipped and reported; the previous good one is loaded', async () => {
    const store = new MemoryCheckpointStore();
    const cp = new CheckpointManager({ store, keep: 3 });
    await cp.save('t', 'good');
    await cp.save('t', 'newer');
    const text = (await store.load('t', 2))!;
    await store.save('t', 2, text.slice(0, text.length - 3)); // torn
    await store.save('t', 3, text.replace('newer', 'nEwer')); // bit rot
    const seen: number[] = [];
    cp.onCorruption((c) => seen.push(c.version));
    const l = await cp.load('t');
    expect(l?.record.state).toBe('good');
    expect(l?.corrupt.map((c) => [c.version, c.reason])).toEqual([
      [3, 'CRC32C mismatch'],
      [2, expect.stringContaining('torn')],
    ]);
    expect(seen).toEqual([3, 2]);
  });

  it('a record filed under the wrong version counts as corrupt', async () => {
    const store = new MemoryCheckpointStore();
    const cp = new CheckpointManager({ store });
    await cp.save('t', 'one');
    await store.save('t', 2, (await store.load('t', 1))!);
    const l = await cp.load('t');
    expect(l?.record.version).toBe(1);
    expect(l?.corrupt[0]?.reason).toContain('v1');
  });

  it('hostile options', () => {
    expect(() => new CheckpointManager({ store: new MemoryCheckpointStore(), keep: 0 })).toThrow(ConfigError);
    expect(() => new CheckpointManager({ store: {} as never })).toThrow(/store/);
  });
});

describe('RecoveryManager', () => {
  it('dispatches to the handler of the checkpoint task type', async () => {
    const cp = new CheckpointManager({ store: new MemoryCheckpointStore() });
    await cp.save('a', { offset: 10 }, 'copy');
    await cp.save('b', { frames: 3 }, 'render');
    const rec = new RecoveryManager(cp);
    rec.registerHandler<{ offset: number }, string>('copy', ({ taskId, state }) => `${taskId} resumes at ${state.offset}`);
    rec.registerHandler<{ frames: number }, string>('render', async ({ state }) => `frame ${state.frames}`);
    const out = await rec.recoverAll();
    expect(out.map((r) => r.result)).toEqual(['a resumes at 10', 'frame 3']);
    expect(await rec.recover('missing')).toEqual({ taskId: 'missing', recovered: false });
  });

  it('a clear error when no handler is registered for the task type', async () => {
    const cp = new CheckpointManager({ store: new MemoryCheckpointStore() });
    await cp.save('a', {}, 'resize');
    const rec = new RecoveryManager(cp);
    rec.registerHandler('copy', () => undefined);
    const e = await rec.recover('a').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NoRecoveryHandlerError);
    expect((e as Error).message).toContain('"resize"');
    expect((e as Error).message).toContain('registered: "copy"');
    expect(() => rec.registerHandler('', () => 1)).toThrow(ConfigError);
  });

  it('handleFailure hands the error and the newest checkpoint to the handler of the task type', async () => {
    const cp = new CheckpointManager({ store: new MemoryCheckpointStore() });
    await cp.save('job-1', { offset: 10 }, 'copy');
    await cp.save('job-1', { offset: 20 }, 'copy');
    const rec = new RecoveryManager(cp);
    const seen: unknown[] = [];
    rec.registerRecoveryHandler<{ offset: number }, number>('copy', ({ state }, error) => {
      seen.push((error as Error).message);
      return state.offset;
    });
    const r = await rec.handleFailure('job-1', 'copy', new Error('disk full'));
    expect(r).toMatchObject({ taskId: 'job-1', recovered: true, result: 20 });
    expect(seen).toEqual(['disk full']);
    expect(await rec.handleFailure('job-2', 'copy', new Error('x'))).toEqual({ taskId: 'job-2', recovered: false });
    await expect(rec.handleFailure('job-1', 'render', new Error('x'))).rejects.toBeInstanceOf(NoRecoveryHandlerError);
  });

  it('recoverAll recovers every task it can and reports the ones it cannot', async () => {
    const cp = new CheckpointManager({ store: new MemoryCheckpointStore() });
    await cp.save('a', { n: 1 }, 'resize');
    await cp.save('b', { n: 2 }, 'copy');
    await cp.save('c', { n: 3 }, 'flaky');
    await cp.save('d', { n: 4 }, 'copy');
    const rec = new RecoveryManager(cp);
    rec.registerHandler<{ n: number }, number>('copy', ({ state }) => state.n);
    rec.registerHandler('flaky', () => {
      throw new Error('handler broke');
    });
    const out = await rec.recoverAll();
    expect(out.map((r) => [r.taskId, r.recovered, r.result ?? null])).toEqual([
      ['a', false, null],
      ['b', true, 2],
      ['c', false, null],
      ['d', true, 4],
    ]);
    expect(out[0]!.error).toBeInstanceOf(NoRecoveryHandlerError);
    expect((out[2]!.error as Error).message).toBe('handler broke');
  });
});
