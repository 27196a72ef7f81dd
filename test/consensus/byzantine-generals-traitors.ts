// Adversaries for OM(m) tests: a traitor runs the loyal machine (so it knows what a loyal general
// would send) and then lies about it — a different value, silence, different values to different
// receivers, or forged junk — as LSP §1 allows a traitor to do anything.
import { checkedStep, nextInt, seedPrng, type Machine, type NodeId, type PrngState } from 'distkit/core';
import {
  byzantineGenerals,
  type OmConfig,
  type OmInput,
  type OmMessage,
  type OmOutput,
  type OmState,
  type OmValue,
} from 'distkit/consensus';
import type { SimNode } from 'distkit/sim';

export type TraitorBehaviour =
  /** Sends `value` instead of the truth, to everyone. */
  | { readonly kind: 'constant'; readonly value: OmValue }
  /** Sends nothing at all. */
  | { readonly kind: 'silent' }
  /** Sends `values[k % values.length]` to the k-th receiver (in `generals` order): different values to different receivers. */
  | { readonly kind: 'split'; readonly values: readonly OmValue[] }
  /** Per message: the truth, a random value, silence, or extra forged junk, from a seeded stream. */
  | { readonly kind: 'random'; readonly seed: number };

export interface TraitorConfig {
  readonly loyal: OmConfig;
  readonly behaviour: TraitorBehaviour;
}

export interface TraitorState {
  readonly inner: OmState;
  readonly rng: PrngState;
  readonly behaviour: TraitorBehaviour;
}

export const traitor: Machine<TraitorConfig, TraitorState, OmInput, OmOutput> = {
  name: 'om-traitor',
  init(config) {
    const seed = config.behaviour.kind === 'random' ? config.behaviour.seed : 0;
    return { inner: byzantineGenerals.init(config.loyal), rng: seedPrng(seed), behaviour: config.behaviour };
  },
  step(state, input) {
    const t = byzantineGenerals.step(state.inner, input);
    let rng = state.rng;
    const draw = (k: number): number => {
      const d = nextInt(rng, 0, k);
      rng = d.state;
      return d.value;
    };
    const b = state.behaviour;
    const values = state.inner.values;
    const generals = state.inner.generals;
    const outputs: OmOutput[] = [];
    for (const o of t.outputs) {
      if (o.type !== 'send') continue; // a traitor's decision and complaints are meaningless
      const m = o.message;
      switch (b.kind) {
        case 'constant':
          outputs.push({ ...o, message: { ...m, value: b.value } });
          break;
        case 'silent':
          break;
        case 'split':
          outputs.push({ ...o, message: { ...m, value: b.values[generals.indexOf(o.to) % b.values.length]! } });
          break;
        case 'random': {
          const r = draw(10);
          if (r < 3) outputs.push(o);
          else if (r < 8) outputs.push({ ...o, message: { ...m, value: values[draw(values.length)]! } });
          else if (r < 9) {
            // Silence.
          } else {
            outputs.push({ ...o, message: { ...m, value: values[draw(values.length)]! } });
            outputs.push({ type: 'send', to: o.to, message: forge(m, generals, draw) as OmMessage });
          }
          break;
        }
      }
    }
    return { state: { ...state, inner: t.state, rng }, outputs };
  },
  nextDeadline: (s) => byzantineGenerals.nextDeadline!(s.inner),
};

// Junk a traitor might send: wrong rounds, bad paths, wrong types. Loyal generals must reject it.
function forge(m: OmMessage, generals: readonly NodeId[], draw: (k: number) => number): unknown {
  switch (draw(6)) {
    case 0:
      return { ...m, round: m.round + 5 };
    case 1:
      return { ...m, path: [...m.path, m.path[m.path.length - 1]!] };
    case 2:
      return { ...m, path: [generals[draw(generals.length)]!, ...m.path.slice(1)] };
    case 3:
      return { ...m, value: 42 };
    case 4:
      return { type: 'om', round: m.round, path: m.path.slice(0, -1).concat('nobody'), value: m.value };
    default:
      return 'not a message';
  }
}

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

/** IC1 and IC2 over the final states; returns a description of the violation or undefined. */
export function interactiveConsistency(setup: OmSetup, states: Readonly<Record<NodeId, unknown>>): string | undefined {
  const loyalLieutenants = setup.generals.filter((g) => g !== setup.commander && setup.traitors[g] === undefined);
  const decisions = loyalLieutenants.map((g) => (states[g] as OmState | undefined)?.decision ?? null);
  if (decisions.some((d) => d === null)) return `a loyal lieutenant did not decide: ${JSON.stringify(decisions)}`;
  if (new Set(decisions).size > 1) return `IC1: loyal lieutenants disagree: ${JSON.stringify(Object.fromEntries(loyalLieutenants.map((g, i) => [g, decisions[i]])))}`;
  if (setup.traitors[setup.commander] === undefined && decisions.some((d) => d !== setup.order)) {
    return `IC2: the loyal commander ordered ${setup.order}, lieutenants decided ${JSON.stringify(decisions)}`;
  }
  return undefined;
}
