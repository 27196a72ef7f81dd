import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { leaseClient, leaseLockService, tokenRing } from 'distkit/mutex';
import { runGolden } from '../support/golden.js';

const testdata = (name: string): string => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));

// Scripted scenarios with their transcripts (`UPDATE_GOLDEN=1 npx vitest run test/mutex/golden.test.ts`
// rewrites them; read the diff before committing it).
describe('golden transcripts', () => {
  it('lease renewal between the service ticks extends the lease from its arrival (Gray & Cheriton §2)', () => {
    runGolden(testdata('lease-renewal.txt'), [
      { id: 'lock', machine: leaseLockService, config: { id: 'lock', maxTtlMs: 1000, offerTimeoutMs: 200 } },
      { id: 'c1', machine: leaseClient, config: { id: 'c1', service: 'lock', ttlMs: 1000, retryMs: 5000 } },
      { id: 'c2', machine: leaseClient, config: { id: 'c2', service: 'lock', ttlMs: 1000, retryMs: 5000 } },
    ]);
  });

  it('token ring: hop numbers on every pass; a lost token is regenerated in the next generation', () => {
    const ring = ['a', 'b', 'c'];
    runGolden(
      testdata('token-ring.txt'),
      ring.map((id) => ({ id, machine: tokenRing, config: { id, nodes: ring, tokenTimeoutMs: 300 } })),
    );
  });
});
