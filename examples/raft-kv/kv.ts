// A replicated key-value store built on the Raft machine: itself a pure, durable machine that any
// host (the simulator, createNode over TCP) can run. Writes go through the log; reads use
// ReadIndex (thesis §6.4), so every operation is linearizable.
import { InvalidCommandError, getOwn, inputNow, setOwn, type DurableMachine, type NodeId, type Transition } from 'distkit/core';
import {
  applyRaftPersist,
  raft,
  type RaftConfig,
  type RaftDurable,
  type RaftEntry,
  type RaftInput,
  type RaftOutput,
  type RaftPersistRecord,
  type RaftState,
} from 'distkit/consensus';

/**
 * A client operation on one key (the shape of distkit/check's `kvModel`). `cas` writes `to` only
 * when the current value is `from`.
 */
export type KvOp =
  | { readonly f: 'read'; readonly key: string }
  | { readonly f: 'write'; readonly key: string; readonly value: string }
  | { readonly f: 'cas'; readonly key: string; readonly from: string; readonly to: string };

/** What an operation returns: the value for read (null when absent), null for write, swapped? for cas. */
export type KvValue = string | boolean | null;

/** The answer to a request: its value, or a refusal (certainly not applied) with a leader hint. */
export type KvResult = { readonly ok: true; readonly value: KvValue } | { readonly ok: false; readonly error: 'notLeader' | 'busy'; readonly leader: NodeId | null };

export interface KvConfig extends RaftConfig {
  /** Snapshot the store and compact the log every this many applied entries. Default 64. */
  readonly snapshotEvery?: number;
}

export interface KvState {
  readonly raft: RaftState;
  readonly data: Readonly<Record<string, string>>;
  /** Writes proposed here, waiting to be applied: request id -> where they were appended. */
  readonly writes: Readonly<Record<string, { readonly index: number; readonly term: number }>>;
  /** Reads confirmed by ReadIndex, waiting for the store to reach their index. */
  readonly reads: readonly { readonly id: number; readonly key: string; readonly index: number }[];
  /** Reads sent to Raft, waiting for `readReady`. */
  readonly readKeys: Readonly<Record<string, string>>;
  readonly snapshotEvery: number;
}

export type KvInput = RaftInput | { readonly type: 'request'; readonly id: number; readonly op: KvOp; readonly now: number };

export type KvOutput =
  | Exclude<RaftOutput, { type: 'apply' } | { type: 'restore' } | { type: 'readReady' } | { type: 'notLeader' } | { type: 'proposed' }>
  | { readonly type: 'reply'; readonly id: number; readonly result: KvResult }
  | { readonly type: 'applied'; readonly index: number; readonly term: number; readonly op: KvOp | null };

interface Command {
  readonly id: number;
  readonly op: KvOp;
}

function applyOp(data: Record<string, string>, op: KvOp): KvValue {
  // Keys come from clients: own properties only (a key may be named `__proto__`).
  const current = getOwn(data, op.key) ?? null;
  switch (op.f) {
    case 'read':
      return current;
    case 'write':
      setOwn(data, op.key, op.value);
      return null;
    case 'cas':
      if (current === op.from) {
        setOwn(data, op.key, op.to);
        return true;
      }
      return false;
  }
}

function init(config: KvConfig): KvState {
  const snapshotEvery = config.snapshotEvery ?? 64;
  return { raft: raft.init(config), data: {}, writes: {}, reads: [], readKeys: {}, snapshotEvery };
}

function recover(config: KvConfig, durable: RaftDurable): KvState {
  const r = raft.recover(config, durable);
  const snap = durable.snapshot.data as { data?: Record<string, string> } | null;
  // The store restarts from the snapshot; Raft re-emits the committed entries after it.
  return { ...init(config), raft: r, data: snap?.data ?? {} };
}

function step(state: KvState, input: KvInput): Transition<KvState, KvOutput> {
  const now = inputNow(input);
  if (input.type === 'request') return request(state, input.id, input.op, now);
  return absorb(state, raft.step(state.raft, input), now);
}

function request(state: KvState, id: number, op: KvOp, now: number): Transition<KvState, KvOutput> {
  if (!Number.isSafeInteger(id)) throw new InvalidCommandError('request', 'id must be an integer');
  if (op.f === 'read') {
    const t = raft.step(state.raft, { type: 'read', id: String(id), now });
    return absorb({ ...state, readKeys: { ...state.readKeys, [id]: op.key } }, t, now);
  }
  const command: Command = { id, op };
  return absorb(state, raft.step(state.raft, { type: 'propose', data: command, now }), now, id);
}

/**
 * One record with the effect of applying `first`, then the compaction record `second` (a snapshot
 * only): the runtime allows one persist per transition. Entries `first` appends that the snapshot
 * covers are dropped.
 */
function mergeCompaction(first: RaftPersistRecord | undefined, second: RaftPersistRecord): RaftPersistRecord {
  if (first === undefined) return second;
  const snapshot = second.snapshot!;
  const entries = first.entries?.filter((e) => e.index > snapshot.index);
  return {
    ...(first.term === undefined ? {} : { term: first.term, vote: first.vote }),
    snapshot,
    ...(first.truncateFrom === undefined ? {} : { truncateFrom: first.truncateFrom }),
    ...(entries === undefined || entries.length === 0 ? {} : { entries }),
  };
}

