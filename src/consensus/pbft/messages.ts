// Wire formats of PBFT: shape checks for untrusted messages, normalisation (extra fields dropped,
// so what is stored and signed is exactly what was checked), signing payloads, and the checks of
// certificates embedded in view-change, new-view and state messages.
import { ConfigError, MAX_COUNTER, PAYLOAD_LIMITS, positiveInt, v, type Check, type DataLimits, type NodeId } from '../../core/index.js';
import { pbftCanonicalJson, pbftDigest, type PbftAuthenticator, type PbftSha256 } from './crypto.js';
import type {
  PbftCheckpoint,
  PbftMessage,
  PbftPrePrepare,
  PbftPreparedCertificate,
  PbftReplicaSigned,
  PbftReply,
  PbftRequest,
  PbftSnapshot,
  PbftViewChange,
} from './types.js';

/**
 * The digest of the null request that fills gaps in a new view (§4.4). A request digest is 64
 * hex characters, so the two never collide.
 *
 * @example
 * ```ts
 * import { PBFT_NULL_DIGEST } from 'distkit/consensus';
 * PBFT_NULL_DIGEST; //=> 'null'
 * ```
 */
export const PBFT_NULL_DIGEST = 'null';

const MAX_ITEMS = 1 << 16;
const id = v.id();
const sig = v.string({ maxLength: 1 << 16 });
const digest = v.string({ minLength: 1, maxLength: 128 });
// Every counter a peer can raise stays at or below MAX_COUNTER, so `x + 1` is always exact.
const view = v.int({ min: 0, max: MAX_COUNTER });
const seqCheck = v.int({ min: 1, max: MAX_COUNTER });
const timestampCheck = v.int({ min: 1, max: MAX_COUNTER });

/**
 * The shape checks of every PBFT message, with opaque payloads (request operations, reply
 * results, snapshot service states) bounded by `limits`. `parse` with them returns a copy that
 * holds only the declared fields, which is what replicas store and sign.
 */
export interface PbftChecks {
  /** Every message a replica or client may receive. */
  readonly message: Check<PbftMessage>;
  /** The limits the payload checks use. */
  readonly limits: DataLimits;
}

/** Builds the checks for one set of payload limits. */
export function pbftChecks(limits: DataLimits): PbftChecks {
  const payload = v.json(limits);
  const requestCheck = v.object({
    type: v.literal('request'),
    client: id,
    timestamp: timestampCheck,
    operation: payload,
    sig,
  });
  const prePrepareCheck = v.object({
    type: v.literal('pre-prepare'),
    view,
    seq: seqCheck,
    digest,
    replica: id,
    sig,
    request: v.nullable(requestCheck),
  });
  const voteCheck = (type: 'prepare' | 'commit') => v.object({ type: v.literal(type), view, seq: seqCheck, digest, replica: id, sig });
  const checkpointCheck = v.object({ type: v.literal('checkpoint'), seq: seqCheck, digest, replica: id, sig });
  const certificateCheck = v.object({
    prePrepare: prePrepareCheck,
    prepares: v.array(voteCheck('prepare'), { maxLength: 1024 }),
  });
  const viewChangeCheck = v.object({
    type: v.literal('view-change'),
    view: v.int({ min: 1, max: MAX_COUNTER }),
    stable: v.int({ min: 0, max: MAX_COUNTER }),
    proof: v.array(checkpointCheck, { maxLength: 1024 }),
    prepared: v.array(certificateCheck, { maxLength: MAX_ITEMS }),
    replica: id,
    sig,
  });
  const snapshotCheck = v.object({
    service: payload,
    replies: v.record(v.object({ timestamp: v.int({ min: 0, max: MAX_COUNTER }), result: payload })),
  });
  const message = v.tagged({
    request: requestCheck,
    'pre-prepare': prePrepareCheck,
    prepare: voteCheck('prepare'),
    commit: voteCheck('commit'),
    reply: v.object({
      type: v.literal('reply'),
      view,
      timestamp: timestampCheck,
      client: id,
      replica: id,
      result: payload,
      sig,
    }),
    checkpoint: checkpointCheck,
    'view-change': viewChangeCheck,
    'new-view': v.object({
      type: v.literal('new-view'),
      view: v.int({ min: 1, max: MAX_COUNTER }),
      viewChanges: v.array(viewChangeCheck, { maxLength: 1024 }),
      prePrepares: v.array(prePrepareCheck, { maxLength: MAX_ITEMS }),
      replica: id,
      sig,
    }),
    fetch: v.object({ type: v.literal('fetch'), seq: seqCheck }),
    state: v.object({ type: v.literal('state'), seq: seqCheck, snapshot: snapshotCheck, proof: v.array(checkpointCheck, { maxLength: 1024 }) }),
  }) as Check<unknown> as Check<PbftMessage>;
  return { message, limits };
}

