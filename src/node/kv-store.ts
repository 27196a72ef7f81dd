/**
 * An MVCC key-value state machine with etcd's v3 semantics (a store revision, and per key a
 * create revision, a mod revision and a version), for a Raft group to replicate. Pure: no I/O,
 * deterministic, so every replica that applies the same requests in the same order holds the
 * same store. Keys and values are byte strings: each character is one byte (0–255), so string
 * order is etcd's byte order.
 *
 * Source: etcd's `mvcc` package and `etcdserver/apply.go` (v3.4): a write raises the revision by
 * one, a txn that writes raises it by one in all, a delete removes the key (a later put starts at
 * version 1 again), a range with `range_end` `"\0"` reads every key from `key` on.
 *
 * @packageDocumentation
 */

/**
 * One key as a range returns it (etcd's `mvccpb.KeyValue`), key and value as byte strings.
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'a', value: '2', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'b', value: '3', prevKv: false, ignoreValue: false });
 * // etcd's revisions: a was created at revision 2, last written at 3, put twice.
 * applyKv(s, { op: 'range', key: 'a', rangeEnd: '', limit: 0, revision: 0, keysOnly: false, countOnly: false, serializable: false }); //=> { op: 'range', revision: 4, kvs: [{ key: 'a', value: '2', createRevision: 2, modRevision: 3, version: 2 }], more: false, count: 1 }
 * ```
 */
export interface KvEntry {
  /** The key (a byte string: one character per byte). */
  readonly key: string;
  /** The value (a byte string). */
  readonly value: string;
  /** The store revision of the put that created the key (since its last delete). */
  readonly createRevision: number;
  /** The store revision of the last put to the key. */
  readonly modRevision: number;
  /** Puts since the key was created: 1 after the first. */
  readonly version: number;
}

/**
 * The whole store: the revision and the live keys. A value of {@link createKvStore}; change it
 * only through {@link applyKv} and {@link restoreKvStore}.
 *
 * @example
 * ```ts
 * import { createKvStore, type KvStore } from 'distkit/node';
 * const s: KvStore = createKvStore();
 * s.revision; //=> 1
 * ```
 */
export interface KvStore {
  /** The store revision: 1 when empty, raised by one by every write. */
  revision: number;
  /** The live keys, sorted by byte order. */
  readonly keys: string[];
  /** Each live key's entry. */
  readonly entries: Map<string, KvEntry>;
}

/**
 * A range request (etcd's `RangeRequest`): `key` alone reads one key; with `rangeEnd` every key in
 * [key, rangeEnd); `rangeEnd` `"\0"` means every key ≥ `key`, and key `"\0"` with it every key.
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'a', value: '2', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'b', value: '3', prevKv: false, ignoreValue: false });
 * // Every key in [a, c), keys only.
 * applyKv(s, { op: 'range', key: 'a', rangeEnd: 'c', limit: 0, revision: 0, keysOnly: true, countOnly: false, serializable: false }); //=> { op: 'range', revision: 4, kvs: [{ key: 'a', value: '', createRevision: 2, modRevision: 3, version: 2 }, { key: 'b', value: '', createRevision: 4, modRevision: 4, version: 1 }], more: false, count: 2 }
 * ```
 */
export interface KvRange {
  /** Tag. */
  readonly op: 'range';
  /** First key. */
  readonly key: string;
  /** End of the range (exclusive); empty for one key. */
  readonly rangeEnd: string;
  /** Most keys returned (0: no limit); `count` still counts them all. */
  readonly limit: number;
  /** Read at this revision (0: the current one). Only the current revision is kept. */
  readonly revision: number;
  /** Leave the values out. */
  readonly keysOnly: boolean;
  /** Return only the count. */
  readonly countOnly: boolean;
  /** Read the local replica without a linearizable read point (the server's concern). */
  readonly serializable: boolean;
}

/**
 * A put (etcd's `PutRequest`).
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'a', value: '2', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'b', value: '3', prevKv: false, ignoreValue: false });
 * // prevKv: the result carries the entry the put replaced.
 * applyKv(s, { op: 'put', key: 'b', value: '4', prevKv: true, ignoreValue: false }); //=> { op: 'put', revision: 5, prevKv: { key: 'b', value: '3', createRevision: 4, modRevision: 4, version: 1 } }
 * ```
 */
