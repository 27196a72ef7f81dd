import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { StoreError } from 'distkit/core';
import { applyRaftPersist, raft, type RaftDurable, type RaftEntry, type RaftPersistRecord } from 'distkit/consensus';
import { openRaftStorage } from 'distkit/node';
import { simulate } from 'distkit/sim';
import { raftKv, type KvInput, type KvOp, type KvState, type KvValue } from '../../examples/raft-kv/kv.js';
import { kvNodes, kvWorkload } from '../../examples/raft-kv/simulation.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'distkit-raftwal-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
const fresh = async (): Promise<string> => mkdtemp(join(root, 'case-'));

const config = { id: 'a', voters: ['a', 'b', 'c'], seed: 1 };
const initial = (): RaftDurable => raft.durable(raft.init(config));
const membership = { voters: ['a', 'b', 'c'], learners: [] };

/** An abstract step, turned into a persist record that keeps the log contiguous (as Raft's are). */
const stepArb = fc.record({
  kind: fc.constantFrom('append', 'append', 'append', 'overwrite', 'truncate', 'hard', 'snapshot', 'snapshotPast', 'snapshotOld', 'mixed'),
  a: fc.nat(),
  n: fc.integer({ min: 1, max: 6 }),
  term: fc.integer({ min: 0, max: 9 }),
  vote: fc.constantFrom(null, 'a', 'b', '__proto__'),
  pipelined: fc.boolean(),
});
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

function recordFor(disk: RaftDurable, s: Step, counter: { n: number }): RaftPersistRecord {
  const snap = disk.snapshot.index;
  const last = disk.entries.at(-1)?.index ?? snap;
  const entriesFrom = (first: number): RaftEntry[] =>
    Array.from({ length: s.n }, (_, k) => ({ index: first + k, term: s.term, data: { op: counter.n++, text: 'x'.repeat(s.a % 40) } }));
  switch (s.kind) {
    case 'append':
      return { entries: entriesFrom(last + 1) };
    case 'overwrite':
      return { entries: entriesFrom(snap + 1 + (s.a % (last - snap + 1))) };
    case 'truncate':
      return { truncateFrom: snap + 1 + (s.a % (last - snap + 2)) };
    case 'hard':
      return { term: s.term, vote: s.vote };
    case 'snapshot': {
      const index = snap + (s.a % (last - snap + 1));
      return { snapshot: { index, term: s.term, membership, data: { upTo: index } } };
    }
    case 'snapshotPast': {
      const index = last + 1 + (s.a % 3);
      return { snapshot: { index, term: s.term, membership, data: { upTo: index } }, entries: entriesFrom(index + 1), term: s.term };
    }
    case 'snapshotOld': {
      // An older snapshot than the one held: applyRaftPersist installs it and drops the log.
      const index = Math.max(0, snap - 1 - (s.a % 3));
      return { snapshot: { index, term: s.term, membership, data: { upTo: index } } };
    }
    case 'mixed': {
      const from = snap + 1 + (s.a % (last - snap + 1));
      return { truncateFrom: from, entries: entriesFrom(from), term: s.term, vote: s.vote };
    }
  }
  throw new Error(s.kind);
}

