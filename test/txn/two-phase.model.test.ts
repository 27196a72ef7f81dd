import { describe, expect, it } from 'vitest';
import { twoPhaseParticipant } from 'distkit/txn';
import { explore } from './explore.js';
import { config } from './two-phase-model.js';

describe('model check: 2PC with a coordinator and 2 participants, exhaustive', () => {
  // Bigger budgets (both crashes together, a loss and a duplicate) run from
  // test/txn/model-check-big.ts: `npx tsx test/txn/model-check-big.ts`.
  it('atomicity in every reachable state with a coordinator crash at any point (presumed nothing)', () => {
    const r = explore(config(false, { c: 1 }));
    expect(r.violation).toBeUndefined();
    expect(r.states).toBeGreaterThan(10_000);
  });
  it('atomicity in every reachable state with a participant crash at any point (presumed abort)', () => {
    const r = explore(config(true, { a: 1 }));
    expect(r.violation).toBeUndefined();
    expect(r.states).toBeGreaterThan(10_000);
  });
  it('finds the violation when the participant acknowledges before logging (the checker has teeth)', () => {
    const broken = {
      ...twoPhaseParticipant,
      // Its host drops every log record: a crash loses the prepared record and the decision.
      applyPersist: () => ({ txs: {} }),
    };
    const cfg = config(true, { a: 1 });
    const r = explore({ ...cfg, nodes: { ...cfg.nodes, a: { machine: broken, config: { id: 'a', decisionTimeoutMs: 100, retainDecidedMs: null } } } });
    expect(r.violation?.problem).toMatch(/atomicity|decided both ways|validity/);
  });
});