export interface KvPut {
  /** Tag. */
  readonly op: 'put';
  /** The key. */
  readonly key: string;
  /** The new value. */
  readonly value: string;
  /** Return the entry the put replaced. */
  readonly prevKv: boolean;
  /** Keep the current value (the key must exist); only the revisions and version change. */
  readonly ignoreValue: boolean;
}

/**
 * A delete of one key or a range (etcd's `DeleteRangeRequest`), same range rules as {@link KvRange}.
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'a', value: '2', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'b', value: '3', prevKv: false, ignoreValue: false });
 * // Delete every key from 'a' on ('\0' as rangeEnd means no upper bound).
 * applyKv(s, { op: 'deleteRange', key: 'a', rangeEnd: '\0', prevKv: false }); //=> { op: 'deleteRange', revision: 5, deleted: 2, prevKvs: [] }
 * ```
 */
export interface KvDeleteRange {
  /** Tag. */
  readonly op: 'deleteRange';
  /** First key. */
  readonly key: string;
  /** End of the range (exclusive); empty for one key. */
  readonly rangeEnd: string;
  /** Return the deleted entries. */
  readonly prevKv: boolean;
}

/**
 * One comparison of a txn (etcd's `Compare`): `target` of every key in the range against the
 * given value; on a missing key `version`, `create` and `mod` read 0 and a `value` compare fails.
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'a', value: '2', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'b', value: '3', prevKv: false, ignoreValue: false });
 * // Compare-and-swap: write only if a is still at modRevision 3.
 * const cas = (value: string) => applyKv(s, { op: 'txn', compare: [{ target: 'mod', result: 'equal', key: 'a', rangeEnd: '', value: 3 }], success: [{ op: 'put', key: 'a', value, prevKv: false, ignoreValue: false }], failure: [] });
 * cas('x'); //=> { op: 'txn', revision: 5, succeeded: true, responses: [{ op: 'put', revision: 5 }] }
 * cas('y'); //=> { op: 'txn', revision: 5, succeeded: false, responses: [] }
 * ```
 */
export interface KvCompare {
  /** What is compared. */
  readonly target: 'version' | 'create' | 'mod' | 'value';
  /** The relation that must hold: key's target `result` the given value. */
  readonly result: 'equal' | 'greater' | 'less' | 'notEqual';
  /** The key. */
  readonly key: string;
  /** End of the range (exclusive); empty for one key. */
  readonly rangeEnd: string;
  /** A revision or version number, or a byte string for `value`. */
  readonly value: number | string;
}

/**
 * A transaction (etcd's `TxnRequest`): if every compare holds, `success` runs, else `failure`, as
 * one atomic write at one revision.
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'a', value: '2', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'b', value: '3', prevKv: false, ignoreValue: false });
 * // If b's value is '3', delete it; else read it.
 * applyKv(s, {
 *   op: 'txn',
 *   compare: [{ target: 'value', result: 'equal', key: 'b', rangeEnd: '', value: '3' }],
 *   success: [{ op: 'deleteRange', key: 'b', rangeEnd: '', prevKv: false }],
 *   failure: [{ op: 'range', key: 'b', rangeEnd: '', limit: 0, revision: 0, keysOnly: false, countOnly: false, serializable: false }],
 * }); //=> { op: 'txn', revision: 5, succeeded: true, responses: [{ op: 'deleteRange', revision: 5, deleted: 1, prevKvs: [] }] }
 * ```
 */
export interface KvTxn {
  /** Tag. */
  readonly op: 'txn';
  /** The conditions, all of which must hold. */
  readonly compare: readonly KvCompare[];
  /** Run when they hold. */
  readonly success: readonly KvTxnOp[];
  /** Run otherwise. */
  readonly failure: readonly KvTxnOp[];
}

/**
 * An operation inside a txn (etcd 3.4 has no nested txns on its JSON gateway's common paths; nor do we).
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore, type KvTxnOp } from 'distkit/node';
 * const s = createKvStore();
 * const ops: KvTxnOp[] = [
 *   { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false },
 *   { op: 'put', key: 'b', value: '2', prevKv: false, ignoreValue: false },
 * ];
 * // One txn writes both keys at one revision.
 * applyKv(s, { op: 'txn', compare: [], success: ops, failure: [] }); //=> { op: 'txn', revision: 2, succeeded: true, responses: [{ op: 'put', revision: 2 }, { op: 'put', revision: 2 }] }
 * ```
 */
