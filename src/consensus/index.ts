/**
 * distkit/consensus.
 *
 * @module consensus
 */
export {};