/** The checks with the default {@link PAYLOAD_LIMITS}. */
export const DEFAULT_PBFT_CHECKS: PbftChecks = pbftChecks(PAYLOAD_LIMITS);

/** Full payload limits from a config's partial ones; throws ConfigError naming `field`. */
export function payloadLimitsOf(field: string, limits: Partial<DataLimits> | undefined): DataLimits {
  const full: DataLimits = { ...PAYLOAD_LIMITS, ...(limits ?? {}) };
  return { maxDepth: positiveInt(`${field}.maxDepth`, full.maxDepth), maxBytes: positiveInt(`${field}.maxBytes`, full.maxBytes) };
}

/**
 * A node's cryptography: its authenticator and the SHA-256 under its digests (every replica of a
 * cluster must use the same function; see `checkSha256`).
 */
export interface PbftCrypto {
  readonly auth: PbftAuthenticator;
  readonly sha256: PbftSha256;
}

/** Throws {@link ConfigError} on `authenticator` unless it signs as `id`. */
export function checkSigner(auth: PbftAuthenticator, id: NodeId): void {
  if (auth.id !== id) throw new ConfigError('authenticator', `signs as ${JSON.stringify(auth.id)}, not as ${JSON.stringify(id)}`);
}

/**
 * The checks for the payload limits of the states a machine steps, kept for the last limits seen
 * (a machine's states keep one set of limits, so this builds them once).
 */
export function checksCache(): (limits: DataLimits) => PbftChecks {
  let checks = DEFAULT_PBFT_CHECKS;
  return (l) => {
    if (l.maxDepth !== checks.limits.maxDepth || l.maxBytes !== checks.limits.maxBytes) checks = checksFor(l);
    return checks;
  };
}

/** The checks for `limits`, reusing the default ones when the limits are the defaults. */
export function checksFor(limits: DataLimits): PbftChecks {
  return limits.maxDepth === PAYLOAD_LIMITS.maxDepth && limits.maxBytes === PAYLOAD_LIMITS.maxBytes ? DEFAULT_PBFT_CHECKS : pbftChecks(limits);
}

/** The default message check (kept for tests that probe shapes). */
export const pbftMessageCheck: Check<unknown> = DEFAULT_PBFT_CHECKS.message;

/** Rebuilds a request from its known fields only. */
export function cleanRequest(r: PbftRequest): PbftRequest {
  return { type: 'request', client: r.client, timestamp: r.timestamp, operation: r.operation, sig: r.sig };
}

/** The byte string a message's signature covers: every field but `sig` (and a pre-prepare's piggybacked request). */
export function signedPayload(m: PbftMessage): string {
  switch (m.type) {
    case 'request':
      return requestText(m, pbftCanonicalJson(m.operation), true);
    case 'pre-prepare':
    case 'prepare':
    case 'commit':
      // The canonical JSON of { type, view, seq, digest, replica }, written out: these are the
      // most frequent messages, and the keys are already in sorted order here.
      return `{"digest":${JSON.stringify(m.digest)},"replica":${JSON.stringify(m.replica)},"seq":${m.seq},"type":"${m.type}","view":${m.view}}`;
    case 'reply':
      // Written out in sorted key order, as for votes: every request ends in 2f+1 of these.
      return `{"client":${JSON.stringify(m.client)},"replica":${JSON.stringify(m.replica)},"result":${pbftCanonicalJson(m.result)},"timestamp":${JSON.stringify(m.timestamp)},"type":"reply","view":${JSON.stringify(m.view)}}`;
    case 'checkpoint':
      return `{"digest":${JSON.stringify(m.digest)},"replica":${JSON.stringify(m.replica)},"seq":${JSON.stringify(m.seq)},"type":"checkpoint"}`;
    case 'view-change':
      return pbftCanonicalJson({ type: m.type, view: m.view, stable: m.stable, proof: m.proof, prepared: m.prepared, replica: m.replica });
    case 'new-view':
      return pbftCanonicalJson({ type: m.type, view: m.view, viewChanges: m.viewChanges, prePrepares: m.prePrepares, replica: m.replica });
    case 'fetch':
    case 'state':
      return pbftCanonicalJson(m);
  }
}

