import { describe, expect, it } from 'vitest';
import { ConfigError, reject, stampNow, transition, type Machine, type MessageInput, type TickInput, type Unstamped } from 'distkit/core';
import { formatModelCheckPath, modelCheck, type ModelCheckStep } from 'distkit/check';
import { atMostOne, everyNode, never } from 'distkit/core';
import { naiveMutex, ricartAgrawalaToy, toyConfig, type ToyConfig, type ToyInput, type ToyOutput, type ToyState } from './fixtures/toy-mutex.js';

const mutualExclusion = atMostOne<ToyState>('mutual exclusion', (s) => s.status === 'critical');

/** Replays a counterexample path through the machines, as a host would, and returns the final states. */
function replay(machine: Machine<ToyConfig, ToyState, ToyInput, ToyOutput>, cfg: ReturnType<typeof toyConfig>, path: readonly ModelCheckStep[]): Record<string, ToyState> {
  const states: Record<string, ToyState> = Object.fromEntries(cfg.nodes.map((n) => [n.id, machine.init(n.config)]));
  const inflight: { from: string; to: string; message: unknown }[] = [];
  const clocks: Record<string, number> = Object.fromEntries(cfg.nodes.map((n) => [n.id, 0]));
  const apply = (id: string, input: Unstamped<ToyInput> | ToyInput) => {
    if (input.type === 'tick') clocks[id] = (input as TickInput).now;
    const t = machine.step(states[id]!, stampNow(input, clocks[id]!) as ToyInput);
    states[id] = t.state;
    for (const o of t.outputs) if (o.type === 'send') inflight.push({ from: id, to: o.to, message: o.message });
  };
  for (const step of path) {
    switch (step.kind) {
      case 'deliver':
      case 'duplicate': {
        const at = inflight.findIndex((e) => e.from === step.from && e.to === step.to && JSON.stringify(e.message) === JSON.stringify(step.message));
        expect(at).toBeGreaterThanOrEqual(0);
        if (step.kind === 'deliver') inflight.splice(at, 1);
        apply(step.to, { type: 'message', from: step.from, message: step.message });
        break;
      }
      case 'command':
        apply(step.node, step.input as ToyInput);
        break;
      case 'timeout':
        apply(step.node, { type: 'tick', now: step.now });
        break;
      default:
        throw new Error(`unexpected step ${step.kind}`);
    }
  }
  return states;
}

describe('bounded model checking: a naive mutual exclusion has a known bug', () => {
  it('finds two nodes in the critical section, with the shortest path to it', () => {
    const cfg = toyConfig(naiveMutex, 2);
    const r = modelCheck({ ...cfg, invariants: [mutualExclusion] });
    expect(r.status).toBe('violation');
    expect(r.violation?.invariant).toBe('mutual exclusion');
    expect(r.violation?.description).toBe('a, b all hold');
    // both request, both requests arrive before either is answered, both answers arrive
    expect(r.violation?.path).toHaveLength(6);
    expect(formatModelCheckPath(r.violation!.path).split('\n')).toHaveLength(6);
    const final = replay(naiveMutex, cfg, r.violation!.path);
    expect(final.a!.status).toBe('critical');
    expect(final.b!.status).toBe('critical');
    expect(r.violation!.states).toEqual(final);
  });

  it('finds it with three nodes too', () => {
    const r = modelCheck({ ...toyConfig(naiveMutex, 3), invariants: [mutualExclusion] });
    expect(r.status).toBe('violation');
    expect(r.violation?.path).toHaveLength(10);
  });
});

describe('bounded model checking: Ricart & Agrawala (1981) is safe', () => {
  it('explores every state of 2 nodes × 3 requests to completion', () => {
    const r = modelCheck({ ...toyConfig(ricartAgrawalaToy, 2, 3), invariants: [mutualExclusion], maxDepth: 1000 });
    expect(r.status).toBe('complete');
    expect(r.states).toBe(2469);
    expect(r.terminal).toBeGreaterThan(0);
  });

  it('explores every state of 3 nodes × 1 request to completion', () => {
    const r = modelCheck({ ...toyConfig(ricartAgrawalaToy, 3, 1), invariants: [mutualExclusion], maxDepth: 1000 });
    expect(r.status).toBe('complete');
    expect(r.states).toBe(6644);
    expect(r.depth).toBe(18);
  });

  it('stays safe when one message may be lost', () => {
    const r = modelCheck({ ...toyConfig(ricartAgrawalaToy, 2, 2), invariants: [mutualExclusion], faults: { loss: 1 }, maxDepth: 1000 });
    expect(r.status).toBe('complete');
  });

  it('a duplicated stale ok breaks it (the toy does not tag replies with the request)', () => {
    const r = modelCheck({ ...toyConfig(ricartAgrawalaToy, 2, 2), invariants: [mutualExclusion], faults: { duplication: 1 }, maxDepth: 1000 });
    expect(r.status).toBe('violation');
    expect(r.violation!.path.some((s) => s.kind === 'duplicate')).toBe(true);
    expect(replay(ricartAgrawalaToy, toyConfig(ricartAgrawalaToy, 2, 2), r.violation!.path)).toEqual(r.violation!.states);
  });

  it('a crash that forgets a deferred request breaks it (the toy keeps nothing durable)', () => {
    const r = modelCheck({ ...toyConfig(ricartAgrawalaToy, 2, 1), invariants: [mutualExclusion], faults: { crashes: 1 }, maxDepth: 1000 });
    expect(r.status).toBe('violation');
    expect(r.violation!.path.map((s) => s.kind)).toContain('crash');
  });
});