export type KvTxnOp = KvRange | KvPut | KvDeleteRange;

/**
 * Any request the store applies.
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'a', value: '2', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'b', value: '3', prevKv: false, ignoreValue: false });
 * // A request for a key that is not there changes nothing.
 * applyKv(s, { op: 'deleteRange', key: 'z', rangeEnd: '', prevKv: false }); //=> { op: 'deleteRange', revision: 4, deleted: 0, prevKvs: [] }
 * s.revision; //=> 4
 * ```
 */
export type KvRequest = KvTxnOp | KvTxn;

/**
 * What a range returns: the entries (at most `limit`), whether more matched, and how many matched.
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'a', value: '2', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'b', value: '3', prevKv: false, ignoreValue: false });
 * // A limited range says there is more, and counts all.
 * applyKv(s, { op: 'range', key: 'a', rangeEnd: 'c', limit: 1, revision: 0, keysOnly: false, countOnly: false, serializable: false }); //=> { op: 'range', revision: 4, kvs: [{ key: 'a', value: '2', createRevision: 2, modRevision: 3, version: 2 }], more: true, count: 2 }
 * ```
 */
export interface KvRangeResult {
  /** Tag. */
  readonly op: 'range';
  /** The store revision the read saw. */
  readonly revision: number;
  /** The entries (empty with `countOnly`; values empty with `keysOnly`). */
  readonly kvs: readonly KvEntry[];
  /** More keys matched than `limit`. */
  readonly more: boolean;
  /** How many keys matched. */
  readonly count: number;
}

/**
 * What a put returns.
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false }); //=> { op: 'put', revision: 2 }
 * ```
 */
export interface KvPutResult {
  /** Tag. */
  readonly op: 'put';
  /** The store revision after the put. */
  readonly revision: number;
  /** The replaced entry, when asked for and the key existed. */
  readonly prevKv?: KvEntry;
}

/**
 * What a delete returns.
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'a', value: '2', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'b', value: '3', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'deleteRange', key: 'a', rangeEnd: '', prevKv: true }); //=> { op: 'deleteRange', revision: 5, deleted: 1, prevKvs: [{ key: 'a', value: '2', createRevision: 2, modRevision: 3, version: 2 }] }
 * ```
 */
export interface KvDeleteResult {
  /** Tag. */
  readonly op: 'deleteRange';
  /** The store revision after the delete (unchanged when nothing was deleted). */
  readonly revision: number;
  /** How many keys were deleted. */
  readonly deleted: number;
  /** The deleted entries, when asked for. */
  readonly prevKvs: readonly KvEntry[];
}

/**
 * What a txn returns: which branch ran, and each operation's result.
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'a', value: '2', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'b', value: '3', prevKv: false, ignoreValue: false });
 * // A txn whose compare fails runs its failure branch: succeeded is false.
 * applyKv(s, { op: 'txn', compare: [{ target: 'version', result: 'greater', key: 'a', rangeEnd: '', value: 5 }], success: [], failure: [] }); //=> { op: 'txn', revision: 4, succeeded: false, responses: [] }
 * ```
 */
export interface KvTxnResult {
  /** Tag. */
  readonly op: 'txn';
  /** The store revision after the txn. */
  readonly revision: number;
  /** Whether every compare held. */
  readonly succeeded: boolean;
  /** The results of the branch that ran, in order. */
  readonly responses: readonly (KvRangeResult | KvPutResult | KvDeleteResult)[];
}

/**
 * The result of any request.
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'a', value: '2', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'b', value: '3', prevKv: false, ignoreValue: false });
 * const r = applyKv(s, { op: 'put', key: 'c', value: '5', prevKv: false, ignoreValue: false });
 * r.op === 'put' ? r.revision : null; //=> 5
 * ```
 */
export type KvResult = KvRangeResult | KvPutResult | KvDeleteResult | KvTxnResult;

/**
 * A request the store refuses, with etcd's gRPC code (3 invalid argument, 5 not found, 11 out of
 * range) and message; the store is unchanged.
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'a', value: '2', prevKv: false, ignoreValue: false });
 * applyKv(s, { op: 'put', key: 'b', value: '3', prevKv: false, ignoreValue: false });
 * // A read at a revision the store does not hold: etcd's OutOfRange (code 11); nothing changes.
 * applyKv(s, { op: 'range', key: 'a', rangeEnd: '', limit: 0, revision: 9, keysOnly: false, countOnly: false, serializable: false }); //=> { op: 'error', code: 11, message: 'etcdserver: mvcc: required revision is a future revision' }
 * // ignoreValue on a missing key: InvalidArgument (code 3).
 * applyKv(s, { op: 'put', key: 'z', value: '', prevKv: false, ignoreValue: true }); //=> { op: 'error', code: 3, message: 'etcdserver: key not found' }
 * s.revision; //=> 4
 * ```
 */
