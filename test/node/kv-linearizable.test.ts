// Clients on every member of a real 3-member cluster (loopback sockets) read, write and
// compare-and-swap two keys while the leader is stopped and restarted; the recorded history must
// be linearizable (distkit/check, kvModel). Answers that never came are recorded as unknown.
import { afterEach, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { checkLinearizability, kvModel, type KvInput, type Operation, type RegisterOutput } from '../../src/check/index.js';
import { b64, post, startTestCluster, unb64, type TestCluster } from '../support/kv-cluster.js';
import { nextFloat, seedPrng } from '../../src/core/index.js';

/** A seeded source of floats in [0, 1). */
function createPrng(seed: number): () => number {
  let state = seedPrng(seed);
  return () => {
    const d = nextFloat(state);
    state = d.state;
    return d.value;
  };
}

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

type Op = Operation<KvInput<string>, RegisterOutput<string>>;

async function perform(url: string, input: KvInput<string>): Promise<RegisterOutput<string> | undefined> {
  const key = b64(input.key);
  if (input.f === 'read') {
    const r = await post(url, '/v3/kv/range', { key }, 4000);
    if (r.status !== 200) return undefined;
    return r.json.kvs === undefined ? null : unb64(r.json.kvs[0].value);
  }
  if (input.f === 'write') {
    const r = await post(url, '/v3/kv/put', { key, value: b64(input.value) }, 4000);
    return r.status === 200 ? null : undefined;
  }
  const r = await post(url, '/v3/kv/txn', {
    compare: [{ key, target: 'VALUE', result: 'EQUAL', value: b64(input.from) }],
    success: [{ request_put: { key, value: b64(input.to) } }],
  }, 4000);
  return r.status === 200 ? r.json.succeeded === true : undefined;
}

describe('linearizability of the KV server under a leader crash (real sockets)', () => {
  it('a history of reads, writes and compare-and-swaps from clients on every member is linearizable', async () => {
    cluster = await startTestCluster(3, { requestTimeoutMs: 1500 });
    const leader = await cluster.leader();
    const history: Op[] = [];
    const errors: string[] = [];
    let id = 0;
    const t0 = performance.now();
    const client = async (c: number) => {
      const prng = createPrng(c + 1);
      const member = cluster!.names[c % 3]!;
      const seen: Record<string, string> = {};
      let gen = 0;
      for (let i = 0; i < 20; i++) {
        const server = cluster!.servers[member];
        if (server === undefined) {
          await new Promise((r) => setTimeout(r, 30));
          continue;
        }
        const key = prng() < 0.5 ? 'x' : 'y';
        const roll = prng();
        const fresh = `${c}.${i}`; // every write is of a new value: a read names the write it saw
        const input: KvInput<string> =
          roll < 0.4 || seen[key] === undefined ? (roll < 0.2 ? { f: 'write', key, value: fresh } : { f: 'read', key }) : roll < 0.7 ? { f: 'write', key, value: fresh } : { f: 'cas', key, from: seen[key]!, to: fresh };
        const call = performance.now() - t0;
        const output = await perform(server.clientUrl, input).catch((e: unknown) => {
          errors.push(String(e));
          return undefined;
        });
        const who = `c${c}.${gen}`;
        history.push(output === undefined ? { id: id++, client: who, input, call } : { id: id++, client: who, input, call, output, ret: performance.now() - t0 });
        if (typeof output === 'string') seen[key] = output;
        // A client also remembers what it wrote itself, so a compare-and-swap can expect it.
        if (output === null && input.f === 'write') seen[key] = input.value;
        if (output === true && input.f === 'cas') seen[key] = input.to;
        // An operation whose answer never came stays open forever: the client carries on as a new process.
        if (output === undefined) gen++;
      }
    };
    const faults = (async () => {
      await new Promise((r) => setTimeout(r, 300));
      await cluster!.stop(leader);
      await new Promise((r) => setTimeout(r, 800));
      await cluster!.start(leader);
    })();
    await Promise.all([...Array.from({ length: 6 }, (_, c) => client(c)), faults]);
    // Only connections to the stopped member fail, or answers that never came.
    expect(errors.filter((e) => !/fetch failed|aborted|timeout/i.test(e))).toEqual([]);
    const completed = history.filter((o) => o.ret !== undefined);
    expect(completed.length).toBeGreaterThan(50);
    expect(completed.some((o) => o.input.f === 'cas' && o.output === true)).toBe(true);
    const result = checkLinearizability(kvModel<string>(), history, { maxSteps: 5_000_000 });
    expect(result.verdict).toBe('linearizable');
  });
});
