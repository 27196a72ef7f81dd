import type { DataLimits, MessageInput, NodeId, RejectedOutput, SendOutput, TickInput, Timer } from '../../core/index.js';

/**
 * What every message a replica signs carries, ⟨…⟩σi in Castro & Liskov 1999 (§2, §4): the replica
 * `i` that signed it and its signature over every other field, which receivers check against the
 * replica group before they count the message.
 *
 * @example
 * ```ts
 * import type { PbftReplicaSigned, PbftCheckpoint } from 'distkit/consensus';
 * const signer = (m: PbftReplicaSigned): string => m.replica;
 * const checkpoint: PbftCheckpoint = { type: 'checkpoint', seq: 2, digest: 'ab', replica: 'r1', sig: 's' };
 * signer(checkpoint); //=> 'r1'
 * ```
 */
export interface PbftReplicaSigned {
  /** The signer. */
  readonly replica: NodeId;
  /** Its signature over the message's other fields (a piggybacked request is signed on its own). */
  readonly sig: string;
}

/**
 * A client request ⟨REQUEST, o, t, c⟩σc (Castro & Liskov 1999, §4.1): operation `operation`,
 * timestamp `timestamp` (increasing per client, for exactly-once execution), signed by `client`.
 *
 * @example
 * ```ts
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const client = pbftClient({ authenticator: auth('c0') });
 * const asked = client.step(client.init({ id: 'c0', replicas: ids }), { type: 'request', operation: { put: 'x' }, now: 0 });
 * const sent = asked.outputs[0];
 * const request = sent?.type === 'send' ? sent.message : null;
 * request !== null && typeof request === 'object' ? Object.keys(request) : []; //=> ['type', 'client', 'timestamp', 'operation', 'sig']
 * ```
 */
export interface PbftRequest {
  readonly type: 'request';
  readonly client: NodeId;
  readonly timestamp: number;
  /** Any JSON value; the replicated service interprets it. */
  readonly operation: unknown;
  readonly sig: string;
}

/**
 * ⟨PRE-PREPARE, v, n, d⟩σp with the request piggybacked (§4.2). The signature covers every field
 * but `sig` and `request`; `request` is `null` for the null request of a new view (§4.4), whose
 * digest is {@link PBFT_NULL_DIGEST}.
 *
 * @example
 * ```ts
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const client = pbftClient({ authenticator: auth('c0') });
 * const asked = client.step(client.init({ id: 'c0', replicas: ids }), { type: 'request', operation: { put: 'x' }, now: 0 });
 * const sent = asked.outputs[0];
 * const request = sent?.type === 'send' ? sent.message : null;
 * // The primary of view 0 orders the request (PBFT §4.2):
 * const r0 = pbftReplica({ authenticator: auth('r0') });
 * const ordered = r0.step(r0.init({ id: 'r0', replicas: ids }), { type: 'message', from: 'c0', message: request, now: 1 });
 * ordered.outputs.filter((o) => o.type === 'send').map((o) => (o.type === 'send' ? [o.to, o.message.type] : [])); //=> [['r1', 'pre-prepare'], ['r2', 'pre-prepare'], ['r3', 'pre-prepare']]
 * ```
 */
export interface PbftPrePrepare extends PbftReplicaSigned {
  readonly type: 'pre-prepare';
  readonly view: number;
  readonly seq: number;
  readonly digest: string;
  /** The signer: the primary of `view`. */
  readonly replica: NodeId;
  readonly request: PbftRequest | null;
}

/**
 * ⟨PREPARE, v, n, d, i⟩σi (§4.2) or ⟨COMMIT, v, n, D(m), i⟩σi (§4.2), told apart by `type`.
 *
 * @example
 * ```ts
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const client = pbftClient({ authenticator: auth('c0') });
 * const asked = client.step(client.init({ id: 'c0', replicas: ids }), { type: 'request', operation: { put: 'x' }, now: 0 });
 * const sent = asked.outputs[0];
 * const request = sent?.type === 'send' ? sent.message : null;
 * // The primary of view 0 orders the request (PBFT §4.2):
 * const r0 = pbftReplica({ authenticator: auth('r0') });
 * const ordered = r0.step(r0.init({ id: 'r0', replicas: ids }), { type: 'message', from: 'c0', message: request, now: 1 });
 * const prePrepare = ordered.outputs.find((o) => o.type === 'send' && o.to === 'r1');
 * const r1 = pbftReplica({ authenticator: auth('r1') });
 * const voted = r1.step(r1.init({ id: 'r1', replicas: ids }), { type: 'message', from: 'r0', message: prePrepare?.type === 'send' ? prePrepare.message : null, now: 2 });
 * voted.outputs.filter((o) => o.type === 'send').map((o) => (o.type === 'send' ? [o.to, o.message.type] : [])); //=> [['r0', 'prepare'], ['r2', 'prepare'], ['r3', 'prepare']]
 * ```
 */
