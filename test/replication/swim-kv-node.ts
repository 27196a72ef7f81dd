/**
 * A node hosting two machines: SWIM (distkit/election) and the quorum store. SWIM's `member`
 * events go to the store as they are, in the same step; both machines' messages share the node's
 * transport, tagged by layer. What is durable is the store's; SWIM starts fresh after a crash.
 */
import type { DurableMachine, Invariant, NodeId } from '../../src/core/index.js';
import { swim, type SwimConfig, type SwimOutput, type SwimState } from '../../src/election/index.js';
import { quorumKv, type QuorumKvConfig, type QuorumKvDurable, type QuorumKvInput, type QuorumKvOutput, type QuorumKvRecord, type QuorumKvState } from '../../src/replication/index.js';

export interface SwimKvConfig {
  readonly swim: SwimConfig;
  readonly kv: QuorumKvConfig;
}
export interface SwimKvState {
  readonly swim: SwimState;
  readonly kv: QuorumKvState;
}
type Layered = { readonly layer: 'swim' | 'kv'; readonly m: unknown };
type Out = QuorumKvOutput | { readonly type: 'send'; readonly to: NodeId; readonly message: Layered };

/** Steps the store, collecting its persist records apart from its other outputs. */
function stepKv(kv: QuorumKvState, input: QuorumKvInput, records: QuorumKvRecord[], outputs: Out[]): QuorumKvState {
  const t = quorumKv.step(kv, input);
  for (const o of t.outputs) {
    if (o.type === 'persist') records.push(o.record);
    else if (o.type === 'send') outputs.push({ type: 'send', to: o.to, message: { layer: 'kv', m: o.message } });
    else outputs.push(o);
  }
  return t.state;
}

/** Steps SWIM and hands its membership events to the store. */
function stepSwim(s: SwimKvState, t: { state: SwimState; outputs: readonly SwimOutput[] }, now: number, records: QuorumKvRecord[], outputs: Out[]): SwimKvState {
  let kv = s.kv;
  for (const o of t.outputs) {
    if (o.type === 'send') outputs.push({ type: 'send', to: o.to, message: { layer: 'swim', m: o.message } });
    else if (o.type === 'member') kv = stepKv(kv, { type: 'member', node: o.node, status: o.status, now }, records, outputs);
  }
  return { swim: t.state, kv };
}

export const swimKv: DurableMachine<SwimKvConfig, SwimKvState, QuorumKvInput, Out, QuorumKvDurable> = {
  name: 'swim+quorum-kv',
  init: (c) => ({ swim: swim.init(c.swim), kv: quorumKv.init(c.kv) }),
  step(s, input) {
    const records: QuorumKvRecord[] = [];
    const outputs: Out[] = [];
    let next = s;
    if (input.type === 'message') {
      const msg = input.message as Partial<Layered> | null;
      const layer = typeof msg === 'object' && msg !== null ? msg.layer : undefined;
      if (layer === 'swim') next = stepSwim(s, swim.step(s.swim, { ...input, message: msg!.m }), input.now, records, outputs);
      else if (layer === 'kv') next = { ...s, kv: stepKv(s.kv, { ...input, message: msg!.m }, records, outputs) };
      else return { state: s, outputs: [{ type: 'rejected', from: input.from, reason: 'message without a layer' }] };
    } else if (input.type === 'tick') {
      next = stepSwim(s, swim.step(s.swim, input), input.now, records, outputs);
      next = { ...next, kv: stepKv(next.kv, input, records, outputs) };
    } else {
      next = { ...s, kv: stepKv(s.kv, input, records, outputs) };
    }
    const persist: Out[] = records.length === 0 ? [] : [{ type: 'persist', record: records.length === 1 ? records[0]! : { type: 'batch', records } }];
    return { state: next, outputs: [...persist, ...outputs.filter((o) => o.type === 'send'), ...outputs.filter((o) => o.type !== 'send')] };
  },
  nextDeadline(s) {
    const a = swim.nextDeadline!(s.swim);
    const b = quorumKv.nextDeadline!(s.kv);
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  },
  durable: (s) => quorumKv.durable(s.kv),
  recover: (c, d) => ({ swim: swim.init(c.swim), kv: quorumKv.recover(c.kv, d) }),
  applyPersist: (d, r) => quorumKv.applyPersist!(d, r),
};

/** The store's invariants over the store half of each node. */
export function onKv(invariants: readonly Invariant<QuorumKvState>[]): Invariant<SwimKvState>[] {
  return invariants.map((inv) => ({
    name: inv.name,
    check: (states, view) => inv.check(Object.fromEntries(Object.entries(states).map(([id, s]) => [id, s.kv])), view),
  }));
}
