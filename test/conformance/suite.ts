/**
 * The machine contract, proved for every machine the package exports: each fixture's machine is
 * driven to its scripted states and fed thousands of seeded hostile inputs (prototype-named ids
 * and keys, deep nesting, huge arrays and strings, NaN/Infinity/-0, 2^53, unknown types, extra
 * fields, forged senders, replays of real messages with one field mutated). Peer input must never
 * throw; every step must keep the contract (checkedStep), round-trip through JSON and leave
 * floods bounded. One test file per family, so the families run in parallel.
 *
 * CONFORMANCE_INPUTS sets the inputs per fixture (default 10,000); `npm run fuzz` runs longer.
 */
import { describe, expect, it } from 'vitest';
import type { MachineFixture } from './fixture.js';
import { fuzzMachine, localInputFindings } from './harness.js';

const INPUTS = Number(process.env.CONFORMANCE_INPUTS ?? 10_000);

export function conformanceSuite(family: string, fixtures: readonly MachineFixture[]): void {
  describe(`conformance: ${family}`, () => {
    it('has fixtures', () => expect(fixtures.length).toBeGreaterThan(0));
    for (const fx of fixtures) {
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
        }, 300_000);
      });
    }
  });
}
