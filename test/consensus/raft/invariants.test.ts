// Raft's safety properties (Figure 3 of Ongaro & Ousterhout, "In Search of an Understandable
// Consensus Algorithm", 2014): each invariant holds on a healthy cluster and names what breaks it.
import { describe, expect, it } from 'vitest';
import { raft, raftSafetyInvariants, raftStateInvariants, type RaftState } from 'distkit/consensus';
import { staticView, type Invariant } from 'distkit/core';
import { appendToLog, emptyLog } from '../../../src/consensus/raft/log.js';

interface Shape {
  readonly role?: RaftState['role'];
  readonly term?: number;
  /** The term of each entry, from index 1. */
  readonly terms?: readonly number[];
  readonly commit?: number;
  readonly applied?: number;
}

/** A node state with the given role, term, log and commit index. */
function node(id: string, shape: Shape = {}): RaftState {
  const init = raft.init({ id, voters: ['a', 'b', 'c'], seed: 1 });
  const terms = shape.terms ?? [];
  const log = appendToLog(emptyLog(init.log.snapshot), terms.map((term, i) => ({ index: i + 1, term, data: null })));
  return { ...init, role: shape.role ?? 'follower', term: shape.term ?? 1, log, commit: shape.commit ?? 0, applied: shape.applied ?? 0 };
}

/** Checks every invariant of the set, in order, on each state of a run; returns the violations as `name: message`. */
function run(invariants: readonly Invariant<RaftState>[], steps: readonly Record<string, RaftState>[]): string[] {
  const found: string[] = [];
  for (const states of steps) {
    for (const inv of invariants) {
      const problem = inv.check(states, staticView(states));
      if (problem !== undefined) found.push(`${inv.name}: ${problem}`);
    }
  }
  return found;
}

const leader = (term: number, terms: number[], commit = 0): Shape => ({ role: 'leader', term, terms, commit });

