/**
 * Consensus and agreement as pure machines: Raft (leader election, log replication, snapshots,
 * membership changes, leadership transfer, linearizable reads); the Paxos family (Basic Paxos,
 * Multi-Paxos with a stable leader, Fast Paxos); the Byzantine generals' oral-messages algorithm
 * OM(m); and PBFT (Byzantine fault-tolerant state machine replication).
 *
 * Guides: [Raft](../../docs/raft.md), [Paxos](../../docs/paxos.md), [Byzantine agreement](../../docs/byzantine.md).
 *
 * @module consensus
 */
export * from './raft/types.js';
export { raft, raftNextDeadline, RAFT_MAX_COUNTER } from './raft/machine.js';
export { raftEntries, raftLastIndex } from './raft/log.js';
export { applyRaftPersist } from './raft/storage.js';
export { raftSafetyInvariants, raftStateInvariants } from './raft/invariants.js';
export { comparePaxosBallots, type PaxosBallot, type PaxosNack, type PaxosOutcomeMessage, type PaxosPropose, type PaxosInput, type PaxosDurableBase, type PaxosRoundConfig, type PaxosRoundOptions } from './paxos/common.js';
export * from './paxos/basic.js';
export * from './paxos/multi.js';
export { multiPaxosLogItems, MULTI_PAXOS_LOG_CHUNK, type MultiPaxosLog } from './paxos/log.js';
export * from './paxos/fast.js';
export { basicPaxosInvariants, multiPaxosInvariants, fastPaxosInvariants, type PaxosInvariantOptions } from './paxos/invariants.js';
export * from './raft-replica.js';
export * from './replicated.js';
export * from './byzantine-generals.js';
export * from './pbft/index.js';
export * from './byzantine-invariants.js';
