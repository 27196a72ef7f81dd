/**
 * Messaging and event sourcing: a queue with leases, fencing tokens, idempotent enqueue and dead
 * letters, a partitioned pub/sub log with consumer groups and idempotent producers, an event store
 * with expected revisions, deciders, catch-up subscriptions and projections, and the machinery
 * that replicates each over Raft.
 *
 * Guides: [Messaging](../../docs/messaging.md), [Event sourcing](../../docs/event-sourcing.md).
 *
 * @module messaging
 */
export * from './queue.js';
export * from './distributed-queue.js';
export * from './event-store.js';
export * from './projection.js';
export * from './invariants.js';
export * from './partitioner.js';
export {
  PUBSUB_PRODUCER_WINDOW,
  logEndOffset,
  pubSub,
  replicatedPubSub,
  type CommittedOffset,
  type EphemeralSubscriber,
  type PartitionLog,
  type ProducerState,
  type PubSubCommand,
  type PubSubConfig,
  type PubSubOptions,
  type PubSubRecord,
  type PubSubResult,
  type PubSubState,
  type RecordPosition,
  type TopicPartition,
  type TopicState,
} from './pubsub.js';
export { assignRoundRobin, type ConsumerGroup, type GroupMember } from './pubsub-groups.js';
