import { describe, expect, it } from 'vitest';
import { checkedStep } from 'distkit/core';
import { tokenRing, type TokenRingState } from 'distkit/mutex';
import { main, type CliIo } from '../../src/cli/main.js';
import { ids, runMutex } from '../support/event-sim.js';
import { msg, expectRejected } from './inputs.js';

describe('token ring: loss detected by timeout, regenerated without ever two tokens', () => {
  it('10% message loss, 150 seeds, N = 3..6: at most one token held at every step, generations increase, every entry served', () => {
    let regenerations = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const n = 3 + (seed % 4);
      const nodes = ids(n);
      const gens: number[] = [];
      const r = runMutex({
        seed,
        clients: nodes,
        entriesPerClient: 3,
        lossRate: 0.1,
        checked: seed <= 5,
        setup: (sim) => {
          for (const id of nodes) sim.add(id, tokenRing, tokenRing.init({ id, nodes: nodes, tokenTimeoutMs: 150 }));
          sim.invariant = () => {
            let held = 0;
            for (const id of nodes) if ((sim.states[id] as TokenRingState).token >= 0) held++;
            if (held > 1) throw new Error(`seed ${seed}: ${held} tokens held at t=${sim.now}`);
          };
        },
        onEvent: (_sim, _node, out) => {
          if (out.type === 'token-regenerated') gens.push(out.gen as number);
        },
      });
      expect(r.maxConcurrent).toBe(1);
      expect(r.entries, `seed ${seed}`).toBe(r.wanted);
      for (let i = 1; i < gens.length; i++) expect(gens[i]!).toBeGreaterThan(gens[i - 1]!);
      regenerations += gens.length;
    }
    expect(regenerations).toBeGreaterThan(50); // the loss path really ran
  });

  it('regression (seed 1, no loss): the initial token circulates and nobody regenerates with a generous timeout', () => {
    const nodes = ids(5);
    let regen = 0;
    const r = runMutex({
      seed: 1,
      clients: nodes,
      entriesPerClient: 4,
      setup: (sim) => {
        for (const id of nodes) sim.add(id, tokenRing, tokenRing.init({ id, nodes: nodes, tokenTimeoutMs: 10_000 }));
      },
      onEvent: (_s, _n, o) => {
        if (o.type === 'token-regenerated') regen++;
      },
    });
    expect(r.entries).toBe(20);
    expect(regen).toBe(0);
  });
});

describe('token ring on a network that duplicates messages (token generations and hop numbers)', () => {
  it('regression: `distkit sim token-ring --dup 0.05 --seeds 1-20` finds no violation (was 20 of 20 seeds)', async () => {
    let out = '';
    const io = {
      isTTY: false,
      stdout: (t: string) => void (out += t),
      stderr: () => {},
      writeFile: () => {},
      readFile: () => {
        throw new Error('no files');
      },
      importModule: async () => ({}),
      now: () => 0,
    } as unknown as CliIo;
    const code = await main(['sim', 'token-ring', '--dup', '0.05', '--seeds', '1-20', '--no-trace', '--json'], io);
    const summary = JSON.parse(out) as { violations: number; seedsRun: number; messages: { duplicated: number } };
    expect(summary.violations).toBe(0);
    expect(code).toBe(0);
    expect(summary.seedsRun).toBe(20);
    expect(summary.messages.duplicated).toBeGreaterThan(20); // duplicates really happened
  });

  it('10% duplication and 5% loss, 100 seeds, N = 3..6: one holder at every step, every entry served', () => {
    let discarded = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const n = 3 + (seed % 4);
      const nodes = ids(n);
      const r = runMutex({
        seed,
        clients: nodes,
        entriesPerClient: 3,
        dupRate: 0.1,
        lossRate: 0.05,
        checked: seed <= 5,
        setup: (sim) => {
          for (const id of nodes) sim.add(id, tokenRing, tokenRing.init({ id, nodes: nodes, tokenTimeoutMs: 150 }));
          sim.invariant = () => {
            const held = nodes.filter((id) => (sim.states[id] as TokenRingState).token >= 0);
            if (held.length > 1) throw new Error(`seed ${seed}: tokens held by ${held.join(', ')} at t=${sim.now}`);
          };
        },
        onEvent: (_sim, _node, out) => {
          if (out.type === 'token-discarded') discarded++;
        },
      });
      expect(r.maxConcurrent).toBe(1);
      expect(r.entries, `seed ${seed}`).toBe(r.wanted);
    }
    expect(discarded).toBeGreaterThan(50); // duplicates were met and thrown away
  });

  it('a duplicate of a token already accepted (or passed on) is discarded, never entered on', () => {
    const ring = ['a', 'b', 'c'];
    let b = tokenRing.init({ id: 'b', nodes: ring });
    b = checkedStep(tokenRing, b, { type: 'request', now: 0 }).state;
    const first = checkedStep(tokenRing, b, { type: 'message', from: 'a', message: { type: 'token', gen: 0, seq: 1 }, now: 5 });
    expect(first.outputs).toEqual([{ type: 'enter' }]);
    const released = checkedStep(tokenRing, first.state, { type: 'release', now: 8 });
    expect(released.outputs).toEqual([{ type: 'send', to: 'c', message: { type: 'token', gen: 0, seq: 2 } }]);
    let s = checkedStep(tokenRing, released.state, { type: 'request', now: 9 }).state;
    const dup = checkedStep(tokenRing, s, { type: 'message', from: 'a', message: { type: 'token', gen: 0, seq: 1 }, now: 10 });
    expect(dup.outputs).toEqual([{ type: 'token-discarded', gen: 0 }]);
    s = dup.state;
    expect(s.token).toBe(-1);
    // The next pass (one hop further round the ring) is accepted.
    const next = checkedStep(tokenRing, s, { type: 'message', from: 'a', message: { type: 'token', gen: 0, seq: 4 }, now: 20 });
    expect(next.outputs).toEqual([{ type: 'enter' }]);
  });
});

