// Type-level tests of Raft's public types: what a host relies on when it wires Raft up.
import { describe, expectTypeOf, it } from 'vitest';
import type { NodeId, PersistOutput, SendOutput } from '../../../src/core/index.js';
import type { RaftApplyOutput, RaftConfig, RaftEntry, RaftInput, RaftMessage, RaftNotLeaderOutput, RaftOutput, RaftPersistRecord, RaftRole } from '../../../src/consensus/index.js';

describe('Raft types', () => {
  it('a config needs id, voters and seed; the timing options are optional', () => {
    expectTypeOf<{ id: 'a'; voters: ['a']; seed: 1 }>().toMatchTypeOf<RaftConfig>();
    expectTypeOf<{ id: 'a'; voters: ['a'] }>().not.toMatchTypeOf<RaftConfig>();
    expectTypeOf<{ id: 'a'; seed: 1 }>().not.toMatchTypeOf<RaftConfig>();
    expectTypeOf<RaftConfig['electionTimeoutMs']>().toEqualTypeOf<number | undefined>();
  });

  it('outputs narrow on type: apply carries entries, notLeader a hint, persist a delta record', () => {
    expectTypeOf<Extract<RaftOutput, { type: 'apply' }>>().toEqualTypeOf<RaftApplyOutput>();
    expectTypeOf<RaftApplyOutput['entries']>().toEqualTypeOf<readonly RaftEntry[]>();
    expectTypeOf<Extract<RaftOutput, { type: 'notLeader' }>>().toEqualTypeOf<RaftNotLeaderOutput>();
    expectTypeOf<RaftNotLeaderOutput['leader']>().toEqualTypeOf<NodeId | null>();
    expectTypeOf<Extract<RaftOutput, { type: 'persist' }>>().toEqualTypeOf<PersistOutput<RaftPersistRecord>>();
    expectTypeOf<Extract<RaftOutput, { type: 'send' }>>().toEqualTypeOf<SendOutput<RaftMessage>>();
  });

  it('every input carries now; messages are untrusted (unknown payload)', () => {
    expectTypeOf<RaftInput['now']>().toEqualTypeOf<number>();
    expectTypeOf<Extract<RaftInput, { type: 'message' }>['message']>().toEqualTypeOf<unknown>();
    expectTypeOf<{ type: 'propose'; data: 'x' }>().not.toMatchTypeOf<RaftInput>();
  });

  it('roles are the four of §5.2 plus Pre-Vote', () => {
    expectTypeOf<RaftRole>().toEqualTypeOf<'follower' | 'preCandidate' | 'candidate' | 'leader'>();
  });
});
