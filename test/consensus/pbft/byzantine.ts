// Byzantine PBFT replicas for the simulator. A faulty replica holds its own keys (it can sign
// anything as itself) but not the others' keys, and behaves in one of these ways:
// - silent: never sends anything;
// - equivocate: runs the protocol but tells different replicas different things: conflicting
//   pre-prepares (two requests swapped, or a request it made up) when primary, prepares, commits
//   and checkpoints with wrong digests to some replicas, altered view-changes and new-views,
//   wrong results to clients;
// - garbage: runs the protocol and also sends malformed messages, well-formed messages with
//   arbitrary field values (signed by itself), messages claiming to be from other replicas, and
//   replays of what it received to other nodes.
import { nextFloat, nextInt, seedPrng, type Machine, type NodeId, type PrngState } from 'distkit/core';
import {
  pbftHmacAuthenticator,
  pbftReplica,
  type PbftAuthenticator,
  type PbftMessage,
  type PbftReplicaConfig,
  type PbftReplicaInput,
  type PbftReplicaOutput,
  type PbftReplicaState,
  type PbftRequest,
} from 'distkit/consensus';
import { requestDigest, signed } from '../../../src/consensus/pbft/messages.js';
import { portableSha256 } from '../../../src/consensus/pbft/crypto.js';

export type Behaviour = 'silent' | 'equivocate' | 'garbage';
export const BEHAVIOURS: readonly Behaviour[] = ['silent', 'equivocate', 'garbage'];

export interface ByzantineConfig extends PbftReplicaConfig {
  readonly behaviour: Behaviour;
  readonly seed: number;
  /** Every node id, replicas and clients (targets of garbage). */
  readonly everyone: readonly NodeId[];
}

export interface ByzantineState {
  readonly inner: PbftReplicaState;
  readonly behaviour: Behaviour;
  readonly rng: PrngState;
  readonly everyone: readonly NodeId[];
  /** The last few messages received, to replay. */
  readonly seen: readonly unknown[];
  readonly made: number;
}

type Out = PbftReplicaOutput;

/** Signs any message as this node (a faulty replica signs whatever it likes with its own keys). */
function sign<M>(auth: PbftAuthenticator, m: M): M & { sig: string } {
  return signed(auth, m as never) as unknown as M & { sig: string };
}

class Rng {
  constructor(public state: PrngState) {}
  float(): number {
    const d = nextFloat(this.state);
    this.state = d.state;
    return d.value;
  }
  int(min: number, max: number): number {
    const d = nextInt(this.state, min, max);
    this.state = d.state;
    return d.value;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length)]!;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(0, 16)];
    return s;
  }
}

export function byzantineReplica(keys: Record<NodeId, string>, id: NodeId): Machine<ByzantineConfig, ByzantineState, PbftReplicaInput, Out> & {
  nextDeadline(s: ByzantineState): number | undefined;
} {
  const auth = pbftHmacAuthenticator({ id, keys });
  const inner = pbftReplica({ authenticator: auth });
  return {
    name: 'pbft-byzantine',
    init: (c) => ({
      inner: inner.init(c),
      behaviour: c.behaviour,
      rng: seedPrng(c.seed),
      everyone: c.everyone,
      seen: [],
      made: 0,
    }),
    nextDeadline: (s) => inner.nextDeadline(s.inner),
    step(s, input) {
      const t = inner.step(s.inner, input);
      const rng = new Rng(s.rng);
      const seen = input.type === 'message' ? [...s.seen.slice(-7), input.message] : s.seen;
      let made = s.made;
      const outputs: Out[] = [];
      if (s.behaviour === 'silent') return { state: { ...s, inner: t.state, seen }, outputs: [] };
      for (const o of t.outputs) {
        if (o.type !== 'send') {
          outputs.push(o);
          continue;
        }
        if (s.behaviour === 'equivocate') {
          const twisted = twist(auth, rng, t.state, o.to, o.message, () => made++);
          if (twisted !== null) outputs.push({ type: 'send', to: o.to, message: twisted as PbftMessage });
        } else outputs.push(o);
      }
      if (s.behaviour === 'garbage' && input.type === 'message') {
        const k = rng.int(0, 3);
        for (let i = 0; i < k; i++) outputs.push({ type: 'send', to: rng.pick(s.everyone), message: garbage(auth, rng, t.state, seen) as PbftMessage });
      }
      return { state: { ...s, inner: t.state, rng: rng.state, seen, made }, outputs };
    },
  };
}

/** The half of the replicas (by position) that sees the "other" story. */
function otherHalf(s: PbftReplicaState, to: NodeId): boolean {
  return s.replicas.indexOf(to) % 2 === 1;
}

function madeUpRequest(auth: PbftAuthenticator, n: number): PbftRequest {
  return sign(auth, { type: 'request' as const, client: auth.id, timestamp: n + 1, operation: { evil: n } });
}

