import { describe, expect, it } from 'vitest';
import { simDemo } from '../../examples/sim-demo.js';

describe('examples/sim-demo.ts', () => {
  it('prints a run with a fault, its summary, and a shrunk failure', async () => {
    const lines: string[] = [];
    await simDemo((l) => lines.push(l));
    const text = lines.join('\n');
    expect(text).toMatch(/echo, seed 42, .*: ok \(quiescent\)/);
    expect(text).toMatch(/ping: \d+ sent/);
    expect(text).toMatch(/done: a, b, c|done: .*c/);
    expect(text).toMatch(/naive leader election, 50 seeds .*: \d+ violate "at most one leader per term"/);
    expect(text).toMatch(/shrunk: \d+ -> \d+ faults; \w+ and \w+ are both leaders of term \d+/);
    expect(text).toMatch(/lazy register, .*: history of 24 operations is not-linearizable/);
    expect(text).toMatch(/operation #\d+ by c\d: \{"f":"read"\} returned .*: no order of the operations explains it/);
  });
});
