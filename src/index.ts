/**
 * distkit: distributed-systems algorithms as pure, transport-agnostic state machines. The root
 * entry re-exports `distkit/core`; each algorithm family has its own subpath
 * (`distkit/clocks`, `distkit/consensus`, ...).
 *
 * @module distkit
 */
export * from './core/index.js';
