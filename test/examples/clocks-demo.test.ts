import { describe, expect, it } from 'vitest';
import { clocksDemo } from '../../examples/clocks-demo.js';

describe('examples/clocks-demo.ts', () => {
  it('prints Lamport and vector timestamps, the causal verdicts and a Berkeley round', async () => {
    const lines: string[] = [];
    await clocksDemo((line) => lines.push(line));
    const text = lines.join('\n');
    expect(text).toMatch(/alice\s+writes a draft\s+lamport=1\s+vector=\{alice:1\}/);
    expect(text).toMatch(/bob\s+receives "draft v1" from alice lamport=3\s+vector=\{alice:2 bob:1\}/);
    expect(text).toMatch(/alice receives "merged" from carol lamport=7\s+vector=\{alice:3 bob:2 carol:3\}/);
    expect(text).toContain('alice rejects a message from bob: time: expected an integer >= 0, got -5');
    expect(text).toContain('"alice: writes a draft" vs "carol: edits her own copy": concurrent');
    expect(text).toMatch(/"carol: edits her own copy" vs "alice: receives "merged" from carol": before/);
    expect(text).toContain('bob +35.0 ms, carol -12.0 ms');
    expect(text).toContain('fault-tolerant average: +7.7 ms');
    expect(text).toMatch(/bob\s+adjusts its clock by -27.3 ms/);
    expect(text).toContain('clocks after:  alice +7.7 ms, bob +7.7 ms, carol +7.7 ms');
  });
});
