// One crash rule for every host: a crashed node restarts from what its persists made durable,
// never from its last in-memory state; and the model checker can crash a node after a step's
// persist and before its sends.
import { describe, expect, it } from 'vitest';
import { transition, type DurableMachine, type MessageInput } from 'distkit/core';
import { formatModelCheckPath, modelCheck } from 'distkit/check';
import { atMostOne, everyNode } from 'distkit/core';
import { simulate } from 'distkit/sim';

// Two candidates ask one voter for its vote; a candidate that gets it has won. The voter must
// make its vote durable before it answers.
type VState = { readonly role: 'voter' | 'candidate'; readonly votedFor: string | null; readonly won: boolean };
type VIn = MessageInput | { type: 'campaign'; now: number } | { type: 'tick'; now: number };
type VOut = { type: 'send'; to: string; message: unknown } | { type: 'persist'; record: { votedFor: string | null } };

function voterMachine(persistVote: boolean): DurableMachine<{ role: 'voter' | 'candidate' }, VState, VIn, VOut, { votedFor: string | null }> {
  return {
    name: persistVote ? 'voter' : 'forgetful-voter',
    init: (c) => ({ role: c.role, votedFor: null, won: false }),
    step(s, input) {
      if (input.type === 'campaign') return transition(s, [{ type: 'send', to: 'v', message: 'vote-for-me' }]);
      if (input.type === 'tick') return transition(s);
      if (s.role === 'candidate') return input.message === 'granted' ? transition({ ...s, won: true }) : transition(s);
      if (s.votedFor !== null) return transition(s);
      const next = { ...s, votedFor: input.from };
      const grant: VOut = { type: 'send', to: input.from, message: 'granted' };
      return transition(next, persistVote ? [{ type: 'persist', record: { votedFor: input.from } }, grant] : [grant]);
    },
    durable: (s) => ({ votedFor: s.votedFor }),
    recover: (c, d) => ({ role: c.role, votedFor: d.votedFor, won: false }),
  };
}

function election(persistVote: boolean) {
  const m = voterMachine(persistVote);
  return {
    nodes: [
      { id: 'v', machine: m, config: { role: 'voter' as const } },
      { id: 'a', machine: m, config: { role: 'candidate' as const } },
      { id: 'b', machine: m, config: { role: 'candidate' as const } },
    ],
    commands: [
      { node: 'a', input: { type: 'campaign' } },
      { node: 'b', input: { type: 'campaign' } },
    ],
    invariants: [atMostOne<VState>('one winner', (s) => s.won)],
  };
}

describe('the model checker restarts a crashed node from its persisted image', () => {
  it('finds the voter that forgets to persist its vote (it used to pass as complete)', () => {
    const r = modelCheck({ ...election(false), faults: { crashes: 1 }, maxDepth: 12 });
    expect(r.status).toBe('violation');
    expect(r.violation?.invariant).toBe('one winner');
    expect(r.violation?.path.some((s) => s.kind === 'crash' || ('crashBeforeSends' in s && s.crashBeforeSends))).toBe(true);
  });

  it('passes the voter that persists its vote, crashes included', () => {
    const r = modelCheck({ ...election(true), faults: { crashes: 2 }, maxDepth: 14 });
    expect(r.status).toBe('complete');
  });

  it('agrees with the simulator, which restarts from the same image', () => {
    const run = (persistVote: boolean) =>
      simulate({
        seed: 1,
        nodes: election(persistVote).nodes,
        commands: [
          { at: 1, node: 'a', input: { type: 'campaign' } },
          { at: 50, node: 'b', input: { type: 'campaign' } },
        ],
        faults: [
          { at: 30, fault: { type: 'crash', node: 'v' } },
          { at: 40, fault: { type: 'restart', node: 'v' } },
        ],
        network: { delay: { type: 'fixed', ms: 5 } },
        invariants: [{ name: 'one winner', check: (states) => (Object.values(states).filter((s) => (s as VState | undefined)?.won).length <= 1 ? undefined : 'two winners') }],
      });
    expect(run(false).violation?.invariant).toBe('one winner');
    expect(run(true).ok).toBe(true);
  });
});

// A sender writes "sent" and then sends once; it never resends after a restart. Correct only if
// no crash can fall between the write and the send — which the checker now explores.
type SState = { readonly sent: boolean; readonly got: boolean };
const sendOnce: DurableMachine<null, SState, VIn, VOut | { type: 'persist'; record: { sent: boolean } }, { sent: boolean }> = {
  name: 'send-once',
  init: () => ({ sent: false, got: false }),
  step(s, input) {
    if (input.type === 'campaign') {
      if (s.sent) return transition(s);
      return transition({ ...s, sent: true }, [{ type: 'persist', record: { sent: true } }, { type: 'send', to: 'r', message: 'hello' }]);
    }
    if (input.type === 'message') return transition({ ...s, got: true });
    return transition(s);
  },
  durable: (s) => ({ sent: s.sent }),
  recover: (_c, d) => ({ sent: d.sent, got: false }),
};

describe('a crash between a persist and its sends', () => {
  const options = {
    nodes: [
      { id: 's', machine: sendOnce, config: null },
      { id: 'r', machine: sendOnce, config: null },
    ],
    commands: [{ node: 's', input: { type: 'campaign' } }],
    atTerminal: [everyNode<SState>('r got the message', (st, id) => id !== 'r' || st.got)],
  };

  it('is explored, and loses the sends of that step', () => {
    const r = modelCheck({ ...options, faults: { crashes: 1 } });
    expect(r.status).toBe('violation');
    expect(r.violation?.path).toEqual([{ kind: 'command', node: 's', input: { type: 'campaign' }, crashBeforeSends: true }]);
    expect(formatModelCheckPath(r.violation!.path)).toBe('1. s: command {"type":"campaign"}, then crash before its sends');
  });

  it('is not explored without a crash budget', () => {
    expect(modelCheck(options).status).toBe('complete');
  });
});
