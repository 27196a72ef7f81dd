import { describe, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runGolden } from '../support/golden.js';
import { counterNodes } from './fixtures/counter-machine.js';

describe('golden transcripts', () => {
  it('counter: adds, drops, a crash and a restart from the persisted image', () => {
    runGolden(fileURLToPath(new URL('./testdata/counter.txt', import.meta.url)), counterNodes);
  });
});