/** Folds Raft's outputs into the store: apply entries, answer requests, compact. */
function absorb(state: KvState, t: Transition<RaftState, RaftOutput>, now: number, proposing?: number): Transition<KvState, KvOutput> {
  let data: Record<string, string> | undefined;
  let writes = state.writes;
  let reads = state.reads;
  let readKeys = state.readKeys;
  let rs = t.state;
  const out: KvOutput[] = [];
  const mutable = (): Record<string, string> => (data ??= { ...state.data });
  for (const o of t.outputs) {
    switch (o.type) {
      case 'proposed':
        if (proposing !== undefined) writes = { ...writes, [proposing]: { index: o.index, term: o.term } };
        break;
      case 'notLeader': {
        const id = proposing ?? (o.id !== undefined ? Number(o.id) : undefined);
        if (id !== undefined) {
          out.push({ type: 'reply', id, result: { ok: false, error: 'notLeader', leader: o.leader } });
          if (o.id !== undefined) {
            const { [o.id]: _gone, ...rest } = readKeys;
            readKeys = rest;
          }
        }
        break;
      }
      case 'rejected':
        if (o.from === 'local' && proposing !== undefined) {
          out.push({ type: 'reply', id: proposing, result: { ok: false, error: 'busy', leader: null } });
        } else out.push(o);
        break;
      case 'readReady': {
        const key = readKeys[o.id];
        if (key !== undefined) {
          const { [o.id]: _done, ...rest } = readKeys;
          readKeys = rest;
          reads = [...reads, { id: Number(o.id), key, index: o.index }];
        }
        break;
      }
      case 'restore': {
        const snap = o.snapshot.data as { data?: Record<string, string> } | null;
        data = { ...(snap?.data ?? {}) };
        break;
      }
      case 'apply':
        for (const e of o.entries) {
          const result = applyEntry(mutable(), e);
          out.push({ type: 'applied', index: e.index, term: e.term, op: result.command?.op ?? null });
          const c = result.command;
          if (c !== undefined) {
            const w = writes[c.id];
            if (w !== undefined && w.index === e.index && w.term === e.term) {
              out.push({ type: 'reply', id: c.id, result: { ok: true, value: result.value } });
              const { [c.id]: _done, ...rest } = writes;
              writes = rest;
            }
          }
          // A write of ours overwritten at its index by another term was lost: it never applies.
          for (const [id, w] of Object.entries(writes)) {
            if (w.index === e.index && w.term !== e.term) {
              out.push({ type: 'reply', id: Number(id), result: { ok: false, error: 'notLeader', leader: rs.leader } });
              const { [id]: _lost, ...rest } = writes;
              writes = rest;
            }
          }
        }
        break;
      default:
        out.push(o);
    }
  }
  // Reads answer once the store has applied their read index (thesis §6.4 step 4).
  if (reads.length > 0) {
    const store = data ?? state.data;
    const ready = reads.filter((r) => r.index <= rs.applied);
    if (ready.length > 0) {
      for (const r of ready) {
        const value = Object.prototype.hasOwnProperty.call(store, r.key) ? store[r.key]! : null;
        out.push({ type: 'reply', id: r.id, result: { ok: true, value } });
      }
      reads = reads.filter((r) => r.index > rs.applied);
    }
  }
  // §7: snapshot the applied state and let Raft drop the log prefix.
  if (rs.applied - rs.log.snapshotIndex >= state.snapshotEvery) {
    const c = raft.step(rs, { type: 'compact', index: rs.applied, data: { data: data ?? state.data }, now });
    rs = c.state;
    // The compaction's persist must reach the disk too, folded into this step's own persist (which
    // may append the very entries being compacted): one record, before any send.
    const compaction = c.outputs.find((o) => o.type === 'persist');
    if (compaction !== undefined) {
      const at = out.findIndex((o) => o.type === 'persist');
      const own = at < 0 ? undefined : (out[at] as { record: RaftPersistRecord }).record;
      const merged: KvOutput = { type: 'persist', record: mergeCompaction(own, compaction.record) };
      if (at < 0) out.unshift(merged);
      else out[at] = merged;
    }
  }
  const next: KvState = { ...state, raft: rs, data: data ?? state.data, writes, reads, readKeys };
  return { state: next, outputs: out };
}

function applyEntry(data: Record<string, string>, e: RaftEntry): { command?: Command; value: KvValue } {
  if (e.kind !== undefined) return { value: null };
  const command = e.data as Command;
  return { command, value: applyOp(data, command.op) };
}

/** The KV node machine. */
export const raftKv: DurableMachine<KvConfig, KvState, KvInput, KvOutput, RaftDurable> = {
  name: 'raft-kv',
  init,
  step,
  nextDeadline: (s) => raft.nextDeadline!(s.raft),
  durable: (s) => raft.durable(s.raft),
  recover,
  applyPersist: applyRaftPersist,
};
