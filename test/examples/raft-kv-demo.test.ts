import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { raftDemo } from '../../examples/raft-demo.js';

describe('examples/raft-demo', () => {
  it('survives a leader crash and a partition, prints a timeline and a linearizable verdict, writes the diagram', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raft-demo-'));
    try {
      const lines: string[] = [];
      const path = join(dir, 'raft.html');
      const r = await raftDemo((l) => lines.push(l), path);
      const text = lines.join('\n');
      expect(r.linearizable).toBe(true);
      expect(r.elections).toBeGreaterThanOrEqual(3);
      expect(text).toMatch(/FAULT crash n\d \(the leader\)/);
      expect(text).toMatch(/FAULT partition/);
      expect(text).toMatch(/elected leader of term 3/);
      expect(text).toMatch(/linearizability: linearizable/);
      expect(text).toMatch(/invariants: all held/);
      expect(existsSync(path)).toBe(true);
      expect(readFileSync(path, 'utf8')).toMatch(/<svg/);
      // Deterministic: the same seed prints the same timeline.
      const again: string[] = [];
      await raftDemo((l) => again.push(l));
      expect(again.slice(0, 10)).toEqual(lines.slice(0, 10));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
