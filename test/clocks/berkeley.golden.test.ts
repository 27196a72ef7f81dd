import { describe, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { berkeley } from 'distkit/clocks';
import { runGolden } from '../support/golden.js';

const nodes = ['m', 'a', 'b'];
const offsets: Record<string, number> = { m: 0, a: 40, b: -20 };
const config = (id: string) => ({ id, nodes, master: 'm', pollIntervalMs: 1000, replyTimeoutMs: 100, toleranceMs: 100, clockOffsetMs: offsets[id] ?? 0 });

describe('Berkeley golden transcripts (UPDATE_GOLDEN=1 regenerates)', () => {
  it('testdata/berkeley-round.txt: a round, its corrections, and a round with a crashed follower', () => {
    runGolden(
      fileURLToPath(new URL('./testdata/berkeley-round.txt', import.meta.url)),
      nodes.map((id) => ({ id, machine: berkeley, config: config(id) })),
    );
  });
});
