// Traitorous generals: each behaviour lies the way LSP §1-2 allows, and never decides anything.
import { describe, expect, it } from 'vitest';
import { traitorMachine, type TraitorBehaviour } from '../../src/cli/traitor.js';
import type { OmOutput } from '../../src/consensus/index.js';

const generals = ['c', 'l1', 'l2', 'l3'];
const loyal = { id: 'c', generals, commander: 'c', m: 1, roundTimeoutMs: 50, order: 'attack' as const };

function firstSends(behaviour: TraitorBehaviour): Extract<OmOutput, { type: 'send' }>[] {
  const s = traitorMachine.init({ loyal, behaviour });
  const outs: OmOutput[] = [];
  let state = s;
  for (let now = 0; now <= 200 && outs.length === 0; now += 50) {
    const t = traitorMachine.step(state, { type: 'tick', now });
    state = t.state;
    outs.push(...t.outputs);
  }
  return outs.filter((o): o is Extract<OmOutput, { type: 'send' }> => o.type === 'send');
}

describe('traitorMachine', () => {
  it('constant: sends its value instead of the order, to every lieutenant', () => {
    const sends = firstSends({ kind: 'constant', value: 'retreat' });
    expect(sends.map((o) => o.to).sort()).toEqual(['l1', 'l2', 'l3']);
    expect(sends.every((o) => (o.message as { value: unknown }).value === 'retreat')).toBe(true);
  });

  it('silent: sends nothing', () => {
    expect(firstSends({ kind: 'silent' })).toEqual([]);
  });

  it('split: different values to different receivers (LSP §2 Fig. 2)', () => {
    const values = new Set(firstSends({ kind: 'split', values: ['attack', 'retreat'] }).map((o) => (o.message as { value: unknown }).value));
    expect(values).toEqual(new Set(['attack', 'retreat']));
  });

  it('lying: the same seed lies the same way; a traitor emits no decision', () => {
    const a = firstSends({ kind: 'lying', seed: 7 });
    expect(firstSends({ kind: 'lying', seed: 7 })).toEqual(a);
    const s = traitorMachine.init({ loyal, behaviour: { kind: 'lying', seed: 7 } });
    const outs = [0, 50, 100, 150, 200, 250].flatMap((now) => traitorMachine.step(s, { type: 'tick', now }).outputs);
    expect(outs.every((o) => o.type === 'send')).toBe(true);
  });
});
