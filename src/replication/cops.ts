/**
 * A COPS-style causal+ replica (Lloyd, Freedman, Kaminsky & Andersen, "Don't Settle for Eventual:
 * Scalable Causal Consistency for Wide-Area Storage with COPS", SOSP 2011).
 *
 * @packageDocumentation
 */
import type { DurableMachine, NodeId, Transition } from '../core/index.js';
import {
  canIncrement, checkMembers, ConfigError, earliest, getOwn, hasOwn, InvalidCommandError, MAX_COUNTER, parse, plainDataProblem,
  positiveInt, positiveMs, reject, send, startTimer, stepByType, STOPPED_TIMER, stopTimer, timerDue, transition, withOwn,
} from '../core/index.js';
import { compareCopsVersions } from './cops-context.js';
import {
  COPS_LIMITS, copsMessageCheck, type CopsConfig, type CopsDependency, type CopsDurable, type CopsEntry, type CopsInput, type CopsLimits,
  type CopsChange, type CopsMessage, type CopsOutput, type CopsPersistRecord, type CopsState, type CopsWrite,
} from './cops-types.js';

type S = CopsState;
type O = CopsOutput;
type T = Transition<S, O>;
type Input<K extends CopsInput['type']> = Extract<CopsInput, { readonly type: K }>;

/** How the replica decides that a replicated write may become visible. */
interface Options {
  /** COPS §4.3 dep_check. Only a test's control run turns it off, to show what it prevents. */
  readonly dependencyCheck: boolean;
}

function init(config: CopsConfig): S {
  const members = checkMembers(config?.id, config?.replicas, 'replicas');
  if (new Set(members).size !== members.length) throw new ConfigError('replicas', 'must not name a replica twice');
  const l = config.limits ?? {};
  const limit = (k: keyof CopsLimits) => positiveInt(`limits.${k}`, l[k], COPS_LIMITS[k]);
  const limits: CopsLimits = {
    maxKeys: limit('maxKeys'), maxKeyLength: limit('maxKeyLength'), maxValueBytes: limit('maxValueBytes'), maxDeps: limit('maxDeps'),
    maxPending: limit('maxPending'), maxOutbox: limit('maxOutbox'), maxBatch: limit('maxBatch'),
  };
  const peers = members.filter((m) => m !== config.id).sort();
  // A compacted context holds one dependency per replica: it must fit in one write.
  if (limits.maxDeps < members.length) throw new ConfigError('limits.maxDeps', `must be at least the number of replicas (${members.length}), got ${limits.maxDeps}`);
  if (limits.maxPending < peers.length) throw new ConfigError('limits.maxPending', `must give every other replica at least one slot (${peers.length}), got ${limits.maxPending}`);
  return {
    id: config.id,
    peers,
    replicateIntervalMs: positiveMs('replicateIntervalMs', config.replicateIntervalMs, 50),
    limits,
    clock: 0,
    issued: 0,
    seq: 0,
    store: {},
    keyCount: 0,
    applied: {},
    received: {},
    pending: [],
    outbox: [],
    acked: {},
    timer: STOPPED_TIMER,
    stats: { applied: 0, waited: 0, overwritten: 0 },
  };
}