/** Signs a message built without its signature, for `audience` (default: every key holder). */
export function signed<M extends PbftMessage & { sig: string }>(auth: PbftAuthenticator, unsigned: Omit<M, 'sig'>, audience?: readonly NodeId[]): M {
  const m = { ...unsigned, sig: '' } as M;
  // A fresh object, not yet shared: its signature is filled in place rather than copied again.
  (m as { sig: string }).sig = auth.sign(signedPayload(m), audience);
  return m;
}

/**
 * The canonical JSON of a request without its signature, given the canonical JSON of its
 * operation: with `withType`, the payload its signature covers; without, the text of its digest
 * D(m) (§4.2). Written out (keys in sorted order) so that the operation, the only part that can be
 * large, is serialised once for both.
 */
function requestText(r: Pick<PbftRequest, 'client' | 'timestamp'>, operationJson: string, withType: boolean): string {
  return `{"client":${JSON.stringify(r.client)},"operation":${operationJson},"timestamp":${JSON.stringify(r.timestamp)}${withType ? ',"type":"request"' : ''}}`;
}

/** D(m) of a request: its digest without the client's signature (§4.2). */
export function requestDigest(r: PbftRequest, sha256: PbftSha256): string {
  return sha256(requestText(r, pbftCanonicalJson(r.operation), false));
}

/** The digest of a checkpoint's state (§4.3). */
export function snapshotDigest(s: PbftSnapshot, sha256: PbftSha256): string {
  return pbftDigest(s, sha256);
}

/** What certificate checks need to know about the replica group. */
export interface PbftGroup {
  readonly replicas: readonly NodeId[];
  readonly f: number;
  readonly quorum: number;
  readonly logSize: number;
}

export function primaryOf(g: PbftGroup, v: number): NodeId {
  return g.replicas[v % g.replicas.length]!;
}

function verify(auth: PbftAuthenticator, signer: NodeId, m: PbftMessage & { sig: string }, payload = signedPayload(m)): boolean {
  try {
    return auth.verify(signer, payload, m.sig);
  } catch {
    return false;
  }
}

export function verifyRequest(auth: PbftAuthenticator, r: PbftRequest, payload = signedPayload(r)): string | undefined {
  return verify(auth, r.client, r, payload) ? undefined : `request of ${r.client} at ${r.timestamp}: bad signature`;
}

export function verifyByReplica(auth: PbftAuthenticator, g: PbftGroup, m: PbftMessage & PbftReplicaSigned): string | undefined {
  if (!g.replicas.includes(m.replica)) return `${m.type}: ${JSON.stringify(m.replica)} is not a replica`;
  return verify(auth, m.replica, m) ? undefined : `${m.type} of ${m.replica}: bad signature`;
}

/** A pre-prepare's piggybacked request must match its digest and carry the client's signature. */
export function checkPrePrepareBody(c: PbftCrypto, p: PbftPrePrepare): string | undefined {
  const r = p.request;
  if (r === null) return p.digest === PBFT_NULL_DIGEST ? undefined : `pre-prepare ${p.seq}: no request for digest ${p.digest}`;
  if (p.digest === PBFT_NULL_DIGEST) return `pre-prepare ${p.seq}: a request with the null digest`;
  const operationJson = pbftCanonicalJson(r.operation);
  if (c.sha256(requestText(r, operationJson, false)) !== p.digest) return `pre-prepare ${p.seq}: digest does not match the request`;
  return verifyRequest(c.auth, r, requestText(r, operationJson, true));
}

/**
 * A checkpoint proof C (§4.4): `quorum` checkpoint messages for `seq` with one digest, from
 * distinct replicas, all signed. Returns the certified digest, or a reason.
 */
export function checkProof(auth: PbftAuthenticator, g: PbftGroup, seq: number, proof: readonly PbftCheckpoint[]): { digest: string } | { reason: string } {
  const signers = new Set<NodeId>();
  let d: string | undefined;
  for (const c of proof) {
    if (c.seq !== seq) return { reason: `checkpoint proof for ${seq}: a checkpoint for ${c.seq}` };
    if (d !== undefined && c.digest !== d) return { reason: `checkpoint proof for ${seq}: digests differ` };
    d = c.digest;
    if (signers.has(c.replica)) return { reason: `checkpoint proof for ${seq}: ${c.replica} twice` };
    const r = verifyByReplica(auth, g, c);
    if (r !== undefined) return { reason: `checkpoint proof for ${seq}: ${r}` };
    signers.add(c.replica);
  }
  if (d === undefined || signers.size < g.quorum) return { reason: `checkpoint proof for ${seq}: ${signers.size} checkpoints, need ${g.quorum}` };
  return { digest: d };
}

/**
 * A prepared certificate (§4.4): a pre-prepare signed by the primary of its view (below
 * `beforeView`), with a valid request, and 2f prepares matching it from distinct backups.
 */
