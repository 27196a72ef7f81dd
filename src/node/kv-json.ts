/**
 * etcd v3's JSON gateway format (grpc-gateway over etcd 3.4's protobufs) for the KV store:
 * requests parsed from untrusted JSON into {@link KvRequest}s, results written back the way etcd
 * writes them — keys and values in base64, int64 fields as decimal strings, zero values left out.
 *
 * @packageDocumentation
 */
import type { KvCompare, KvDeleteRange, KvEntry, KvFailure, KvPut, KvRange, KvRequest, KvResult, KvTxn, KvTxnOp } from './kv-store.js';

/**
 * etcd's response header: cluster and member ids (uint64 as decimal strings), the store revision
 * and the Raft term.
 *
 * @example
 * ```ts
 * import type { KvHeader } from 'distkit/node';
 * const h: KvHeader = { clusterId: '1', memberId: '2', revision: 5, raftTerm: 2 };
 * ```
 */
export interface KvHeader {
  /** The cluster's id (uint64, decimal). */
  readonly clusterId: string;
  /** The answering member's id (uint64, decimal). */
  readonly memberId: string;
  /** The store revision. */
  readonly revision: number;
  /** The member's Raft term. */
  readonly raftTerm: number;
}

/** The four KV endpoints of etcd's gateway, by the request type they take. */
export type KvEndpoint = 'range' | 'put' | 'deleteRange' | 'txn';

type Json = Record<string, unknown>;

/** A parse problem, thrown inside this module only and turned into a {@link KvFailure}. */
class BadRequest extends Error {
  constructor(
    message: string,
    readonly code = 3,
  ) {
    super(message);
  }
}

/**
 * Parses a request body of `endpoint` as etcd's gateway would (field names in snake_case or
 * lowerCamelCase, int64 as numbers or strings, bytes as standard base64; unknown fields ignored),
 * or returns etcd's error for it.
 *
 * @example
 * ```ts
 * import { parseKvRequest } from 'distkit/node';
 * parseKvRequest('put', { key: 'YQ==', value: 'MQ==' });
 * //=> { op: 'put', key: 'a', value: '1', prevKv: false, ignoreValue: false }
 * parseKvRequest('put', { key: '' }).op; //=> 'error'
 * ```
 */
export function parseKvRequest(endpoint: KvEndpoint, body: unknown): KvRequest | KvFailure {
  try {
    const o = object(body, 'request');
    switch (endpoint) {
      case 'range':
        return parseRange(o);
      case 'put':
        return parsePut(o);
      case 'deleteRange':
        return parseDelete(o);
      case 'txn':
        return parseTxn(o);
    }
  } catch (e) {
    if (e instanceof BadRequest) return { op: 'error', code: e.code, message: e.message };
    throw e;
  }
}

function parseRange(o: Json): KvRange {
  for (const f of ['sort_order', 'sort_target', 'min_mod_revision', 'max_mod_revision', 'min_create_revision', 'max_create_revision']) {
    const v = field(o, f);
    if (v !== undefined && v !== 0 && v !== '0' && v !== 'NONE' && v !== 'KEY' && v !== false) {
      throw new BadRequest(`${f} is not supported by this server`);
    }
  }
  const limit = int64(field(o, 'limit'), 'limit');
  const revision = int64(field(o, 'revision'), 'revision');
  return {
    op: 'range',
    key: key(o),
    rangeEnd: bytes(field(o, 'range_end'), 'range_end'),
    limit: limit > 0 ? limit : 0,
    revision: revision > 0 ? revision : 0,
    keysOnly: bool(field(o, 'keys_only'), 'keys_only'),
    countOnly: bool(field(o, 'count_only'), 'count_only'),
    serializable: bool(field(o, 'serializable'), 'serializable'),
  };
}

function parsePut(o: Json): KvPut {
  if (int64(field(o, 'lease'), 'lease') !== 0) throw new BadRequest('etcdserver: requested lease not found', 5);
  const ignoreValue = bool(field(o, 'ignore_value'), 'ignore_value');
  const value = bytes(field(o, 'value'), 'value');
  if (ignoreValue && value !== '') throw new BadRequest('etcdserver: value is provided');
  bool(field(o, 'ignore_lease'), 'ignore_lease');
  return { op: 'put', key: key(o), value, prevKv: bool(field(o, 'prev_kv'), 'prev_kv'), ignoreValue };
}

