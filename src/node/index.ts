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
export * from './mapreduce-pool.js';