export interface KvFailure {
  /** Tag. */
  readonly op: 'error';
  /** The gRPC status code etcd answers with. */
  readonly code: number;
  /** etcd's message. */
  readonly message: string;
}

/** etcd's `--max-txn-ops` default: the most operations in one txn branch. */
export const KV_MAX_TXN_OPS = 128;

/**
 * A new empty store at revision 1 (etcd's first revision).
 *
 * @example
 * ```ts
 * import { createKvStore } from 'distkit/node';
 * createKvStore().keys.length; //=> 0
 * ```
 */
export function createKvStore(): KvStore {
  return { revision: 1, keys: [], entries: new Map() };
}

/**
 * Applies one request to the store (changing it in place) and returns its result, or a
 * {@link KvFailure} that left the store unchanged. Deterministic: replicas applying the same
 * requests in order stay identical.
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false }).op; //=> 'put'
 * s.revision; //=> 2
 * ```
 */
export function applyKv(store: KvStore, request: KvRequest): KvResult | KvFailure {
  if (request.op === 'txn') return applyTxn(store, request);
  const problem = checkOps(store, [request]);
  if (problem !== undefined) return problem;
  const rev = { value: store.revision, wrote: false };
  const result = applyOp(store, request, rev);
  store.revision = rev.value;
  return result;
}

/** The mutable revision of one write: raised once, on the first change. */
interface WriteRevision {
  value: number;
  wrote: boolean;
}

function applyTxn(store: KvStore, txn: KvTxn): KvTxnResult | KvFailure {
  for (const branch of [txn.success, txn.failure]) {
    if (branch.length > KV_MAX_TXN_OPS) return failure(3, 'etcdserver: too many operations in txn request');
    const dup = duplicateKeyProblem(branch);
    if (dup !== undefined) return dup;
  }
  const succeeded = txn.compare.every((c) => compareHolds(store, c));
  const ops = succeeded ? txn.success : txn.failure;
  const problem = checkOps(store, ops);
  if (problem !== undefined) return problem;
  const rev = { value: store.revision, wrote: false };
  const responses: (KvRangeResult | KvPutResult | KvDeleteResult)[] = [];
  for (const op of ops) {
    const r = applyOp(store, op, rev);
    if (r.op === 'error') return r; // checkOps ruled this out
    responses.push(r);
  }
  store.revision = rev.value;
  return { op: 'txn', revision: rev.value, succeeded, responses };
}

/**
 * etcd's `checkIntervals`: within one branch a key may be put once, and not inside a range the
 * same branch deletes.
 */
function duplicateKeyProblem(ops: readonly KvTxnOp[]): KvFailure | undefined {
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.op !== 'put') continue;
    if (puts.has(op.key)) return failure(3, 'etcdserver: duplicate key given in txn request');
    puts.add(op.key);
  }
  for (const op of ops) {
    if (op.op !== 'deleteRange') continue;
    for (const key of puts) if (inRange(key, op.key, op.rangeEnd)) return failure(3, 'etcdserver: duplicate key given in txn request');
  }
  return undefined;
}

/** What etcd checks before applying: a range's revision, and that an `ignoreValue` put's key exists. */
function checkOps(store: KvStore, ops: readonly KvTxnOp[]): KvFailure | undefined {
  for (const op of ops) {
    if (op.op === 'range' && op.revision > 0 && op.revision !== store.revision) {
      return op.revision > store.revision
        ? failure(11, 'etcdserver: mvcc: required revision is a future revision')
        : failure(11, 'etcdserver: mvcc: required revision has been compacted');
    }
    if (op.op === 'put' && op.ignoreValue && !store.entries.has(op.key)) return failure(3, 'etcdserver: key not found');
  }
  return undefined;
}