export interface PbftVote extends PbftReplicaSigned {
  readonly type: 'prepare' | 'commit';
  readonly view: number;
  readonly seq: number;
  readonly digest: string;
}

/**
 * ⟨REPLY, v, t, c, i, r⟩σi (§4.1): replica `replica`'s result of the request with `timestamp`.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const nodes = [
 *   ...ids.map((id) => ({ id, machine: pbftReplica({ authenticator: auth(id) }), config: { id, replicas: ids, checkpointInterval: 2 } })),
 *   { id: 'c0', machine: pbftClient({ authenticator: auth('c0') }), config: { id: 'c0', replicas: ids } },
 * ];
 * const commands = [1, 2, 3].map((n) => ({ at: n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * const r = simulate({ seed: 1, nodes, commands, maxTimeMs: 2000 });
 * const sent = (type: string) => r.trace.flatMap((e) => (e.kind === 'send' && (e.message as { type: string }).type === type ? [e.message as Record<string, unknown>] : []));
 * // Each replica answers the client directly (§4.1); the client takes f + 1 matching replies.
 * sent('reply').filter((m) => m.timestamp === 1).map((m) => m.replica).sort(); //=> ['r0', 'r1', 'r2', 'r3']
 * ```
 */
export interface PbftReply extends PbftReplicaSigned {
  readonly type: 'reply';
  readonly view: number;
  readonly timestamp: number;
  readonly client: NodeId;
  readonly result: unknown;
}

/**
 * ⟨CHECKPOINT, n, d, i⟩σi (§4.3): replica `replica` executed up to `seq` and its state digest is `digest`.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const nodes = [
 *   ...ids.map((id) => ({ id, machine: pbftReplica({ authenticator: auth(id) }), config: { id, replicas: ids, checkpointInterval: 2 } })),
 *   { id: 'c0', machine: pbftClient({ authenticator: auth('c0') }), config: { id: 'c0', replicas: ids } },
 * ];
 * const commands = [1, 2, 3].map((n) => ({ at: n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * const r = simulate({ seed: 1, nodes, commands, maxTimeMs: 2000 });
 * const sent = (type: string) => r.trace.flatMap((e) => (e.kind === 'send' && (e.message as { type: string }).type === type ? [e.message as Record<string, unknown>] : []));
 * // Every checkpointInterval executed requests each replica broadcasts the digest of its state (§4.3).
 * [...new Set(sent('checkpoint').map((m) => m.seq))]; //=> [2]
 * ```
 */
export interface PbftCheckpoint extends PbftReplicaSigned {
  readonly type: 'checkpoint';
  readonly seq: number;
  readonly digest: string;
}

/**
 * A prepared certificate Pm (§4.4): a pre-prepare and 2f matching prepares from distinct backups.
 * It proves that no other request can have committed at that sequence number in that view.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const nodes = [
 *   ...ids.map((id) => ({ id, machine: pbftReplica({ authenticator: auth(id) }), config: { id, replicas: ids, checkpointInterval: 2 } })),
 *   { id: 'c0', machine: pbftClient({ authenticator: auth('c0') }), config: { id: 'c0', replicas: ids } },
 * ];
 * const commands = [1, 2, 3].map((n) => ({ at: n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * const r = simulate({ seed: 1, nodes, commands, maxTimeMs: 2000 });
 * const sent = (type: string) => r.trace.flatMap((e) => (e.kind === 'send' && (e.message as { type: string }).type === type ? [e.message as Record<string, unknown>] : []));
 * // A prepared certificate: the pre-prepare and 2f matching prepares (§4.2).
 * const s = r.states['r1'] as { certificates: readonly { prePrepare: { seq: number }; prepares: readonly unknown[] }[] };
 * s.certificates.map((c) => [c.prePrepare.seq, c.prepares.length]); //=> [[3, 2]]
 * ```
 */
export interface PbftPreparedCertificate {
  readonly prePrepare: PbftPrePrepare;
  readonly prepares: readonly PbftVote[];
}

