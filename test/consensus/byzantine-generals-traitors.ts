// OM(m) test setups: loyal generals stepped the strict way, traitors from the CLI's adversaries
// (src/cli/traitor.ts), and distkit/consensus' IC1 and IC2 judged on the final states.
import { checkInvariants, checkedStep, staticView, type Machine, type NodeId } from 'distkit/core';
import { byzantineGenerals, omInvariants, type OmConfig, type OmInput, type OmOutput, type OmState, type OmValue } from 'distkit/consensus';
import { traitorMachine as traitor, type TraitorBehaviour } from '../../src/cli/traitor.js';

import type { SimNode } from 'distkit/sim';

export type { TraitorBehaviour };

// The loyal machine, stepped the strict way: frozen inputs, plain-data outputs, rejected => same state.
export const strictOm: Machine<OmConfig, OmState, OmInput, OmOutput> = {
  ...byzantineGenerals,
  step: (s, i) => checkedStep(byzantineGenerals, s, i),
};

export interface OmSetup {
  readonly generals: readonly NodeId[];
  readonly commander: NodeId;
  readonly m: number;
  readonly order: OmValue;
  readonly traitors: Readonly<Record<NodeId, TraitorBehaviour>>;
  readonly roundTimeoutMs?: number;
  readonly values?: readonly OmValue[];
  readonly unsafeAllowFewGenerals?: boolean;
}

export function omNodes(setup: OmSetup): SimNode[] {
  return setup.generals.map((id) => {
    const loyal: OmConfig = {
      id,
      generals: setup.generals,
      commander: setup.commander,
      m: setup.m,
      roundTimeoutMs: setup.roundTimeoutMs ?? 20,
      ...(id === setup.commander ? { order: setup.order } : {}),
      ...(setup.values ? { values: setup.values } : {}),
      ...(setup.unsafeAllowFewGenerals ? { unsafeAllowFewGenerals: true } : {}),
    };
    const behaviour = setup.traitors[id];
    return behaviour === undefined
      ? { id, machine: strictOm, config: loyal }
      : { id, machine: traitor, config: { loyal, behaviour } };
  });
}

/** IC1 and IC2 (distkit/consensus' omInvariants) over the final states; a description of the violation or undefined. */
export function interactiveConsistency(setup: OmSetup, states: Readonly<Record<NodeId, unknown>>): string | undefined {
  const invariants = omInvariants({ commander: setup.commander, order: setup.order, traitors: Object.keys(setup.traitors), final: true });
  const v = checkInvariants(invariants, states as Readonly<Record<NodeId, OmState>>, { ...staticView(states), nodes: setup.generals });
  return v === undefined ? undefined : `${v.invariant.slice(0, 3)} ${v.description}`;
}
