/**
 * What a chain replica and a primary-backup replica share: option checks, the fresh state, the
 * check of client requests, the acknowledgement message, and the machine shell that persists the
 * incarnation before anything is sent.
 *
 * @packageDocumentation
 */
import type { DurableMachine, NodeId, SendOutput, Transition } from '../core/index.js';
import { ConfigError, checkObject, InvalidCommandError, MAX_ID_LENGTH, checkId, checkIds, plainDataProblem, positiveMs, send, startTimer, stepByType, timerDeadline, transition, type InputHandlers } from '../core/index.js';
import { CHAIN_LIMITS, type ChainMessage, type ChainReplicaConfig, type ChainReplicaDurable, type ChainReplicaInput, type ChainReplicaOutput, type ChainReplicaState, type ChainView } from './chain-types.js';

const NO_VIEW: ChainView = Object.freeze({ epoch: 0, chain: Object.freeze([]), joining: null });

/** The state of a replica that has just started (incarnation given), before any view. */
export function freshReplica(config: Omit<ChainReplicaConfig, 'craq'>, incarnation: number): Omit<ChainReplicaState, 'craq'> {
  checkObject('config', config, 'must be an object { id, master, ... }');
  const id = checkId('id', config.id);
  const master = checkId('master', config.master);
  const masters = config.masters === undefined ? [master] : checkIds('masters', config.masters);
  if (!masters.includes(master)) throw new ConfigError('masters', 'must include master');
  if (masters.length > CHAIN_LIMITS.maxMasters) throw new ConfigError('masters', `must list at most ${CHAIN_LIMITS.maxMasters} nodes`);
  if (masters.includes(id)) throw new ConfigError(master === id ? 'master' : 'masters', 'must differ from id');
  return {
    id,
    master,
    masters,
    heartbeatMs: positiveMs('heartbeatMs', config.heartbeatMs, 50),
    leaseMs: positiveMs('leaseMs', config.leaseMs, 300),
    incarnation,
    persisted: false,
    view: NO_VIEW,
    member: false,
    synced: false,
    caughtUp: false,
    leaseUntil: 0,
    held: 0,
    committed: 0,
    store: {},
    log: [],
    successorHeld: null,
    successorSynced: false,
    queries: [],
    nextQid: 1,
    timer: startTimer(0, 0),
  };
}

/** Whether `from` is a node of the configuration service. */
export function isMaster(state: Pick<ChainReplicaState, 'masters'>, from: NodeId): boolean {
  return state.masters.includes(from);
}

/** The heartbeat to every node of the configuration service (§3: the master detects failures by them). */
export function heartbeats(state: Omit<ChainReplicaState, 'craq'>, now: number): SendOutput<ChainMessage>[] {
  const hb: ChainMessage = { type: 'heartbeat', incarnation: state.incarnation, epoch: state.view.epoch, sentAt: now, synced: state.synced };
  return state.masters.map((m) => send<ChainMessage>(m, hb));
}

/** Checks a local write or read request (a programming error throws). */
export function checkRequest(input: Extract<ChainReplicaInput, { type: 'write' | 'read' }>): void {
  const { type, id, key } = input;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) throw new InvalidCommandError(type, `id must be a string of 1..${MAX_ID_LENGTH} characters`);
  if (typeof key !== 'string' || key.length > CHAIN_LIMITS.maxKeyLength) throw new InvalidCommandError(type, `key must be a string of at most ${CHAIN_LIMITS.maxKeyLength} characters`);
  if (type === 'write') {
    const problem = plainDataProblem(input.value, 'value', CHAIN_LIMITS.valueLimits);
    if (problem !== undefined) throw new InvalidCommandError('write', problem);
  }
}

/** A request not taken: nothing happened; `to` names the replica to ask when known. */
export function redirect<S>(state: S, id: string, to: NodeId | null, reason: string): Transition<S, ChainReplicaOutput> {
  return transition(state, [{ type: 'redirect', id, to, reason }]);
}

/** What this replica holds, for its predecessor (or primary). */
export function ackFor(state: ChainReplicaState, to: NodeId): ChainReplicaOutput {
  return send<ChainMessage>(to, { type: 'ack', epoch: state.view.epoch, held: state.held, committed: state.committed, synced: state.synced });
}

/** The machine shell: dispatch by input type, and the incarnation on disk before any send. */
export function replicaMachine<C, S extends ChainReplicaState>(
  name: string,
  fresh: (config: C, incarnation: number) => S,
  handlers: InputHandlers<S, ChainReplicaInput, ChainReplicaOutput>,
): DurableMachine<C, S, ChainReplicaInput, ChainReplicaOutput, ChainReplicaDurable> {
  return {
    name,
    init: (config) => fresh(config, 0),
    step(state, input) {
      const t = stepByType(handlers, state, input);
      if (t.state.persisted || !t.outputs.some((o) => o.type === 'send')) return t;
      return transition({ ...t.state, persisted: true }, [{ type: 'persist', record: { incarnation: t.state.incarnation } }, ...t.outputs]);
    },
    nextDeadline: (state) => timerDeadline(state.timer),
    durable: (state) => ({ incarnation: state.incarnation }),
    recover: (config, durable) => fresh(config, durable.incarnation + 1),
  };
}