function applyOp(store: KvStore, op: KvTxnOp, rev: WriteRevision): KvRangeResult | KvPutResult | KvDeleteResult | KvFailure {
  switch (op.op) {
    case 'range':
      return range(store, op, rev.value);
    case 'put':
      return put(store, op, rev);
    case 'deleteRange':
      return deleteRange(store, op, rev);
  }
}

function nextRevision(rev: WriteRevision): number {
  if (!rev.wrote) {
    rev.value += 1;
    rev.wrote = true;
  }
  return rev.value;
}

function put(store: KvStore, op: KvPut, rev: WriteRevision): KvPutResult {
  const at = nextRevision(rev);
  const prev = store.entries.get(op.key);
  const value = op.ignoreValue && prev !== undefined ? prev.value : op.value;
  const entry: KvEntry = prev
    ? { key: op.key, value, createRevision: prev.createRevision, modRevision: at, version: prev.version + 1 }
    : { key: op.key, value, createRevision: at, modRevision: at, version: 1 };
  if (!prev) store.keys.splice(lowerBound(store.keys, op.key), 0, op.key);
  store.entries.set(op.key, entry);
  return op.prevKv && prev ? { op: 'put', revision: at, prevKv: prev } : { op: 'put', revision: at };
}

function deleteRange(store: KvStore, op: KvDeleteRange, rev: WriteRevision): KvDeleteResult {
  const [from, to] = bounds(store.keys, op.key, op.rangeEnd);
  if (from >= to) return { op: 'deleteRange', revision: rev.value, deleted: 0, prevKvs: [] };
  const removed = store.keys.splice(from, to - from);
  const prevKvs: KvEntry[] = [];
  for (const key of removed) {
    if (op.prevKv) prevKvs.push(store.entries.get(key)!);
    store.entries.delete(key);
  }
  return { op: 'deleteRange', revision: nextRevision(rev), deleted: removed.length, prevKvs };
}

function range(store: KvStore, op: KvRange, revision: number): KvRangeResult {
  const [from, to] = bounds(store.keys, op.key, op.rangeEnd);
  const count = Math.max(0, to - from);
  if (op.countOnly) return { op: 'range', revision, kvs: [], more: false, count };
  const end = op.limit > 0 ? Math.min(to, from + op.limit) : to;
  const kvs: KvEntry[] = [];
  for (let i = from; i < end; i++) {
    const e = store.entries.get(store.keys[i]!)!;
    kvs.push(op.keysOnly ? { ...e, value: '' } : e);
  }
  return { op: 'range', revision, kvs, more: op.limit > 0 && count > op.limit, count };
}

/** etcd's `applyCompare`: every key in the range must satisfy it; a missing key reads as zeros, but fails a value compare. */
function compareHolds(store: KvStore, c: KvCompare): boolean {
  const [from, to] = bounds(store.keys, c.key, c.rangeEnd);
  if (from >= to) {
    if (c.target === 'value') return false;
    return compareOne({ key: c.key, value: '', createRevision: 0, modRevision: 0, version: 0 }, c);
  }
  for (let i = from; i < to; i++) if (!compareOne(store.entries.get(store.keys[i]!)!, c)) return false;
  return true;
}

function compareOne(e: KvEntry, c: KvCompare): boolean {
  let order: number;
  if (c.target === 'value') {
    const want = typeof c.value === 'string' ? c.value : '';
    order = e.value < want ? -1 : e.value > want ? 1 : 0;
  } else {
    const have = c.target === 'version' ? e.version : c.target === 'create' ? e.createRevision : e.modRevision;
    const want = typeof c.value === 'number' ? c.value : 0;
    order = have < want ? -1 : have > want ? 1 : 0;
  }
  switch (c.result) {
    case 'equal':
      return order === 0;
    case 'greater':
      return order > 0;
    case 'less':
      return order < 0;
    case 'notEqual':
      return order !== 0;
  }
}

/**
 * Whether `key` lies in the range (`rangeEnd` empty: the key itself; `"\0"`: every key ≥ `start`).
 *
 * @example
 * ```ts
 * import { kvInRange } from 'distkit/node';
 * kvInRange('ab', 'a', 'b'); //=> true
 * kvInRange('b', 'a', '\0'); //=> true
 * ```
 */
export function kvInRange(key: string, start: string, rangeEnd: string): boolean {
  return inRange(key, start, rangeEnd);
}

function inRange(key: string, start: string, rangeEnd: string): boolean {
  if (rangeEnd === '') return key === start;
  if (rangeEnd === '\0') return key >= start;
  return key >= start && key < rangeEnd;
}

