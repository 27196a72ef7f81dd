/**
 * A nastier nemesis for the Raft-replicated chain master, and invariants at the master level.
 *
 * Faults aimed at the master leader need to know who leads when: a prefix of the same run (the
 * simulator is deterministic, and a fault scheduled later changes nothing before it) is stepped
 * until the first `reconfigured` after a chosen time, which names the leader that just decided;
 * the faults then strike right after that step.
 */
import type { Invariant, NodeId } from '../../src/core/index.js';
import { Random, canonicalJson } from '../../src/core/index.js';
import { raftEntries } from '../../src/consensus/index.js';
import type { ChainView, RaftChainMasterState } from '../../src/replication/index.js';
import type { ClockOptions, LinkOverride, ScheduledCommand, ScheduledFault, SimView } from '../../src/sim/index.js';
import { REPLICAS, runChain, type ChainRun, type ChainRunOptions } from './chain-workload.js';

/** What strikes the master leader (see {@link runNemesis}). */
export type LeaderFault = 'crash-after-decide' | 'remove-then-crash' | 'isolate' | 'isolate-pause' | 'minority-cut' | 'leader-returns';
export const LEADER_FAULTS: readonly LeaderFault[] = ['crash-after-decide', 'remove-then-crash', 'isolate', 'isolate-pause', 'minority-cut', 'leader-returns'];

interface ReplicaLike {
  readonly id: NodeId;
  readonly incarnation: number;
  readonly view: ChainView;
  readonly member: boolean;
  readonly synced: boolean;
  readonly leaseUntil: number;
}

const isMaster = (s: unknown): s is RaftChainMasterState => s !== null && typeof s === 'object' && 'raft' in s && 'pending' in s;
const isReplica = (s: unknown): s is ReplicaLike => s !== null && typeof s === 'object' && 'leaseUntil' in s && 'incarnation' in s && 'view' in s;
const chainOf = (w: ChainView): string => JSON.stringify([w.chain.map((m) => m.id), w.joining]);

/**
 * Thesis §6.4 at the master level: a leader proposes a view change only from the latest view, so
 * every view change a master applied is based on the view in effect before it (a stale proposal
 * would be dropped at apply, or, without that check, issue an epoch twice). Read from each
 * master's log between its snapshot and its applied index; stateless, so the model checker can
 * use it too.
 */
export const noStaleProposalApplied: Invariant<unknown> = {
  name: 'every applied view change is based on the view in effect',
  check(states) {
    for (const [node, s] of Object.entries(states)) {
      if (!isMaster(s)) continue;
      const log = s.raft.log;
      let current: string | undefined = log.snapshotIndex > 0 ? canonicalJson((log.snapshot.data as { view: ChainView }).view) : undefined;
      if (s.appliedIndex <= log.snapshotIndex) continue;
      for (const e of raftEntries(log, log.snapshotIndex + 1, s.appliedIndex)) {
        const data = e.data as { type?: unknown; base?: ChainView; next?: ChainView } | null;
        if (e.kind !== undefined || data === null || data.type !== 'view' || data.base === undefined || data.next === undefined) continue;
        const base = canonicalJson(data.base);
        if (current !== undefined && base !== current) return `${node}: entry ${e.index} (term ${e.term}) changes epoch ${data.base.epoch} while ${(JSON.parse(current) as ChainView).epoch} was in effect`;
        current = canonicalJson(data.next);
      }
    }
    return undefined;
  },
};

/**
 * Invariants over the whole run (the history ones remember what they saw: a fresh set per run):
 * - every applied view change is based on the view in effect ({@link noStaleProposalApplied});
 * - one view per epoch across all masters' applied state, at any two times;
 * - a master's applied epoch never goes back while its applied index grows;
 * - a replica's epoch never goes back within one incarnation (it never acts on an older view);
 * - lease fencing: a replica serving under a lease in epoch e is a member, since e or earlier,
 *   of every later epoch any master applied (a removed replica's lease has run out).
 */
