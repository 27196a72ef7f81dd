/**
 * The Node.js-only parts of distkit: an authenticated TCP transport, a durable file store, a
 * write-ahead log and Raft storage on it, node:crypto authenticators and a fault-injecting proxy.
 * Everything else in distkit runs unchanged in browsers, Deno, Bun and workers.
 *
 * Guide: [Running on Node](../../docs/node.md).
 *
 * @module node
 */
export * from './file-store.js';
export * from './tcp-transport.js';
export type { TcpAuth, TcpHmacAuth, TcpTlsAuth, TcpNoAuth } from './tcp-auth.js';
export * from './checkpoint-store.js';
export * from './raft-storage.js';
export * from './wal.js';
export * from './raft-wal-storage.js';
export * from './pbft-authenticator.js';
export * from './fault-proxy.js';
export * from './mapreduce-pool.js';
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
export { startReplica, type Replica, type ReplicaOptions, type ReplicaBaseOptions, type ReplicaTcpLinks, type ReplicaTransportLinks, type ReplicaAnswer, type ReplicaStatus } from './replica.js';
