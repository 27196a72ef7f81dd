// Traitorous generals for the `om` target and the OM(m) tests. A traitor runs the loyal OM(m)
// machine, so it knows what a loyal general would send, and then lies about it: LSP §1 lets a
// traitor do anything — a different value, silence, different values to different receivers (the
// "two-faced" traitor of LSP §2's Fig. 2), or forged junk.
import { nextInt, seedPrng, type Machine, type NodeId, type PrngState } from '../core/index.js';
import { byzantineGenerals, type OmConfig, type OmInput, type OmMessage, type OmOutput, type OmState, type OmValue } from '../consensus/index.js';

/** How a traitor lies. */
export type TraitorBehaviour =
  /** Sends `value` instead of the truth, to everyone. */
  | { readonly kind: 'constant'; readonly value: OmValue }
  /** Sends nothing at all. */
  | { readonly kind: 'silent' }
  /** Sends `values[k % values.length]` to the k-th receiver (in `generals` order): different values to different receivers. */
  | { readonly kind: 'split'; readonly values: readonly OmValue[] }
  /** Per message: the truth, a random value, silence, or extra forged junk, from a seeded stream. */
  | { readonly kind: 'random'; readonly seed: number }
  /** Per message: a value drawn from a seeded stream among the allowed values, or silence (the `om` target's traitor). */
  | { readonly kind: 'lying'; readonly seed: number };

export interface TraitorConfig {
  readonly loyal: OmConfig;
  readonly behaviour: TraitorBehaviour;
}

export interface TraitorState {
  readonly inner: OmState;
  readonly rng: PrngState;
  readonly behaviour: TraitorBehaviour;
}

export const traitorMachine: Machine<TraitorConfig, TraitorState, OmInput, OmOutput> = {
  name: 'om-traitor',
  init(config) {
    const seed = config.behaviour.kind === 'random' || config.behaviour.kind === 'lying' ? config.behaviour.seed : 0;
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
        case 'lying': {
          // LSP §2 Fig. 2's two-faced traitor: a seeded choice per receiver, or nothing.
          const d = draw(values.length + 1);
          if (d < values.length) outputs.push({ ...o, message: { ...m, value: values[d]! } });
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