/** The machine, with or without COPS §4.3's dependency check (see {@link copsReplica}). */
export function copsMachine(options: Options): DurableMachine<CopsConfig, CopsState, CopsInput, CopsOutput, CopsDurable> {
  return {
    name: 'cops',
    init,
    step: (state, input) =>
      onePersist(stepByType<S, CopsInput, O>(
        {
          tick: (s, _i, now) => (timerDue(s.timer, now) ? onTimer(s, now) : transition(s)),
          get: (s, i) => onGet(s, i),
          put: (s, i, now) => onPut(s, i, now),
          message: (s, i) => onMessage(s, i.from, i.message, options),
        },
        state,
        input,
      )),
    nextDeadline: (s) => earliest(s.timer),
    durable: (s) => ({ issued: s.issued, seq: s.seq, store: s.store, applied: s.applied, outbox: s.outbox }),
    recover(config, d) {
      const s = init(config);
      let clock = d.issued;
      for (const k of Object.keys(d.store)) clock = Math.max(clock, getOwn(d.store, k)!.version.time);
      const received: Record<NodeId, number> = {};
      for (const o of Object.keys(d.applied)) {
        const a = getOwn(d.applied, o)!;
        clock = Math.max(clock, a.time);
        Object.defineProperty(received, o, { value: a.seq, enumerable: true, writable: true, configurable: true });
      }
      // Unacknowledged local writes go out again one period after the first input.
      return { ...s, clock, issued: d.issued, seq: d.seq, store: d.store, keyCount: Object.keys(d.store).length, applied: d.applied, received, outbox: d.outbox, timer: d.outbox.length > 0 ? startTimer(0, 0) : STOPPED_TIMER };
    },
    applyPersist: (d, record) => (record as CopsPersistRecord).changes.reduce(applyChange, d),
  };
}

/**
 * A COPS replica (Lloyd et al., SOSP 2011): one per datacenter ("cluster" in the paper), holding
 * every key. A `put` is accepted at once, also when the replica is cut off from the others (COPS
 * §3, availability), and gets a version that is a Lamport timestamp with the replica's id as
 * tie-break, greater than every dependency's (§4). The client passes its context, the nearest
 * dependencies of the write (§4.1-4.2, kept by {@link copsAfterGet} and {@link copsAfterPut}).
 * Writes travel asynchronously to the other replicas, each origin's in order and sent again until
 * acknowledged; a replica makes a replicated write visible only once every dependency is visible
 * locally (§4.3 dep_check), so no reader ever sees a write without its causal past. Concurrent
 * writes of a key converge by last-writer-wins on the version (§5, the "+" of causal+). Each
 * origin's writes become visible in their order, so a dependency is visible once its origin's
 * writes up to its time are. What must survive a crash (issued versions, store, applied writes,
 * unacknowledged writes) goes out as `persist` records before the sends.
 *
 * @example
 * ```ts
 * import { copsReplica } from 'distkit/replication';
 * const east = copsReplica.init({ id: 'east', replicas: ['east', 'west'] });
 * const t = copsReplica.step(east, { type: 'put', id: 1, key: 'photo', value: 'p.jpg', deps: [], now: 0 });
 * t.outputs.at(-1); //=> { type: 'put-ok', id: 1, key: 'photo', version: { time: 1, node: 'east' } }
 * copsReplica.step(t.state, { type: 'get', id: 2, key: 'photo', now: 1 }).outputs; //=> [{ type: 'get-ok', id: 2, key: 'photo', value: 'p.jpg', version: { time: 1, node: 'east' } }]
 * ```
 */
export const copsReplica: DurableMachine<CopsConfig, CopsState, CopsInput, CopsOutput, CopsDurable> = copsMachine({ dependencyCheck: true });

/** The contract's one `persist` per transition, before the sends: the changes gathered in order. */
function onePersist(t: T): T {
  const changes: CopsChange[] = [];
  const rest: O[] = [];
  for (const o of t.outputs) {
    if (o.type === 'persist') changes.push(...o.record.changes);
    else rest.push(o);
  }
  if (changes.length === 0) return t;
  return transition(t.state, [{ type: 'persist', record: { changes } }, ...rest]);
}

// ---------------------------------------------------------------------------------------------
// Stable storage: one fold shared by the step and the durable image.

/** Last-writer-wins (COPS §5): the store keeps the greatest version of a key. */
function mergeEntry(store: S['store'], w: CopsWrite): { store: S['store']; won: boolean; had: boolean } {
  const cur = getOwn(store, w.key);
  if (cur !== undefined && compareCopsVersions(w.version, cur.version) <= 0) return { store, won: false, had: true };
  const entry: CopsEntry = { value: w.value, version: w.version, deps: w.deps };
  return { store: withOwn(store, w.key, entry), won: true, had: cur !== undefined };
}

