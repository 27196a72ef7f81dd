// A traitorous general for the `om` target. It runs the loyal OM(m) machine, so it knows what a
// loyal general would send, and then lies about it: LSP §1 lets a traitor send anything, so each
// relayed value is replaced by a seeded choice per receiver (the "two-faced" traitor of LSP §2's
// Fig. 2) or dropped.
import { nextInt, seedPrng, type Machine, type PrngState } from '../core/index.js';
import { byzantineGenerals, type OmConfig, type OmInput, type OmOutput, type OmState } from '../consensus/index.js';

/** A traitor: the loyal config plus the seed of its lies. */
export interface TraitorConfig {
  readonly loyal: OmConfig;
  readonly seed: number;
}

/** The loyal state it shadows and its PRNG. */
export interface TraitorState {
  readonly inner: OmState;
  readonly rng: PrngState;
}

/** A general that sends a random order (or nothing) in place of every message it should send. */
export const traitorMachine: Machine<TraitorConfig, TraitorState, OmInput, OmOutput> = {
  name: 'om-traitor',
  init: (config) => ({ inner: byzantineGenerals.init(config.loyal), rng: seedPrng(config.seed) }),
  step(state, input) {
    const t = byzantineGenerals.step(state.inner, input);
    let rng = state.rng;
    const values = state.inner.values;
    const outputs: OmOutput[] = [];
    for (const o of t.outputs) {
      // Its decision and its complaints about others mean nothing: only its sends matter.
      if (o.type !== 'send') continue;
      const d = nextInt(rng, 0, values.length + 1);
      rng = d.state;
      if (d.value < values.length) outputs.push({ ...o, message: { ...o.message, value: values[d.value]! } });
    }
    return { state: { inner: t.state, rng }, outputs };
  },
  nextDeadline: (s) => byzantineGenerals.nextDeadline!(s.inner),
};
