import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { tokenRing } from 'distkit/mutex';
import { runGolden } from '../support/golden.js';

const testdata = (name: string): string => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));

// Scripted scenarios with their transcripts (`UPDATE_GOLDEN=1 npx vitest run test/mutex/token-ring.golden.test.ts`
// rewrites them; read the diff before committing it).
describe('golden transcripts', () => {
  it('token ring: hop numbers on every pass; a lost token is regenerated in the next generation', () => {
    const ring = ['a', 'b', 'c'];
    runGolden(
      testdata('token-ring.txt'),
      ring.map((id) => ({ id, machine: tokenRing, config: { id, nodes: ring, tokenTimeoutMs: 300 } })),
    );
  });
});
