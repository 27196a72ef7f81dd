/**
 * A transport over Redis Streams: any distkit machine's messages between processes and machines,
 * one stream per receiving node, at-least-once delivery through a consumer group. The Redis client
 * (ioredis, or anything with `call`, `duplicate` and `disconnect`) is an optional peer dependency
 * the application creates and passes in; this subpath imports no Redis library itself.
 *
 * Guide: [Redis](../../docs/redis.md).
 *
 * @module redis
 */
export * from './streams-transport.js';
export { entryFields, parseEntry, replyEntries, type StreamEntry } from './entries.js';
