import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { leaseClient, leaseLockService } from 'distkit/mutex';
import { runGolden } from '../support/golden.js';

const testdata = (name: string): string => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));

// Scripted scenarios with their transcripts (`UPDATE_GOLDEN=1 npx vitest run test/mutex/lease.golden.test.ts`
// rewrites them; read the diff before committing it).
describe('golden transcripts', () => {
  it('lease renewal between the service ticks extends the lease from its arrival (Gray & Cheriton §2)', () => {
    runGolden(testdata('lease-renewal.txt'), [
      { id: 'lock', machine: leaseLockService, config: { id: 'lock', maxTtlMs: 1000, offerTimeoutMs: 200 } },
      { id: 'c1', machine: leaseClient, config: { id: 'c1', service: 'lock', ttlMs: 1000, retryMs: 5000 } },
      { id: 'c2', machine: leaseClient, config: { id: 'c2', service: 'lock', ttlMs: 1000, retryMs: 5000 } },
    ]);
  });
});
