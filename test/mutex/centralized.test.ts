import { describe, expect, it } from 'vitest';
import { checkedStep } from 'distkit/core';
import { centralizedMutex } from 'distkit/mutex';
import { ids, runMutex, Sim } from '../support/event-sim.js';
import { msg, sends, expectRejected } from './inputs.js';

describe('centralized coordinator (Tanenbaum & van Steen §6.3.2)', () => {
  const nodes = ['coord', 'b', 'c', 'd'];
  const init = (id: string) => centralizedMutex.init({ id, nodes, coordinator: 'coord', timeoutMs: 100 });

  it('grants in FIFO order', () => {
    let co = init('coord');
    const grants: string[] = [];
    const feed = (from: string, m: unknown) => {
      const t = checkedStep(centralizedMutex, co, msg(from, m));
      co = t.state;
      for (const o of sends(t.outputs) as { to: string; message: { type: string } }[]) if (o.message.type === 'grant') grants.push(o.to);
    };
    feed('b', { type: 'request', seq: 1 });
    feed('d', { type: 'request', seq: 1 });
    feed('c', { type: 'request', seq: 1 });
    feed('b', { type: 'release', seq: 1 });
    feed('d', { type: 'release', seq: 1 });
    expect(grants).toEqual(['b', 'd', 'c']);
  });

  it('a coordinator crash is detected by the waiting clients and reported', () => {
    const nodes5 = ['coord', ...ids(4)];
    const sim = new Sim({ seed: 3 });
    for (const id of nodes5) sim.add(id, centralizedMutex, centralizedMutex.init({ id, nodes: nodes5, coordinator: 'coord', timeoutMs: 200 }));
    const failed: string[] = [];
    sim.onEvent = (node, o) => {
      if (o.type === 'coordinator-failed') failed.push(node);
    };
    sim.input('n1', { type: 'request', now: 0 });
    sim.run(50);
    sim.crash('coord');
    for (const c of ['n2', 'n3', 'n4']) sim.input(c, { type: 'request', now: 0 });
    sim.run(2000);
    expect(failed.sort()).toEqual(['n2', 'n3', 'n4']);
  });

  it('a waiting client probes after the timeout and keeps waiting while the coordinator answers', () => {
    const r = runMutex({
      seed: 9,
      clients: ids(3),
      entriesPerClient: 3,
      holdMaxMs: 300, // longer than timeoutMs: waiting clients probe
      setup: (sim) => {
        const ns = ['coord', ...ids(3)];
        for (const id of ns) sim.add(id, centralizedMutex, centralizedMutex.init({ id, nodes: ns, coordinator: 'coord', timeoutMs: 100 }));
      },
    });
    expect(r.entries).toBe(9);
    expect(r.sent.probe ?? 0).toBeGreaterThan(0);
    expect(r.sent.queued ?? 0).toBeGreaterThan(0);
    expect(r.sent.queued).toBeLessThanOrEqual(r.sent.probe!);
  });

  it('hostile: grants from a non-coordinator, grants for requests never made, releases from non-holders', () => {
    const b = init('b');
    expectRejected(centralizedMutex, b, msg('c', { type: 'grant', seq: 1 }), /not the coordinator/);
    expectRejected(centralizedMutex, b, msg('coord', { type: 'grant', seq: 5 }), /never made/);
    expectRejected(centralizedMutex, b, msg('evil', { type: 'grant', seq: 1 }), /unknown sender/);
    expectRejected(centralizedMutex, b, msg('coord', { type: 'grant', seq: -1 }), /seq/);
    const co = init('coord');
    expectRejected(centralizedMutex, co, msg('b', { type: 'release', seq: 1 }), /does not hold/);
    expectRejected(centralizedMutex, b, msg('coord', { type: 'request', seq: 1 }), /not the coordinator/);
  });
});
