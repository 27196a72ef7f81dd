/**
 * MapReduce's safety properties as core `Invariant`s over coordinator states, for the
 * simulator, the model checker and tests.
 *
 * @packageDocumentation
 */
import type { Invariant, NodeId } from '../../core/index.js';
import type { MapReduceCoordinatorState, TaskRecord } from './coordinator.js';
import { taskLabel } from './messages.js';

function isCoordinator(s: unknown): s is MapReduceCoordinatorState {
  return s !== null && typeof s === 'object' && Array.isArray((s as { maps?: unknown }).maps) && Array.isArray((s as { reduces?: unknown }).reduces);
}

function coordinators(states: Readonly<Record<NodeId, unknown>>): [NodeId, MapReduceCoordinatorState][] {
  return Object.keys(states).flatMap((id) => (isCoordinator(states[id]) ? [[id, states[id]] as [NodeId, MapReduceCoordinatorState]] : []));
}

/** Why a task record's state disagrees with its attempts, or `undefined`. */
function taskProblem(s: MapReduceCoordinatorState, t: TaskRecord): string | undefined {
  const expected = t.completed !== null ? 'completed' : t.running.length > 0 ? 'in-progress' : 'idle';
  if (t.state !== expected) return `${taskLabel(t)} is ${t.state} but its attempts say ${expected}`;
  if (t.completed !== null && t.running.length > 0) return `${taskLabel(t)} is completed but still lists running attempts`;
  if (t.running.length > 2) return `${taskLabel(t)} runs ${t.running.length} attempts (original and one backup at most)`;
  for (const r of t.running) {
    if (r.attempt >= t.attempts) return `${taskLabel(t)} runs attempt ${r.attempt} but launched only ${t.attempts}`;
    const w = Object.prototype.hasOwnProperty.call(s.workers, r.worker) ? s.workers[r.worker] : undefined;
    if (w === undefined || !w.alive) return `${taskLabel(t)} attempt ${r.attempt} runs on ${r.worker}, which is not an alive worker`;
    if (w.running === null || w.running.kind !== t.kind || w.running.index !== t.index || w.running.attempt !== r.attempt) return `${taskLabel(t)} attempt ${r.attempt} runs on ${r.worker}, which the coordinator thinks runs something else`;
  }
  if (s.status !== 'running' && t.running.length > 0) return `the job is ${s.status} but ${taskLabel(t)} still runs`;
  return undefined;
}

/**
 * The coordinator's invariants of one state (§3.2): every task's state agrees with its
 * attempts (completed ⇔ a completing attempt; in-progress ⇔ running attempts), at most an
 * original and one backup run at once, each on an alive worker that runs nothing else, and
 * nothing runs after the job ended; a job is done only when every task completed. No memory of
 * earlier states: fit for a model checker.
 *
 * @example
 * ```ts
 * import { mapReduceStateInvariants, mapReduceCoordinator } from 'distkit/dataflow';
 * import { checkInvariants } from 'distkit/core';
 * const s = mapReduceCoordinator.init({ id: 'c', splits: ['a'], partitions: 1 });
 * checkInvariants(mapReduceStateInvariants(), { c: s }); //=> undefined
 * ```
 */
export function mapReduceStateInvariants(): Invariant<unknown>[] {
  return [
    {
      name: 'task states agree with their attempts (§3.2)',
      check(states) {
        for (const [id, s] of coordinators(states)) {
          for (const t of [...s.maps, ...s.reduces]) {
            const p = taskProblem(s, t);
            if (p !== undefined) return `${id}: ${p}`;
          }
        }
        return undefined;
      },
    },
    {
      name: 'a job is done only when every task completed',
      check(states) {
        for (const [id, s] of coordinators(states)) {
          if (s.status === 'done' && s.reduces.some((t) => t.completed === null)) return `${id}: done with a reduce task incomplete`;
        }
        return undefined;
      },
    },
  ];
}

interface Seen {
  readonly reduces: Map<number, string>;
  maps: Map<number, { worker: NodeId; attempt: number }>;
  workers: Map<NodeId, string>;
}

/**
 * MapReduce's safety over a run (the simulator checks these after every step; they remember
 * earlier states, so build a fresh set per run): the state invariants, plus **at most one
 * committed output per partition** — once a reduce task completed, its committing attempt never
 * changes, across coordinator crashes too (§3.3: the atomic rename leaves one execution's
 * output) — and **a completed map task never reverts except when its worker failed** (§3.3: its
 * worker was declared failed, or came back as a new incarnation).
 *
 * @example
 * ```ts
 * import { mapReduceInvariants } from 'distkit/dataflow';
 * mapReduceInvariants().map((i) => i.name).includes('at most one committed output per partition'); //=> true
 * ```
 */
export function mapReduceInvariants(): Invariant<unknown>[] {
  const seen = new Map<NodeId, Seen>();
  const memory = (id: NodeId): Seen => {
    let m = seen.get(id);
    if (m === undefined) seen.set(id, (m = { reduces: new Map(), maps: new Map(), workers: new Map() }));
    return m;
  };
  return [
    ...mapReduceStateInvariants(),
    {
      name: 'at most one committed output per partition',
      check(states) {
        for (const [id, s] of coordinators(states)) {
          const m = memory(id);
          for (const t of s.reduces) {
            const before = m.reduces.get(t.index);
            const now = t.completed === null ? undefined : `attempt ${t.completed.attempt} on ${t.completed.worker}`;
            if (before !== undefined && now !== before) return `${id}: partition ${t.index} committed ${before}, now ${now ?? 'nothing'}`;
            if (now !== undefined) m.reduces.set(t.index, now);
          }
        }
        return undefined;
      },
    },
    {
      name: 'a completed map task reverts only when its worker failed',
      check(states) {
        for (const [id, s] of coordinators(states)) {
          const m = memory(id);
          const workerMark = (w: NodeId): string => {
            const r = Object.prototype.hasOwnProperty.call(s.workers, w) ? s.workers[w] : undefined;
            return r === undefined ? 'absent' : `${r.incarnation}/${r.failures}/${r.alive}`;
          };
          for (const [index, c] of m.maps) {
            const t = s.maps[index];
            const same = t?.completed != null && t.completed.worker === c.worker && t.completed.attempt === c.attempt;
            if (!same && m.workers.get(c.worker) === workerMark(c.worker)) return `${id}: map task ${index} (attempt ${c.attempt} on ${c.worker}) reverted though ${c.worker} did not fail`;
          }
          m.maps = new Map(s.maps.flatMap((t) => (t.completed === null ? [] : [[t.index, { worker: t.completed.worker, attempt: t.completed.attempt }]])));
          m.workers = new Map(Object.keys(s.workers).map((w) => [w, workerMark(w)]));
        }
        return undefined;
      },
    },
  ];
}
