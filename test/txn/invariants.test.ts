// The transaction invariants: atomicity over live and forgotten (tombstoned) transactions and the
// announced decisions, and the barrier's "no one passes early".
import { describe, expect, it } from 'vitest';
import { checkInvariants, staticView } from '../../src/core/index.js';
import { barrierInvariants, commitInvariants, twoPhaseCoordinator, twoPhaseParticipant, type BarrierPartyState, type CommitNodeState, type Decision } from '../../src/txn/index.js';
import { addTombstone } from '../../src/txn/tombstones.js';

const participant = (id: string, txs: Record<string, { phase: string }>, gone: Record<string, string> = {}): CommitNodeState => {
  const s = twoPhaseParticipant.init({ id });
  let decided = s.decided;
  for (const [txId, phase] of Object.entries(gone)) decided = addTombstone(decided, txId, { coordinator: 'c', participants: [id], phase } as never, 0, 1000);
  return { ...s, txs: txs as never, decided };
};
const coordinator = (txs: Record<string, { decision: Decision | null }>): CommitNodeState => ({ ...twoPhaseCoordinator.init({ id: 'c' }), txs: txs as never });

describe('commitInvariants: atomicity (BHG §7.1 AC1)', () => {
  it('passes when every node that knows an outcome knows the same one', () => {
    const states = { c: coordinator({ t1: { decision: 'commit' }, t2: { decision: null } }), p: participant('p', { t1: { phase: 'committed' }, t2: { phase: 'prepared' } }), q: participant('q', { t1: { phase: 'committed' } }) };
    expect(checkInvariants(commitInvariants(), states)).toBeUndefined();
  });

  it('reports a participant that committed while another aborted, naming both', () => {
    const states = { p: participant('p', { t1: { phase: 'committed' } }), q: participant('q', { t1: { phase: 'aborted' } }) };
    expect(checkInvariants(commitInvariants(), states)).toEqual({ invariant: 'atomicity: no participant commits while another aborts', description: 't1: p committed, q aborted' });
  });

  it('a coordinator decision contradicting a participant is reported', () => {
    const states = { c: coordinator({ t1: { decision: 'abort' } }), p: participant('p', { t1: { phase: 'committed' } }) };
    expect(checkInvariants(commitInvariants(), states)?.description).toBe('t1: c decided abort, p committed');
  });

  it('a forgotten (tombstoned) outcome still counts', () => {
    const states = { p: participant('p', {}, { t1: 'aborted' }), q: participant('q', { t1: { phase: 'committed' } }) };
    expect(checkInvariants(commitInvariants(), states)?.description).toBe('t1: p aborted, q committed');
  });

  it('announced decisions count even when no state remembers them', () => {
    const announced = (txId: string): Decision[] | undefined => (txId === 't1' ? ['abort'] : undefined);
    const states = { p: participant('p', { t1: { phase: 'committed' } }) };
    expect(checkInvariants(commitInvariants(), states)).toBeUndefined();
    expect(checkInvariants(commitInvariants({ announced }), states)?.description).toBe('t1: p committed; decided events: abort');
  });
});

describe('barrierInvariants: no party passes generation g before every party arrived at g', () => {
  const party = (generation: number, waiting: boolean) => ({ generation, waiting }) as BarrierPartyState;

  it('passes while parties pass together', () => {
    const [inv] = barrierInvariants(['a', 'b']);
    const s1 = { a: party(0, true), b: party(0, true) };
    expect(inv!.check(s1, staticView(s1))).toBeUndefined();
    const s2 = { a: party(1, false), b: party(0, true) };
    expect(inv!.check(s2, staticView(s2))).toBeUndefined();
  });

  it('reports a party that passed while another never arrived, naming the laggard', () => {
    const [inv] = barrierInvariants(['a', 'b']);
    const states = { a: party(1, false), b: party(0, false) };
    expect(inv!.check(states, staticView(states))).toBe('a party passed 1 barriers while b arrived at only 0');
  });

  it('remembers arrivals across checks (a party down now still arrived earlier)', () => {
    const [inv] = barrierInvariants(['a', 'b']);
    const before = { a: party(0, true), b: party(0, true) };
    expect(inv!.check(before, staticView(before))).toBeUndefined();
    const after = { a: party(1, false) };
    expect(inv!.check(after, staticView(after))).toBeUndefined();
  });
});
