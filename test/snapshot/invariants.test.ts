// snapshotInvariants: a completed snapshot must assemble and satisfy the application's cut rule;
// incomplete report lists are skipped.
import { describe, expect, it } from 'vitest';
import { staticView } from '../../src/core/index.js';
import { snapshotInvariants, type SnapshotReport } from '../../src/snapshot/index.js';

type App = { readonly balance: number };
// Every incoming channel is recorded: empty unless given.
const report = (node: string, balance: number, channels: Record<string, unknown[]> = {}): SnapshotReport<App> => ({
  snapshotId: 's1',
  node,
  state: { balance },
  channels: { ...Object.fromEntries(['a', 'b'].filter((n) => n !== node).map((n) => [n, []])), ...channels },
});

function invariantOver(lists: SnapshotReport<App>[][], total = 100) {
  const [inv] = snapshotInvariants<unknown, App>({
    nodes: ['a', 'b'],
    reports: () => lists,
    cutProblem: (g) => {
      let sum = 0;
      for (const s of Object.values(g.states)) sum += s.balance;
      for (const ch of g.channels) for (const m of ch.messages) sum += m as number;
      return sum === total ? undefined : `total ${sum}, expected ${total}`;
    },
  });
  return inv!;
}

describe('snapshotInvariants (Chandy & Lamport §3.2)', () => {
  it('passes a consistent cut, money in flight included', () => {
    const inv = invariantOver([[report('a', 40, { b: [10] }), report('b', 50)]]);
    expect(inv.check({}, staticView({}))).toBeUndefined();
  });

  it('reports a cut that breaks the application rule, naming the snapshot', () => {
    const inv = invariantOver([[report('a', 40), report('b', 50)]]);
    expect(inv.check({}, staticView({}))).toBe('snapshot s1: total 90, expected 100');
  });

  it('reports reports that do not assemble (a node reported twice)', () => {
    const inv = invariantOver([[report('a', 50), report('a', 50)]]);
    expect(inv.check({}, staticView({}))).toMatch(/^snapshot s1: /);
  });

  it('skips a snapshot still missing reports', () => {
    const inv = invariantOver([[report('a', 1)]]);
    expect(inv.check({}, staticView({}))).toBeUndefined();
  });
});