describe('raftSafetyInvariants (Figure 3, checked over a run)', () => {
  it('has the five properties of Figure 3, in order', () => {
    expect(raftSafetyInvariants().map((i) => i.name)).toEqual([
      'election safety: at most one leader per term (§5.2)',
      'leader append-only: a leader never overwrites or deletes its entries (§5.3)',
      'log matching: same index and term imply identical prefixes (§5.3)',
      'leader completeness: a leader holds every committed entry (§5.4)',
      'state machine safety: no two nodes commit different entries at an index (§5.4.3)',
    ]);
  });

  it('all hold on a run where a leader replicates and commits', () => {
    const steps = [
      { a: node('a', leader(1, [1])), b: node('b', { terms: [] }), c: node('c') },
      { a: node('a', leader(1, [1, 1], 1)), b: node('b', { terms: [1, 1] }), c: node('c', { terms: [1] }) },
      { a: node('a', { term: 2, terms: [1, 1], commit: 2 }), b: node('b', leader(2, [1, 1, 2], 2)), c: node('c', { term: 2, terms: [1, 1, 2], commit: 1 }) },
    ];
    expect(run(raftSafetyInvariants(), steps)).toEqual([]);
  });

  it('election safety (§5.2): two leaders of one term, even at different times', () => {
    const steps = [{ a: node('a', leader(1, [])), b: node('b') }, { a: node('a'), b: node('b', leader(1, [])) }];
    expect(run(raftSafetyInvariants(), steps)).toEqual(['election safety: at most one leader per term (§5.2): a and b both lead term 1']);
  });

  it('leader append-only (§5.3): a leader that shrinks or rewrites its log', () => {
    const shrinks = [{ a: node('a', leader(2, [1, 2])) }, { a: node('a', leader(2, [1])) }];
    expect(run(raftSafetyInvariants(), shrinks)).toEqual(['leader append-only: a leader never overwrites or deletes its entries (§5.3): a shrank its log from 2 to 1']);
    const rewrites = [{ a: node('a', leader(2, [1, 2])) }, { a: node('a', leader(2, [1, 1, 2])) }];
    expect(run(raftSafetyInvariants(), rewrites)).toEqual(['leader append-only: a leader never overwrites or deletes its entries (§5.3): a rewrote index 2']);
  });

  it('log matching (§5.3): logs that differ below a matching entry', () => {
    const steps = [{ a: node('a', { terms: [1, 2, 3] }), b: node('b', { terms: [1, 1, 3] }) }];
    expect(run(raftSafetyInvariants(), steps)).toEqual(['log matching: same index and term imply identical prefixes (§5.3): a and b differ at 2 below a matching entry']);
  });

  it('leader completeness (§5.4): a new leader without a committed entry', () => {
    const committed = { a: node('a', { terms: [1, 1], commit: 2 }), b: node('b', { terms: [1] }) };
    const short = [committed, { ...committed, b: node('b', leader(2, [1])) }];
    expect(run(raftSafetyInvariants(), short)).toEqual(['leader completeness: a leader holds every committed entry (§5.4): b leads term 2 without committed entries up to 2']);
    const other = [committed, { ...committed, b: node('b', leader(2, [1, 2])) }];
    expect(run(raftSafetyInvariants(), other)).toEqual(['leader completeness: a leader holds every committed entry (§5.4): b leads with 2@t2, committed t1']);
  });

  it('state machine safety (§5.4.3): two entries committed at one index, or a commit beyond the log', () => {
    const name = 'state machine safety: no two nodes commit different entries at an index (§5.4.3)';
    const split = [{ a: node('a', { terms: [1, 1], commit: 2 }), b: node('b', { terms: [1, 2], commit: 2 }) }];
    expect(run(raftSafetyInvariants(), split)).toEqual([`${name}: b committed 2@t2, another node committed t1`]);
    const beyond = [{ a: node('a', { terms: [1], commit: 3 }) }];
    expect(run(raftSafetyInvariants(), beyond)).toEqual([`${name}: a: commit 3 / applied 0 beyond its log`]);
  });

  it('remembers every commit of a step, also those after a violation in that step', () => {
    const first = { a: node('a', { terms: [1], applied: 1 }), b: node('b', { terms: [1, 1], commit: 2 }), c: node('c', { terms: [1] }) };
    const steps = [first, { ...first, c: node('c', leader(2, [1])) }];
    expect(run(raftSafetyInvariants(), steps)).toEqual([
      'state machine safety: no two nodes commit different entries at an index (§5.4.3): a: commit 0 / applied 1 beyond its log',
      'leader completeness: a leader holds every committed entry (§5.4): c leads term 2 without committed entries up to 2',
    ]);
  });
});

describe('raftStateInvariants (checked on one global state)', () => {
  it('all hold on a healthy state', () => {
    const states = { a: node('a', { term: 2, terms: [1, 1], commit: 2 }), b: node('b', leader(2, [1, 1, 2], 2)), c: node('c', { term: 2, terms: [1] }) };
    expect(run(raftStateInvariants(), [states])).toEqual([]);
  });

  it('names what breaks each property', () => {
    expect(run(raftStateInvariants(), [{ a: node('a', leader(1, [])), b: node('b', leader(1, [])) }])).toEqual([
      'election safety: no two leaders of one term (§5.2): a and b both lead term 1',
    ]);
    expect(run(raftStateInvariants(), [{ a: node('a', { terms: [1, 2, 3] }), b: node('b', { terms: [1, 1, 3] }) }])).toEqual([
      'log matching: same index and term imply identical prefixes (§5.3): a and b differ at 2 below a matching entry',
    ]);
    expect(run(raftStateInvariants(), [{ a: node('a', { terms: [1, 1], commit: 2 }), b: node('b', { terms: [1, 2], commit: 2 }) }])).toEqual([
      'state machine safety: committed prefixes agree (§5.4.3): b committed 2@t2, another node t1',
    ]);
    expect(run(raftStateInvariants(), [{ a: node('a', { terms: [1, 1], commit: 2 }), b: node('b', leader(2, [1])) }])).toEqual([
      'leader completeness: a leader holds every committed entry (§5.4): leader b (term 2) lacks 2@t1 committed on a',
    ]);
  });
});