/**
 * ⟨VIEW-CHANGE, v+1, n, C, P, i⟩σi (§4.4): `stable` is the last stable checkpoint n, `proof` its
 * 2f+1 checkpoint messages C (empty for n = 0), `prepared` the certificates P for requests
 * prepared above n.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const nodes = [
 *   ...ids.map((id) => ({ id, machine: pbftReplica({ authenticator: auth(id) }), config: { id, replicas: ids, checkpointInterval: 2 } })),
 *   { id: 'c0', machine: pbftClient({ authenticator: auth('c0') }), config: { id: 'c0', replicas: ids } },
 * ];
 * const commands = [1, 2, 3].map((n) => ({ at: n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * const r = simulate({ seed: 1, nodes, commands, maxTimeMs: 20_000, faults: [{ at: 50, fault: { type: 'crash', node: 'r0' } }] });
 * const sent = (type: string) => r.trace.flatMap((e) => (e.kind === 'send' && (e.message as { type: string }).type === type ? [e.message as Record<string, unknown>] : []));
 * // The primary of view 0 is down: the backups ask for view 1 (§4.4).
 * [...new Set(sent('view-change').map((m) => [m.view, m.replica].join(':')))].sort(); //=> ['1:r1', '1:r2', '1:r3']
 * ```
 */
export interface PbftViewChange extends PbftReplicaSigned {
  readonly type: 'view-change';
  readonly view: number;
  readonly stable: number;
  readonly proof: readonly PbftCheckpoint[];
  readonly prepared: readonly PbftPreparedCertificate[];
}

/**
 * ⟨NEW-VIEW, v+1, V, O⟩σp (§4.4): the 2f+1 view-change messages V the new primary used and the
 * pre-prepares O it derived from them (each backup recomputes O and checks it).
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const nodes = [
 *   ...ids.map((id) => ({ id, machine: pbftReplica({ authenticator: auth(id) }), config: { id, replicas: ids, checkpointInterval: 2 } })),
 *   { id: 'c0', machine: pbftClient({ authenticator: auth('c0') }), config: { id: 'c0', replicas: ids } },
 * ];
 * const commands = [1, 2, 3].map((n) => ({ at: n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * const r = simulate({ seed: 1, nodes, commands, maxTimeMs: 20_000, faults: [{ at: 50, fault: { type: 'crash', node: 'r0' } }] });
 * const sent = (type: string) => r.trace.flatMap((e) => (e.kind === 'send' && (e.message as { type: string }).type === type ? [e.message as Record<string, unknown>] : []));
 * // r1, the primary of view 1, announces it with the view-change messages it used.
 * const nv = sent('new-view')[0]!;
 * [nv.replica, nv.view, (nv.viewChanges as unknown[]).length]; //=> ['r1', 1, 3]
 * ```
 */
export interface PbftNewView extends PbftReplicaSigned {
  readonly type: 'new-view';
  readonly view: number;
  readonly viewChanges: readonly PbftViewChange[];
  readonly prePrepares: readonly PbftPrePrepare[];
}

/**
 * The checkpointed state (§4.3): the service state and the last reply per client (so exactly-once
 * survives state transfer).
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const nodes = [
 *   ...ids.map((id) => ({ id, machine: pbftReplica({ authenticator: auth(id) }), config: { id, replicas: ids, checkpointInterval: 2 } })),
 *   { id: 'c0', machine: pbftClient({ authenticator: auth('c0') }), config: { id: 'c0', replicas: ids } },
 * ];
 * const commands = [1, 2, 3].map((n) => ({ at: n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * const r = simulate({ seed: 1, nodes, commands, maxTimeMs: 2000 });
 * const sent = (type: string) => r.trace.flatMap((e) => (e.kind === 'send' && (e.message as { type: string }).type === type ? [e.message as Record<string, unknown>] : []));
 * // The snapshot under the last stable checkpoint: the service state and each client's last reply.
 * const s = r.states['r2'] as { stable: { seq: number; snapshot: { replies: Record<string, unknown> } | null } };
 * [s.stable.seq, Object.keys(s.stable.snapshot?.replies ?? {})]; //=> [2, ['c0']]
 * ```
 */
export interface PbftSnapshot {
  readonly service: unknown;
  readonly replies: Readonly<Record<NodeId, PbftCachedReply>>;
}

/**
 * The last reply sent to a client (§4.1: replicas keep it to answer retransmissions).
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const nodes = [
 *   ...ids.map((id) => ({ id, machine: pbftReplica({ authenticator: auth(id) }), config: { id, replicas: ids, checkpointInterval: 2 } })),
 *   { id: 'c0', machine: pbftClient({ authenticator: auth('c0') }), config: { id: 'c0', replicas: ids } },
 * ];
 * const commands = [1, 2, 3].map((n) => ({ at: n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * const r = simulate({ seed: 1, nodes, commands, maxTimeMs: 2000 });
 * const sent = (type: string) => r.trace.flatMap((e) => (e.kind === 'send' && (e.message as { type: string }).type === type ? [e.message as Record<string, unknown>] : []));
 * // A retransmitted request is answered from the cache, not executed again (§4.1).
 * const s = r.states['r2'] as { stable: { snapshot: { replies: Record<string, { timestamp: number }> } | null } };
 * s.stable.snapshot?.replies['c0']?.timestamp; //=> 2
 * ```
 */
