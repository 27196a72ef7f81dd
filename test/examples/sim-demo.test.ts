import { describe, expect, it } from 'vitest';
import { simDemo } from '../../examples/sim-demo.js';

describe('examples/sim-demo.ts', () => {
  it('prints a run with a fault, its summary, a shrunk failure and a non-linearizable history', async () => {
    const lines: string[] = [];
    await simDemo((l) => lines.push(l));
    const text = lines.join('\n');
    expect(text).toMatch(/raft, seed 42, .*: ok \(/);
    expect(text).toMatch(/append: \d+ sent/);
    expect(text).toMatch(/leader at the end: [abc] \(term \d+\)/);
    expect(text).toMatch(/three-phase commit, 30 seeds .*: [1-9]\d* violate "atomicity: no participant commits while another aborts"/);
    expect(text).toMatch(/shrunk: \d+ -> \d+ faults; t\d+: .*committed.* at [\d.]+ ms|shrunk: \d+ -> \d+ faults; t\d+: .*aborted/);
    expect(text).toMatch(/lazy register, .*: history of 24 operations is not-linearizable/);
    expect(text).toMatch(/operation #\d+ by c\d: \{"f":"read"\} returned .*: no order of the operations explains it/);
  });
});
