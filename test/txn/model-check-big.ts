// Larger exhaustive runs of the 2PC model than `npm test` affords. Run: npx tsx test/txn/model-check-big.ts
import { explore } from './explore.js';
import { config } from './two-phase-model.js';

const runs = [
  { presumedAbort: false, crashes: { c: 1, a: 1 }, faults: { losses: 0, dups: 0, ticks: 1 } },
  { presumedAbort: true, crashes: { c: 1, a: 1 }, faults: { losses: 0, dups: 0, ticks: 1 } },
  { presumedAbort: false, crashes: { c: 1 }, faults: { losses: 1, dups: 0, ticks: 1 } },
  { presumedAbort: true, crashes: { a: 1 }, faults: { losses: 0, dups: 1, ticks: 1 } },
];
for (const r of runs) {
  const t0 = Date.now();
  const res = explore({ ...config(r.presumedAbort, r.crashes, r.faults), maxStates: 5_000_000 });
  process.stdout.write(`${JSON.stringify(r)} -> states ${res.states}, transitions ${res.transitions}, violation ${res.violation ? JSON.stringify(res.violation) : 'none'} (${Date.now() - t0} ms)\n`);
  if (res.violation) process.exitCode = 1;
}
