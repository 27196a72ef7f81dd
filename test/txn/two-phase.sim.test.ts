// 2PC in the project's simulator (distkit/sim): concurrent transactions over a lossy, duplicating,
// reordering network while a nemesis crashes and restarts nodes (coordinator included) and
// partitions them. Atomicity is checked after every step and over every `decided` event of the
// run; once the faults stop, every transaction must be decided everywhere.
import { describe, expect, it } from 'vitest';
import { simulate, type SimNode } from 'distkit/sim';
import { commitInvariants, participantPhase, twoPhaseCoordinator, twoPhaseParticipant, type Decision, type TwoPhaseCoordinatorState, type TwoPhaseParticipantState } from 'distkit/txn';

const PARTS = ['a', 'b', 'd', 'n'];
const TXS: Record<string, string[]> = { t1: ['a', 'b'], t2: ['a', 'b', 'd'], t3: ['b', 'd', 'n'], t4: ['a', 'd'], t5: ['a', 'b', 'd', 'n'] };

function run(seed: number, presumedAbort: boolean, participant = twoPhaseParticipant) {
  const decided = new Map<string, Set<Decision>>();
  const nodes: SimNode[] = [
    { id: 'c', machine: twoPhaseCoordinator, config: { id: 'c', voteTimeoutMs: 300, resendIntervalMs: 100, presumedAbort } },
    // n votes NO, so t3 and t5 must abort.
    ...PARTS.map((id) => ({ id, machine: participant, config: { id, decisionTimeoutMs: 150, autoVote: id === 'n' ? ('no' as const) : ('yes' as const) } })),
  ];
  const result = simulate({
    seed,
    nodes,
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 30 }, loss: 0.1, duplicate: 0.1, reorder: 0.2 },
    nemesis: { crashRate: 3, partitionRate: 1, maxDown: 2, downMs: [50, 800], partitionMs: [50, 500], untilMs: 3_000 },
    commands: Object.entries(TXS).map(([txId, participants], i) => ({ at: i * 40, node: 'c', input: { type: 'begin', txId, participants } })),
    invariants: commitInvariants({ announced: (txId) => decided.get(txId) }),
    finalChecks: [
      {
        name: 'every transaction decided everywhere once the faults stop',
        check: (end) => {
          const c = end.states.c as TwoPhaseCoordinatorState | undefined;
          if (c === undefined) return 'coordinator down at the end';
          if (Object.keys(c.txs).length > 0) return `coordinator still holds ${Object.keys(c.txs).join(',')}`;
          for (const [txId, parts] of Object.entries(TXS)) {
            for (const p of parts) {
              const st = end.states[p] as TwoPhaseParticipantState | undefined;
              const phase = st === undefined ? undefined : participantPhase(st, txId);
              if (phase === 'prepared' || phase === 'asked') return `${p} still ${phase} in ${txId}`;
            }
          }
          return undefined;
        },
      },
    ],
    onOutput: (e) => {
      const o = e.output as { type: string; txId?: string; decision?: Decision };
      if (o.type !== 'decided') return;
      const set = decided.get(o.txId!) ?? new Set<Decision>();
      set.add(o.decision!);
      decided.set(o.txId!, set);
    },
    maxTimeMs: 20_000,
    trace: false,
  });
  return { result, decided };
}

describe('2PC under the simulator nemesis: crashes, partitions, loss, duplication, reordering', () => {
  for (const presumedAbort of [false, true]) {
    it(`atomicity at every step and termination after the faults, 100 seeds (presumedAbort=${presumedAbort})`, () => {
      let crashes = 0;
      let commits = 0;
      for (let seed = 1; seed <= 100; seed++) {
        const { result, decided } = run(seed, presumedAbort);
        expect(result.violation === undefined ? 'ok' : `${result.violation.invariant}: ${result.violation.message}`, `seed ${seed}`).toBe('ok');
        for (const [txId, set] of decided) expect(set.size, `seed ${seed} ${txId}`).toBe(1);
        // n votes NO: t3 and t5 can never commit.
        expect(decided.get('t3')?.has('commit') ?? false, `seed ${seed}`).toBe(false);
        expect(decided.get('t5')?.has('commit') ?? false, `seed ${seed}`).toBe(false);
        crashes += result.faults.filter((f) => f.fault.type === 'crash').length;
        if (decided.get('t1')?.has('commit')) commits++;
      }
      expect(crashes).toBeGreaterThan(300);
      expect(commits).toBeGreaterThan(10);
    });
  }
  it('has teeth: participants that lose their log on a crash are caught', () => {
    // A participant that loses its log on a crash leaves some transaction unfinished: the run
    // ends with the coordinator still holding it (a transaction never ends).
    const forgetful = { ...twoPhaseParticipant, applyPersist: () => ({ txs: {} }) };
    let caught: string | undefined;
    for (let seed = 1; seed <= 100 && caught === undefined; seed++) {
      const { result } = run(seed, false, forgetful);
      if (result.violation !== undefined) caught = `${result.violation.invariant}: ${result.violation.message}`;
    }
    expect(caught).toMatch(/every transaction decided everywhere/);
  });
});