export interface PbftCachedReply {
  readonly timestamp: number;
  readonly result: unknown;
}

/**
 * State transfer (§4.4, "obtain ... the stable checkpoint from other replicas"): a lagging replica
 * asks with `fetch`; `state` answers with a snapshot and the 2f+1 checkpoint messages that certify
 * its digest, so the answer needs no trust in its sender.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const nodes = [
 *   ...ids.map((id) => ({ id, machine: pbftReplica({ authenticator: auth(id) }), config: { id, replicas: ids, checkpointInterval: 2 } })),
 *   { id: 'c0', machine: pbftClient({ authenticator: auth('c0') }), config: { id: 'c0', replicas: ids } },
 * ];
 * const commands = [1, 2, 3].map((n) => ({ at: n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * // r3 is cut off while the others execute and checkpoint; after the heal it fetches the state (§5.3.2).
 * const more = [4, 5, 6, 7].map((n) => ({ at: 1000 + n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * const r = simulate({
 *   seed: 1, nodes, commands: [...commands, ...more], maxTimeMs: 20_000,
 *   faults: [{ at: 0, fault: { type: 'partition', groups: [['r0', 'r1', 'r2', 'c0'], ['r3']] } }, { at: 1000, fault: { type: 'heal' } }],
 * });
 * (r.states['r3'] as { lastExecuted: number }).lastExecuted; //=> 7
 * r.trace.some((e) => e.kind === 'send' && e.node === 'r3' && (e.message as { type: string }).type === 'fetch'); //=> true
 * ```
 */
export type PbftStateTransfer =
  | { readonly type: 'fetch'; readonly seq: number }
  | { readonly type: 'state'; readonly seq: number; readonly snapshot: PbftSnapshot; readonly proof: readonly PbftCheckpoint[] };

/**
 * Every message a PBFT node sends.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const nodes = [
 *   ...ids.map((id) => ({ id, machine: pbftReplica({ authenticator: auth(id) }), config: { id, replicas: ids, checkpointInterval: 2 } })),
 *   { id: 'c0', machine: pbftClient({ authenticator: auth('c0') }), config: { id: 'c0', replicas: ids } },
 * ];
 * const commands = [1, 2, 3].map((n) => ({ at: n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * const r = simulate({ seed: 1, nodes, commands, maxTimeMs: 2000 });
 * const sent = (type: string) => r.trace.flatMap((e) => (e.kind === 'send' && (e.message as { type: string }).type === type ? [e.message as Record<string, unknown>] : []));
 * [...new Set(r.trace.flatMap((e) => (e.kind === 'send' ? [(e.message as { type: string }).type] : [])))].sort(); //=> ['checkpoint', 'commit', 'pre-prepare', 'prepare', 'reply', 'request']
 * ```
 */
export type PbftMessage =
  | PbftRequest
  | PbftPrePrepare
  | PbftVote
  | PbftReply
  | PbftCheckpoint
  | PbftViewChange
  | PbftNewView
  | PbftStateTransfer;

/**
 * The replicated service: a deterministic, pure function over JSON state (§4.1, "a deterministic
 * state machine"). Every replica must run the same service.
 *
 * @example
 * ```ts
 * import { pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings, type PbftService } from 'distkit/consensus';
 * // A counter service: an operation adds a number and returns the previous total.
 * const counter: PbftService<number> = {
 *   init: () => 0,
 *   execute: (n, op) => ({ state: n + (typeof op === 'number' ? op : 0), result: n }),
 * };
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const replica = pbftReplica({ authenticator: pbftHmacAuthenticator({ id: 'r0', keys: pbftHmacKeyRings(ids, 'k').r0! }), service: counter });
 * counter.execute(counter.init(), 5, 'c0'); //=> { state: 5, result: 0 }
 * replica.name; //=> 'pbft-replica'
 * ```
 */
export interface PbftService<S = unknown> {
  /** The initial service state (plain JSON). */
  init(): S;
  /** Executes one operation of `client`; must be pure and deterministic. */
  execute(state: S, operation: unknown, client: NodeId): { readonly state: S; readonly result: unknown };
}

