/**
 * The KV server's client API over `node:http`: the routes of etcd v3's JSON gateway that the
 * server implements, with etcd's error bodies for bad requests (malformed JSON, bad base64,
 * oversized bodies) — answered with a 4xx, never a crash.
 *
 * @packageDocumentation
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { TcpAddress } from './tcp-transport.js';
import { kvErrorJson, kvHeaderJson, kvResultJson, type KvEndpoint } from './kv-json.js';
import type { KvFailure } from './kv-store.js';
import type { KvBackend, KvMember } from './kv-server.js';

/** A listening HTTP front end. */
export interface KvHttpHandle {
  /** `http://host:port` as bound. */
  readonly url: string;
  /** Stops accepting and closes open connections. */
  close(): Promise<void>;
}

const KV_ROUTES: Readonly<Record<string, KvEndpoint>> = {
  '/v3/kv/range': 'range',
  '/v3/kv/put': 'put',
  '/v3/kv/deleterange': 'deleteRange',
  '/v3/kv/txn': 'txn',
};
const OTHER_ROUTES = new Set(['/v3/maintenance/status', '/v3/cluster/member/add', '/v3/cluster/member/remove', '/v3/cluster/member/list']);

/** Listens on `address` and serves `backend`; bodies beyond `maxRequestBytes` are refused. */
export function listenKvHttp(backend: KvBackend, address: TcpAddress, maxRequestBytes: number, onError: (problem: string) => void): Promise<KvHttpHandle> {
  const server = createServer((req, res) => {
    serve(backend, req, res, maxRequestBytes).catch((e: unknown) => {
      onError(`http: ${String(e)}`);
      if (!res.headersSent) reply(res, 500, { error: 'internal error', message: 'internal error', code: 13 });
      else res.destroy();
    });
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      const a = server.address();
      const port = a !== null && typeof a === 'object' ? a.port : address.port;
      const host = address.host.includes(':') ? `[${address.host}]` : address.host;
      resolve({
        url: `http://${host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

async function serve(backend: KvBackend, req: IncomingMessage, res: ServerResponse, maxRequestBytes: number): Promise<void> {
  const path = (req.url ?? '').split('?')[0]!;
  const endpoint = Object.prototype.hasOwnProperty.call(KV_ROUTES, path) ? KV_ROUTES[path] : undefined;
  if (endpoint === undefined && !OTHER_ROUTES.has(path)) {
    req.resume();
    return text(res, 404, 'Not Found\n');
  }
  if (req.method !== 'POST') {
    req.resume();
    return text(res, 405, 'Method Not Allowed\n');
  }
  const body = await readJson(req, maxRequestBytes);
  if ('failure' in body) {
    if (body.tooLarge) res.setHeader('Connection', 'close');
    return fail(res, body.failure);
  }
  if (endpoint !== undefined) {
    const result = await backend.kv(endpoint, body.value);
    if (result.op === 'error') return fail(res, result);
    return reply(res, 200, kvResultJson(result, backend.header(result.revision)));
  }
  return serveCluster(backend, path, body.value, res);
}

async function serveCluster(backend: KvBackend, path: string, body: unknown, res: ServerResponse): Promise<void> {
  const o = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  switch (path) {
    case '/v3/maintenance/status':
      return reply(res, 200, statusJson(backend));
    case '/v3/cluster/member/list':
      return reply(res, 200, { header: kvHeaderJson({ ...backend.header(), revision: 0 }), members: backend.members().map(memberJson) });
    case '/v3/cluster/member/add': {
      const urls = o['peerURLs'];
      const name = o['name'];
      if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(name)) return fail(res, bad('name: expected the new member\'s name (1-64 characters of [A-Za-z0-9._-])'));
      if (!Array.isArray(urls) || urls.length !== 1 || typeof urls[0] !== 'string' || !/^tcp:\/\/[^/]+:\d+\/?$/.test(urls[0])) {
        return fail(res, bad('peerURLs: expected one tcp://host:port'));
      }
      const members = await backend.memberAdd(name, urls[0], o['isLearner'] === true);
      if (!Array.isArray(members)) return fail(res, members);
      const member = members.find((m) => m.name === name);
      return reply(res, 200, { header: kvHeaderJson({ ...backend.header(), revision: 0 }), member: member && memberJson(member), members: members.map(memberJson) });
    }
    case '/v3/cluster/member/remove': {
      const id = typeof o['ID'] === 'string' || typeof o['ID'] === 'number' ? String(o['ID']) : undefined;
      const name = typeof o['name'] === 'string' ? o['name'] : backend.members().find((m) => m.id === id)?.name;
      if (name === undefined) return fail(res, { op: 'error', code: 5, message: 'etcdserver: member not found' });
      const members = await backend.memberRemove(name);
      if (!Array.isArray(members)) return fail(res, members);
      return reply(res, 200, { header: kvHeaderJson({ ...backend.header(), revision: 0 }), members: members.map(memberJson) });
    }
    default:
      return text(res, 404, 'Not Found\n');
  }
}

function statusJson(backend: KvBackend): Record<string, unknown> {
  const s = backend.status();
  return {
    header: kvHeaderJson(backend.header()),
    version: 'distkit',
    ...(s.leader !== null ? { leader: backend.memberIdOf(s.leader) } : {}),
    raftIndex: String(s.raftIndex),
    raftTerm: String(s.raftTerm),
    raftAppliedIndex: String(s.raftAppliedIndex),
  };
}

function memberJson(m: KvMember): Record<string, unknown> {
  return { ID: m.id, name: m.name, peerURLs: [m.peerUrl], ...(m.learner ? { isLearner: true } : {}) };
}

type Body = { value: unknown } | { failure: KvFailure; tooLarge: boolean };

/** Reads the body (at most `max` bytes) and parses it as JSON; an empty body is `{}`, as on etcd's gateway. */
function readJson(req: IncomingMessage, max: number): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        chunks.length = 0;
        resolve({ failure: bad('etcdserver: request is too large'), tooLarge: true });
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      if (!done) resolve({ failure: bad('request body could not be read'), tooLarge: false });
      done = true;
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({ value: {} });
      try {
        resolve({ value: JSON.parse(text) as unknown });
      } catch (e) {
        resolve({ failure: bad(e instanceof Error ? e.message : 'malformed JSON'), tooLarge: false });
      }
    });
  });
}

function bad(message: string): KvFailure {
  return { op: 'error', code: 3, message };
}

function fail(res: ServerResponse, f: KvFailure): void {
  const { status, body } = kvErrorJson(f);
  reply(res, status, body);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