export function masterLevelInvariants(): Invariant<unknown>[] {
  return [noStaleProposalApplied, ...historyInvariants()];
}

function historyInvariants(): Invariant<unknown>[] {
  const views = new Map<number, { node: NodeId; view: ChainView }>();
  const masterAt = new Map<NodeId, { index: number; epoch: number }>();
  const replicaAt = new Map<NodeId, { incarnation: number; epoch: number }>();
  return [
    {
      name: 'one view per epoch, ever, across the master nodes',
      check(states) {
        for (const [node, s] of Object.entries(states)) {
          if (!isMaster(s)) continue;
          const seen = views.get(s.view.epoch);
          if (seen === undefined) views.set(s.view.epoch, { node, view: s.view });
          else if (chainOf(seen.view) !== chainOf(s.view)) return `epoch ${s.view.epoch}: ${seen.node} applied ${chainOf(seen.view)}, ${node} applied ${chainOf(s.view)}`;
          else if (s.view.chain.some((m, i) => m.incarnation !== null && seen.view.chain[i]!.incarnation === null)) views.set(s.view.epoch, { node, view: s.view });
        }
        return undefined;
      },
    },
    {
      name: 'a master applies epochs in increasing order',
      check(states) {
        for (const [node, s] of Object.entries(states)) {
          if (!isMaster(s)) continue;
          const before = masterAt.get(node);
          if (before !== undefined && s.appliedIndex >= before.index && s.view.epoch < before.epoch) return `${node} went from epoch ${before.epoch} (index ${before.index}) to ${s.view.epoch} (index ${s.appliedIndex})`;
          masterAt.set(node, { index: s.appliedIndex, epoch: s.view.epoch });
        }
        return undefined;
      },
    },
    {
      name: 'a replica never takes an older view',
      check(states) {
        for (const s of Object.values(states)) {
          if (!isReplica(s)) continue;
          const before = replicaAt.get(s.id);
          if (before !== undefined && before.incarnation === s.incarnation && s.view.epoch < before.epoch) return `${s.id} (incarnation ${s.incarnation}) went from epoch ${before.epoch} to ${s.view.epoch}`;
          replicaAt.set(s.id, { incarnation: s.incarnation, epoch: s.view.epoch });
        }
        return undefined;
      },
    },
    {
      name: 'lease fencing: no replica serves in an epoch a later one removed it from',
      check(states, view) {
        const now = (node: NodeId) => (view as SimView).localTime(node);
        for (const s of Object.values(states)) {
          if (!isReplica(s) || !s.member || !s.synced || !(now(s.id) < s.leaseUntil)) continue;
          for (const [epoch, w] of views) {
            if (epoch <= s.view.epoch) continue;
            const m = w.view.chain.find((x) => x.id === s.id);
            if (m === undefined || m.incarnation !== s.incarnation || m.since > s.view.epoch) {
              return `${s.id} serves in epoch ${s.view.epoch} (lease ${s.leaseUntil - now(s.id)} ms more) but epoch ${epoch} (${w.node}) ${m === undefined ? 'removed it' : 'took it back as a new member'}`;
            }
          }
        }
        return undefined;
      },
    },
  ];
}