describe('openRaftStorage', () => {
  it('reopens to what folding the records with applyRaftPersist gives, across snapshots, truncations and restarts (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(stepArb, { maxLength: 25 }), { minLength: 1, maxLength: 4 }), async (runs) => {
        const dir = await fresh();
        const options = { segmentBytes: 4096, fsync: false };
        let expected = initial();
        const counter = { n: 0 };
        let storage = await openRaftStorage(dir, { ...options, initial: initial() });
        expect(storage.durable).toBeUndefined();
        let persisted = 0;
        for (const run of runs) {
          const inFlight: Promise<void>[] = [];
          for (const s of run) {
            const record = recordFor(expected, s, counter);
            expected = applyRaftPersist(expected, record);
            const p = storage.persist(record);
            persisted++;
            // Pipelined records are passed before the previous one resolved (group commit).
            if (s.pipelined) inFlight.push(p);
            else await Promise.all([...inFlight.splice(0), p]);
          }
          await Promise.all(inFlight);
          await storage.close();
          storage = await openRaftStorage(dir, options);
          if (persisted === 0) expect(storage.durable).toBeUndefined();
          else {
            expect(storage.durable).toEqual(expected);
            expect(raft.recover(config, storage.durable!).term).toBe(expected.term);
          }
        }
        await storage.close();
        await rm(dir, { recursive: true });
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('a snapshot lets the log retire the segments that hold nothing live', async () => {
    const dir = await fresh();
    const storage = await openRaftStorage(dir, { segmentBytes: 4096, initial: initial() });
    let disk = initial();
    for (let i = 1; i <= 200; i++) {
      const record = { entries: [{ index: i, term: 1, data: 'y'.repeat(50) }] };
      disk = applyRaftPersist(disk, record);
      await storage.persist(record);
    }
    const before = (await readdir(dir)).filter((n) => n.endsWith('.wal')).length;
    const snapshot = { snapshot: { index: 190, term: 1, membership, data: { n: 190 } } };
    disk = applyRaftPersist(disk, snapshot);
    await storage.persist(snapshot);
    const after = (await readdir(dir)).filter((n) => n.endsWith('.wal')).length;
    expect(before).toBeGreaterThan(4);
    expect(after).toBeLessThan(before);
    await storage.close();
    const again = await openRaftStorage(dir, { segmentBytes: 4096 });
    expect(again.durable).toEqual(disk);
    expect(again.durable!.entries.map((e) => e.index)).toEqual([191, 192, 193, 194, 195, 196, 197, 198, 199, 200]);
    await again.close();
  });

  it('refuses a record that would leave the log non-contiguous, and writes nothing for it', async () => {
    const dir = await fresh();
    const storage = await openRaftStorage(dir, { initial: initial() });
    await storage.persist({ term: 1, entries: [{ index: 1, term: 1, data: null }] });
    await expect(storage.persist({ entries: [{ index: 3, term: 1, data: null }] })).rejects.toThrow(/does not follow the log/);
    await expect(storage.persist({ entries: [{ index: 2, term: 1, data: null }, { index: 4, term: 1, data: null }] })).rejects.toBeInstanceOf(StoreError);
    await expect(storage.persist({ term: -1 })).rejects.toThrow(/term/);
    await storage.persist({ entries: [{ index: 2, term: 1, data: null }] });
    await storage.close();
    const again = await openRaftStorage(dir);
    expect(again.durable?.entries.map((e) => e.index)).toEqual([1, 2]);
    await again.close();
  });

  it('a record too large for the log is refused and leaves the storage as it was', async () => {
    const dir = await fresh();
    const storage = await openRaftStorage(dir, { initial: initial(), segmentBytes: 8192, maxRecordBytes: 2000 });
    let disk = initial();
    const small = { term: 1, entries: [{ index: 1, term: 1, data: 'a' }] };
    await storage.persist(small);
    disk = applyRaftPersist(disk, small);
    await expect(storage.persist({ entries: [{ index: 2, term: 1, data: 'b'.repeat(5000) }] })).rejects.toThrow(/maxRecordBytes/);
    const next = { entries: [{ index: 2, term: 1, data: 'c' }] };
    await storage.persist(next);
    disk = applyRaftPersist(disk, next);
    const snap = { snapshot: { index: 1, term: 1, membership, data: null } };
    await storage.persist(snap);
    disk = applyRaftPersist(disk, snap);
    await storage.close();
    const again = await openRaftStorage(dir, { segmentBytes: 8192, maxRecordBytes: 2000 });
    expect(again.durable).toEqual(disk);
    await again.close();
  });

  it('an empty storage without an initial state refuses to persist, naming what to give', async () => {
    const storage = await openRaftStorage(await fresh());
    expect(storage.durable).toBeUndefined();
    await expect(storage.persist({ term: 1 })).rejects.toThrow(/initial/);
    await storage.close();
  });
});

describe('openRaftStorage with the persist records of real Raft runs', () => {
  it('stores what every node of a simulated Raft KV cluster persisted (crashes, partitions, snapshots; seeds 1-3)', async () => {
    for (const seed of [1, 2, 3]) {
      const ids = ['n1', 'n2', 'n3'];
      const records: Record<string, RaftPersistRecord[]> = Object.fromEntries(ids.map((id) => [id, []]));
      const workload = kvWorkload({ operations: 150 });
      const result = simulate<KvOp, KvValue>({
        seed,
        // Each node's machine records the persist records its transitions emit, in order.
        nodes: kvNodes(seed, ids, { snapshotEvery: 16 }).map((n) => ({
          ...n,
          machine: {
            ...raftKv,
            step: (s: KvState, i: KvInput) => {
              const t = raftKv.step(s, i);
              for (const o of t.outputs) if (o.type === 'persist') records[n.id]!.push(o.record);
              return t;
            },
          },
        })),
        network: { delay: { type: 'uniform', minMs: 1, maxMs: 10 }, loss: 0.05 },
        nemesis: { crashRate: 1.5, partitionRate: 1, downMs: [50, 300] as const, partitionMs: [50, 300] as const, untilMs: 1200 },
        workload,
        maxTimeMs: 2500,
        onOutput: (e) => workload.observe(e.node, e.output),
      });
      expect(result.ok).toBe(true);
      for (const id of ids) {
        const config = { id, voters: ids, seed };
        const base = raftKv.durable(raftKv.init(config));
        const dir = await fresh();
        const storage = await openRaftStorage(dir, { initial: base, segmentBytes: 8192, fsync: false });
        let expected = base;
        const pending: Promise<void>[] = [];
        for (const [k, r] of records[id]!.entries()) {
          expected = applyRaftPersist(expected, r);
          pending.push(storage.persist(r));
          if (k % 7 === 6) await Promise.all(pending.splice(0));
        }
        await Promise.all(pending);
        await storage.close();
        expect(records[id]!.some((r) => r.snapshot !== undefined)).toBe(true);
        const again = await openRaftStorage(dir, { segmentBytes: 8192 });
        expect(again.durable).toEqual(expected);
        await again.close();
      }
    }
  }, 120_000);
});
