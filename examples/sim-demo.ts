// A short tour of distkit/sim: a simulated run with faults and its summary, then a seed sweep that
// catches a buggy protocol, shrinks the failure and shows how it happened.
import { checkLinearizability, registerModel } from '../src/check/index.js';
import {
  echoMachine,
  lazyRegisterMachine,
  naiveLeaderTarget,
  shrink,
  simulate,
  sweep,
  type LazyRegisterOutput,
  type TraceEvent,
} from '../src/sim/index.js';

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

export async function simDemo(print: (line: string) => void): Promise<void> {
  // 1. Three nodes ping each other over a lossy network while one of them crashes and restarts.
  const peers = ['a', 'b', 'c'];
  const run = simulate({
    seed: 42,
    nodes: peers.map((id) => ({ id, machine: echoMachine, config: { id, peers, rounds: 3 } })),
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 20 }, loss: 0.2 },
    faults: [
      { at: 15, fault: { type: 'crash', node: 'c' } },
      { at: 200, fault: { type: 'restart', node: 'c' } },
    ],
  });
  const m = run.stats.messages;
  print(`echo, seed 42, 20% loss, c crashed 15-200 ms: ${run.ok ? 'ok' : 'VIOLATION'} (${run.stopReason})`);
  print(`  ${run.stats.steps} steps over ${run.stats.timeMs} ms virtual; messages: ${m.sent} sent, ${m.delivered} delivered, ${m.dropped} dropped`);
  for (const [type, c] of Object.entries(run.stats.byType)) print(`  ${type}: ${c.sent} sent, ${c.delivered} delivered, ${c.dropped} dropped`);
  print(`  done: ${run.trace.filter((e) => e.kind === 'output').map((e) => e.node).join(', ')}`);

  // 2. A leader election without votes, swept over 50 seeds with random partitions.
  const scenario = (seed: number) => ({ seed, ...naiveLeaderTarget.build({ nodes: 3, seed }), nemesis: { partitionRate: 1, crashRate: 1 } });
  const summary = sweep({ seeds: Array.from({ length: 50 }, (_, i) => i + 1), scenario });
  print(`naive leader election, 50 seeds with crashes and partitions: ${summary.violations} violate "${Object.keys(summary.byInvariant)[0] ?? '-'}"`);
  const first = summary.failures[0];
  if (first === undefined) return;
  const small = shrink(scenario(first.seed));
  if (small === undefined) return;
  const v = small.result.violation!;
  print(`  seed ${first.seed} shrunk: ${small.before.faults} -> ${small.after.faults} faults; ${v.message} at ${v.time} ms`);
  print('  the last events before the violation:');
  for (const e of v.lastEvents.slice(-5)) print(`    ${String(e.time).padStart(7)} ms  ${describe(e)}`);

  // 3. Clients on a lazily replicated register; their history goes to the linearizability checker.
  const replicas = ['a', 'b', 'c'];
  const reg = simulate({
    seed: 7,
    nodes: replicas.map((id) => ({ id, machine: lazyRegisterMachine, config: { id, primary: 'a', peers: replicas } })),
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 30 } },
    workload: {
      clients: 3,
      operations: 8,
      generate: (ctx): { node: string; input: { f: 'read' } | { f: 'write'; value: number } } =>
        ctx.random.float() < 0.5 ? { node: ctx.random.choice(ctx.nodes), input: { f: 'read' } } : { node: 'a', input: { f: 'write', value: ctx.index } },
      command: (op) => ({ type: 'request', id: op.id, op: op.input }),
      complete: (_node, out) => {
        const o = out as LazyRegisterOutput;
        return o.type === 'reply' ? (o.ok ? { id: o.id, output: o.value } : { id: o.id, failed: true as const }) : undefined;
      },
    },
  });
  const verdict = checkLinearizability(registerModel<number>(), reg.history);
  const stuck = verdict.partitions.find((p) => p.stuck !== undefined)?.stuck;
  print(`lazy register, 3 clients x 8 operations: history of ${reg.history.length} operations is ${verdict.verdict}`);
  if (stuck !== undefined) print(`  operation #${stuck.id} by ${stuck.client}: ${JSON.stringify(stuck.input)} returned ${JSON.stringify(stuck.output)} at ${stuck.ret} ms: no order of the operations explains it`);
}
