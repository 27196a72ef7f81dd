// Raft throughput and memory, in-process, no I/O. The loop shape matches a RawNode
// propose / ready / advance loop: step a proposal, take the outputs (persist, sends, apply) and
// deliver every message synchronously until the cluster is quiet.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { raft, type RaftOutput, type RaftState } from '../src/consensus/index.js';
import { compareOps, consume, opsFigure, ratio, round, type Figures } from './lib.js';

// Published anchors for @coaty/consensus.raft (a TypeScript port of etcd raft), RawNode loop on
// this machine class: it cannot be installed here (its sqlite3 dependency needs a native
// download), so the ratios are against these figures, not measured side by side.
const COATY_1VOTER_PER_S = 550_000;
const COATY_2VOTERS_PER_S = 240_000;

const PAYLOAD = 'x'.repeat(100);
const COMPACT_EVERY = 8192;

interface Cluster {
  ids: string[];
  states: Record<string, RaftState>;
}

function cluster(n: number): Cluster {
  const ids = Array.from({ length: n }, (_, i) => `n${i}`);
  const states: Record<string, RaftState> = {};
  for (const id of ids) states[id] = raft.step(raft.init({ id, voters: ids, seed: 1, preVote: false }), { type: 'tick', now: 0 }).state;
  const c = { ids, states };
  const t = raft.step(states[ids[0]!]!, { type: 'campaign' });
  states[ids[0]!] = t.state;
  deliverAll(c, ids[0]!, t.outputs);
  if (c.states[ids[0]!]!.role !== 'leader') throw new Error('bench: no leader');
  return c;
}

const queue: { to: string; from: string; message: unknown }[] = [];

function deliverAll(c: Cluster, at: string, outputs: readonly RaftOutput[]): void {
  push(at, outputs);
  while (queue.length > 0) {
    const e = queue.shift()!;
    const t = raft.step(c.states[e.to]!, { type: 'message', from: e.from, message: e.message });
    c.states[e.to] = t.state;
    push(e.to, t.outputs);
  }
}

function push(from: string, outputs: readonly RaftOutput[]): void {
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i]!;
    if (o.type === 'send') queue.push({ to: o.to, from, message: o.message });
  }
  consume(outputs);
}

function proposer(n: number, batch: number): (i: number) => void {
  const c = cluster(n);
  const leader = c.ids[0]!;
  const data = Array.from({ length: batch }, () => PAYLOAD);
  let proposed = 0;
  return () => {
    const t = batch === 1 ? raft.step(c.states[leader]!, { type: 'propose', data: PAYLOAD }) : raft.step(c.states[leader]!, { type: 'proposeBatch', data });
    c.states[leader] = t.state;
    deliverAll(c, leader, t.outputs);
    proposed += batch;
    if (proposed >= COMPACT_EVERY) {
      proposed = 0;
      for (const id of c.ids) {
        const s = c.states[id]!;
        c.states[id] = raft.step(s, { type: 'compact', index: s.applied, data: null }).state;
      }
    }
  };
}

function gcFunction(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}

/** Retained heap bytes per uncompacted entry with a 100-byte payload (unique strings). */
function bytesPerEntry(gc: () => void): number {
  const count = 200_000;
  const codes = Array.from({ length: 100 }, () => 120);
  // A flat (not concatenated) 100-byte string, different for each entry.
  const payload = (i: number): string => {
    for (let k = 0; k < 8; k++) codes[k] = 48 + ((i >> (k * 3)) & 7);
    return String.fromCharCode(...codes);
  };
  let s = cluster(1).states.n0!;
  gc();
  const before = process.memoryUsage().heapUsed;
  // Unique 100-character payloads, made inside the measurement so their bytes count.
  for (let i = 0; i < count; i++) s = raft.step(s, { type: 'propose', data: payload(i) }).state;
  gc();
  const after = process.memoryUsage().heapUsed;
  consume(s);
  return (after - before) / count;
}

/** A 1M-proposal run with compaction every 1000 entries: the largest retained log, and heap growth. */
function boundedRun(gc: () => void): { maxRetained: number; heapGrowthMb: number } {
  let s = cluster(1).states.n0!;
  gc();
  const before = process.memoryUsage().heapUsed;
  let maxRetained = 0;
  for (let i = 1; i <= 1_000_000; i++) {
    s = raft.step(s, { type: 'propose', data: PAYLOAD }).state;
    if (i % 1000 === 0) s = raft.step(s, { type: 'compact', index: s.applied, data: { upTo: s.applied } }).state;
    if (s.log.entries.length > maxRetained) maxRetained = s.log.entries.length;
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  consume(s);
  return { maxRetained, heapGrowthMb: (after - before) / 2 ** 20 };
}

export default async function (): Promise<Figures> {
  const rates = compareOps(
    {
      '1voter': proposer(1, 1),
      '2voters': proposer(2, 1),
      '3voters': proposer(3, 1),
      '3voters.batch64': proposer(3, 64),
    },
    { timeMs: 2000, samples: 10 },
  );
  const one = rates['1voter']!;
  const two = rates['2voters']!;
  const gc = gcFunction();
  const perEntry = bytesPerEntry(gc);
  const bounded = boundedRun(gc);
  return {
    'raft.propose.1voter': opsFigure(one, 'proposals/s'),
    'raft.propose.2voters': opsFigure(two, 'proposals/s'),
    'raft.propose.3voters': opsFigure(rates['3voters']!, 'proposals/s'),
    'raft.propose.3voters.batch64': opsFigure(rates['3voters.batch64']! * 64, 'entries/s'),
    'raft.propose.1voter.vs.coaty': ratio(one, COATY_1VOTER_PER_S),
    'raft.propose.2voters.vs.coaty': ratio(two, COATY_2VOTERS_PER_S),
    'raft.memory.bytesPerEntry100B': { value: round(perEntry, 3), unit: 'bytes' },
    'raft.memory.maxRetainedEntries.1M': { value: bounded.maxRetained, unit: 'entries' },
    'raft.memory.heapGrowth.1M': { value: round(Math.max(0, bounded.heapGrowthMb), 3), unit: 'MB' },
  };
}
