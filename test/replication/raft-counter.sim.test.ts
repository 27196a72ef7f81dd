// "100 concurrent increments give exactly 100": ten clients, ten increments each, up to five in
// flight per client, retried on timeouts and redirects, over a 3-node Raft counter with loss,
// duplication, reordering, partitions and crashes.
import { describe, expect, it } from 'vitest';
import type { Machine, Timer } from '../../src/core/index.js';
import { startTimer, timerDeadline } from '../../src/core/index.js';
import { raftCounter, type RaftCounterReply, type RaftCounterState } from '../../src/replication/index.js';
import { simulate, type ScheduledFault } from '../../src/sim/index.js';
import { Random } from '../../src/core/index.js';

const SERVERS = ['s1', 's2', 's3'];
const CLIENTS = Array.from({ length: 10 }, (_, i) => `c${i}`);
const PER_CLIENT = 10;
const IN_FLIGHT = 5;
const RETRY_MS = 150;

interface Open {
  readonly seq: number;
  readonly sentAt: number;
  readonly to: string;
}
interface ClientState {
  readonly id: string;
  readonly session: string | null;
  readonly registerSentAt: number;
  readonly nextSeq: number;
  readonly open: readonly Open[];
  readonly done: readonly number[];
  /** The value each seq was answered with (the first answer; retries must repeat it). */
  readonly answers: Readonly<Record<string, number>>;
  readonly sends: number;
  readonly leader: string;
  readonly timer: Timer;
  readonly mismatches: number;
}

/** A test client: registers, keeps up to IN_FLIGHT increments open, resends each after RETRY_MS. */
const client: Machine<{ id: string }, ClientState, { type: string; now: number; from?: string; message?: unknown }, unknown> = {
  name: 'counter-client',
  init: ({ id }) => ({ id, session: null, registerSentAt: -Infinity, nextSeq: 1, open: [], done: [], answers: {}, sends: 0, leader: SERVERS[0]!, timer: startTimer(0, 0), mismatches: 0 }),
  step(state, input) {
    const out: unknown[] = [];
    let s = state;
    const other = (avoid: string) => SERVERS[(SERVERS.indexOf(avoid) + 1 + Math.floor(input.now / 7) % 2) % SERVERS.length]!;
    const acked = () => {
      let a = 0;
      while (s.done.includes(a + 1)) a++;
      return a;
    };
    const sendInc = (seq: number, to: string) => {
      out.push({ type: 'send', to, message: { type: 'increment', rid: `${s.id}/${seq}`, session: s.session, seq, acked: acked() } });
      s = { ...s, sends: s.sends + 1 };
    };
    if (input.type === 'message') {
      const r = input.message as RaftCounterReply;
      if (r.type === 'registered' && s.session === null) s = { ...s, session: r.session };
      if (r.type === 'notLeader' && r.leader !== null) s = { ...s, leader: r.leader };
      if (r.type === 'notLeader' && r.leader === null) s = { ...s, leader: other(input.from!) };
      if (r.type === 'incremented' && r.session === s.session) {
        const prior = s.answers[String(r.seq)];
        if (prior !== undefined && prior !== r.value) s = { ...s, mismatches: s.mismatches + 1 };
        if (!s.done.includes(r.seq)) s = { ...s, done: [...s.done, r.seq], open: s.open.filter((o) => o.seq !== r.seq), answers: { ...s.answers, [String(r.seq)]: r.value }, leader: input.from! };
      }
      if (r.type === 'expired') throw new Error(`session ${r.session} expired`);
    }
    if (input.type === 'tick' || input.type === 'message') {
      if (s.session === null) {
        if (input.now - s.registerSentAt >= RETRY_MS) {
          out.push({ type: 'send', to: s.leader, message: { type: 'register', rid: `${s.id}/register` } });
          s = { ...s, registerSentAt: input.now, leader: other(s.leader) };
        }
      } else {
        // Resend what has waited too long (to another server if no answer), then open new ones.
        const open: Open[] = [];
        for (const o of s.open) {
          if (input.now - o.sentAt < RETRY_MS) open.push(o);
          else {
            const to = o.to === s.leader ? other(o.to) : s.leader;
            sendInc(o.seq, to);
            open.push({ seq: o.seq, sentAt: input.now, to });
          }
        }
        s = { ...s, open };
        while (s.open.length < IN_FLIGHT && s.nextSeq <= PER_CLIENT) {
          const seq = s.nextSeq;
          sendInc(seq, s.leader);
          s = { ...s, nextSeq: seq + 1, open: [...s.open, { seq, sentAt: input.now, to: s.leader }] };
        }
      }
      if (input.type === 'tick') s = { ...s, timer: startTimer(input.now, 50) };
    }
    return { state: s, outputs: out };
  },
  nextDeadline: (s) => (s.done.length === PER_CLIENT ? undefined : timerDeadline(s.timer)),
};

