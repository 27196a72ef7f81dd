import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../src/sim/events.js';
import { applyFault, faultSchedule } from '../../src/sim/faults.js';
import { Network } from '../../src/sim/network.js';
import { Nodes } from '../../src/sim/nodes.js';
import { counterNodes } from './fixtures/counter-machine.js';

const ids = counterNodes.map((n) => n.id);

describe('faults', () => {
  it('merges scripted and drawn faults in time order, scripted first at equal times', () => {
    const s = faultSchedule({ seed: 1, nodes: counterNodes, faults: [{ at: 300, fault: { type: 'heal' } }, { at: 0, fault: { type: 'heal' } }], nemesis: { crashRate: 5 } }, ids, 1000);
    expect(s.map((f) => f.at)).toEqual(s.map((f) => f.at).sort((a, b) => a - b));
    expect(s[0]).toEqual({ at: 0, fault: { type: 'heal' } });
    expect(s.some((f) => f.fault.type === 'crash')).toBe(true);
  });

  it('applies node faults through the node rules and network faults to the network', () => {
    const queue = new EventQueue();
    const nodes = new Nodes({ seed: 1, nodes: counterNodes }, queue);
    for (const nd of nodes.list) nodes.boot(nd);
    const net = new Network({ seed: 1, ids });
    applyFault({ type: 'crash', node: 'b' }, nodes, net, 10);
    expect(nodes.isUp('b')).toBe(false);
    applyFault({ type: 'pause', node: 'b' }, nodes, net, 11);
    expect(nodes.byId('b').paused).toBe(false);
    applyFault({ type: 'restart', node: 'b' }, nodes, net, 12);
    expect(nodes.isUp('b')).toBe(true);
    applyFault({ type: 'partition', groups: [['a']] }, nodes, net, 13);
    expect(net.isCut(0, 1)).toBe(true);
    applyFault({ type: 'heal' }, nodes, net, 14);
    expect(net.isCut(0, 1)).toBe(false);
    applyFault({ type: 'clock', node: 'c', skewMs: 7 }, nodes, net, 15);
    expect(nodes.localTime(nodes.byId('c'), 0)).toBe(7);
  });
});
