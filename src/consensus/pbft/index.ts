// PBFT (Castro & Liskov 1999): the public names of the replica, client, messages and authenticators.
export * from './types.js';
export { pbftReplica, pbftReplicaNextDeadline, type PbftReplicaOptions, type PbftReplicaMachine } from './replica.js';
export { pbftClient, pbftClientNextDeadline, type PbftClientMachine, type PbftClientOptions } from './client.js';
export { PBFT_NULL_DIGEST } from './messages.js';
export { pbftHashChainService, type PbftHashChainState } from './service.js';
export {
  pbftCanonicalJson,
  pbftDigest,
  pbftHmacAuthenticator,
  pbftHmacKeyRings,
  generatePbftHmacKeyRings,
  type PbftAuthenticator,
  type PbftHmacKeyRing,
  type PbftSha256,
  type PbftSubtleCrypto,
} from './crypto.js';
