// PBFT decisions per second, in-process, no I/O: four replicas (f = 1) and one client; each
// iteration is one client request delivered through pre-prepare, prepare, commit and f+1 replies
// synchronously until the cluster is quiet. Checkpoints every 128 requests keep the log bounded.
// The plain figure uses the portable TypeScript HMAC authenticators and SHA-256 of distkit/consensus;
// `.nodecrypto` uses distkit/node's nodePbftCrypto (OpenSSL for the MACs and for the request,
// checkpoint and reply digests), which produces the same signatures and digests; `.noauth` swaps
// in authenticators that check nothing (digests stay portable), to show what authentication
// costs. All three are measured in one run, their samples interleaved. The `.op4k` pair repeats
// the first two with 4 KiB operations, where hashing the payload dominates.
import {
  pbftClient,
  pbftHmacAuthenticator,
  pbftHmacKeyRings,
  pbftReplica,
  type PbftAuthenticator,
  type PbftClientState,
  type PbftReplicaState,
  type PbftSha256,
} from '../src/consensus/index.js';
import { nodePbftCrypto } from '../src/node/index.js';
import { compareOps, consume, opsFigure, round, type Figures } from './lib.js';

type AnyOutput = { type: string; to?: string; message?: unknown };

/** What a node is built with: its authenticator and, optionally, the SHA-256 under its digests. */
type NodeCrypto = (id: string) => { authenticator: PbftAuthenticator; sha256?: PbftSha256 };

function cluster(crypto: NodeCrypto, operationBytes = 100): () => void {
  const replicas = ['r0', 'r1', 'r2', 'r3'];
  const machines = new Map(replicas.map((id) => [id, pbftReplica(crypto(id))]));
  const states = new Map<string, PbftReplicaState>();
  for (const [id, m] of machines) states.set(id, m.init({ id, replicas, checkpointInterval: 128 }));
  const client = pbftClient(crypto('c0'));
  let cs: PbftClientState = client.init({ id: 'c0', replicas });
  const queue: { from: string; to: string; message: unknown }[] = [];
  let results = 0;
  const push = (from: string, outputs: readonly AnyOutput[]): void => {
    for (const o of outputs) {
      if (o.type === 'send') queue.push({ from, to: o.to!, message: o.message });
      else if (o.type === 'result') results++;
    }
    consume(outputs);
  };
  return () => {
    const before = results;
    const t = client.step(cs, { type: 'request', operation: 'x'.repeat(operationBytes), now: 0 });
    cs = t.state;
    push('c0', t.outputs);
    while (queue.length > 0) {
      const e = queue.shift()!;
      const message = { type: 'message' as const, from: e.from, message: e.message, now: 0 };
      if (e.to === 'c0') {
        const r = client.step(cs, message);
        cs = r.state;
        push('c0', r.outputs);
      } else {
        const m = machines.get(e.to)!;
        const r = m.step(states.get(e.to)!, message);
        states.set(e.to, r.state);
        push(e.to, r.outputs);
      }
    }
    if (results !== before + 1) throw new Error('bench: the request did not complete');
  };
}

export default function (): Figures {
  const rings = pbftHmacKeyRings(['r0', 'r1', 'r2', 'r3', 'c0'], 'bench');
  const hmac: NodeCrypto = (id) => ({ authenticator: pbftHmacAuthenticator({ id, keys: rings[id]! }) });
  const native: NodeCrypto = (id) => nodePbftCrypto({ id, keys: rings[id]! });
  const none: NodeCrypto = (id) => ({ authenticator: { id, sign: () => '', verify: () => true } });
  const rates = compareOps(
    { hmac: cluster(hmac), native: cluster(native), none: cluster(none), hmac4k: cluster(hmac, 4096), native4k: cluster(native, 4096) },
    { timeMs: 3000, samples: 10 },
  );
  return {
    'consensus.pbft.decide.f1': opsFigure(rates.hmac!, 'requests/s'),
    'consensus.pbft.decide.f1.nodecrypto': opsFigure(rates.native!, 'requests/s'),
    'consensus.pbft.decide.f1.noauth': opsFigure(rates.none!, 'requests/s'),
    'consensus.pbft.decide.f1.authShare': { value: round(1 - rates.hmac! / rates.none!, 3), unit: 'fraction of time' },
    'consensus.pbft.decide.f1.op4k': opsFigure(rates.hmac4k!, 'requests/s'),
    'consensus.pbft.decide.f1.op4k.nodecrypto': opsFigure(rates.native4k!, 'requests/s'),
    'consensus.pbft.decide.f1.nodecrypto.authShare': { value: round(1 - rates.native! / rates.none!, 3), unit: 'fraction of time' },
    'consensus.pbft.decide.f1.nodecrypto.speedup': { value: round(rates.native! / rates.hmac!, 2), unit: 'x portable' },
  };
}
