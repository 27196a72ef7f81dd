// docs/txn.md cannot drift from the code: its sequence diagrams are exactly what the simulator's
// Mermaid export gives for the seeded runs in ./diagrams.ts (test/docs/examples.test.ts type-checks
// the guide's code and every `@example` of src/txn).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIAGRAMS, diagram } from './diagrams.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const guide = readFileSync(join(root, 'docs/txn.md'), 'utf8');

describe('docs/txn.md diagrams are generated from simulator traces', () => {
  const blocks = [...guide.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
  it('the guide holds one mermaid block per diagram, in order', () => {
    expect(blocks).toHaveLength(Object.keys(DIAGRAMS).length);
  });
  Object.keys(DIAGRAMS).forEach((name, i) => {
    it(`${name}: the block is exactly the regenerated diagram`, () => {
      expect(blocks[i]).toBe(diagram(name));
    });
  });
  it('the runs behind them show what the text says', () => {
    const decided = (name: string) =>
      DIAGRAMS[name]!()
        .trace.filter((e) => e.kind === 'output' && (e.output as { type: string }).type === 'decided')
        .map((e) => `${e.kind === 'output' ? e.node : ''}:${(e as { output: { decision: string } }).output.decision}`);
    expect(decided('2PC commit')).toEqual(['coord:commit', 'a:commit', 'b:commit']);
    // Blocked: nobody decides before the coordinator restarts at 800 ms; then all abort.
    const blocking = DIAGRAMS['2PC blocking']!().trace.filter((e) => e.kind === 'output' && (e.output as { type: string }).type === 'decided');
    expect(blocking.every((e) => e.time >= 800)).toBe(true);
    expect(decided('2PC blocking')).toEqual(['coord:abort', 'a:abort', 'b:abort']);
    expect(decided('3PC commit')).toEqual(['coord:commit', 'a:commit', 'b:commit']);
    // Not blocked: the participants decide long before the coordinator restarts at 1500 ms.
    const termination = DIAGRAMS['3PC termination']!().trace.filter((e) => e.kind === 'output' && (e.output as { type: string }).type === 'decided');
    expect(termination.filter((e) => e.kind === 'output' && e.node !== 'coord').every((e) => e.time < 1500)).toBe(true);
    expect(decided('3PC termination')).toEqual(['a:abort', 'b:abort', 'coord:abort']);
  });
});
