// A short tour of distkit/sim: a simulated Raft run with faults and its summary, then a seed sweep
// that catches three-phase commit splitting under partitions, shrinks the failure and shows how it
// happened, then a history of a register of our own judged by the linearizability checker.
import { checkLinearizability, registerModel } from '../src/check/index.js';
import { raft, raftSafetyInvariants, type RaftState } from '../src/consensus/index.js';
import { transition, type Machine, type MessageInput } from '../src/core/index.js';
import { nodeIds, shrink, simulate, sweep, type TraceEvent } from '../src/sim/index.js';
import { commitInvariants, threePhaseCoordinator, threePhaseParticipant } from '../src/txn/index.js';

function describe(e: TraceEvent): string {
  switch (e.kind) {
    case 'send':
      return `${e.node} sends ${JSON.stringify(e.message)} to ${e.to}`;
    case 'deliver':
      return `${e.node} receives ${JSON.stringify(e.message)} from ${e.from}`;
    case 'drop':
      return `${e.from} -> ${e.to} dropped (${e.reason})`;
    case 'output':
      return `${e.node} outputs ${JSON.stringify(e.output)}`;
    case 'tick':
      return `${e.node} tick`;
    case 'fault':
      return `fault ${JSON.stringify(e.fault)}`;
    default:
      return e.kind;
  }
}

type RegisterOp = { readonly f: 'read' } | { readonly f: 'write'; readonly value: number };
type Reply = { readonly type: 'reply'; readonly id: number; readonly ok: boolean; readonly value?: number | null };
type LazyInput = MessageInput | { readonly type: 'request'; readonly id: number; readonly op: RegisterOp; readonly now: number };
type LazyOutput = Reply | { readonly type: 'send'; readonly to: string; readonly message: { readonly value: number } };

/**
 * A register of our own with a classic bug: the primary acknowledges a write before its backups
 * have it, and any replica answers reads from its own copy.
 */
const lazyRegister: Machine<{ id: string; primary: string; peers: readonly string[] }, { id: string; primary: string; peers: readonly string[]; value: number | null }, LazyInput, LazyOutput> = {
  name: 'lazy-register',
  init: (c) => ({ ...c, value: null }),
  step(s, input) {
    if (input.type === 'message') return transition({ ...s, value: (input.message as { value: number }).value });
    if (input.op.f === 'read') return transition(s, [{ type: 'reply', id: input.id, ok: true, value: s.value }]);
    if (s.id !== s.primary) return transition(s, [{ type: 'reply', id: input.id, ok: false, value: null }]);
    const value = input.op.value;
    return transition({ ...s, value }, [
      ...s.peers.filter((p) => p !== s.id).map((to) => ({ type: 'send' as const, to, message: { value } })),
      { type: 'reply', id: input.id, ok: true, value: null },
    ]);
  },
};

export async function simDemo(print: (line: string) => void): Promise<void> {
  // 1. Three Raft nodes over a lossy network while one of them crashes and restarts; Raft's five
  //    safety properties (distkit/consensus) checked after every step.
  const ids = nodeIds(3);
  const run = simulate({
    seed: 42,
    nodes: ids.map((id) => ({ id, machine: raft, config: { id, voters: ids, seed: `42/${id}`, electionTimeoutMs: 100, heartbeatIntervalMs: 20 } })),
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 20 }, loss: 0.2 },
    faults: [
      { at: 150, fault: { type: 'crash', node: 'c' } },
      { at: 400, fault: { type: 'restart', node: 'c' } },
    ],
    invariants: raftSafetyInvariants(),
    maxTimeMs: 1000,
  });
  const m = run.stats.messages;
  print(`raft, seed 42, 20% loss, c crashed 150-400 ms: ${run.ok ? 'ok' : 'VIOLATION'} (${run.stopReason})`);
  print(`  ${run.stats.steps} steps over ${run.stats.timeMs} ms virtual; messages: ${m.sent} sent, ${m.delivered} delivered, ${m.dropped} dropped`);
  for (const [type, c] of Object.entries(run.stats.byType)) print(`  ${type}: ${c.sent} sent, ${c.delivered} delivered, ${c.dropped} dropped`);
  const leaders = Object.entries(run.states as Record<string, RaftState>).filter(([, s]) => s.role === 'leader');
  print(`  leader at the end: ${leaders.map(([id, s]) => `${id} (term ${s.term})`).join(', ') || 'none'}`);

  // 2. Three-phase commit assumes no partitions: swept over 30 seeds with random partitions, its
  //    atomicity invariant (distkit/txn) catches the two sides deciding differently.
  const [coord, ...parts] = nodeIds(4) as [string, ...string[]];
  const scenario = (seed: number) => ({
    seed,
    nodes: [
      { id: coord, machine: threePhaseCoordinator, config: { id: coord, timeoutMs: 200 } },
      ...parts.map((id) => ({ id, machine: threePhaseParticipant, config: { id, timeoutMs: 200, autoVote: 'yes' as const } })),
    ],
    commands: Array.from({ length: 20 }, (_, k) => ({ at: k * 150, node: coord, input: { type: 'begin', txId: `t${k + 1}`, participants: parts } })),
    invariants: commitInvariants(),
    network: { delay: { type: 'uniform' as const, minMs: 1, maxMs: 40 } },
    nemesis: { partitionRate: 4, partitionMs: [100, 600] as const },
    maxTimeMs: 5000,
  });
  const summary = sweep({ seeds: Array.from({ length: 30 }, (_, i) => i + 1), scenario });
  print(`three-phase commit, 30 seeds with partitions: ${summary.violations} violate "${Object.keys(summary.byInvariant)[0] ?? '-'}"`);
  const first = summary.failures[0];
  if (first !== undefined) {
    const small = shrink(scenario(first.seed));
    if (small !== undefined) {
      const v = small.result.violation!;
      print(`  seed ${first.seed} shrunk: ${small.before.faults} -> ${small.after.faults} faults; ${v.message} at ${v.time} ms`);
      print('  the last events before the violation:');
      for (const e of v.lastEvents.slice(-5)) print(`    ${String(e.time).padStart(7)} ms  ${describe(e)}`);
    }
  }

  // 3. Clients on the lazily replicated register; their history goes to the linearizability checker.
  const replicas = ['a', 'b', 'c'];
  const reg = simulate({
    seed: 7,
    nodes: replicas.map((id) => ({ id, machine: lazyRegister, config: { id, primary: 'a', peers: replicas } })),
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 30 } },
    workload: {
      clients: 3,
      operations: 8,
      generate: (ctx): { node: string; input: RegisterOp } =>
        ctx.random.float() < 0.5 ? { node: ctx.random.choice(ctx.nodes), input: { f: 'read' } } : { node: 'a', input: { f: 'write', value: ctx.index } },
      command: (op) => ({ type: 'request', id: op.id, op: op.input }),
      complete: (_node, out) => {
        const o = out as LazyOutput;
        return o.type === 'reply' ? (o.ok ? { id: o.id, output: o.value } : { id: o.id, failed: true as const }) : undefined;
      },
    },
  });
  const verdict = checkLinearizability(registerModel<number>(), reg.history);
  const stuck = verdict.partitions.find((p) => p.stuck !== undefined)?.stuck;
  print(`lazy register, 3 clients x 8 operations: history of ${reg.history.length} operations is ${verdict.verdict}`);
  if (stuck !== undefined) print(`  operation #${stuck.id} by ${stuck.client}: ${JSON.stringify(stuck.input)} returned ${JSON.stringify(stuck.output)} at ${stuck.ret} ms: no order of the operations explains it`);
}