function parseDelete(o: Json): KvDeleteRange {
  return { op: 'deleteRange', key: key(o), rangeEnd: bytes(field(o, 'range_end'), 'range_end'), prevKv: bool(field(o, 'prev_kv'), 'prev_kv') };
}

function parseTxn(o: Json): KvTxn {
  return {
    op: 'txn',
    compare: list(field(o, 'compare'), 'compare').map(parseCompare),
    success: list(field(o, 'success'), 'success').map(parseTxnOp),
    failure: list(field(o, 'failure'), 'failure').map(parseTxnOp),
  };
}

const TARGETS = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const;
const RESULTS = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'] as const;
const TARGET_NAMES = { VERSION: 'version', CREATE: 'create', MOD: 'mod', VALUE: 'value' } as const;
const RESULT_NAMES = { EQUAL: 'equal', GREATER: 'greater', LESS: 'less', NOT_EQUAL: 'notEqual' } as const;

function parseCompare(x: unknown): KvCompare {
  const o = object(x, 'compare');
  const target = enumOf(field(o, 'target'), TARGETS, 'Compare_CompareTarget');
  const result = enumOf(field(o, 'result'), RESULTS, 'Compare_CompareResult');
  if (target === 'LEASE') throw new BadRequest('compare target LEASE is not supported by this server');
  const k = key(o);
  const rangeEnd = bytes(field(o, 'range_end'), 'range_end');
  const name = TARGET_NAMES[target];
  const value =
    target === 'VALUE'
      ? bytes(field(o, 'value'), 'value')
      : int64(field(o, target === 'VERSION' ? 'version' : target === 'CREATE' ? 'create_revision' : 'mod_revision'), name);
  return { target: name, result: RESULT_NAMES[result], key: k, rangeEnd, value };
}

function parseTxnOp(x: unknown): KvTxnOp {
  const o = object(x, 'request op');
  const range = field(o, 'request_range');
  const put = field(o, 'request_put');
  const del = field(o, 'request_delete_range');
  if (field(o, 'request_txn') !== undefined) throw new BadRequest('nested txn requests are not supported by this server');
  if ([range, put, del].filter((v) => v !== undefined && v !== null).length !== 1) {
    throw new BadRequest('etcdserver: a txn operation needs exactly one of request_range, request_put, request_delete_range');
  }
  if (range !== undefined && range !== null) return parseRange(object(range, 'request_range'));
  if (put !== undefined && put !== null) return parsePut(object(put, 'request_put'));
  return parseDelete(object(del, 'request_delete_range'));
}

/** A field by its proto name or its lowerCamelCase JSON name, own properties only. */
function field(o: Json, snake: string): unknown {
  if (Object.prototype.hasOwnProperty.call(o, snake)) return o[snake];
  const camel = snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return camel !== snake && Object.prototype.hasOwnProperty.call(o, camel) ? o[camel] : undefined;
}

function object(x: unknown, what: string): Json {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new BadRequest(`${what}: expected a JSON object`);
  return x as Json;
}

function list(x: unknown, what: string): unknown[] {
  if (x === undefined || x === null) return [];
  if (!Array.isArray(x)) throw new BadRequest(`${what}: expected a JSON array`);
  return x;
}

function key(o: Json): string {
  const k = bytes(field(o, 'key'), 'key');
  if (k === '') throw new BadRequest('etcdserver: key is not provided');
  return k;
}

function bool(x: unknown, what: string): boolean {
  if (x === undefined || x === null) return false;
  if (typeof x !== 'boolean') throw new BadRequest(`${what}: expected true or false`);
  return x;
}

