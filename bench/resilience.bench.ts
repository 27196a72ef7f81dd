// Resilience cores: decisions per second of the retry, bulkhead and rate-limiter cores;
// load-balancer picks per second at 10 and 1000 nodes. The breakers have their own bench
// (breaker.bench.ts).
import {
  backoffInit,
  backoffNext,
  bulkheadCore,
  gcra,
  loadBalancerCore,
  retryCore,
  tokenBucket,
  type BalancerState,
  type BackoffState,
} from '../src/resilience/index.js';
import { compareOps, consume, opsFigure, type Figures } from './lib.js';

export default async function (): Promise<Figures> {
  // Decisions per second of the pure cores.
  let backoff: BackoffState = backoffInit({ kind: 'exponential', initialMs: 100, jitter: 'full', maxDelayMs: 30_000 }, 1);
  const retryState = retryCore.init({ maxAttempts: Number.POSITIVE_INFINITY, backoff: { kind: 'exponential', initialMs: 100, jitter: 'full', maxDelayMs: 30_000 }, seed: 1 });
  let bulk = bulkheadCore.init({ maxConcurrent: 64, maxQueue: 64 });
  let g = gcra.init({ limit: 1000, periodMs: 1000 });
  let tb = tokenBucket.init({ limit: 1000, periodMs: 1000 });
  const decisions = compareOps(
    {
      retry: () => {
        const d = retryCore.step(retryCore.step(retryState, { type: 'attempt', now: 0 }).state, { type: 'failure', now: 0 });
        consume(d.outputs);
        const n = backoffNext(backoff);
        backoff = n.state.retries > 20 ? backoffInit(n.state.backoff, n.state.prng) : n.state;
      },
      bulkhead: (i) => {
        if ((i & 1) === 0) bulk = bulkheadCore.step(bulk, { type: 'admit', now: i }).state;
        else if (bulk.executing > 0) bulk = bulkheadCore.step(bulk, { type: 'release', now: i }).state;
      },
      gcra: (i) => {
        const t = gcra.step(g, { type: 'take', now: i * 0.9 });
        g = t.state;
        consume(t.outputs);
      },
      tokenBucket: (i) => {
        const t = tokenBucket.step(tb, { type: 'take', now: i * 0.9 });
        tb = t.state;
        consume(t.outputs);
      },
    },
    { timeMs: 2000 },
  );

  const ids = (n: number): { id: string }[] => Array.from({ length: n }, (_, i) => ({ id: `node-${i}` }));
  const lbs: Record<string, BalancerState> = {
    rr10: loadBalancerCore.init({ strategy: 'round-robin', nodes: ids(10) }),
    rr1000: loadBalancerCore.init({ strategy: 'round-robin', nodes: ids(1000) }),
    p2c10: loadBalancerCore.init({ strategy: 'p2c', nodes: ids(10) }),
    p2c1000: loadBalancerCore.init({ strategy: 'p2c', nodes: ids(1000) }),
    wrr10: loadBalancerCore.init({ strategy: 'weighted-round-robin', nodes: ids(10) }),
    wrr1000: loadBalancerCore.init({ strategy: 'weighted-round-robin', nodes: ids(1000) }),
    hash1000: loadBalancerCore.init({ strategy: 'consistent-hash', nodes: ids(1000) }),
  };
  const pick = (name: string) => (i: number) => {
    const p = loadBalancerCore.step(lbs[name]!, { type: 'pick', now: i, key: `key-${i & 1023}` });
    const o = p.outputs[0]!;
    const node = o.type === 'picked' ? o.node : '';
    lbs[name] = name.startsWith('p2c') ? loadBalancerCore.step(p.state, { type: 'release', now: i, node }).state : p.state;
    consume(node);
  };
  const picks = compareOps(Object.fromEntries(Object.keys(lbs).map((k) => [k, pick(k)])), { timeMs: 3000 });

  return {
    'resilience.retry.decisions': opsFigure(decisions.retry!, 'decisions/s'),
    'resilience.bulkhead.decisions': opsFigure(decisions.bulkhead!, 'decisions/s'),
    'resilience.ratelimiter.gcra.decisions': opsFigure(decisions.gcra!, 'decisions/s'),
    'resilience.ratelimiter.tokenbucket.decisions': opsFigure(decisions.tokenBucket!, 'decisions/s'),
    'resilience.loadbalancer.roundrobin.picks.10': opsFigure(picks.rr10!, 'picks/s'),
    'resilience.loadbalancer.roundrobin.picks.1000': opsFigure(picks.rr1000!, 'picks/s'),
    'resilience.loadbalancer.p2c.picks.10': opsFigure(picks.p2c10!, 'picks/s'),
    'resilience.loadbalancer.p2c.picks.1000': opsFigure(picks.p2c1000!, 'picks/s'),
    'resilience.loadbalancer.wrr.picks.10': opsFigure(picks.wrr10!, 'picks/s'),
    'resilience.loadbalancer.wrr.picks.1000': opsFigure(picks.wrr1000!, 'picks/s'),
    'resilience.loadbalancer.hash.picks.1000': opsFigure(picks.hash1000!, 'picks/s'),
  };
}