function faults(seed: number): ScheduledFault[] {
  const random = new Random(`counter/${seed}`);
  const out: ScheduledFault[] = [];
  for (let t = 500; t < 6000; t += 700 + random.int(0, 900)) {
    const node = random.choice(SERVERS);
    out.push({ at: t, fault: { type: 'crash', node } }, { at: t + 200 + random.int(0, 600), fault: { type: 'restart', node } });
  }
  const at = 800 + random.int(0, 3000);
  const cut = random.choice(SERVERS);
  out.push({ at, fault: { type: 'partition', groups: [[cut], [...SERVERS.filter((x) => x !== cut), ...CLIENTS]] } }, { at: at + 500, fault: { type: 'heal' } });
  return out;
}

function run(seed: number) {
  const result = simulate({
    seed,
    nodes: [
      ...SERVERS.map((id) => ({ id, machine: raftCounter, config: { raft: { id, voters: SERVERS, seed: `${seed}/${id}`, electionTimeoutMs: 150, heartbeatIntervalMs: 30 }, snapshotEvery: 40 } })),
      ...CLIENTS.map((id) => ({ id, machine: client, config: { id } })),
    ],
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 25 }, loss: 0.03, duplicate: 0.1, reorder: 0.05 },
    faults: faults(seed),
    maxTimeMs: 30_000,
    stopWhen: (view) => CLIENTS.every((c) => (view.states[c] as ClientState).done.length === PER_CLIENT) && view.time > 7000,
  });
  const clients = CLIENTS.map((c) => result.states[c] as ClientState);
  const servers = SERVERS.map((s) => result.states[s] as RaftCounterState | undefined).filter((s): s is RaftCounterState => s !== undefined);
  return { result, clients, servers };
}

describe('raftCounter in the simulator: 100 concurrent increments under duplication and retries', () => {
  it('give exactly 100, each answered with a distinct count, over 30 seeds', () => {
    let retries = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const { result, clients, servers } = run(seed);
      expect(result.violation, `seed ${seed}`).toBeUndefined();
      for (const c of clients) expect(c.done.length, `seed ${seed} ${c.id}`).toBe(PER_CLIENT);
      for (const c of clients) expect(c.mismatches, `seed ${seed}: a retry got another answer`).toBe(0);
      // Each increment was counted once: the answers are exactly 1..100.
      const answers = clients.flatMap((c) => Object.values(c.answers)).sort((a, b) => a - b);
      expect(answers, `seed ${seed}`).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      // Every server that applied the whole log holds 100.
      const top = Math.max(...servers.map((s) => s.appliedIndex));
      for (const s of servers.filter((x) => x.appliedIndex === top)) expect(s.app.value, `seed ${seed}`).toBe(100);
      retries += clients.reduce((n, c) => n + c.sends, 0) - 100;
      expect(result.stats.messages.duplicated).toBeGreaterThan(0);
    }
    expect(retries).toBeGreaterThan(100); // the run did exercise retries
  }, 300_000);
});