/**
 * Configuration of a {@link pbftReplica} node.
 *
 * @example
 * ```ts
 * import { pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const m = pbftReplica({ authenticator: pbftHmacAuthenticator({ id: 'r0', keys: pbftHmacKeyRings(ids, 'secret').r0! }) });
 * const s = m.init({ id: 'r0', replicas: ids, checkpointInterval: 64 });
 * [s.f, s.quorum, s.checkpointInterval]; //=> [1, 3, 64]
 * ```
 */
export interface PbftReplicaConfig {
  /** This replica; must be in `replicas`. */
  readonly id: NodeId;
  /** All replicas in order: the primary of view v is `replicas[v mod n]` (§4.1). n = 3f+1 tolerates f faults. */
  readonly replicas: readonly NodeId[];
  /** K: a checkpoint every K sequence numbers (§4.3). Default 128. */
  readonly checkpointInterval?: number;
  /** L: accepted sequence numbers are h < n ≤ h + L for low watermark h (§4.3). Default 2K; at least K. */
  readonly logSize?: number;
  /** T: how long a backup waits for a request to execute before a view change (§4.4, §4.5.2). Default 1000. */
  readonly viewChangeTimeoutMs?: number;
  /**
   * Bounds on a request's operation and on a snapshot's service state and results, as they arrive
   * from the network (depth and JSON size). Default `PAYLOAD_LIMITS` (distkit/core).
   */
  readonly payloadLimits?: Partial<DataLimits>;
  /** The most clients with a request waiting here; a request of one more is refused. Default {@link PBFT_MAX_CLIENTS}. */
  readonly maxClients?: number;
  /**
   * The most normal-case messages of views not entered yet kept per replica (they are replayed on
   * entering the view); more are refused. Default 3 × `logSize`.
   */
  readonly maxEarlyPerReplica?: number;
}

/**
 * The default {@link PbftReplicaConfig.maxClients}: how many clients may have a request waiting at
 * one replica. Requests are signed, so only clients that hold keys can fill it.
 *
 * @example
 * ```ts
 * import { PBFT_MAX_CLIENTS } from 'distkit/consensus';
 * PBFT_MAX_CLIENTS; //=> 1024
 * ```
 */
export const PBFT_MAX_CLIENTS = 1024;

/**
 * One slot of the message log: what this replica accepted for a sequence number in the current view.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const nodes = [
 *   ...ids.map((id) => ({ id, machine: pbftReplica({ authenticator: auth(id) }), config: { id, replicas: ids, checkpointInterval: 2 } })),
 *   { id: 'c0', machine: pbftClient({ authenticator: auth('c0') }), config: { id: 'c0', replicas: ids } },
 * ];
 * const commands = [1, 2, 3].map((n) => ({ at: n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * // Each slot of the log records how far its request got (§4.2): stop when r1 has prepared one.
 * type Log = { log: readonly { seq: number; prepared: boolean; committed: boolean }[] };
 * const r = simulate({ seed: 1, nodes, commands, stopWhen: (view) => (view.states['r1'] as Log).log.some((slot) => slot.prepared) });
 * const s = r.states['r1'] as Log;
 * s.log.map((slot) => [slot.seq, slot.prepared, slot.committed]); //=> [[1, true, false]]
 * ```
 */
export interface PbftSlot {
  /** The sequence number n of this slot. */
  readonly seq: number;
  /** The accepted pre-prepare, or null while only votes have arrived. */
  readonly prePrepare: PbftPrePrepare | null;
  /** Prepares of the current view by replica (the first one of each replica counts). */
  readonly prepares: Readonly<Record<NodeId, PbftVote>>;
  /** Commits of the current view by replica. */
  readonly commits: Readonly<Record<NodeId, PbftVote>>;
  /** prepared(m, v, n, i) holds (§4.2). */
  readonly prepared: boolean;
  /** committed-local(m, v, n, i) holds (§4.2). */
  readonly committed: boolean;
}

/**
 * State of a {@link pbftReplica} node (plain data).
 *
 * @example
 * ```ts
 * import { pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings(ids, 'secret');
 * const m = pbftReplica({ authenticator: pbftHmacAuthenticator({ id: 'r0', keys: rings.r0! }) });
 * m.init({ id: 'r0', replicas: ids }).view; //=> 0
 * ```
 */