describe('token ring (Le Lann 1977) with generation-numbered regeneration', () => {
  const ring = ['a', 'b', 'c'];
  it('the token is passed on at once when not wanted, and kept for the critical section when wanted', () => {
    const a = tokenRing.init({ id: 'a', nodes: ring });
    expect(checkedStep(tokenRing, a, { type: 'request', now: 0 }).outputs).toEqual([{ type: 'enter' }]);
    let b = tokenRing.init({ id: 'b', nodes: ring });
    const t = checkedStep(tokenRing, b, msg('a', { type: 'token', gen: 0, seq: 1 }));
    expect(t.outputs).toEqual([{ type: 'send', to: 'c', message: { type: 'token', gen: 0, seq: 2 } }]);
    b = checkedStep(tokenRing, b, { type: 'request', now: 0 }).state;
    expect(checkedStep(tokenRing, b, msg('a', { type: 'token', gen: 0, seq: 1 })).outputs).toEqual([{ type: 'enter' }]);
  });

  it('a node in the critical section holds a regeneration probe back until it releases, then destroys its old token', () => {
    let b = tokenRing.init({ id: 'b', nodes: ring });
    b = checkedStep(tokenRing, b, { type: 'request', now: 0 }).state;
    b = checkedStep(tokenRing, b, msg('a', { type: 'token', gen: 0, seq: 1 })).state;
    const held = checkedStep(tokenRing, b, msg('a', { type: 'probe', gen: 1, origin: 'a' }));
    expect(held.outputs).toEqual([]);
    const rel = checkedStep(tokenRing, held.state, { type: 'release', now: 0 });
    expect(rel.outputs).toEqual([
      { type: 'token-discarded', gen: 0 },
      { type: 'send', to: 'c', message: { type: 'probe', gen: 1, origin: 'a' } },
    ]);
  });

  it('hostile: tokens from a non-predecessor, tokens of unannounced generations, probes from outside the ring', () => {
    const b = tokenRing.init({ id: 'b', nodes: ring });
    expectRejected(tokenRing, b, msg('c', { type: 'token', gen: 0, seq: 1 }), /predecessor/);
    expectRejected(tokenRing, b, msg('a', { type: 'token', gen: 7, seq: 1 }), /no probe announced/);
    expectRejected(tokenRing, b, msg('a', { type: 'token', gen: -1, seq: 1 }), /gen/);
    expectRejected(tokenRing, b, msg('a', { type: 'token', gen: 0 }), /seq/);
    expectRejected(tokenRing, b, msg('a', { type: 'probe', gen: 2, origin: 'zz' }), /not in the ring/);
  });

  it('a node without the token starts watching for its loss with no input at all: its first deadline is due at once', () => {
    let b = tokenRing.init({ id: 'b', nodes: ring, tokenTimeoutMs: 100 });
    expect(tokenRing.nextDeadline!(b)).toBe(0);
    // The holder (a) crashed before anything happened: b's host ticks at its first deadline.
    b = checkedStep(tokenRing, b, { type: 'tick', now: 3 }).state;
    expect(tokenRing.nextDeadline!(b)).toBe(103);
    const due = checkedStep(tokenRing, b, { type: 'tick', now: 103 });
    expect(due.outputs[0]).toEqual({ type: 'token-lost-suspected', gen: 0 });
    // The holder itself has nothing to watch.
    expect(tokenRing.nextDeadline!(tokenRing.init({ id: 'a', nodes: ring }))).toBeUndefined();
  });
});
