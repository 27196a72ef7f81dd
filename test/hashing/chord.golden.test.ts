import { describe, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { chord, type ChordConfig } from 'distkit/hashing';
import { runGolden } from '../support/golden.js';

const base: Omit<ChordConfig, 'addr'> = { m: 8, rpcTimeoutMs: 300, stabilizeIntervalMs: 100, fixFingersIntervalMs: 1e9, checkPredecessorIntervalMs: 1e9, replicateIntervalMs: 1e9 };

describe('Chord golden transcripts (UPDATE_GOLDEN=1 regenerates)', () => {
  it('testdata/chord-join.txt: create, join, stabilize/notify, a put, and a timeout counted from its request', () => {
    runGolden(fileURLToPath(new URL('./testdata/chord-join.txt', import.meta.url)), [
      { id: 'a', machine: chord, config: { ...base, addr: 'a', id: 10 } },
      { id: 'b', machine: chord, config: { ...base, addr: 'b', id: 100 } },
    ]);
  });
});
