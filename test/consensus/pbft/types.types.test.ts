// Type-level tests of PBFT's public types: the unions a host narrows on and the service contract.
import { describe, expectTypeOf, it } from 'vitest';
import type { NodeId } from '../../../src/core/index.js';
import type { PbftClientOutput, PbftExecuteOutput, PbftMessage, PbftReplicaOutput, PbftService, PbftStateTransfer } from '../../../src/consensus/index.js';

describe('PBFT types', () => {
  it('replica outputs narrow on type: execute carries the request and its result', () => {
    type Execute = Extract<PbftReplicaOutput, { type: 'execute' }>;
    expectTypeOf<Execute>().toEqualTypeOf<PbftExecuteOutput>();
    expectTypeOf<Execute['client']>().toEqualTypeOf<NodeId>();
    expectTypeOf<Extract<PbftReplicaOutput, { type: 'view' }>>().toHaveProperty('primary');
    expectTypeOf<Extract<PbftReplicaOutput, { type: 'stable' }>['digest']>().toEqualTypeOf<string>();
  });

  it('state transfer messages narrow on type: only `state` carries a snapshot and its proof', () => {
    expectTypeOf<Extract<PbftStateTransfer, { type: 'state' }>>().toHaveProperty('snapshot');
    expectTypeOf<Extract<PbftStateTransfer, { type: 'fetch' }>>().not.toHaveProperty('snapshot');
    expectTypeOf<PbftStateTransfer>().toMatchTypeOf<PbftMessage>();
  });

  it('client outputs: a result carries the operation and its result', () => {
    type Result = Extract<PbftClientOutput, { type: 'result' }>;
    expectTypeOf<Result>().toHaveProperty('timestamp');
    expectTypeOf<Result>().toHaveProperty('result');
  });

  it('a service is init plus a pure execute returning the next state and a result', () => {
    const counter = { init: () => 0, execute: (s: number) => ({ state: s + 1, result: s + 1 }) };
    expectTypeOf(counter).toMatchTypeOf<PbftService<number>>();
    expectTypeOf<{ init: () => number }>().not.toMatchTypeOf<PbftService<number>>();
    expectTypeOf<PbftService<number>['execute']>().parameters.toEqualTypeOf<[number, unknown, NodeId]>();
  });
});