export interface PbftReplicaState {
  readonly id: NodeId;
  readonly replicas: readonly NodeId[];
  /** Faults tolerated: floor((n − 1) / 3). */
  readonly f: number;
  /** Quorum size n − f (2f + 1 when n = 3f + 1). */
  readonly quorum: number;
  readonly checkpointInterval: number;
  readonly logSize: number;
  readonly baseTimeoutMs: number;
  /** The current view v, or the view this replica is changing to. */
  readonly view: number;
  /** `view-change`: waiting for NEW-VIEW of `view`, accepting only checkpoint/view-change/new-view (§4.4). */
  readonly status: 'normal' | 'view-change';
  /** The last view this replica entered (in normal status). */
  readonly normalView: number;
  /** The primary's last assigned sequence number. */
  readonly seq: number;
  /** Highest sequence number executed. */
  readonly lastExecuted: number;
  /** The message log: one slot per sequence number in (h, h + L], current view only, in sequence order. */
  readonly log: readonly PbftSlot[];
  /** The latest prepared certificate per sequence number above h (the P of a view change), in sequence order. */
  readonly certificates: readonly PbftPreparedCertificate[];
  /** The last stable checkpoint: h, its proof and (unless still being fetched) its snapshot. */
  readonly stable: {
    readonly seq: number;
    readonly digest: string;
    readonly proof: readonly PbftCheckpoint[];
    readonly snapshot: PbftSnapshot | null;
  };
  /** Checkpoints above h: this replica's own digest and snapshot, and the votes seen. */
  readonly checkpoints: Readonly<
    Record<string, { readonly own: { readonly digest: string; readonly snapshot: PbftSnapshot } | null; readonly votes: Readonly<Record<NodeId, PbftCheckpoint>> }>
  >;
  /** Service state after `lastExecuted`. */
  readonly service: unknown;
  /** Last reply per client. */
  readonly replies: Readonly<Record<NodeId, PbftCachedReply>>;
  /** Requests received and not yet executed, by client (one per client: its latest). */
  readonly waiting: Readonly<Record<NodeId, PbftRequest>>;
  /** Valid view-changes by replica: the one for `view`, if any, and the latest (at most two each). */
  readonly viewChanges: Readonly<Record<NodeId, readonly PbftViewChange[]>>;
  /** Signed pre-prepares, prepares and commits of views not entered yet, replayed on entering them. */
  readonly early: readonly (PbftPrePrepare | PbftVote)[];
  /** The NEW-VIEW through which this replica entered the current view (sent on to late replicas). */
  readonly newView: PbftNewView | null;
  /** In view-change status: 2f+1 view-changes for `view` are in, so the timer now runs for the new view (§4.5.2). */
  readonly viewChangeQuorum: boolean;
  /** The view-change timer (§4.4, §4.5.2), started from the time of the input that started it. */
  readonly timer: Timer;
  /** The current view-change timeout; doubles with each view change that fails (§4.5.2). */
  readonly timeoutMs: number;
  /** When to ask again for the state of the stable checkpoint, while it is missing. */
  readonly fetchTimer: Timer;
  /** See {@link PbftReplicaConfig.payloadLimits}. */
  readonly payloadLimits: DataLimits;
  /** See {@link PbftReplicaConfig.maxClients}. */
  readonly maxClients: number;
  /** See {@link PbftReplicaConfig.maxEarlyPerReplica}. */
  readonly maxEarlyPerReplica: number;
}

/**
 * A local command or event for a {@link pbftReplica}.
 *
 * @example
 * ```ts
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const client = pbftClient({ authenticator: auth('c0') });
 * const asked = client.step(client.init({ id: 'c0', replicas: ids }), { type: 'request', operation: { put: 'x' }, now: 0 });
 * const sent = asked.outputs[0];
 * const request = sent?.type === 'send' ? sent.message : null;
 * // The primary of view 0 orders the request (PBFT §4.2):
 * const r0 = pbftReplica({ authenticator: auth('r0') });
 * const ordered = r0.step(r0.init({ id: 'r0', replicas: ids }), { type: 'message', from: 'c0', message: request, now: 1 });
 * const prePrepare = ordered.outputs.find((o) => o.type === 'send' && o.to === 'r1');
 * const r1 = pbftReplica({ authenticator: auth('r1') });
 * const voted = r1.step(r1.init({ id: 'r1', replicas: ids }), { type: 'message', from: 'r0', message: prePrepare?.type === 'send' ? prePrepare.message : null, now: 2 });
 * // Time reaches a replica only through inputs: a tick before any timer is due does nothing.
 * r1.step(voted.state, { type: 'tick', now: 3 }).outputs; //=> []
 * ```
 */
export type PbftReplicaInput = MessageInput<unknown> | TickInput;