describe('terminal-state invariants: properties of a settled system', () => {
  const served = everyNode<ToyState>('every request served', (s) => s.status === 'idle');
  it('Ricart & Agrawala serves every request in every terminal state', () => {
    const r = modelCheck({ ...toyConfig(ricartAgrawalaToy, 3, 1), invariants: [mutualExclusion], atTerminal: [served], maxDepth: 1000 });
    expect(r).toMatchObject({ status: 'complete', states: 6644 });
    expect(r.terminal).toBeGreaterThan(0);
  });
  it('a lost reply leaves a node waiting forever: found at a terminal state', () => {
    const r = modelCheck({ ...toyConfig(ricartAgrawalaToy, 2, 1), invariants: [mutualExclusion], atTerminal: [served], faults: { loss: 1 }, maxDepth: 1000 });
    expect(r.status).toBe('violation');
    expect(r.violation?.invariant).toBe('every request served');
    expect(r.violation?.path.some((s) => s.kind === 'drop')).toBe(true);
    expect(Object.values(r.violation!.states).some((s) => s.status === 'wanting')).toBe(true);
  });
});

describe('bounds', () => {
  const cfg = { ...toyConfig(ricartAgrawalaToy, 3, 1), invariants: [mutualExclusion] };
  it('depth bound', () => {
    const r = modelCheck({ ...cfg, maxDepth: 3 });
    expect(r).toMatchObject({ status: 'bounded', bound: 'depth', depth: 3 });
  });
  it('state bound', () => {
    const r = modelCheck({ ...cfg, maxStates: 10 });
    expect(r).toMatchObject({ status: 'bounded', bound: 'states', states: 10 });
  });
  it('injected deadline', () => {
    const r = modelCheck({ ...cfg, deadline: () => true });
    expect(r).toMatchObject({ status: 'bounded', bound: 'deadline' });
  });
});

// A sender that sends 1 then 2 on one command; a receiver that records what arrives.
type Seq = { readonly got: readonly number[] };
const sender: Machine<null, Seq, { type: 'go' }, unknown> = {
  name: 'sender',
  init: () => ({ got: [] }),
  step: (s) => transition(s, [
    { type: 'send', to: 'r', message: 1 },
    { type: 'send', to: 'r', message: 2 },
  ]),
};
const receiver: Machine<null, Seq, MessageInput<unknown>, unknown> = {
  name: 'receiver',
  init: () => ({ got: [] }),
  step: (s, input) => (typeof input.message === 'number' ? transition({ got: [...s.got, input.message] }) : reject(s, input.from, 'not a number')),
};
const inOrder = never<Seq>('2 before 1', (states) => states.r!.got[0] === 2);

