// Type-level tests of the simulator's public types: the unions users switch on and the shapes they
// write by hand (faults, delay models, checks).
import { describe, expectTypeOf, it } from 'vitest';
import type { NodeId } from '../../src/core/index.js';
import type { Completion, DelayModel, Fault, FinalCheck, RunEnd, SimResult, StopReason, TraceEvent, Violation } from '../../src/sim/index.js';

describe('simulator types', () => {
  it('faults narrow on type: crash names a node, partition lists groups, heal carries nothing', () => {
    expectTypeOf<Extract<Fault, { type: 'crash' }>['node']>().toEqualTypeOf<NodeId>();
    expectTypeOf<Extract<Fault, { type: 'partition' }>['groups']>().toEqualTypeOf<readonly (readonly NodeId[])[]>();
    expectTypeOf<{ type: 'heal' }>().toMatchTypeOf<Fault>();
    expectTypeOf<{ type: 'crash' }>().not.toMatchTypeOf<Fault>();
    expectTypeOf<{ type: 'explode'; node: 'a' }>().not.toMatchTypeOf<Fault>();
  });

  it('delay models need their parameters', () => {
    expectTypeOf<{ type: 'uniform'; minMs: 1; maxMs: 5 }>().toMatchTypeOf<DelayModel>();
    expectTypeOf<{ type: 'uniform'; minMs: 1 }>().not.toMatchTypeOf<DelayModel>();
    expectTypeOf<{ type: 'exponential'; meanMs: 5 }>().toMatchTypeOf<DelayModel>();
  });

  it('trace events narrow on kind: a drop says why', () => {
    expectTypeOf<Extract<TraceEvent, { kind: 'drop' }>['reason']>().toEqualTypeOf<'loss' | 'partition' | 'crashed' | 'unknown-node'>();
    expectTypeOf<Extract<TraceEvent, { kind: 'fault' }>['fault']>().toEqualTypeOf<Fault>();
  });

  it('a final check returns a message or undefined, like an Invariant (no booleans)', () => {
    expectTypeOf<ReturnType<FinalCheck['check']>>().toEqualTypeOf<string | undefined>();
    expectTypeOf<{ name: 'x'; check: (end: RunEnd) => boolean }>().not.toMatchTypeOf<FinalCheck>();
    expectTypeOf<{ name: 'x'; check: (end: RunEnd) => string | undefined }>().toMatchTypeOf<FinalCheck>();
  });

  it('a result says why it stopped and, when not ok, what was violated with a replayable seed', () => {
    expectTypeOf<SimResult['stopReason']>().toEqualTypeOf<StopReason>();
    expectTypeOf<SimResult['violation']>().toEqualTypeOf<Violation | undefined>();
    expectTypeOf<Violation['seed']>().toEqualTypeOf<number | string>();
  });

  it('a workload completion is an output or a failure', () => {
    expectTypeOf<{ id: 1; output: 5 }>().toMatchTypeOf<Completion<number>>();
    expectTypeOf<{ id: 1; failed: true }>().toMatchTypeOf<Completion<number>>();
    expectTypeOf<{ id: 1 }>().not.toMatchTypeOf<Completion<number>>();
  });
});