/**
 * The key that ends the range of every key starting with `prefix` (etcd's `GetPrefixRangeEnd`):
 * the prefix with its last byte below 0xff raised by one; `"\0"` when there is none.
 *
 * @example
 * ```ts
 * import { kvPrefixEnd } from 'distkit/node';
 * kvPrefixEnd('foo'); //=> 'fop'
 * ```
 */
export function kvPrefixEnd(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return '\0';
}

/** The positions [from, to) of the sorted keys in the range. */
function bounds(keys: readonly string[], key: string, rangeEnd: string): [number, number] {
  if (rangeEnd === '') {
    const i = lowerBound(keys, key);
    return i < keys.length && keys[i] === key ? [i, i + 1] : [i, i];
  }
  const from = lowerBound(keys, key);
  const to = rangeEnd === '\0' ? keys.length : lowerBound(keys, rangeEnd);
  return [from, Math.max(from, to)];
}

/** The first position whose key is ≥ `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function failure(code: number, message: string): KvFailure {
  return { op: 'error', code, message };
}

/**
 * A store as plain JSON (for a Raft snapshot): the revision and each entry as
 * `[key, value, createRevision, modRevision, version]`, keys in order.
 *
 * @example
 * ```ts
 * import { createKvStore, kvSnapshot } from 'distkit/node';
 * kvSnapshot(createKvStore()); //=> { revision: 1, kvs: [] }
 * ```
 */
export interface KvSnapshot {
  /** The store revision. */
  readonly revision: number;
  /** The entries, in key order. */
  readonly kvs: readonly (readonly [string, string, number, number, number])[];
}

/**
 * The whole store as plain JSON ({@link KvSnapshot}).
 *
 * @example
 * ```ts
 * import { applyKv, createKvStore, kvSnapshot } from 'distkit/node';
 * const s = createKvStore();
 * applyKv(s, { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false });
 * kvSnapshot(s); //=> { revision: 2, kvs: [['a', '1', 2, 2, 1]] }
 * ```
 */
export function kvSnapshot(store: KvStore): KvSnapshot {
  return {
    revision: store.revision,
    kvs: store.keys.map((k) => {
      const e = store.entries.get(k)!;
      return [e.key, e.value, e.createRevision, e.modRevision, e.version] as const;
    }),
  };
}

/**
 * Rebuilds a store from {@link kvSnapshot}'s JSON, checking it (a snapshot from a peer is
 * untrusted): throws a `TypeError` naming what is wrong.
 *
 * @example
 * ```ts
 * import { restoreKvStore } from 'distkit/node';
 * restoreKvStore({ revision: 2, kvs: [['a', '1', 2, 2, 1]] }).entries.get('a')?.version; //=> 1
 * ```
 */
export function restoreKvStore(snapshot: unknown): KvStore {
  const s = snapshot as KvSnapshot;
  if (s === null || typeof s !== 'object' || !isCount(s.revision) || s.revision < 1 || !Array.isArray(s.kvs)) {
    throw new TypeError('KV snapshot: expected { revision: integer >= 1, kvs: [...] }');
  }
  const store: KvStore = { revision: s.revision, keys: [], entries: new Map() };
  for (const [i, row] of s.kvs.entries()) {
    if (!Array.isArray(row) || row.length !== 5) throw new TypeError(`KV snapshot: kvs[${i}] must be [key, value, create, mod, version]`);
    const [key, value, create, mod, version] = row as unknown[];
    if (!isByteString(key) || !isByteString(value) || key === '') throw new TypeError(`KV snapshot: kvs[${i}] key and value must be byte strings`);
    if (!isCount(create) || !isCount(mod) || !isCount(version) || create < 2 || mod < create || mod > s.revision || version < 1) {
      throw new TypeError(`KV snapshot: kvs[${i}] has impossible revisions`);
    }
    if (i > 0 && store.keys[i - 1]! >= key) throw new TypeError(`KV snapshot: kvs[${i}] is out of key order`);
    store.keys.push(key);
    store.entries.set(key, { key, value, createRevision: create, modRevision: mod, version });
  }
  return store;
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** A string whose every character is one byte (0–255). */
function isByteString(x: unknown): x is string {
  // eslint-disable-next-line no-control-regex
  return typeof x === 'string' && /^[\u0000-\u00ff]*$/.test(x);
}