function twist(auth: PbftAuthenticator, rng: Rng, s: PbftReplicaState, to: NodeId, m: PbftMessage, next: () => number): unknown {
  const other = otherHalf(s, to);
  switch (m.type) {
    case 'pre-prepare': {
      if (!other) return m;
      // Conflicting order: swap with another request in the log, or a made-up request.
      const swap = s.log
        .map((x) => x.prePrepare?.request)
        .find((r) => r != null && r.timestamp !== m.request?.timestamp && r.client !== m.request?.client);
      const request = swap ?? madeUpRequest(auth, next());
      return sign(auth, { type: 'pre-prepare', view: m.view, seq: m.seq, digest: requestDigest(request, portableSha256), replica: auth.id, request });
    }
    case 'prepare':
    case 'commit':
      return other ? sign(auth, { type: m.type, view: m.view, seq: m.seq, digest: rng.hex(64), replica: auth.id }) : m;
    case 'checkpoint':
      return other ? sign(auth, { type: 'checkpoint', seq: m.seq, digest: rng.hex(64), replica: auth.id }) : m;
    case 'view-change':
      // Hide its prepared certificates from some, claim a later stable checkpoint to others.
      if (!other) return sign(auth, { ...m, prepared: [], sig: undefined } as never);
      return rng.float() < 0.5 ? sign(auth, { ...m, stable: m.stable + s.checkpointInterval, sig: undefined } as never) : m;
    case 'new-view':
      // Different O to different backups: drop the last pre-prepare, or keep it.
      return other && m.prePrepares.length > 0 ? sign(auth, { ...m, prePrepares: m.prePrepares.slice(0, -1), sig: undefined } as never) : m;
    case 'reply':
      return rng.float() < 0.5 ? sign(auth, { ...m, result: { index: -1, hash: rng.hex(64) }, sig: undefined } as never) : m;
    case 'request':
    case 'fetch':
      return m;
    case 'state':
      return { ...m, snapshot: { service: { executed: 0, hash: rng.hex(64) }, replies: {} } };
  }
}

function randomJson(rng: Rng, depth = 0): unknown {
  const r = rng.int(0, depth > 2 ? 5 : 8);
  switch (r) {
    case 0:
      return null;
    case 1:
      return rng.pick([0, -1, 1.5, 2 ** 53, -(2 ** 60), 1e308]);
    case 2:
      return rng.pick(['', 'x', 'request', 'pre-prepare', 'r1', rng.hex(64), 'null']);
    case 3:
      return rng.float() < 0.5;
    case 4:
      return rng.int(0, 20);
    case 5:
      return Array.from({ length: rng.int(0, 4) }, () => randomJson(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (const k of ['type', 'view', 'seq', 'digest', 'replica', 'sig', 'request', 'prepared', 'proof', 'stable']) if (rng.float() < 0.5) o[k] = randomJson(rng, depth + 1);
      return o;
    }
  }
}

const TYPES = ['request', 'pre-prepare', 'prepare', 'commit', 'reply', 'checkpoint', 'view-change', 'new-view', 'fetch', 'state'] as const;

function garbage(auth: PbftAuthenticator, rng: Rng, s: PbftReplicaState, seen: readonly unknown[]): unknown {
  const kind = rng.int(0, 6);
  const view = s.view + rng.int(-1, 3);
  const seq = s.stable.seq + rng.int(-2, s.logSize + 3);
  const digest = rng.float() < 0.5 ? rng.hex(64) : 'null';
  switch (kind) {
    case 0: // malformed
      return randomJson(rng);
    case 1: // a known type with junk fields
      return { ...(randomJson(rng, 3) as object), type: rng.pick(TYPES) };
    case 2: {
      // well-formed and signed by itself, with arbitrary values
      const type = rng.pick(['prepare', 'commit', 'checkpoint', 'pre-prepare', 'view-change'] as const);
      if (type === 'checkpoint') return sign(auth, { type, seq: Math.max(1, seq), digest, replica: auth.id });
      if (type === 'pre-prepare') return sign(auth, { type, view: Math.max(0, view), seq: Math.max(1, seq), digest, replica: auth.id, request: null });
      if (type === 'view-change') return sign(auth, { type, view: Math.max(1, view + 1), stable: 0, proof: [], prepared: [], replica: auth.id });
      return sign(auth, { type, view: Math.max(0, view), seq: Math.max(1, seq), digest, replica: auth.id });
    }
    case 3: {
      // claims to be another replica: the signature is its own, so it cannot verify
      const victim = rng.pick(s.replicas.filter((r) => r !== auth.id));
      const m = sign(auth, { type: 'commit', view: s.view, seq: Math.max(1, seq), digest, replica: auth.id });
      return { ...m, replica: victim };
    }
    case 4: // replay something received
      return seen.length > 0 ? rng.pick(seen) : randomJson(rng);
    default: {
      // a request made up by itself (a faulty replica may act as a client), or a forged client's
      const r = madeUpRequest(auth, 1000 + rng.int(0, 1000));
      return rng.float() < 0.5 ? r : { ...r, client: 'c0' };
    }
  }
}
