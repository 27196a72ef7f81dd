/**
 * The machine contract, proved for every machine the package exports: each one is found by
 * walking the subpath exports (a new machine cannot skip the suite), driven to its scripted
 * states, and fed thousands of seeded hostile inputs (prototype-named ids and keys, deep nesting,
 * huge arrays and strings, NaN/Infinity/-0, 2^53, unknown types, extra fields, forged senders,
 * replays of real messages with one field mutated). Peer input must never throw; every step must
 * keep the contract (checkedStep), round-trip through JSON and leave floods bounded.
 *
 * CONFORMANCE_INPUTS sets the inputs per fixture (default 10,000); `npm run fuzz` runs longer.
 */
import { describe, expect, it } from 'vitest';
import { allFixtures } from './fixtures/index.js';
import { fuzzMachine, localInputFindings } from './harness.js';
import { exportedMachines } from './exports.js';

const INPUTS = Number(process.env.CONFORMANCE_INPUTS ?? 10_000);

describe('conformance: every exported machine', () => {
  it('has a fixture', async () => {
    const machines = await exportedMachines();
    const covered = new Set(allFixtures.map((f) => f.name));
    const missing = machines.filter((m) => !covered.has(m.name)).map((m) => `${m.module}.${m.name}`);
    expect(missing).toEqual([]);
    expect(machines.length).toBeGreaterThanOrEqual(30);
  });

  for (const fx of allFixtures) {
    const label = fx.variant ? `${fx.name} (${fx.variant})` : fx.name;
    describe(label, () => {
      it('rejects unknown commands and bad times with InvalidCommandError', () => {
        expect(localInputFindings(fx)).toEqual([]);
      });
      it(`survives ${INPUTS} hostile inputs with the contract intact`, () => {
        const report = fuzzMachine(fx, { inputs: INPUTS, seed: 20261207 });
        expect(report.findings).toEqual([]);
        // The corpus must reach the machine's handlers, not only its first shape check.
        expect(report.accepted).toBeGreaterThan(0);
      }, 120_000);
    });
  }
});