/** An int64 as protobuf's JSON mapping reads it: a number or a decimal string (within 2^53 here). */
function int64(x: unknown, what: string): number {
  if (x === undefined || x === null) return 0;
  const n = typeof x === 'number' ? x : typeof x === 'string' && /^-?\d{1,16}$/.test(x) ? Number(x) : NaN;
  if (!Number.isSafeInteger(n)) throw new BadRequest(`${what}: expected an integer (a number or a decimal string) within 2^53`);
  return n;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 (padded, as Go's `encoding/json` wants for bytes) to a byte string. */
function bytes(x: unknown, what: string): string {
  if (x === undefined || x === null) return '';
  if (typeof x !== 'string') throw new BadRequest(`${what}: expected a base64 string`);
  if (!BASE64.test(x)) {
    const at = firstBadBase64Byte(x);
    throw new BadRequest(`illegal base64 data at input byte ${at}`);
  }
  return Buffer.from(x, 'base64').toString('latin1');
}

function firstBadBase64Byte(x: string): number {
  const i = x.search(/[^A-Za-z0-9+/=]/);
  if (i >= 0) return i;
  const pad = x.indexOf('=');
  return pad >= 0 ? pad : x.length - (x.length % 4);
}

function enumOf<T extends string>(x: unknown, names: readonly T[], type: string): T {
  if (x === undefined || x === null) return names[0]!;
  if (typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < names.length) return names[x]!;
  if (typeof x === 'string' && (names as readonly string[]).includes(x)) return x as T;
  throw new BadRequest(`unknown value ${JSON.stringify(x)} for enum etcdserverpb.${type}`);
}

/**
 * A result as etcd's gateway writes it, with `header` first.
 *
 * @example
 * ```ts
 * import { kvResultJson } from 'distkit/node';
 * kvResultJson({ op: 'put', revision: 2 }, { clusterId: '1', memberId: '2', revision: 2, raftTerm: 3 });
 * //=> { header: { cluster_id: '1', member_id: '2', revision: '2', raft_term: '3' } }
 * ```
 */
export function kvResultJson(result: KvResult, header: KvHeader): Record<string, unknown> {
  return { header: kvHeaderJson(header), ...bodyJson(result) };
}

/**
 * etcd's header JSON (zero fields left out).
 *
 * @example
 * ```ts
 * import { kvHeaderJson } from 'distkit/node';
 * kvHeaderJson({ clusterId: '1', memberId: '2', revision: 0, raftTerm: 3 }); //=> { cluster_id: '1', member_id: '2', raft_term: '3' }
 * ```
 */
export function kvHeaderJson(h: KvHeader): Record<string, unknown> {
  return omitZero({ cluster_id: h.clusterId, member_id: h.memberId, revision: String(h.revision), raft_term: String(h.raftTerm) });
}

function bodyJson(r: KvResult): Json {
  switch (r.op) {
    case 'range':
      return omitZero({ kvs: r.kvs.map(entryJson), more: r.more, count: String(r.count) });
    case 'put':
      return r.prevKv ? { prev_kv: entryJson(r.prevKv) } : {};
    case 'deleteRange':
      return omitZero({ deleted: String(r.deleted), prev_kvs: r.prevKvs.map(entryJson) });
    case 'txn':
      return omitZero({
        succeeded: r.succeeded,
        responses: r.responses.map((x) => {
          const name = x.op === 'range' ? 'response_range' : x.op === 'put' ? 'response_put' : 'response_delete_range';
          return { [name]: { header: { revision: String(x.revision) }, ...bodyJson(x) } };
        }),
      });
  }
}

function entryJson(e: KvEntry): Json {
  return omitZero({
    key: b64(e.key),
    create_revision: String(e.createRevision),
    mod_revision: String(e.modRevision),
    version: String(e.version),
    value: b64(e.value),
  });
}

function b64(s: string): string {
  return Buffer.from(s, 'latin1').toString('base64');
}

/** proto3's JSON mapping leaves out fields at their zero value. */
function omitZero(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === '' || v === '0' || v === false || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * etcd's error body: `{ error, message, code }`, and the HTTP status the gateway gives the gRPC code.
 *
 * @example
 * ```ts
 * import { kvErrorJson } from 'distkit/node';
 * kvErrorJson({ op: 'error', code: 3, message: 'etcdserver: key is not provided' }).status; //=> 400
 * ```
 */
export function kvErrorJson(f: KvFailure): { status: number; body: Record<string, unknown> } {
  return { status: httpStatusOf(f.code), body: { error: f.message, message: f.message, code: f.code } };
}

/** grpc-gateway's mapping of gRPC codes to HTTP statuses (runtime.HTTPStatusFromCode). */
function httpStatusOf(code: number): number {
  switch (code) {
    case 3:
    case 9:
    case 11:
      return 400;
    case 4:
      return 504;
    case 5:
      return 404;
    case 6:
      return 409;
    case 8:
      return 429;
    case 14:
      return 503;
    default:
      return 500;
  }
}
