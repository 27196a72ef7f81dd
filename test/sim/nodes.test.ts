import { describe, expect, it } from 'vitest';
import { ConfigError } from 'distkit/core';
import { EventQueue, type SimEvent } from '../../src/sim/events.js';
import { Nodes } from '../../src/sim/nodes.js';
import { counterMachine, counterNodes } from './fixtures/counter-machine.js';
import type { SimulateOptions } from '../../src/sim/index.js';

const setup = (options: Partial<SimulateOptions> = {}) => {
  const queue = new EventQueue();
  const nodes = new Nodes({ seed: 1, nodes: counterNodes, ...options }, queue);
  for (const nd of nodes.list) nodes.boot(nd);
  return { queue, nodes };
};
const cmd: SimEvent = { kind: 'command', node: 0, input: { type: 'add', n: 1 } };

describe('nodes', () => {
  it('admission: a crashed node loses an input, a cut loses a message, a paused node holds it back', () => {
    const { nodes } = setup();
    const a = nodes.byId('a');
    expect(nodes.admit(a, cmd)).toBe('ready');
    expect(nodes.admit(a, cmd, true)).toBe('partition');
    a.paused = true;
    expect(nodes.admit(a, cmd)).toBe('queued');
    expect(a.backlog).toEqual([cmd]);
    nodes.crash(a);
    expect(nodes.admit(a, cmd)).toBe('crashed');
    expect(a.backlog).toEqual([]);
    expect(nodes.isUp('a')).toBe(false);
    expect('a' in nodes.states).toBe(false);
  });

  it('resume re-schedules the held-back inputs at the time of the resume, in order', () => {
    const { nodes, queue } = setup();
    const a = nodes.byId('a');
    a.paused = true;
    const second: SimEvent = { kind: 'command', node: 0, input: { type: 'add', n: 2 } };
    nodes.admit(a, cmd);
    nodes.admit(a, second);
    nodes.resume(a, 40);
    expect(a.paused).toBe(false);
    expect([queue.pop(), queue.pop()].map((q) => [q?.time, q?.event])).toEqual([[40, cmd], [40, second]]);
  });

  it('a restart comes back from the image the persist records built', () => {
    const { nodes } = setup();
    const a = nodes.byId('a');
    nodes.persist(a, { total: 5 });
    nodes.crash(a);
    nodes.start(a, true, 100);
    expect((nodes.states.a as { total: number }).total).toBe(5);
  });

  it('arms one tick at the converted deadline, and a new arm makes the old tick stale', () => {
    const { nodes, queue } = setup({ clocks: { a: { skewMs: 10 } } });
    const a = nodes.byId('a');
    nodes.update(a, counterMachine.step(a.state as never, { type: 'add', n: 1, now: nodes.localTime(a, 0) }).state);
    nodes.arm(a, 0);
    const q = queue.pop()!;
    expect(q.time).toBe(100);
    expect(q.event).toEqual({ kind: 'tick', node: 0, timerGen: a.timerGen });
    nodes.crash(a);
    expect(a.timerGen).not.toBe((q.event as { timerGen: number }).timerGen);
  });

  it('names the node of a config error', () => {
    const bad = { ...counterMachine, init: () => { throw new ConfigError('peers', 'must be an array'); } };
    expect(() => setup({ nodes: [{ id: 'a', machine: bad, config: {} }] })).toThrow(/nodes\[0\]\.config\.peers/);
  });
});
