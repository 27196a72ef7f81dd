import { describe, expect, it } from 'vitest';
import { raft } from '../../src/consensus/index.js';
import { memoryRaftStorage } from '../../src/node/index.js';

describe('memoryRaftStorage', () => {
  const config = { id: 'a', voters: ['a'], seed: 1 };

  it('applies persist records in order, as a restart would recover them', async () => {
    const storage = memoryRaftStorage(raft.durable(raft.init(config)));
    await storage.persist({ term: 1, vote: 'a', entries: [{ index: 1, term: 1, kind: 'noop' } as never] });
    await storage.persist({ truncateFrom: 1 });
    expect(storage.current()).toMatchObject({ term: 1, vote: 'a', entries: [] });
    expect(raft.recover(config, storage.current()).term).toBe(1);
  });

  it('refuses to persist without an initial state, naming what to give', () => {
    const storage = memoryRaftStorage();
    expect(storage.durable).toBeUndefined();
    expect(() => storage.persist({ term: 1 })).toThrow(/initial durable state/);
  });
});
