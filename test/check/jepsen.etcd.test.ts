// Reproduces the known verdicts of the Jepsen etcd histories (Kingsbury's knossos data set, as
// redistributed with porcupine). The data sits beside the repository: ../shared/data/jepsen-etcd.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkLinearizability, parseJepsenLog, registerModel } from 'distkit/check';

const candidates = [
  new URL('../../../shared/data/jepsen-etcd/', import.meta.url), // beside the repository
  new URL('../../../../shared/data/jepsen-etcd/', import.meta.url), // beside a folder of worktrees
].map((u) => fileURLToPath(u));
const dir = candidates.find((d) => existsSync(d));

const LINEARIZABLE = new Set(
  '002 005 007 018 025 031 038 045 048 049 051 053 056 067 075 076 080 087 092 098 100 101 102'.split(' '),
);

describe('Jepsen etcd histories (cas register)', () => {
  it('finds the data set beside the repository', () => {
    expect(dir, `no jepsen-etcd data in ${candidates.join(' or ')}`).toBeDefined();
    expect(readdirSync(dir as string).filter((f) => f.endsWith('.log'))).toHaveLength(103);
  });

  it('reproduces the known verdict of every history (23 linearizable, 79 not, 095 empty)', () => {
    const model = registerModel<number>();
    const files = readdirSync(dir as string)
      .filter((f) => /^etcd_\d{3}\.log$/.test(f))
      .sort();
    const mismatches: string[] = [];
    let linearizable = 0;
    let notLinearizable = 0;
    for (const file of files) {
      const num = file.slice(5, 8);
      const { history, problems } = parseJepsenLog(readFileSync(`${dir as string}${file}`, 'utf8'));
      expect(problems, file).toEqual([]);
      const result = checkLinearizability(model, history);
      if (num === '095') {
        // The cluster failed to start: no operations, nothing to judge.
        expect(history).toEqual([]);
        expect(result.verdict).toBe('linearizable');
        continue;
      }
      const expected = LINEARIZABLE.has(num) ? 'linearizable' : 'not-linearizable';
      if (result.verdict !== expected) mismatches.push(`${file}: expected ${expected}, got ${result.verdict}`);
      if (result.verdict === 'linearizable') linearizable++;
      else notLinearizable++;
      if (result.verdict === 'not-linearizable') {
        const p = result.partitions[0];
        expect(p?.stuck, file).toBeDefined();
      }
    }
    expect(mismatches).toEqual([]);
    expect(linearizable).toBe(23);
    expect(notLinearizable).toBe(79);
  });

  it('witnesses of linearizable histories replay legally through the model', () => {
    const model = registerModel<number>();
    for (const num of ['002', '007', '075', '101']) {
      const { history } = parseJepsenLog(readFileSync(`${dir as string}etcd_${num}.log`, 'utf8'));
      const r = checkLinearizability(model, history);
      const witness = r.partitions[0]?.linearization ?? [];
      let state = model.init();
      for (const op of witness) {
        const [ok, next] = model.step(state, op.input, op.output);
        expect(ok).toBe(true);
        state = next;
      }
      // every completed operation appears, respecting real time
      const placed = new Set(witness.map((op) => op.id));
      for (const op of history) if (op.ret !== undefined) expect(placed.has(op.id), `${num}: op ${op.id}`).toBe(true);
      const pos = new Map(witness.map((op, i) => [op.id, i]));
      const outOfOrder: string[] = [];
      for (const a of witness) {
        for (const b of witness) {
          if (a.ret !== undefined && a.ret < b.call && pos.get(a.id)! > pos.get(b.id)!) outOfOrder.push(`${a.id} before ${b.id}`);
        }
      }
      expect(outOfOrder, num).toEqual([]);
    }
  });
});