/** The master nodes of a run with `n` of them. */
export const masterIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i + 1}`);

/** Skew up to ±300 ms and drift up to ±0.5 % on every node (durations are only ever measured on one clock). */
function clocksFor(random: Random, nodes: readonly string[]): Record<string, ClockOptions> {
  const out: Record<string, ClockOptions> = {};
  for (const id of nodes) out[id] = { skewMs: random.int(-300, 301), drift: (random.int(-50, 51) / 10_000) };
  return out;
}

/** Messages to and from the master nodes: duplicated and reordered far more than the rest. */
function masterLinks(masters: readonly string[]): LinkOverride[] {
  const noisy = { duplicate: 0.1, reorder: 0.2, reorderMaxMs: 60 };
  return masters.flatMap((m) => [
    { from: m, ...noisy },
    { to: m, ...noisy },
  ]);
}

const at3 = (t: number): number => Math.round(t * 1000) / 1000;
const cut = (at: number, a: string, b: string): ScheduledFault[] => [
  { at, fault: { type: 'oneWay', from: a, to: b } },
  { at, fault: { type: 'oneWay', from: b, to: a } },
];

/** Options of {@link runNemesis}. */
export interface NemesisOptions {
  readonly seed: number;
  readonly kind?: ChainRunOptions['kind'];
  /** The leader-aimed fault of this run; default by seed, in turn. */
  readonly leaderFault?: LeaderFault;
  /** The master's failure timeout; default 300 ms, 50 ms above the replicas' lease. */
  readonly failureTimeoutMs?: number;
}

/** A run of {@link runNemesis}: the chain run, and the leader-aimed episode if one struck. */
export interface NemesisRun extends ChainRun {
  readonly episode: { readonly kind: LeaderFault; readonly leader: string; readonly at: number } | undefined;
}

type Episode = { readonly leader: string; readonly at: number; readonly faults: ScheduledFault[]; readonly commands?: ScheduledCommand[] };

/** The last master node that became leader before `time` in a prefix of the run. */
function leaderAt(base: ChainRunOptions, time: number, faults: readonly ScheduledFault[] = []): string | undefined {
  const prefix = runChain({ ...base, extraFaults: faults, stopAtMs: time });
  return prefix.leaders.filter((l) => l.time <= time).at(-1)?.node;
}

/** The first epoch issued at or after `time` in a prefix of the run with `faults` added. */
function decisionAfter(base: ChainRunOptions, faults: readonly ScheduledFault[], time: number) {
  const prefix = runChain({ ...base, extraFaults: faults, stopAtReconfigurationMs: time });
  return prefix.issued.find((x) => x.time >= time);
}

/**
 * The faults of one leader-aimed episode, from `after` on:
 * - crash-after-decide: the leader crashes right after it issued an epoch, restarts 150–550 ms later;
 * - remove-then-crash: a chain member is cut from the leader only (the other master nodes still
 *   hear it) until the leader removes it; the leader crashes right after that decision, so a new
 *   leader takes over while the removed replica still heartbeats to it;
 * - isolate / isolate-pause: right after it issued an epoch the leader is cut from the other
 *   master nodes (not from the replicas), and one member of that chain from the other master nodes,
 *   so only the old leader hears it; with -pause the old leader is also paused 500–1000 ms;
 * - minority-cut: the leader is cut from one other master node (it keeps a majority) for 300–900 ms.
 */
function episode(kind: LeaderFault, base: ChainRunOptions, random: Random, masters: readonly string[], after: number): Episode | undefined {
  if (kind === 'remove-then-crash') {
    const leader = leaderAt(base, after);
    if (leader === undefined) return undefined;
    const x = random.choice(REPLICAS);
    const isolated = cut(after, x, leader);
    const d = decisionAfter(base, isolated, after + 300);
    if (d === undefined || d.node !== leader) return undefined;
    const at = at3(d.time + 0.001);
    // The new leader's first round trips are slow and uneven: its noop may commit late.
    const slow: ScheduledFault[] = masters.map((m) => ({ at, fault: { type: 'link', link: { to: m, delay: { type: 'exponential', minMs: 1, meanMs: 40 } } } }));
    return {
      leader,
      at,
      faults: [...isolated, ...slow, { at, fault: { type: 'crash', node: leader } }, { at: at + 150 + random.int(0, 400), fault: { type: 'restart', node: leader } }, { at: at + 300 + random.int(0, 600), fault: { type: 'heal' } }, { at: at + 400, fault: { type: 'linkReset' } }],
    };
  }
  if (kind === 'leader-returns') return leaderReturns(base, random, masters, after);
  const d = decisionAfter(base, [], after);
  if (d === undefined) return undefined;
  const at = at3(d.time + 0.001);
  const leader = d.node;
  const others = masters.filter((m) => m !== leader);
  switch (kind) {
    case 'crash-after-decide':
      return { leader, at, faults: [{ at, fault: { type: 'crash', node: leader } }, { at: at + 150 + random.int(0, 400), fault: { type: 'restart', node: leader } }] };
    case 'isolate':
    case 'isolate-pause': {
      const x = random.choice(d.chain.length > 0 ? d.chain : REPLICAS);
      const back = at + 500 + random.int(0, 500);
      const pause: ScheduledFault[] = kind === 'isolate-pause' ? [{ at, fault: { type: 'pause', node: leader } }, { at: back, fault: { type: 'resume', node: leader } }] : [];
      return { leader, at, faults: [...others.flatMap((m) => [...cut(at, leader, m), ...cut(at, x, m)]), ...pause, { at: back + 100 + random.int(0, 300), fault: { type: 'heal' } }] };
    }
    case 'minority-cut': {
      // The cut-off master node does not hear one replica either: should it lead, it removes that one.
      const m = random.choice(others);
      return { leader, at, faults: [...cut(at, leader, m), ...cut(at, random.choice(REPLICAS), m), { at: at + 300 + random.int(0, 600), fault: { type: 'heal' } }] };
    }
  }
}

/**
 * leader-returns: the leader is cut from the other master nodes (not the replicas) for 400–700 ms,
 * a new leader serves the replicas meanwhile, and 100–300 ms after the heal it hands leadership
 * back: the returning leader must not judge the replicas by what it heard in its earlier term.
 */
function leaderReturns(base: ChainRunOptions, random: Random, masters: readonly string[], after: number): Episode | undefined {
  const leader = leaderAt(base, after);
  if (leader === undefined) return undefined;
  const heal = after + 400 + random.int(0, 300);
  const faults: ScheduledFault[] = [...masters.filter((m) => m !== leader).flatMap((m) => cut(after, leader, m)), { at: heal, fault: { type: 'heal' } }];
  const back = heal + 100 + random.int(0, 200);
  const current = leaderAt(base, back, faults);
  if (current === undefined || current === leader) return undefined;
  return { leader, at: after, faults, commands: [{ at: back, node: current, input: { type: 'transferLeadership', to: leader } }] };
}

/**
 * Three masters, four replicas, the seeded faults of `runChain` plus: skewed, drifting clocks;
 * duplication and reordering around the masters; clients that read at stale replicas; and one
 * fault aimed at the master leader. Checked after every step by the master-level invariants.
 */
export function runNemesis(o: NemesisOptions): NemesisRun {
  const masters = masterIds(3);
  const random = new Random(`raft-chain-master-nemesis/${o.seed}`);
  const kind = o.leaderFault ?? LEADER_FAULTS[o.seed % LEADER_FAULTS.length]!;
  const base: ChainRunOptions = {
    seed: o.seed,
    masters: masters.length,
    faults: true,
    crashMaster: true,
    staleHeads: true,
    staleReaders: true,
    ...(o.kind === undefined ? {} : { kind: o.kind }),
    clocks: clocksFor(random, [...masters, ...REPLICAS]),
    links: masterLinks(masters),
    // Only 50 ms above the replicas' 250 ms lease: the margin the documented rule asks for, no more.
    failureTimeoutMs: o.failureTimeoutMs ?? 300,
  };
  const e = episode(kind, base, random, masters, 1200 + random.int(0, 2500));
  const run = runChain({ ...base, extraFaults: e?.faults ?? [], commands: e?.commands ?? [], invariants: masterLevelInvariants() });
  return { ...run, episode: e === undefined ? undefined : { kind, leader: e.leader, at: e.at } };
}
