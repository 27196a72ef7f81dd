// Paxos decisions per second, in-process, no I/O: every message is delivered synchronously until
// the cluster is quiet, so a figure is the cost of the protocol's steps alone. Multi-Paxos runs
// phase 2 only (a stable leader) and counts commands delivered by the leader; Basic Paxos counts
// whole single-decree instances (both phases) on fresh 3-node clusters.
import { basicPaxos, multiPaxos, type BasicPaxosOutput, type BasicPaxosState, type MultiPaxosOutput, type MultiPaxosState } from '../src/consensus/index.js';
import { compareOps, consume, opsFigure, type Figures } from './lib.js';

const PAYLOAD = 'x'.repeat(100);
/** A fresh cluster every so many decisions keeps the (uncompacted) log from growing without bound. */
const RESET_EVERY = 20_000;

interface Envelope {
  from: string;
  to: string;
  message: unknown;
}

function multiCluster(n: number): { ids: string[]; states: Record<string, MultiPaxosState> } {
  const ids = Array.from({ length: n }, (_, i) => `n${i}`);
  const states: Record<string, MultiPaxosState> = {};
  for (const id of ids) states[id] = multiPaxos.step(multiPaxos.init({ id, acceptors: ids, seed: 1 }), { type: 'tick', now: 0 }).state;
  const c = { ids, states };
  const t = multiPaxos.step(states[ids[0]!]!, { type: 'campaign', now: 0 });
  states[ids[0]!] = t.state;
  drain(c, ids[0]!, t.outputs);
  if (states[ids[0]!]!.role !== 'leader') throw new Error('bench: no leader');
  return c;
}

const queue: Envelope[] = [];
let delivered = 0;

function drain(c: { states: Record<string, MultiPaxosState> }, at: string, outputs: readonly MultiPaxosOutput[]): void {
  push(at, outputs);
  while (queue.length > 0) {
    const e = queue.shift()!;
    const t = multiPaxos.step(c.states[e.to]!, { type: 'message', from: e.from, message: e.message, now: 0 });
    c.states[e.to] = t.state;
    push(e.to, t.outputs);
  }
}

function push(from: string, outputs: readonly MultiPaxosOutput[]): void {
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i]!;
    if (o.type === 'send') queue.push({ from, to: o.to, message: o.message });
    else if (o.type === 'deliver' && from === 'n0') delivered++;
  }
  consume(outputs);
}

function multiProposer(n: number): (i: number) => void {
  let c = multiCluster(n);
  let since = 0;
  return () => {
    if (++since >= RESET_EVERY) {
      c = multiCluster(n);
      since = 0;
    }
    const t = multiPaxos.step(c.states.n0!, { type: 'propose', value: PAYLOAD, now: 0 });
    c.states.n0 = t.state;
    drain(c, 'n0', t.outputs);
  };
}

function basicInstance(): () => void {
  const ids = ['a', 'b', 'c'];
  const fresh: Record<string, BasicPaxosState> = {};
  for (const id of ids) fresh[id] = basicPaxos.init({ id, acceptors: ids, seed: 1 });
  const q: Envelope[] = [];
  return () => {
    const states = { ...fresh };
    const run = (from: string, outputs: readonly BasicPaxosOutput[]) => {
      for (const o of outputs) if (o.type === 'send') q.push({ from, to: o.to, message: o.message });
    };
    const t = basicPaxos.step(states.a!, { type: 'propose', value: PAYLOAD, now: 0 });
    states.a = t.state;
    run('a', t.outputs);
    while (q.length > 0) {
      const e = q.shift()!;
      const r = basicPaxos.step(states[e.to]!, { type: 'message', from: e.from, message: e.message, now: 0 });
      states[e.to] = r.state;
      run(e.to, r.outputs);
    }
    if (states.a.learner?.decided == null) throw new Error('bench: basic paxos did not decide');
    consume(states);
  };
}

export default function (): Figures {
  // Sanity: one proposal is one decision at the leader.
  const check = multiProposer(3);
  delivered = 0;
  for (let i = 0; i < 100; i++) check(i);
  if (delivered !== 100) throw new Error(`bench: expected 100 deliveries, got ${delivered}`);
  const rates = compareOps(
    {
      multi3: multiProposer(3),
      multi5: multiProposer(5),
      basic3: basicInstance(),
    },
    { timeMs: 2000, samples: 10 },
  );
  return {
    'consensus.multipaxos.decide.3replicas': opsFigure(rates.multi3!, 'decisions/s'),
    'consensus.multipaxos.decide.5replicas': opsFigure(rates.multi5!, 'decisions/s'),
    'consensus.basicpaxos.decide.3acceptors': opsFigure(rates.basic3!, 'decisions/s'),
  };
}
