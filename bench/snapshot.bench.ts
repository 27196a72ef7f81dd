// Steps per second of the Chandy–Lamport wrapper around the bank-transfer test application: the
// inputs of one seeded 5-node simulation (200 transfers, 10 snapshots, FIFO links) are recorded,
// then `step` alone is timed over the recorded (state, input) pairs. The bare bank, replaying the
// same run without snapshots, gives the wrapper's overhead.
import type { Machine } from '../src/core/index.js';
import { simulate, type ScheduledCommand } from '../src/sim/index.js';
import { Random } from '../src/core/index.js';
import { bank, bankNodes, snapBank } from '../test/snapshot/bank.js';
import { compareOps, consume, opsFigure, ratio, type Figures } from './lib.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Recorded = { state: unknown; input: unknown }[];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function recording<M extends Machine<any, any, any, any>>(machine: M, out: Recorded): M {
  return {
    ...machine,
    step: (s: unknown, i: unknown) => {
      out.push({ state: s, input: i });
      return machine.step(s, i);
    },
  } as M;
}

export default function (): Figures {
  const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const rnd = new Random('bench/snapshot');
  const transfers: ScheduledCommand[] = [];
  for (let k = 0; k < 200; k++) {
    const from = rnd.choice(nodes);
    transfers.push({ at: rnd.int(0, 2000), node: from, input: { type: 'transfer', to: rnd.choice(nodes.filter((x) => x !== from)), amount: rnd.int(1, 30) } });
  }
  const snapshots: ScheduledCommand[] = Array.from({ length: 10 }, (_, k) => ({ at: 100 + k * 180, node: nodes[k % 5]!, input: { type: 'initiateSnapshot', snapshotId: `s${k}` } }));
  const network = { delay: { type: 'uniform' as const, minMs: 1, maxMs: 30 }, fifo: true };

  const wrapped: Recorded = [];
  simulate({ seed: 1, nodes: bankNodes(nodes, 1000, recording(snapBank, wrapped)), network, commands: [...transfers, ...snapshots], trace: false });
  const bare: Recorded = [];
  const bareBank = recording(bank, bare);
  simulate({ seed: 1, nodes: nodes.map((id) => ({ id, machine: bareBank, config: { id, nodes, balance: 1000 } })), network, commands: transfers, trace: false });

  const rates = compareOps(
    {
      wrapped: (i) => {
        const r = wrapped[i % wrapped.length]!;
        consume(snapBank.step(r.state as never, r.input as never));
      },
      bare: (i) => {
        const r = bare[i % bare.length]!;
        consume(bank.step(r.state as never, r.input as never));
      },
    },
    { timeMs: 1500, samples: 10 },
  );
  return {
    'snapshot.chandy-lamport.steps': opsFigure(rates.wrapped!, 'steps/s'),
    'snapshot.bank-bare.steps': opsFigure(rates.bare!, 'steps/s'),
    'snapshot.chandy-lamport.relative-to-bare': ratio(rates.wrapped!, rates.bare!),
  };
}