/**
 * Emitted when a replica executes a request (§4.2, in sequence-number order).
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const nodes = [
 *   ...ids.map((id) => ({ id, machine: pbftReplica({ authenticator: auth(id) }), config: { id, replicas: ids, checkpointInterval: 2 } })),
 *   { id: 'c0', machine: pbftClient({ authenticator: auth('c0') }), config: { id: 'c0', replicas: ids } },
 * ];
 * const commands = [1, 2, 3].map((n) => ({ at: n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * const r = simulate({ seed: 1, nodes, commands, maxTimeMs: 2000 });
 * const sent = (type: string) => r.trace.flatMap((e) => (e.kind === 'send' && (e.message as { type: string }).type === type ? [e.message as Record<string, unknown>] : []));
 * const executed: unknown[] = [];
 * simulate({ seed: 1, nodes, commands, maxTimeMs: 2000, onOutput: (e) => { if (e.node === 'r1' && (e.output as { type: string }).type === 'execute') executed.push(e.output); } });
 * executed.length; //=> 3
 * (executed[0] as { seq: number; operation: unknown }).operation; //=> 1
 * ```
 */
export interface PbftExecuteOutput {
  readonly type: 'execute';
  readonly seq: number;
  readonly view: number;
  readonly client: NodeId;
  readonly timestamp: number;
  readonly operation: unknown;
  readonly result: unknown;
}

/**
 * Outputs of a {@link pbftReplica}: sends, executions, view and checkpoint events, rejections.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const nodes = [
 *   ...ids.map((id) => ({ id, machine: pbftReplica({ authenticator: auth(id) }), config: { id, replicas: ids, checkpointInterval: 2 } })),
 *   { id: 'c0', machine: pbftClient({ authenticator: auth('c0') }), config: { id: 'c0', replicas: ids } },
 * ];
 * const commands = [1, 2, 3].map((n) => ({ at: n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * const r = simulate({ seed: 1, nodes, commands, maxTimeMs: 20_000, faults: [{ at: 50, fault: { type: 'crash', node: 'r0' } }] });
 * const sent = (type: string) => r.trace.flatMap((e) => (e.kind === 'send' && (e.message as { type: string }).type === type ? [e.message as Record<string, unknown>] : []));
 * const views: unknown[] = [];
 * simulate({ seed: 1, nodes, commands, maxTimeMs: 20_000, faults: [{ at: 50, fault: { type: 'crash', node: 'r0' } }], onOutput: (e) => { if (e.node === 'r2' && (e.output as { type: string }).type === 'view') views.push(e.output); } });
 * views[0]; //=> { type: 'view', view: 1, primary: 'r1' }
 * ```
 */
export type PbftReplicaOutput =
  | SendOutput<PbftMessage>
  | PbftExecuteOutput
  | { readonly type: 'view'; readonly view: number; readonly primary: NodeId }
  | { readonly type: 'view-change'; readonly view: number }
  | { readonly type: 'stable'; readonly seq: number; readonly digest: string }
  | { readonly type: 'state-transfer'; readonly seq: number }
  | RejectedOutput;

/**
 * Configuration of a {@link pbftClient}.
 *
 * @example
 * ```ts
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const client = pbftClient({ authenticator: auth('c0') });
 * const asked = client.step(client.init({ id: 'c0', replicas: ids }), { type: 'request', operation: { put: 'x' }, now: 0 });
 * const sent = asked.outputs[0];
 * const request = sent?.type === 'send' ? sent.message : null;
 * // Unanswered, the client broadcasts its request to every replica after retransmitMs (§4.1).
 * client.step(asked.state, { type: 'tick', now: 10_000 }).outputs.map((o) => (o.type === 'send' ? o.to : o.type)); //=> ['r0', 'r1', 'r2', 'r3']
 * ```
 */
export interface PbftClientConfig {
  /** This client (its id is the `c` of its requests). */
  readonly id: NodeId;
  /** The replicas, in the same order the replicas use. */
  readonly replicas: readonly NodeId[];
  /** After this long without f+1 matching replies, the request goes to every replica (§4.1). Default 1000. */
  readonly retransmitMs?: number;
  /**
   * The timestamp of the first request (later ones count up). Replicas execute only timestamps
   * above the last one they executed for this client, so a restarted client must start above its
   * old ones (e.g. from a wall clock). Default 1.
   */
  readonly firstTimestamp?: number;
  /** Bounds on a reply's result as it arrives from the network, and on operations. Default `PAYLOAD_LIMITS` (distkit/core). */
  readonly payloadLimits?: Partial<DataLimits>;
}

