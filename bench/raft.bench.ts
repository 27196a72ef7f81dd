// Raft throughput and memory, in-process, no I/O. The loop shape matches a RawNode
// propose / ready / advance loop: step a proposal, take the outputs (persist, sends, apply) and
// deliver every message synchronously until the cluster is quiet.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { raft, type RaftOutput, type RaftState } from '../src/consensus/index.js';
import { compareOps, consume, opsFigure, ratio, round, type Figures } from './lib.js';

// Published anchors for @coaty/consensus.raft (a TypeScript port of etcd raft), RawNode loop on
// this machine class. When the package can be loaded (installed, or unpacked at
// $COATY_RAFT_DIR), it is measured side by side in this run instead, with stubs for the framework
// modules its ported core imports only for types and a null constant (@coaty/core, its db
// adapters, rxjs, debug).
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
  const t = raft.step(states[ids[0]!]!, { type: 'campaign', now: 0 });
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
    const t = raft.step(c.states[e.to]!, { type: 'message', from: e.from, message: e.message, now: 0 });
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
    const t = batch === 1 ? raft.step(c.states[leader]!, { type: 'propose', data: PAYLOAD, now: 0 }) : raft.step(c.states[leader]!, { type: 'proposeBatch', data, now: 0 });
    c.states[leader] = t.state;
    deliverAll(c, leader, t.outputs);
    proposed += batch;
    if (proposed >= COMPACT_EVERY) {
      proposed = 0;
      for (const id of c.ids) {
        const s = c.states[id]!;
        c.states[id] = raft.step(s, { type: 'compact', index: s.applied, data: null, now: 0 }).state;
      }
    }
  };
}

// ---- @coaty/consensus.raft, side by side when it can be loaded ------------------------------

/* eslint-disable @typescript-eslint/no-explicit-any */
type Coaty = { RawNode: any; Config: any; MemoryStorage: any; pb: any; discardLogger: any };

function loadCoaty(): Coaty | undefined {
  const require = createRequire(import.meta.url);
  let base: string;
  try {
    base = process.env.COATY_RAFT_DIR ?? join(require.resolve('@coaty/consensus.raft/package.json'), '..');
  } catch {
    return undefined;
  }
  const Module = require('node:module') as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = Module._load;
  const debug = (): unknown => Object.assign(() => undefined, { extend: debug, enabled: false });
  const stubs: Record<string, unknown> = {
    '@coaty/core': { Controller: class {} },
    '@coaty/core/db': {},
    '@coaty/core/db/adapter-sqlite-node': {},
    rxjs: { Subject: class {} },
    'rxjs/operators': {},
    debug: Object.assign(debug, { default: debug }),
  };
  Module._load = function (request: string, ...rest: unknown[]) {
    return Object.prototype.hasOwnProperty.call(stubs, request) ? stubs[request] : load.call(this, request, ...rest);
  };
  try {
    return {
      RawNode: require(join(base, 'ported/rawnode.js')).RawNode,
      Config: require(join(base, 'ported/raft.js')).RaftConfig,
      MemoryStorage: require(join(base, 'ported/storage.js')).MemoryStorage,
      pb: require(join(base, 'ported/raftpb/raft.pb.js')),
      discardLogger: require(join(base, 'ported/logger.js')).discardLogger,
    };
  } catch (err) {
    console.log(`  (@coaty/consensus.raft found at ${base} but not loadable: ${String(err).split('\n')[0]})`);
    return undefined;
  } finally {
    Module._load = load;
  }
}

