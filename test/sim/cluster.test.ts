import { describe, expect, it } from 'vitest';
import { ConfigError, ContractViolation, transition, type Machine } from 'distkit/core';
import { createTestCluster } from 'distkit/sim';
import { counterMachine, counterNodes, type CounterState } from './fixtures/counter-machine.js';

describe('createTestCluster', () => {
  it('stamps inputs with its clock and delivers in send order', () => {
    const c = createTestCluster({ nodes: counterNodes, startMs: 1000 });
    c.input('a', { type: 'add', n: 1 });
    expect((c.state('a') as CounterState).heartbeat.at).toBe(1100);
    expect(c.inFlight.map((m) => m.to)).toEqual(['b', 'c']);
    expect(c.deliver((m) => m.to === 'c')).toBe(1);
    expect((c.state('c') as CounterState).heard).toEqual({ a: 1 });
    expect((c.state('b') as CounterState).heard).toEqual({});
    c.stabilize();
    expect((c.state('b') as CounterState).heard).toEqual({ a: 1 });
    expect(c.tickNext()).toBe(true);
    expect(c.now).toBe(1100);
  });

  it('restarts a crashed node from its persisted image, not its last state', () => {
    const c = createTestCluster({ nodes: counterNodes });
    expect(c.image('a')).toBeUndefined();
    c.input('a', { type: 'add', n: 4 });
    expect(c.image('a')).toEqual({ total: 4 });
    c.crash('a');
    expect(c.isUp('a')).toBe(false);
    expect(() => c.state('a')).toThrow(ConfigError);
    c.restart('a');
    expect(c.state('a')).toEqual({ ...counterMachine.init(counterNodes[0]!.config), total: 4 });
    c.crash('b');
    c.restart('b'); // nothing persisted: back to init
    expect((c.state('b') as CounterState).total).toBe(0);
  });

  it('checks the contract on every step by default', () => {
    const bad: Machine<null, { n: number }, { type: 'go'; now: number }, unknown> = {
      name: 'bad',
      init: () => ({ n: 0 }),
      step: (s) => transition(s, [{ type: 'send', to: 'x', message: 1 }, { type: 'persist', record: 1 }]),
    };
    const c = createTestCluster({ nodes: [{ id: 'x', machine: bad, config: null }] });
    expect(() => c.input('x', { type: 'go' })).toThrow(ContractViolation);
  });

  it('refuses bad configurations and unknown nodes with ConfigError', () => {
    expect(() => createTestCluster({ nodes: [] })).toThrow(ConfigError);
    expect(() => createTestCluster({ nodes: [counterNodes[0]!, counterNodes[0]!] })).toThrow(/duplicate/);
    const c = createTestCluster({ nodes: counterNodes });
    expect(() => c.input('__proto__', { type: 'add', n: 1 })).toThrow(ConfigError);
    expect(() => c.advance(-1)).toThrow(ConfigError);
    expect(() => c.restart('a')).toThrow(/is up/);
  });
});
