/**
 * distkit/node.
 *
 * @module node
 */
export {};
