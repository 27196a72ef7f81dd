/**
 * The Node.js-only parts of distkit: a TCP transport and a durable file store. Everything else in
 * distkit runs unchanged in browsers, Deno, Bun and workers.
 *
 * @module node
 */
export * from './file-store.js';
export * from './tcp-transport.js';
export * from './checkpoint-store.js';
export * from './raft-storage.js';
export * from './kv-store.js';
export { parseKvRequest, kvResultJson, kvHeaderJson, kvErrorJson, type KvHeader, type KvEndpoint } from './kv-json.js';
export {
  startKvServer,
  parseInitialCluster,
  kvMemberId,
  type KvServerOptions,
  type KvServer,
  type KvMember,
  type KvServerStatus,
} from './kv-server.js';