/** The etcd RawNode loop: propose, then ready / persist / deliver / advance until quiet. */
function coatyProposer(k: Coaty, n: number): (i: number) => void {
  const ids = Array.from({ length: n }, (_, i) => `n${i}`);
  const nodes = new Map<string, { rn: any; storage: any }>();
  for (const id of ids) {
    const storage = new k.MemoryStorage({
      ents: [new k.pb.Entry()],
      snapshot: new k.pb.Snapshot({ metadata: { confState: { voters: ids } } }),
    });
    const config = new k.Config({ id, electionTick: 10, heartbeatTick: 1, storage, maxSizePerMsg: 1 << 20, maxInflightMsgs: 256, logger: k.discardLogger });
    nodes.set(id, { rn: k.RawNode.NewRawNode(config), storage });
  }
  const pending: any[] = [];
  const drain = (): void => {
    for (let busy = true; busy; ) {
      busy = false;
      for (const { rn, storage } of nodes.values()) {
        if (!rn.hasReady()) continue;
        busy = true;
        const rd = rn.ready();
        if (!rd.hardState.isEmptyHardState()) storage.SetHardState(rd.hardState);
        if (rd.entries.length > 0) storage.Append(rd.entries);
        for (const m of rd.messages) pending.push(m);
        consume(rd.committedEntries);
        rn.advance(rd);
      }
      while (pending.length > 0) {
        const m = pending.shift();
        nodes.get(m.to)!.rn.step(m);
        busy = true;
      }
    }
  };
  const leader = nodes.get(ids[0]!)!.rn;
  leader.campaign();
  drain();
  if (leader.raft.state !== 2) throw new Error('bench: coaty elected no leader');
  const data = PAYLOAD;
  let proposed = 0;
  return () => {
    leader.propose(data);
    drain();
    if (++proposed >= COMPACT_EVERY) {
      proposed = 0;
      for (const { rn, storage } of nodes.values()) {
        const applied = rn.raft.raftLog.applied;
        storage.Compact(applied);
      }
    }
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

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
  for (let i = 0; i < count; i++) s = raft.step(s, { type: 'propose', data: payload(i), now: 0 }).state;
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
    s = raft.step(s, { type: 'propose', data: PAYLOAD, now: 0 }).state;
    if (i % 1000 === 0) s = raft.step(s, { type: 'compact', index: s.applied, data: { upTo: s.applied }, now: 0 }).state;
    if (s.log.entries.length > maxRetained) maxRetained = s.log.entries.length;
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  consume(s);
  return { maxRetained, heapGrowthMb: (after - before) / 2 ** 20 };
}

/**
 * Heap bytes allocated per call of `fn` (garbage and retained alike): heap growth over a run short
 * enough that no collection happens in it, confirmed by watching the collector.
 */
async function allocatedBytes(fn: (i: number) => void, gc: () => void): Promise<number> {
  let collections = 0;
  const observer = new PerformanceObserver((list) => {
    collections += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
  try {
    for (let iterations = 2000; iterations >= 50; iterations = Math.floor(iterations / 2)) {
      gc();
      await settle();
      collections = 0;
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < iterations; i++) fn(i);
      const after = process.memoryUsage().heapUsed;
      await settle();
      if (collections === 0) return (after - before) / iterations;
    }
    return Number.NaN;
  } finally {
    observer.disconnect();
  }
}

export default async function (): Promise<Figures> {
  const coaty = loadCoaty();
  const candidates: Record<string, (i: number) => void> = {
    '1voter': proposer(1, 1),
    '2voters': proposer(2, 1),
    '3voters': proposer(3, 1),
    '3voters.batch64': proposer(3, 64),
  };
  if (coaty !== undefined) {
    candidates['coaty.1voter'] = coatyProposer(coaty, 1);
    candidates['coaty.2voters'] = coatyProposer(coaty, 2);
  }
  const rates = compareOps(candidates, { timeMs: 2000, samples: 10 });
  const one = rates['1voter']!;
  const two = rates['2voters']!;
  const gc = gcFunction();
  const alloc1 = await allocatedBytes(proposer(1, 1), gc);
  const alloc3 = await allocatedBytes(proposer(3, 1), gc);
  const alloc64 = (await allocatedBytes(proposer(3, 64), gc)) / 64;
  const perEntry = bytesPerEntry(gc);
  const bounded = boundedRun(gc);
  const figures: Figures = {
    'raft.propose.1voter': opsFigure(one, 'proposals/s'),
    'raft.propose.2voters': opsFigure(two, 'proposals/s'),
    'raft.propose.3voters': opsFigure(rates['3voters']!, 'proposals/s'),
    'raft.propose.3voters.batch64': opsFigure(rates['3voters.batch64']! * 64, 'entries/s'),
    'raft.propose.1voter.allocBytes': { value: round(alloc1, 4), unit: 'bytes/proposal' },
    'raft.propose.3voters.allocBytes': { value: round(alloc3, 4), unit: 'bytes/proposal' },
    'raft.propose.3voters.batch64.allocBytes': { value: round(alloc64, 4), unit: 'bytes/entry' },
    'raft.memory.bytesPerEntry100B': { value: round(perEntry, 3), unit: 'bytes' },
    'raft.memory.maxRetainedEntries.1M': { value: bounded.maxRetained, unit: 'entries' },
    'raft.memory.heapGrowth.1M': { value: round(Math.max(0, bounded.heapGrowthMb), 3), unit: 'MB' },
  };
  if (coaty !== undefined) {
    // Measured side by side, interleaved with ours in the same run.
    figures['raft.propose.coaty.1voter'] = opsFigure(rates['coaty.1voter']!, 'proposals/s');
    figures['raft.propose.coaty.2voters'] = opsFigure(rates['coaty.2voters']!, 'proposals/s');
    figures['raft.propose.1voter.vs.coaty'] = ratio(one, rates['coaty.1voter']!);
    figures['raft.propose.2voters.vs.coaty'] = ratio(two, rates['coaty.2voters']!);
  } else {
    // Against the published figures (0.55M/s and 0.24M/s on this machine class).
    figures['raft.propose.1voter.vs.coaty'] = ratio(one, COATY_1VOTER_PER_S);
    figures['raft.propose.2voters.vs.coaty'] = ratio(two, COATY_2VOTERS_PER_S);
  }
  return figures;
}
