// The simulation targets the `distkit` command knows without `--import`. A module that ships a
// scenario exports a SimTarget and gets a line here.
import { algorithmTargets } from './algorithm-targets.js';
import { checkLinearizability, registerModel, type RegisterInput, type RegisterOutput } from '../check/index.js';
import {
  echoTarget,
  lazyRegisterMachine,
  naiveLeaderTarget,
  nodeIds,
  registerSimTarget,
  type LazyRegisterOutput,
  type SimTarget,
  type Workload,
} from '../sim/index.js';

type Op = { readonly f: 'read' } | { readonly f: 'write'; readonly value: number };

/** Clients writing to the primary and reading from any replica; the history must be linearizable. */
export const staleRegisterTarget: SimTarget = {
  name: 'stale-register',
  description: 'a lazily replicated register read from any replica (buggy: stale reads, not linearizable)',
  defaultNodes: 3,
  build: ({ nodes }) => {
    const peers = nodeIds(nodes);
    const primary = peers[0]!;
    const workload: Workload<Op, RegisterOutput<number>> = {
      clients: 3,
      operations: 10,
      thinkMs: 2,
      timeoutMs: 200,
      generate: (ctx) =>
        ctx.random.float() < 0.5 ? { node: ctx.random.choice(ctx.nodes), input: { f: 'read' } } : { node: primary, input: { f: 'write', value: ctx.random.int(0, 100) } },
      command: (op) => ({ type: 'request', id: op.id, op: op.input }),
      complete: (_node, out) => {
        const o = out as LazyRegisterOutput;
        if (o.type !== 'reply') return undefined;
        return o.ok ? { id: o.id, output: o.value } : { id: o.id, failed: true };
      },
    };
    return {
      nodes: peers.map((id) => ({ id, machine: lazyRegisterMachine, config: { id, primary, peers } })),
      workload,
      finalChecks: [
        {
          name: 'linearizable',
          check: (end) => {
            const r = checkLinearizability(registerModel<number>(), end.history as readonly { id: number; client: string; input: RegisterInput<number>; call: number }[], { maxSteps: 1_000_000 });
            if (r.verdict !== 'not-linearizable') return true;
            const stuck = r.partitions.find((p) => p.stuck !== undefined)?.stuck;
            return `not linearizable${stuck !== undefined ? `: operation #${stuck.id} (${JSON.stringify(stuck.input)} -> ${JSON.stringify(stuck.output)}) cannot be placed` : ''}`;
          },
        },
      ],
      network: { delay: { type: 'uniform', minMs: 1, maxMs: 30 } },
      maxTimeMs: 5000,
    };
  },
};

export const builtInTargets: readonly SimTarget[] = [echoTarget, naiveLeaderTarget, staleRegisterTarget, ...algorithmTargets];

export function registerBuiltInTargets(): void {
  for (const t of builtInTargets) registerSimTarget(t.name, t.build, t);
}
