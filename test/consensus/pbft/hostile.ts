// States and message mutations shared by the PBFT hostile-input tests.
import fc from 'fast-check';
import type { PbftClientState, PbftReplicaState } from 'distkit/consensus';
import { Cluster, type Envelope } from './harness.js';

// States worth attacking: fresh, mid-run (log, checkpoints, certificates), and changing views.
export function scenes(): { cluster: Cluster; replicas: Record<string, PbftReplicaState>; client: PbftClientState; valid: Envelope[] } {
  const c = new Cluster(4, ['c0'], { checkpointInterval: 2, viewChangeTimeoutMs: 200 });
  const replicas: Record<string, PbftReplicaState> = { fresh: c.states.get('r1')! };
  for (let i = 0; i < 3; i++) c.request('c0', `op${i}`);
  c.run();
  replicas.running = c.states.get('r1')!;
  c.request('c0', 'pending');
  c.silent.add('r0');
  c.advance(2500);
  replicas.changed = c.states.get('r2')!;
  c.request('c0', 'outstanding'); // the client waits for replies
  return { cluster: c, replicas, client: c.clientStates.get('c0')!, valid: c.history };
}

export const json = fc.jsonValue({ maxDepth: 4 });

export function mutate(message: unknown, key: string, value: unknown, drop: boolean): unknown {
  if (message === null || typeof message !== 'object') return value;
  const copy = { ...(message as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const k = keys.length > 0 ? keys[Math.abs(hash(key)) % keys.length]! : key;
  if (drop) delete copy[k];
  else copy[k] = value;
  return copy;
}

function hash(s: string): number {
  let h = 7;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}
