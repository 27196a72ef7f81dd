// Every machine the package exports has a conformance fixture: a machine added to the exports
// cannot skip the hostile-input suite (test/conformance/<family>.test.ts).
import { describe, expect, it } from 'vitest';
import { allFixtures } from './fixtures/index.js';
import { exportedMachines } from './exports.js';

describe('conformance: every exported machine', () => {
  it('has a fixture', async () => {
    const machines = await exportedMachines();
    const covered = new Set(allFixtures.map((f) => f.name));
    const missing = machines.filter((m) => !covered.has(m.name)).map((m) => `${m.module}.${m.name}`);
    expect(missing).toEqual([]);
    expect(machines.length).toBeGreaterThanOrEqual(30);
  });

  it('every fixture names an exported machine', async () => {
    const names = new Set((await exportedMachines()).map((m) => m.name));
    expect(allFixtures.map((f) => f.name).filter((n) => !names.has(n))).toEqual([]);
  });
});
