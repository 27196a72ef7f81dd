import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkedStep } from 'distkit/core';
import { gridQuorums, maekawa } from 'distkit/mutex';
import { ids } from '../support/event-sim.js';
import { msg, sends, expectRejected } from './inputs.js';

describe('Maekawa (ACM TOCS 1985) with grid quorums', () => {
  it('§3 grid: any two voting sets intersect, and each has at most 2⌈√N⌉ − 1 members (fast-check, N = 1..60)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), (n) => {
        const q = gridQuorums(ids(n));
        const sets = Object.values(q);
        for (const x of sets) {
          expect(x.length).toBeLessThanOrEqual(2 * Math.ceil(Math.sqrt(n)) - 1);
          for (const y of sets) if (!x.some((e) => y.includes(e))) throw new Error(`disjoint sets for N=${n}`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('config: voting sets that do not intersect are refused', () => {
    expect(() => maekawa.init({ id: 'a', nodes: ['a', 'b'], quorums: { a: ['a'], b: ['b'] } })).toThrow(/do not intersect/);
  });

  it('deadlock avoidance: an earlier request makes the voter INQUIRE; a requester told FAILED RELINQUISHes', () => {
    // Voter v is locked for (5, x); (3, y) arrives: v answers INQUIRE to x (y precedes x).
    const nodes = ['v', 'x', 'y'];
    const quorums = { v: ['v', 'x', 'y'], x: ['v', 'x'], y: ['v', 'y'] };
    let v = maekawa.init({ id: 'v', nodes, quorums });
    v = checkedStep(maekawa, v, msg('x', { type: 'request', ts: 5, owner: 'x' })).state;
    const t = checkedStep(maekawa, v, msg('y', { type: 'request', ts: 3, owner: 'y' }));
    expect(sends(t.outputs)).toEqual([{ type: 'send', to: 'x', message: { type: 'inquire', ts: 5, owner: 'x' } }]);
    // x holds v's vote, then is told FAILED by its other voter: it relinquishes v.
    let x = maekawa.init({ id: 'x', nodes, quorums });
    x = checkedStep(maekawa, x, { type: 'request', now: 0 }).state; // ts 1, self vote is local
    const ts = x.requestTs;
    x = checkedStep(maekawa, x, msg('v', { type: 'locked', ts, owner: 'x' })).state;
    expect(x.phase).toBe('held'); // quorum {v, x}: both votes, enters
    let x2 = maekawa.init({ id: 'x', nodes, quorums: { v: ['v', 'x', 'y'], x: ['v', 'x', 'y'], y: ['v', 'y'] } });
    x2 = checkedStep(maekawa, x2, { type: 'request', now: 0 }).state;
    x2 = checkedStep(maekawa, x2, msg('v', { type: 'locked', ts: x2.requestTs, owner: 'x' })).state;
    const inq = checkedStep(maekawa, x2, msg('v', { type: 'inquire', ts: x2.requestTs, owner: 'x' }));
    expect(sends(inq.outputs)).toEqual([]); // no FAILED yet: keeps the vote
    const fail = checkedStep(maekawa, inq.state, msg('y', { type: 'failed', ts: x2.requestTs, owner: 'x' }));
    expect(sends(fail.outputs)).toEqual([{ type: 'send', to: 'v', message: { type: 'relinquish', ts: x2.requestTs, owner: 'x' } }]);
  });

  it('hostile: votes for requests never made, votes from outside the voting set, releases of foreign requests', () => {
    const nodes = ids(9);
    const a = maekawa.init({ id: 'n1', nodes });
    expectRejected(maekawa, a, msg('n2', { type: 'locked', ts: 1, owner: 'n1' }), /did not make/);
    expectRejected(maekawa, a, msg('evil', { type: 'locked', ts: 1, owner: 'n1' }), /unknown sender/);
    const w = checkedStep(maekawa, a, { type: 'request', now: 0 }).state;
    expectRejected(maekawa, w, msg('n9', { type: 'locked', ts: w.requestTs, owner: 'n1' }), /not in the voting set/);
    expectRejected(maekawa, w, msg('n2', { type: 'locked', ts: w.requestTs + 1, owner: 'n1' }), /did not make/);
    expectRejected(maekawa, w, msg('n2', { type: 'release', ts: 4, owner: 'n2' }), /not locked/);
    expectRejected(maekawa, w, msg('n2', { type: 'request', ts: 4, owner: 'n3' }), /sent by/);
    expectRejected(maekawa, w, msg('n2', { type: 'request', ts: 0, owner: 'n2' }), /ts/);
  });
});