export function checkCertificate(
  k: PbftCrypto,
  g: PbftGroup,
  c: PbftPreparedCertificate,
  beforeView: number,
  low: number,
): string | undefined {
  const p = c.prePrepare;
  const where = `certificate for ${p.seq}`;
  if (p.view >= beforeView) return `${where}: view ${p.view} is not below ${beforeView}`;
  if (p.seq <= low || p.seq > low + g.logSize) return `${where}: outside the watermarks (${low}, ${low + g.logSize}]`;
  const primary = primaryOf(g, p.view);
  if (p.replica !== primary) return `${where}: pre-prepare signed by ${p.replica}, not the primary ${primary}`;
  const r = verifyByReplica(k.auth, g, p) ?? checkPrePrepareBody(k, p);
  if (r !== undefined) return `${where}: ${r}`;
  const signers = new Set<NodeId>();
  for (const q of c.prepares) {
    if (q.view !== p.view || q.seq !== p.seq || q.digest !== p.digest) return `${where}: a prepare does not match the pre-prepare`;
    if (q.replica === primary) return `${where}: a prepare from the primary`;
    if (signers.has(q.replica)) return `${where}: ${q.replica} prepared twice`;
    const e = verifyByReplica(k.auth, g, q);
    if (e !== undefined) return `${where}: ${e}`;
    signers.add(q.replica);
  }
  // §4.2: prepared needs the pre-prepare and 2f prepares (quorum − 1 in general).
  if (signers.size < g.quorum - 1) return `${where}: ${signers.size} prepares, need ${g.quorum - 1}`;
  return undefined;
}

/** A view-change message (§4.4) with valid signature, checkpoint proof and prepared certificates. */
export function checkViewChange(k: PbftCrypto, g: PbftGroup, m: PbftViewChange): string | undefined {
  const r = verifyByReplica(k.auth, g, m);
  if (r !== undefined) return r;
  if (m.stable > 0 || m.proof.length > 0) {
    const p = checkProof(k.auth, g, m.stable, m.proof);
    if ('reason' in p) return `view-change of ${m.replica}: ${p.reason}`;
  }
  const seen = new Set<number>();
  for (const c of m.prepared) {
    if (seen.has(c.prePrepare.seq)) return `view-change of ${m.replica}: two certificates for ${c.prePrepare.seq}`;
    seen.add(c.prePrepare.seq);
    const e = checkCertificate(k, g, c, m.view, m.stable);
    if (e !== undefined) return `view-change of ${m.replica}: ${e}`;
  }
  return undefined;
}

/** The O of a new view, as computed from the view-change messages V (§4.4). */
export interface NewViewPlan {
  /** min-s: the latest stable checkpoint in V. */
  readonly minS: number;
  /** The view-change whose checkpoint proof certifies min-s. */
  readonly proofFrom: PbftViewChange;
  /** max-s: the highest sequence number in a prepared certificate of V (at least min-s). */
  readonly maxS: number;
  /** For each n in (min-s, max-s]: the digest and request to re-propose (the null request for gaps). */
  readonly entries: readonly { readonly seq: number; readonly digest: string; readonly request: PbftRequest | null }[];
}

/**
 * §4.4: min-s is the latest stable checkpoint in V, max-s the highest prepared sequence number;
 * each n between them gets the request of the certificate with the highest view, or the null request.
 */
export function planNewView(vcs: readonly PbftViewChange[]): NewViewPlan {
  let proofFrom = vcs[0]!;
  for (const m of vcs) if (m.stable > proofFrom.stable) proofFrom = m;
  const minS = proofFrom.stable;
  let maxS = minS;
  const best = new Map<number, PbftPrePrepare>();
  for (const m of vcs) {
    for (const c of m.prepared) {
      const p = c.prePrepare;
      if (p.seq <= minS) continue;
      if (p.seq > maxS) maxS = p.seq;
      const b = best.get(p.seq);
      // Two certificates of one view cannot disagree (quorum intersection); the digest order only
      // makes the choice deterministic should one ever be shown.
      if (b === undefined || p.view > b.view || (p.view === b.view && p.digest < b.digest)) best.set(p.seq, p);
    }
  }
  const entries: { seq: number; digest: string; request: PbftRequest | null }[] = [];
  for (let n = minS + 1; n <= maxS; n++) {
    const b = best.get(n);
    entries.push(b === undefined ? { seq: n, digest: PBFT_NULL_DIGEST, request: null } : { seq: n, digest: b.digest, request: b.request });
  }
  return { minS, proofFrom, maxS, entries };
}

export type { PbftReply };
