import { describe, expect, it } from 'vitest';
import { FAULT_MS, runBasic, runFast, runMulti } from './sim-harness.js';

// Every run: loss up to 15%, duplication up to 10%, 20% of messages reordered, partitions,
// one-way cuts, pauses, and crash-recovery of up to a minority, drawn from the seed for the
// first FAULT_MS of virtual time. Agreement and validity are checked after every step; once the
// faults stop (the lossy network stays), every node must learn / deliver.
describe(`distkit/sim: faults for ${FAULT_MS} ms, then liveness`, () => {
  it('Basic Paxos, 400 seeds (3 or 5 acceptors, 2-5 duelling proposers): agreement, validity, every learner decides', () => {
    const values = new Set<unknown>();
    let steps = 0;
    let faults = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const r = runBasic(seed);
      values.add(r.decided);
      steps += r.steps;
      faults += r.faults;
    }
    // Different proposers win on different seeds: the sweep is not one scenario replayed.
    expect(values.size).toBeGreaterThan(1);
    expect(steps).toBeGreaterThan(400 * 30);
    expect(faults).toBeGreaterThan(400 * 3);
  });

  it('Multi-Paxos, 20 seeds x 3 replicas and 20 seeds x 5: agreement per slot, validity, in-order delivery, catch-up to identical logs', () => {
    let leaders = 0;
    let commands = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const r = runMulti(seed, seed % 2 === 1 ? 3 : 5);
      leaders += r.leaders;
      commands += r.commands;
    }
    // Leaders changed under the faults, and most commands got through.
    expect(leaders).toBeGreaterThan(40);
    expect(commands).toBeGreaterThan(40 * 20);
  });

  it('Fast Paxos, 400 seeds (4 or 5 acceptors, 2-3 concurrent proposers): agreement, validity, collisions recovered', () => {
    let collisions = 0;
    for (let seed = 1; seed <= 400; seed++) collisions += runFast(seed).collisions;
    // Coordinated recovery ran, and every such run still decided.
    expect(collisions).toBeGreaterThan(20);
  });

  // Seeds that once failed, kept as regressions.
  it.each([2, 8, 35, 38, 54, 60])('regression seed %i: a Basic Paxos learner that was down while the value was chosen still learns it', (seed) => {
    expect(runBasic(seed).decided).toMatch(/^value-of-n\d$/);
  });
  it.each([6, 29, 35, 44, 50, 54, 55])('regression seed %i: a Fast Paxos learner that missed every vote still learns the value', (seed) => {
    expect(runFast(seed).decided).toMatch(/^value-of-p\d$/);
  });
  it.each([15, 43, 48, 56])('regression seed %i: a collided fast round (several values in one ballot) recovers, and only the recovered value counts as chosen', (seed) => {
    const r = runFast(seed);
    expect(r.collisions).toBeGreaterThan(0);
    expect(r.decided).toMatch(/^value-of-p\d$/);
  });

  it('the same seed replays the same run', () => {
    expect(runMulti(7, 3)).toEqual(runMulti(7, 3));
    expect(runFast(9)).toEqual(runFast(9));
  });
});
