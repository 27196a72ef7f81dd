/**
 * The Node.js-only parts of distkit: a TCP transport, a durable file store, a write-ahead log and
 * Raft storage on it. Everything else in distkit runs unchanged in browsers, Deno, Bun and workers.
 *
 * @module node
 */
export * from './file-store.js';
export * from './tcp-transport.js';
export * from './checkpoint-store.js';
export * from './raft-storage.js';
export * from './crc32c.js';
export * from './wal.js';
export * from './raft-wal-storage.js';
