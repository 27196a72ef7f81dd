/**
 * Consensus: Raft (leader election, log replication, snapshots, membership changes, leadership
 * transfer, linearizable reads) as a pure, durable machine. Paxos: Basic Paxos, Multi-Paxos (a
 * replicated log with a stable leader) and Fast Paxos, as pure, durable machines.
 *
 * @module consensus
 */
export * from './raft/types.js';
export { raft, raftNextDeadline, RAFT_MAX_COUNTER } from './raft/machine.js';
export { raftEntries, raftLastIndex } from './raft/log.js';
export { applyRaftPersist } from './raft/storage.js';
export { raftSafetyInvariants, raftStateInvariants, type RaftInvariant } from './raft/invariants.js';
export { comparePaxosBallots, type PaxosBallot } from './paxos/common.js';
export * from './paxos/basic.js';
export * from './paxos/multi.js';
export { multiPaxosLogItems, MULTI_PAXOS_LOG_CHUNK, type MultiPaxosLog } from './paxos/log.js';
export * from './paxos/fast.js';
export { basicPaxosInvariants, multiPaxosInvariants, fastPaxosInvariants, type PaxosInvariant, type PaxosInvariantOptions } from './paxos/invariants.js';