function applyChange(d: CopsDurable, r: CopsChange): CopsDurable {
  switch (r.type) {
    case 'local':
      return { ...d, issued: r.write.version.time, seq: r.write.seq, store: mergeEntry(d.store, r.write).store, outbox: [...d.outbox, r.write] };
    case 'apply':
      return { ...d, store: mergeEntry(d.store, r.write).store, applied: withOwn(d.applied, r.write.version.node, { seq: r.write.seq, time: r.write.version.time }) };
    case 'trim':
      return { ...d, outbox: d.outbox.filter((w) => w.seq > r.upTo) };
  }
}

// ---------------------------------------------------------------------------------------------
// The client library's calls (COPS §3: get and put at the local cluster)

/** COPS §4.3: a dependency is visible once its origin's writes up to its time are applied here. */
function visible(s: S, d: CopsDependency): boolean {
  if (d.version.node === s.id) return d.version.time <= s.issued;
  const a = getOwn(s.applied, d.version.node);
  return a !== undefined && a.time >= d.version.time;
}

function checkKey(s: S, command: string, key: unknown): string {
  if (typeof key !== 'string' || key.length > s.limits.maxKeyLength) throw new InvalidCommandError(command, `key must be a string of at most ${s.limits.maxKeyLength} characters`);
  return key;
}

function checkDeps(s: S, command: string, deps: unknown): readonly CopsDependency[] {
  if (!Array.isArray(deps) || deps.length > s.limits.maxDeps) throw new InvalidCommandError(command, `deps must be an array of at most ${s.limits.maxDeps} dependencies (compact the context with compactContext)`);
  for (const d of deps as unknown[]) {
    const ok = typeof d === 'object' && d !== null && typeof (d as CopsDependency).key === 'string' && typeof (d as CopsDependency).version === 'object' && (d as CopsDependency).version !== null
      && typeof (d as CopsDependency).version.node === 'string' && Number.isSafeInteger((d as CopsDependency).version.time);
    if (!ok) throw new InvalidCommandError(command, 'each dependency must be { key, version: { time, node } }');
  }
  return (deps as CopsDependency[]).map((d) => ({ key: d.key, version: { time: d.version.time, node: d.version.node } }));
}

function onGet(s: S, input: Input<'get'>): T {
  const key = checkKey(s, 'get', input.key);
  if (input.deps !== undefined && !checkDeps(s, 'get', input.deps).every((d) => visible(s, d))) {
    return transition(s, [{ type: 'get-failed', id: input.id, key, reason: 'this replica has not yet seen everything the context depends on' }]);
  }
  const e = getOwn(s.store, key);
  return transition(s, [{ type: 'get-ok', id: input.id, key, value: e === undefined ? null : e.value, version: e === undefined ? null : e.version }]);
}