describe('channels, commands, timeouts and hostile configurations', () => {
  const nodes = [
    { id: 's', machine: sender, config: null },
    { id: 'r', machine: receiver, config: null },
  ];
  const commands = [{ node: 's', input: { type: 'go' } }];
  it('unordered channels reorder; FIFO channels do not', () => {
    expect(modelCheck({ nodes, commands, invariants: [inOrder] }).status).toBe('violation');
    const fifo = modelCheck({ nodes, commands, invariants: [inOrder], channels: 'fifo' });
    expect(fifo).toMatchObject({ status: 'complete', states: 4, terminal: 1 });
  });

  it('fires deadlines as choices, with a clock that never goes back', () => {
    type T = { readonly at: number; readonly seen: readonly number[] };
    const timer: Machine<null, T, TickInput, never> = {
      name: 'timer',
      init: () => ({ at: 10, seen: [] }),
      step: (s, input) => transition(s.seen.length >= 2 ? s : { at: s.at - 5, seen: [...s.seen, input.now] }),
      nextDeadline: (s) => (s.seen.length >= 2 ? undefined : s.at),
    };
    const r = modelCheck({ nodes: [{ id: 't', machine: timer, config: null }], timeouts: ['t'], invariants: [never<T>('done', (st) => st.t!.seen.length === 2 && JSON.stringify(st.t!.seen))] });
    expect(r.violation?.description).toBe('[10,10]');
    expect(modelCheck({ nodes: [{ id: 't', machine: timer, config: null }] })).toMatchObject({ status: 'complete', states: 1 });
  });

  it('reports a machine that throws as a violation with its path', () => {
    const thrower: Machine<null, null, { type: 'boom' }, never> = {
      name: 'thrower',
      init: () => null,
      step: () => {
        throw new Error('kaboom');
      },
    };
    const r = modelCheck({ nodes: [{ id: 'x', machine: thrower, config: null }], commands: [{ node: 'x', input: { type: 'boom' } }] });
    expect(r.status).toBe('violation');
    expect(r.violation).toMatchObject({ invariant: 'machines do not throw', path: [{ kind: 'command', node: 'x' }] });
    expect(r.violation!.description).toContain('kaboom');
  });

  it('can treat rejected inputs as violations', () => {
    const bad = [{ id: 'r', machine: receiver, config: null }, { id: 's', machine: { ...sender, step: (s: Seq) => transition(s, [{ type: 'send', to: 'r', message: 'x' }]) }, config: null }];
    expect(modelCheck({ nodes: bad, commands }).status).toBe('complete');
    const r = modelCheck({ nodes: bad, commands, rejections: 'violation' });
    expect(r.violation).toMatchObject({ invariant: 'no rejected inputs' });
  });

  it('ignores sends to unknown nodes and events', () => {
    const noisy: Machine<null, Seq, { type: 'go' }, unknown> = {
      name: 'noisy',
      init: () => ({ got: [] }),
      step: (s) => transition(s, [{ type: 'send', to: 'nobody', message: 1 }, { type: 'event' }, { type: 'send', to: 'r', message: 5 }]),
    };
    const r = modelCheck({ nodes: [{ id: 's', machine: noisy, config: null }, { id: 'r', machine: receiver, config: null }], commands });
    expect(r).toMatchObject({ status: 'complete', states: 3, terminal: 1 });
  });

  it('reports a malformed transition as a broken contract (the shared runtime checks its shape)', () => {
    const noisy: Machine<null, Seq, { type: 'go' }, unknown> = {
      name: 'noisy',
      init: () => ({ got: [] }),
      step: (s) => transition(s, [null, 42, { type: 'send', to: 7 }]),
    };
    const r = modelCheck({ nodes: [{ id: 's', machine: noisy, config: null }, { id: 'r', machine: receiver, config: null }], commands });
    expect(r.status).toBe('violation');
    expect(r.violation?.description).toContain('outputs[0] is not an object with a string type');
  });

  it('starts from given initial states', () => {
    const r = modelCheck({ nodes: [{ id: 's', machine: sender, config: null }, { id: 'r', machine: receiver, config: null, initialState: { got: [2] } }], invariants: [inOrder] });
    expect(r).toMatchObject({ status: 'violation', violation: { path: [], invariant: '2 before 1' } });
  });

  it('checks invariants on the initial state', () => {
    const r = modelCheck({ nodes, invariants: [never<Seq>('always', () => true)] });
    expect(r).toMatchObject({ status: 'violation', violation: { path: [] } });
  });

  it('rejects bad configurations with ConfigError naming the field', () => {
    const cases: [Parameters<typeof modelCheck>[0], string][] = [
      [{ nodes: [] }, 'nodes'],
      [{ nodes: [...nodes, { id: 's', machine: sender, config: null }] }, 'nodes[2].id'],
      [{ nodes: [{ id: '', machine: sender, config: null }] }, 'nodes[0].id'],
      [{ nodes, commands: [{ node: 'zz', input: null }] }, 'commands[0].node'],
      [{ nodes, timeouts: ['zz'] }, 'timeouts[0]'],
      [{ nodes, maxDepth: -1 }, 'maxDepth'],
      [{ nodes, maxStates: 1.5 }, 'maxStates'],
      [{ nodes, faults: { loss: -1 } }, 'faults.loss'],
      [{ nodes, channels: 'lifo' as 'fifo' }, 'channels'],
      [{ nodes, rejections: 'maybe' as 'ignore' }, 'rejections'],
    ];
    for (const [options, field] of cases) {
      let caught: unknown;
      try {
        modelCheck(options);
      } catch (e) {
        caught = e;
      }
      expect(caught, field).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).field).toBe(field);
    }
  });
});
