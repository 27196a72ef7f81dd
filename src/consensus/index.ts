/**
 * Consensus and agreement as pure machines: Raft (leader election, log replication, snapshots,
 * membership changes, leadership transfer, linearizable reads), the Byzantine generals'
 * oral-messages algorithm OM(m), and PBFT (Byzantine fault-tolerant state machine replication).
 *
 * @module consensus
 */
export * from './raft/types.js';
export { raft, raftNextDeadline, RAFT_MAX_COUNTER } from './raft/machine.js';
export { raftEntries, raftLastIndex } from './raft/log.js';
export { applyRaftPersist } from './raft/storage.js';
export { raftSafetyInvariants, raftStateInvariants, type RaftInvariant } from './raft/invariants.js';
export * from './byzantine-generals.js';
export * from './pbft/index.js';