function onPut(s: S, input: Input<'put'>, now: number): T {
  const key = checkKey(s, 'put', input.key);
  const deps = checkDeps(s, 'put', input.deps);
  const problem = plainDataProblem(input.value, 'value', { maxBytes: s.limits.maxValueBytes, maxDepth: 64 });
  if (problem !== undefined) throw new InvalidCommandError('put', problem);
  const fail = (reason: string): T => transition(s, [{ type: 'put-failed', id: input.id, key, reason }]);
  // The client's context names writes seen at its own replica; here they may not be visible yet.
  if (!deps.every((d) => visible(s, d))) return fail('this replica has not yet seen everything the context depends on');
  if (!hasOwn(s.store, key) && s.keyCount >= s.limits.maxKeys) return fail(`the store holds ${s.limits.maxKeys} keys (limits.maxKeys)`);
  if (s.outbox.length >= s.limits.maxOutbox) return fail(`${s.limits.maxOutbox} writes are not yet at every replica (limits.maxOutbox)`);
  // COPS §4: a Lamport timestamp greater than every version this replica has seen, and so than every dependency.
  const base = deps.reduce((m, d) => Math.max(m, d.version.time), s.clock);
  if (!canIncrement(base) || !canIncrement(s.seq)) return fail(`the Lamport clock reached ${MAX_COUNTER}`);
  const write: CopsWrite = { seq: s.seq + 1, key, value: input.value, version: { time: base + 1, node: s.id }, deps };
  const merged = mergeEntry(s.store, write);
  let next: S = {
    ...s, clock: base + 1, issued: base + 1, seq: write.seq, store: merged.store, keyCount: s.keyCount + (merged.had ? 0 : 1), outbox: [...s.outbox, write],
    stats: merged.had ? { ...s.stats, overwritten: s.stats.overwritten + 1 } : s.stats,
    timer: s.timer.at === null ? startTimer(now, s.replicateIntervalMs) : s.timer,
  };
  const outputs: O[] = [{ type: 'persist', record: { changes: [{ type: 'local', write }] } }];
  const trimmed = trim(next);
  next = trimmed.state;
  outputs.push(...trimmed.outputs);
  // Asynchronous replication (COPS §4.3): sent now, and again each period until acknowledged.
  for (const p of next.peers) outputs.push(send<CopsMessage>(p, { type: 'cops-replicate', writes: [write] }));
  outputs.push({ type: 'put-ok', id: input.id, key, version: write.version });
  return transition(next, outputs);
}

// ---------------------------------------------------------------------------------------------
// Replication between replicas

function onTimer(s: S, now: number): T {
  if (s.outbox.length === 0) return transition({ ...s, timer: stopTimer(s.timer) });
  const outputs: O[] = [];
  for (const p of s.peers) {
    const from = getOwn(s.acked, p) ?? 0;
    const writes = s.outbox.filter((w) => w.seq > from).slice(0, s.limits.maxBatch);
    if (writes.length > 0) outputs.push(send<CopsMessage>(p, { type: 'cops-replicate', writes }));
  }
  return transition({ ...s, timer: startTimer(now, s.replicateIntervalMs) }, outputs);
}

/** Drops the local writes every peer has applied. */
function trim(s: S): T {
  const upTo = Math.min(s.seq, ...s.peers.map((p) => getOwn(s.acked, p) ?? 0));
  const first = s.outbox[0];
  if (first === undefined || first.seq > upTo) return transition(s);
  const outbox = s.outbox.filter((w) => w.seq > upTo);
  return transition({ ...s, outbox, timer: outbox.length === 0 ? stopTimer(s.timer) : s.timer }, [{ type: 'persist', record: { changes: [{ type: 'trim', upTo }] } }]);
}

function onMessage(s: S, from: NodeId, message: unknown, options: Options): T {
  const parsed = parse(copsMessageCheck, message, 'message');
  if (!parsed.ok) return reject(s, from, parsed.problem);
  if (!s.peers.includes(from)) return reject(s, from, 'not a replica of this store');
  const m = parsed.value as CopsMessage;
  if (m.type === 'cops-ack') {
    if (m.received > s.seq) return reject(s, from, `acknowledges write ${m.received}, this replica issued ${s.seq}`);
    const prior = getOwn(s.acked, from) ?? 0;
    return m.received <= prior ? transition(s) : trim({ ...s, acked: withOwn(s.acked, from, m.received) });
  }
  return onReplicate(s, from, m.writes, options);
}

/** Why a peer's write cannot be taken, or undefined. */
function writeProblem(s: S, from: NodeId, w: CopsWrite): string | undefined {
  if (w.version.node !== from) return `write ${w.seq} has version of ${w.version.node}: a replica sends only its own writes`;
  if (w.key.length > s.limits.maxKeyLength) return `write ${w.seq}: key longer than ${s.limits.maxKeyLength}`;
  if (w.deps.length > s.limits.maxDeps) return `write ${w.seq}: more than ${s.limits.maxDeps} dependencies`;
  const p = plainDataProblem(w.value, 'value', { maxBytes: s.limits.maxValueBytes, maxDepth: 64 });
  if (p !== undefined) return `write ${w.seq}: ${p}`;
  for (const d of w.deps) {
    if (d.version.time >= w.version.time) return `write ${w.seq} depends on a version not older than itself`;
    if (d.version.node !== s.id && !s.peers.includes(d.version.node)) return `write ${w.seq} depends on ${d.version.node}, not a replica`;
    if (d.version.node === s.id && d.version.time > s.issued) return `write ${w.seq} depends on a version this replica never issued`;
  }
  return undefined;
}