/**
 * State of a {@link pbftClient} (plain data).
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const nodes = [
 *   ...ids.map((id) => ({ id, machine: pbftReplica({ authenticator: auth(id) }), config: { id, replicas: ids, checkpointInterval: 2 } })),
 *   { id: 'c0', machine: pbftClient({ authenticator: auth('c0') }), config: { id: 'c0', replicas: ids } },
 * ];
 * const commands = [1, 2, 3].map((n) => ({ at: n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * const r = simulate({ seed: 1, nodes, commands, maxTimeMs: 2000 });
 * const sent = (type: string) => r.trace.flatMap((e) => (e.kind === 'send' && (e.message as { type: string }).type === type ? [e.message as Record<string, unknown>] : []));
 * // After its three requests are answered the client has nothing outstanding.
 * const c = r.states['c0'] as { current: unknown; timestamp: number };
 * [c.current, c.timestamp]; //=> [null, 3]
 * ```
 */
export interface PbftClientState {
  readonly id: NodeId;
  readonly replicas: readonly NodeId[];
  readonly f: number;
  readonly retransmitMs: number;
  /** The view the client believes current (to address the primary). */
  readonly view: number;
  /** The timestamp of the last request issued. */
  readonly timestamp: number;
  /** The outstanding request and the replies seen for it (the digest of the result's canonical JSON, and the view, by replica). */
  readonly current: {
    readonly request: PbftRequest;
    readonly replies: Readonly<Record<NodeId, { readonly result: string; readonly view: number }>>;
  } | null;
  /** Operations waiting for the outstanding one to finish (one at a time, §4.1). */
  readonly queue: readonly unknown[];
  /** The retransmission timer of the outstanding request. */
  readonly timer: Timer;
  /** See {@link PbftClientConfig.payloadLimits}. */
  readonly payloadLimits: DataLimits;
}

/**
 * The local command of a {@link pbftClient}: queue an operation (plain JSON) for the service.
 *
 * @example
 * ```ts
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const client = pbftClient({ authenticator: auth('c0') });
 * const asked = client.step(client.init({ id: 'c0', replicas: ids }), { type: 'request', operation: { put: 'x' }, now: 0 });
 * const sent = asked.outputs[0];
 * const request = sent?.type === 'send' ? sent.message : null;
 * sent?.type === 'send' ? sent.to : undefined; //=> 'r0'
 * ```
 */
export interface PbftRequestCommand {
  readonly type: 'request';
  /** The operation, any plain JSON value within the client's payload limits. */
  readonly operation: unknown;
  /** The host's current time (ms). */
  readonly now: number;
}

/**
 * An input of a {@link pbftClient}: a reply from a replica, a tick, or a {@link PbftRequestCommand}.
 *
 * @example
 * ```ts
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const client = pbftClient({ authenticator: auth('c0') });
 * const asked = client.step(client.init({ id: 'c0', replicas: ids }), { type: 'request', operation: { put: 'x' }, now: 0 });
 * const sent = asked.outputs[0];
 * const request = sent?.type === 'send' ? sent.message : null;
 * asked.outputs.length; //=> 1
 * ```
 */
export type PbftClientInput = MessageInput<unknown> | TickInput | PbftRequestCommand;

/**
 * Outputs of a {@link pbftClient}: sends, results (f+1 matching replies) and rejections.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { pbftClient, pbftReplica, pbftHmacAuthenticator, pbftHmacKeyRings } from 'distkit/consensus';
 * const ids = ['r0', 'r1', 'r2', 'r3'];
 * const rings = pbftHmacKeyRings([...ids, 'c0'], 'secret');
 * const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings[id]! });
 * const nodes = [
 *   ...ids.map((id) => ({ id, machine: pbftReplica({ authenticator: auth(id) }), config: { id, replicas: ids, checkpointInterval: 2 } })),
 *   { id: 'c0', machine: pbftClient({ authenticator: auth('c0') }), config: { id: 'c0', replicas: ids } },
 * ];
 * const commands = [1, 2, 3].map((n) => ({ at: n * 100, node: 'c0', input: { type: 'request', operation: n } }));
 * const r = simulate({ seed: 1, nodes, commands, maxTimeMs: 2000 });
 * const sent = (type: string) => r.trace.flatMap((e) => (e.kind === 'send' && (e.message as { type: string }).type === type ? [e.message as Record<string, unknown>] : []));
 * const results: unknown[] = [];
 * simulate({ seed: 1, nodes, commands, maxTimeMs: 2000, onOutput: (e) => { if (e.node === 'c0') results.push(e.output); } });
 * results.map((o) => (o as { type: string; operation?: unknown }).operation); //=> [1, 2, 3]
 * ```
 */
export type PbftClientOutput =
  | SendOutput<PbftRequest>
  | { readonly type: 'result'; readonly timestamp: number; readonly operation: unknown; readonly result: unknown }
  | RejectedOutput;
