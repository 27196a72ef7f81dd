/**
 * Replication: consistency levels, primary-backup and chain replication, a Dynamo-style quorum
 * key-value store, delta-state CRDTs, gossip dissemination and counters.
 *
 * Guide: [Replication](../../docs/replication.md).
 *
 * @module replication
 */
export * from './dvv.js';
export { quorumKv } from './quorum-kv.js';
export type {
  QuorumKvBootstrap, QuorumKvClock, QuorumKvCommand, QuorumKvConfig, QuorumKvDurable, QuorumKvHint, QuorumKvInput, QuorumKvLimits, QuorumKvMembers, QuorumKvMessage, QuorumKvOrigin,
  QuorumKvOutput, QuorumKvPending, QuorumKvRecord, QuorumKvState, QuorumKvStats, QuorumKvTarget, QuorumKvVersion,
} from './quorum-kv-types.js';
export { quorumKvInvariants } from './invariants.js';
export * from './merkle.js';
export * from './crdt/index.js';
export * from './anti-entropy.js';
export * from './anti-entropy-invariants.js';
export * from './gossip.js';
export { chainReplica } from './chain.js';
export { chainMaster } from './chain-master.js';
export { raftChainMaster, raftChainMasterInvariants } from './raft-chain-master.js';
export type { RaftChainMasterConfig, RaftChainMasterInput, RaftChainMasterOutput, RaftChainMasterState } from './raft-chain-master.js';
export type { ChainMasterConfig, ChainMasterDurable, ChainMasterInput, ChainMasterOutput, ChainMasterState } from './chain-master.js';
export { CHAIN_LIMITS } from './chain-types.js';
export type {
  ChainEntry, ChainMember, ChainMessage, ChainReplicaConfig, ChainReplicaDurable, ChainReplicaInput, ChainReplicaOutput, ChainReplicaState, ChainVersion, ChainView,
} from './chain-types.js';
export { raftCounter, RAFT_COUNTER_LIMITS } from './raft-counter.js';
export type { RaftCounterApp, RaftCounterConfig, RaftCounterInput, RaftCounterOutput, RaftCounterReply, RaftCounterRequest, RaftCounterSession, RaftCounterState } from './raft-counter.js';
export { DistributedCounter, CounterRequestError, type DistributedCounterOptions } from './distributed-counter.js';
export { primaryBackup } from './primary-backup.js';
export type { PrimaryBackupConfig, PrimaryBackupState } from './primary-backup.js';
export { distributedStore, storeNextDeadline, applyStorePersist } from './store.js';
export { ConsistencyLevel } from './store-types.js';
export type {
  SessionToken, StalenessBound, StoreConfig, StoreDurable, StoreEntry, StoreInput, StoreLimits, StoreMessage, StoreOutput, StorePending, StorePersistRecord,
  StoreReadInput, StoreRequestId, StoreState, StoreVersion, StoreWriteInput,
} from './store-types.js';
export { DistributedStore, StoreRequestError, type DistributedStoreOptions, type DistributedStoreRequestOptions } from './store-cluster.js';
export { copsReplica } from './cops.js';
export { compareCopsVersions, copsAfterGet, copsAfterPut, compactContext } from './cops-context.js';
export { copsInvariants, copsConvergence } from './cops-invariants.js';
export { COPS_LIMITS, copsMessageCheck } from './cops-types.js';
export type {
  CopsConfig, CopsContext, CopsDependency, CopsDurable, CopsEntry, CopsInput, CopsLimits, CopsMessage, CopsOutput, CopsChange, CopsPersistRecord, CopsState, CopsStats, CopsVersion, CopsWrite,
} from './cops-types.js';
export { CausalStore, CausalSession, CausalStoreError, type CausalStoreOptions, type CausalStoreRequest } from './cops-store.js';