/** The time of the last write accepted from `origin` (applied or pending). */
function lastTime(s: S, origin: NodeId): number {
  for (let i = s.pending.length - 1; i >= 0; i--) if (s.pending[i]!.version.node === origin) return s.pending[i]!.version.time;
  return getOwn(s.applied, origin)?.time ?? 0;
}

function onReplicate(s: S, from: NodeId, writes: readonly CopsWrite[], options: Options): T {
  for (const w of writes) {
    const p = writeProblem(s, from, w);
    if (p !== undefined) return reject(s, from, p);
  }
  // Each origin gets its share of the pending table, so one origin's waiting writes never keep
  // out the writes they wait for (the oldest unapplied write of all can always be taken).
  const quota = Math.max(1, Math.floor(s.limits.maxPending / s.peers.length));
  let received = getOwn(s.received, from) ?? 0;
  let time = lastTime(s, from);
  let mine = s.pending.filter((w) => w.version.node === from).length;
  const taken: CopsWrite[] = [];
  for (const w of writes) {
    if (w.seq <= received) continue; // a duplicate or a resend
    if (w.seq !== received + 1 || mine >= quota) break; // a gap: the origin sends it again
    if (w.version.time <= time) return reject(s, from, `write ${w.seq} has time ${w.version.time}, not after the origin's previous ${time}`);
    taken.push(w);
    received = w.seq;
    time = w.version.time;
    mine++;
  }
  let next: S = s;
  if (taken.length > 0) {
    next = { ...s, received: withOwn(s.received, from, received), pending: [...s.pending, ...taken], clock: Math.max(s.clock, time) };
  }
  const drained = drain(next, options);
  const waiting = drained.state.pending.filter((w) => taken.includes(w)).length;
  const done: S = waiting === 0 ? drained.state : { ...drained.state, stats: { ...drained.state.stats, waited: drained.state.stats.waited + waiting } };
  // The acknowledgement names what is applied (durable), not what waits: a restart loses pending writes.
  const ack = send<CopsMessage>(from, { type: 'cops-ack', received: getOwn(done.applied, from)?.seq ?? 0 });
  return transition(done, [...drained.outputs, ack]);
}

/** COPS §4.3: makes visible every pending write whose origin's earlier writes and dependencies are. */
function drain(s: S, options: Options): T {
  let state = s;
  const outputs: O[] = [];
  for (let progress = true; progress; ) {
    progress = false;
    const blocked = new Set<NodeId>();
    const keep: CopsWrite[] = [];
    for (const w of state.pending) {
      const origin = w.version.node;
      const ready = !blocked.has(origin) && (!options.dependencyCheck || w.deps.every((d) => visible(state, d))) && (hasOwn(state.store, w.key) || state.keyCount < state.limits.maxKeys);
      if (!ready) {
        blocked.add(origin);
        keep.push(w);
        continue;
      }
      const merged = mergeEntry(state.store, w);
      state = {
        ...state,
        store: merged.store,
        keyCount: state.keyCount + (merged.had ? 0 : 1),
        applied: withOwn(state.applied, origin, { seq: w.seq, time: w.version.time }),
        stats: { ...state.stats, applied: state.stats.applied + 1, overwritten: state.stats.overwritten + (merged.had ? 1 : 0) },
      };
      outputs.push({ type: 'persist', record: { changes: [{ type: 'apply', write: w }] } });
      progress = true;
    }
    state = { ...state, pending: keep };
  }
  return transition(state.pending.length === s.pending.length && outputs.length === 0 ? s : state, outputs);
}
