// Steps per second of every mutual-exclusion and election machine in a 5-node run, φ
// computations per second, and the measured messages per critical-section entry. Each machine's
// inputs are recorded from one seeded 5-node simulation (its states are immutable, so each
// (state, input) pair can be replayed), then `step` alone is timed over the recorded pairs: the
// figure is the machine's own cost, not the simulator's.
import { stampNow, type Machine } from '../src/core/index.js';
import { createPhiAccrual, phi, phiHeartbeat } from '../src/election/index.js';
import { Sim, runMutex } from '../test/support/event-sim.js';
import { setups } from '../test/mutex/setups.js';
import { measure, sizes } from '../test/mutex/cost.js';
import { runBully, runRing } from '../test/election/elect.js';
import { runSwim } from '../test/election/swim-run.js';
import { Sim as ElectionSim } from '../test/support/event-sim.js';
import { compareOps, consume, opsFigure, round, type Figures } from './lib.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Recorded = { machine: Machine<any, any, any, any>; state: unknown; input: unknown }[];

/** Wraps Sim.input to record every (machine, state, input) step of a run. */
function record(run: () => Sim): Recorded {
  const out: Recorded = [];
  const original = Sim.prototype.input;
  Sim.prototype.input = function (this: Sim, id, input) {
    // Recorded as stepped: stamped with the virtual time, like every input of the v2 contract.
    if (!this.crashed.has(id)) out.push({ machine: this.machines[id]!, state: this.states[id], input: stampNow(input, this.now) });
    original.call(this, id, input);
  };
  try {
    run();
  } finally {
    Sim.prototype.input = original;
  }
  return out;
}

/** Like {@link record}, for the election runs: their sim stamps `now` on each input as it steps it. */
function recordElection(run: () => ElectionSim): Recorded {
  const out: Recorded = [];
  const original = ElectionSim.prototype.input;
  ElectionSim.prototype.input = function (this: ElectionSim, id, input) {
    if (!this.crashed.has(id)) out.push({ machine: this.machines[id]!, state: this.states[id], input: stampNow(input as object, this.now) });
    original.call(this, id, input);
  };
  try {
    run();
  } finally {
    ElectionSim.prototype.input = original;
  }
  return out;
}

function replay(steps: Recorded): (i: number) => void {
  return (i) => {
    const s = steps[i % steps.length]!;
    consume(s.machine.step(s.state, s.input));
  };
}

export default async function (): Promise<Figures> {
  const candidates: Record<string, (i: number) => void> = {};
  for (const s of setups) {
    const { clients, setup } = s.make(5);
    const steps = record(() => runMutex({ seed: 1, clients, entriesPerClient: 20, setup, checked: false }).sim);
    candidates[`mutex.${s.name}`] = replay(steps);
  }
  candidates['election.bully'] = replay(recordElection(() => runBully({ n: 5, seed: 1, initiators: ['n1', 'n2', 'n3'], spreadMs: 20 }).sim));
  candidates['election.ring-chang-roberts'] = replay(recordElection(() => runRing({ n: 5, seed: 1, initiators: ['n1', 'n3'], variant: 'chang-roberts' }).sim));
  candidates['election.ring-candidate-list'] = replay(recordElection(() => runRing({ n: 5, seed: 1, initiators: ['n1', 'n3'], variant: 'candidate-list' }).sim));
  candidates['election.swim'] = replay(recordElection(() => runSwim({ n: 5, seed: 1, periods: 50, lossRate: 0.05, crash: { node: 'm2', atMs: 20_000 } }).sim));

  const rates = compareOps(candidates, { timeMs: 1500, samples: 10 });
  const figures: Figures = {};
  for (const [name, r] of Object.entries(rates)) figures[`coord.${name}.steps5`] = opsFigure(r, 'steps/s');

  // φ: a detector with a full 1000-sample window; one φ evaluation per call, at varying silences.
  let d = createPhiAccrual();
  let t = 0;
  for (let i = 0; i < 1200; i++) d = phiHeartbeat(d, (t += 900 + ((i * 37) % 200)));
  const phiRate = compareOps(
    {
      phi: (i) => consume(phi(d, t + (i % 5000))),
      heartbeat: (i) => consume(phiHeartbeat(d, t + 1000 + (i % 50))),
    },
    { timeMs: 1000, samples: 10 },
  );
  figures['coord.phi.compute'] = opsFigure(phiRate.phi!, 'phi/s');
  figures['coord.phi.heartbeat1000'] = opsFigure(phiRate.heartbeat!, 'heartbeats/s');

  // Messages per critical-section entry (the table in docs/mutex.md): 5 seeds × 10 entries per
  // node, light load (requests rarely overlap) and heavy load (each node asks again at once).
  for (const s of setups) {
    for (const n of sizes) {
      const r = measure(s.name, n, 5, 10);
      figures[`coord.mutex.${s.name}.messages.n${n}.light`] = { value: round(r.light, 4), unit: 'messages/entry' };
      figures[`coord.mutex.${s.name}.messages.n${n}.heavy`] = { value: round(r.heavy, 4), unit: 'messages/entry' };
    }
  }
  return figures;
}
