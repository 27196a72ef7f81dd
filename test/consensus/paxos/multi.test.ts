import { describe, expect, it } from 'vitest';
import { ConfigError } from 'distkit/core';
import { applyMultiPaxosPersist, multiPaxos, multiPaxosLogItems, multiPaxosNextDeadline, type MultiPaxosConfig, type MultiPaxosDurable, type MultiPaxosPersistRecord } from 'distkit/consensus';
import { Net } from './net.js';

const IDS = ['a', 'b', 'c'];
const cfg = (id: string, extra: Partial<MultiPaxosConfig> = {}): MultiPaxosConfig => ({ id, acceptors: IDS, seed: 1, heartbeatIntervalMs: 10, electionTimeoutMs: 50, ...extra });
function cluster(): Net<ReturnType<typeof multiPaxos.init>> {
  const net = new Net(multiPaxos, Object.fromEntries(IDS.map((id) => [id, cfg(id)])));
  for (const id of IDS) net.tick(id, 0);
  return net;
}
const delivered = (net: Net<unknown>, id: string) => net.events[id]!.filter((e) => e.type === 'deliver').map((e) => [e.slot, e.value]);

describe('Multi-Paxos (Paxos Made Moderately Complex; Paxos Made Live)', () => {
  it('a stable leader runs phase 1 once; later commands need phase 2 only, and every replica delivers them in slot order', () => {
    const net = cluster();
    net.input('a', { type: 'campaign' });
    net.run();
    expect(net.states.a!.role).toBe('leader');
    const before = net.queue.length;
    expect(before).toBe(0);
    const types: string[] = [];
    for (let i = 1; i <= 5; i++) {
      net.input('a', { type: 'propose', value: `v${i}` });
      types.push(...net.queue.map((e) => e.message.type));
      net.run();
    }
    expect(new Set(types)).toEqual(new Set(['accept']));
    for (const id of IDS) expect(delivered(net, id)).toEqual([1, 2, 3, 4, 5].map((i) => [i, `v${i}`]));
  });

  it('a new leader fills gaps it inherits with no-ops (PML §4.2) and keeps the values a quorum may have chosen', () => {
    const net = cluster();
    net.input('a', { type: 'campaign' });
    net.run();
    for (const v of ['v1', 'v2', 'v3']) net.input('a', { type: 'propose', value: v });
    // Slot 2 reaches nobody but a; slots 1 and 3 reach b only. Then a crashes.
    net.run((e) => e.message.type === 'accept' && e.to === 'b' && (e.message.entries as { slot: number }[]).every((x) => x.slot !== 2));
    net.drop(() => true);
    delete net.states.a;
    net.input('b', { type: 'campaign' });
    net.run();
    expect(net.states.b!.role).toBe('leader');
    for (const id of ['b', 'c']) {
      expect(multiPaxosLogItems(net.states[id]!.log)).toEqual([{ kind: 'command', value: 'v1' }, { kind: 'noop' }, { kind: 'command', value: 'v3' }]);
      expect(delivered(net, id)).toEqual([[1, 'v1'], [3, 'v3']]);
    }
  });

  it('a lagging replica catches up from the leader after a heartbeat', () => {
    const net = cluster();
    net.input('a', { type: 'campaign' });
    net.run();
    for (let i = 0; i < 150; i++) net.input('a', { type: 'propose', value: i });
    net.run((e) => e.to !== 'c' && e.from !== 'c');
    net.drop((e) => e.to === 'c' || e.from === 'c');
    expect(net.states.c!.log.length).toBe(0);
    net.tick('a', 1000);
    net.run();
    expect(net.states.c!.log.length).toBe(150);
    expect(delivered(net, 'c').map(([slot]) => slot)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
  });

  it('a follower refuses proposals with a hint; a deposed leader hands queued proposals back', () => {
    const net = cluster();
    net.input('a', { type: 'campaign' });
    net.run();
    net.input('b', { type: 'propose', value: 'x' });
    expect(net.events.b!.at(-1)).toEqual({ type: 'notLeader', value: 'x', leader: 'a' });
    net.input('b', { type: 'campaign' });
    net.run((e) => e.to !== 'a');
    net.run();
    expect(net.states.b!.role).toBe('leader');
    expect(net.states.a!.role).toBe('follower');
  });

  it('persist records fold into the durable state (applyMultiPaxosPersist), which recovers the replica', () => {
    const net = cluster();
    let disk: MultiPaxosDurable = { promised: null, usedRound: 0, log: [], accepted: [] };
    const orig = net.input.bind(net);
    net.input = (id: string, input: object) => {
      orig(id, input);
      if (id === 'b') for (const o of net.last.b!) if (o.type === 'persist') disk = applyMultiPaxosPersist(disk, (o as unknown as { record: MultiPaxosPersistRecord }).record);
      if (id === 'b' && net.last.b!.some((o) => o.type === 'send')) expect(net.last.b!.findIndex((o) => o.type === 'persist')).toBeLessThanOrEqual(0);
    };
    net.input('a', { type: 'campaign' });
    net.run();
    for (let i = 0; i < 5; i++) net.input('a', { type: 'propose', value: i });
    net.run();
    net.input('a', { type: 'propose', value: 'pending' });
    net.run((e) => e.to === 'b');
    expect(disk).toEqual(multiPaxos.durable(net.states.b!));
    const r = multiPaxos.recover(cfg('b', { applied: 3 }), disk);
    expect(r.log.length).toBe(5);
    expect(r.delivered).toBe(3);
    const t = multiPaxos.step(r, { type: 'tick', now: 5000 });
    expect(t.outputs.filter((o) => o.type === 'deliver')).toEqual([{ type: 'deliver', slot: 4, value: 3 }, { type: 'deliver', slot: 5, value: 4 }]);
    expect(multiPaxosNextDeadline(t.state)).toBeGreaterThanOrEqual(5000 + 50);
  });

  it('config errors name the field', () => {
    expect(() => multiPaxos.init(cfg('z'))).toThrow(ConfigError);
    expect(() => multiPaxos.init(cfg('a', { electionTimeoutMs: 10 }))).toThrow(/electionTimeoutMs/);
    expect(() => multiPaxos.init(cfg('a', { maxBatch: 0 }))).toThrow(/maxBatch/);
    expect(() => multiPaxos.init(cfg('a', { applied: -1 }))).toThrow(/applied/);
  });
});
