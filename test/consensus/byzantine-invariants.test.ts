// omInvariants: IC1 and IC2 of the Byzantine generals problem over the loyal lieutenants.
import { describe, expect, it } from 'vitest';
import { checkInvariants, type InvariantView } from '../../src/core/index.js';
import { omInvariants, type OmState, type OmValue } from '../../src/consensus/index.js';

const generals = ['c', 'l1', 'l2', 'l3'];
const view: InvariantView = { time: 0, nodes: generals, isUp: () => true };
const states = (decisions: Record<string, OmValue | null>): Record<string, OmState> => Object.fromEntries(Object.entries(decisions).map(([id, decision]) => [id, { decision } as OmState]));

describe('omInvariants (Lamport, Shostak & Pease 1982 §1)', () => {
  it('passes when every loyal lieutenant obeys the loyal commander', () => {
    const s = states({ c: 'attack', l1: 'attack', l2: 'attack', l3: 'attack' });
    expect(checkInvariants(omInvariants({ commander: 'c', order: 'attack', traitors: [] }), s, view)).toBeUndefined();
  });

  it('IC1: reports loyal lieutenants that decided differently, naming each decision', () => {
    const s = states({ c: 'attack', l1: 'attack', l2: 'retreat', l3: null });
    const v = checkInvariants(omInvariants({ commander: 'c', order: 'attack', traitors: ['c'] }), s, view);
    expect(v?.invariant).toMatch(/^IC1/);
    expect(v?.description).toBe('l1 attack, l2 retreat');
  });

  it('IC2: with a loyal commander, a lieutenant deciding otherwise is reported', () => {
    const s = states({ c: 'attack', l1: 'retreat', l2: null, l3: 'retreat' });
    const v = checkInvariants(omInvariants({ commander: 'c', order: 'attack', traitors: [] }), s, view);
    expect(v?.invariant).toMatch(/^IC2/);
    expect(v?.description).toBe('the commander ordered attack; l1 retreat, l3 retreat');
  });

  it("a traitor's decision says nothing, and a traitor commander frees IC2", () => {
    const s = states({ c: 'retreat', l1: 'retreat', l2: 'retreat', l3: 'attack' });
    expect(checkInvariants(omInvariants({ commander: 'c', order: 'attack', traitors: ['c', 'l3'] }), s, view)).toBeUndefined();
  });

  it('final: an undecided loyal lieutenant violates IC1; before the end it is skipped', () => {
    const s = states({ c: 'attack', l1: 'attack', l2: null, l3: 'attack' });
    expect(checkInvariants(omInvariants({ commander: 'c', order: 'attack', traitors: [] }), s, view)).toBeUndefined();
    expect(checkInvariants(omInvariants({ commander: 'c', order: 'attack', traitors: [], final: true }), s, view)?.description).toBe('l2 did not decide');
  });
});
