/**
 * The machine contract and the pieces every distkit module builds on: base input/output types,
 * typed errors, a seeded PRNG, validation helpers for untrusted input, the `createNode` runner,
 * the protocol kit (node ids and membership, options, quorums, the `Invariant` type), and the
 * `Transport` / `Store` interfaces with in-memory implementations.
 *
 * Guide: [The machine contract](../../docs/core.md).
 *
 * @module core
 */
export * from './machine.js';
export * from './errors.js';
export * from './prng.js';
export * from './validate.js';
export * from './testing.js';
export * from './system.js';
export * from './transport.js';
export * from './store.js';
export * from './node.js';
export * from './time.js';
export * from './records.js';
export * from './runtime.js';
export * from './members.js';
export * from './options.js';
export * from './quorum.js';
export * from './invariant.js';
export * from './json.js';
export * from './invariant-builders.js';
export * from './events.js';
export * from './dispatch.js';
export * from './utf8.js';
