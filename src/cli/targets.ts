// The simulation targets the `distkit` command knows: its demo targets, the library's algorithm
// targets, and those a module given to `--import` exports. One explicit registry, built per run.
import { ConfigError, describeValue, type NodeId } from '../core/index.js';
import { algorithmTargets } from './algorithm-targets.js';
import { checkLinearizability, registerModel, type RegisterInput, type RegisterOutput } from '../check/index.js';
import { nodeIds, type SimTarget, type Workload } from '../sim/index.js';
import { echoMachine, lazyRegisterMachine, naiveLeaderMachine, oneLeaderPerTerm, type EchoState, type LazyRegisterOutput } from './demo.js';

/** `echo`: echo nodes pinging each other for 5 rounds; no node runs past its last round. Passes under any faults. */
export const echoTarget: SimTarget = {
  name: 'echo',
  description: 'ping/echo rounds with retransmission (correct: finds nothing)',
  defaultNodes: 3,
  build: ({ nodes }) => {
    const peers = nodeIds(nodes);
    return {
      nodes: peers.map((id) => ({ id, machine: echoMachine, config: { id, peers, rounds: 5 } })),
      invariants: [
        {
          name: 'rounds stay within bounds',
          check: (states: Readonly<Record<NodeId, EchoState>>) => {
            const over = Object.keys(states).find((id) => states[id]!.round > states[id]!.rounds);
            return over === undefined ? undefined : `${over} is at round ${states[over]!.round} of ${states[over]!.rounds}`;
          },
        },
      ],
      maxTimeMs: 5000,
    };
  },
};

/** `naive-leader`: a leader election without votes, checked against one leader per term. Most seeds find two leaders in one term. */
export const naiveLeaderTarget: SimTarget = {
  name: 'naive-leader',
  description: 'a leader election without votes (buggy: two leaders per term)',
  defaultNodes: 3,
  build: ({ nodes, seed }) => {
    const peers = nodeIds(nodes);
    const s = typeof seed === 'number' ? seed : 0;
    return {
      nodes: peers.map((id) => ({ id, machine: naiveLeaderMachine, config: { id, peers, seed: s } })),
      invariants: [oneLeaderPerTerm],
      maxTimeMs: 5000,
    };
  },
};

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
            if (r.verdict !== 'not-linearizable') return undefined;
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

/** The targets the command knows without `--import`. */
export const builtInTargets: readonly SimTarget[] = [echoTarget, naiveLeaderTarget, staleRegisterTarget, ...algorithmTargets];

/** Targets by name: the built-in ones plus `extra` (from `--import`). Throws a `ConfigError` on a bad or taken name. */
export function targetRegistry(extra: Iterable<SimTarget> = []): ReadonlyMap<string, SimTarget> {
  const registry = new Map<string, SimTarget>();
  for (const t of [...builtInTargets, ...extra]) {
    if (typeof t.name !== 'string' || !/^[\w.:-]+$/.test(t.name)) throw new ConfigError('name', `must be a non-empty word (letters, digits, _ . : -), got ${describeValue(t.name)}`);
    if (typeof t.build !== 'function') throw new ConfigError('build', `target ${t.name}: must be a function (params) => scenario`);
    const defaultNodes = t.defaultNodes ?? 3;
    if (!Number.isInteger(defaultNodes) || defaultNodes < 1) throw new ConfigError('defaultNodes', `target ${t.name}: must be an integer >= 1, got ${describeValue(defaultNodes)}`);
    const existing = registry.get(t.name);
    if (existing !== undefined && existing.build !== t.build) throw new ConfigError('name', `a simulation target named ${t.name} is already registered`);
    registry.set(t.name, { name: t.name, description: t.description ?? '', defaultNodes, build: t.build });
  }
  return registry;
}

/** The registry's targets, sorted by name. */
export function sortedTargets(registry: ReadonlyMap<string, SimTarget>): SimTarget[] {
  return [...registry.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
