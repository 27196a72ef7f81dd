import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidCommandError } from 'distkit/core';
import { basicPaxos, comparePaxosBallots, type BasicPaxosConfig } from 'distkit/consensus';
import { Net } from './net.js';

const IDS = ['a', 'b', 'c'];
const cfg = (id: string, extra: Partial<BasicPaxosConfig> = {}): BasicPaxosConfig => ({ id, acceptors: IDS, seed: 1, ...extra });
const cluster = (extra: Partial<BasicPaxosConfig> = {}) => new Net(basicPaxos, Object.fromEntries(IDS.map((id) => [id, cfg(id, extra)])));

describe('Basic Paxos (Paxos Made Simple)', () => {
  it('§2.2: prepare/promise then accept/accepted choose the value; every learner learns it on a majority', () => {
    const net = cluster();
    net.input('a', { type: 'propose', value: 'x' });
    expect(net.queue.map((e) => `${e.message.type}->${e.to}`)).toEqual(['prepare->b', 'prepare->c']);
    net.run();
    for (const id of IDS) {
      expect(net.states[id]!.learner!.decided).toEqual({ value: 'x' });
      expect(net.events[id]!.filter((e) => e.type === 'decided')).toEqual([{ type: 'decided', value: 'x' }]);
    }
  });

  it('ballots are ordered by round, then node id', () => {
    expect(comparePaxosBallots({ round: 1, node: 'b' }, { round: 1, node: 'a' })).toBeGreaterThan(0);
    expect(comparePaxosBallots({ round: 1, node: 'z' }, { round: 2, node: 'a' })).toBeLessThan(0);
    expect(comparePaxosBallots({ round: 2, node: 'a' }, { round: 2, node: 'a' })).toBe(0);
  });

  it('§2.2 P2c: a later proposer adopts the highest accepted value from the promises', () => {
    const net = cluster();
    net.input('a', { type: 'propose', value: 'x' });
    // Only c gets a's accept: x is accepted by a and c (a chose x), b never hears of it.
    net.run((e) => e.message.type !== 'accepted' && !(e.message.type === 'accept' && e.to === 'b'));
    expect(net.states.c!.acceptor!.accepted?.value).toBe('x');
    expect(net.states.b!.acceptor!.accepted).toBeNull();
    net.drop(() => true);
    net.input('b', { type: 'propose', value: 'y' });
    net.run();
    for (const id of IDS) expect(net.states[id]!.learner!.decided).toEqual({ value: 'x' });
  });

  it('an acceptor refuses a lower ballot with a nack carrying the ballot it promised; the proposer retries above it after a seeded backoff', () => {
    const net = cluster();
    net.input('b', { type: 'propose', value: 'y' }); // ballot (1, b)
    net.run((e) => e.message.type === 'prepare' && e.to === 'c');
    net.run((e) => e.message.type === 'promise');
    net.drop(() => true);
    net.input('a', { type: 'propose', value: 'x' }); // ballot (1, a) < (1, b)
    net.run((e) => e.to === 'c');
    const nack = net.queue.find((e) => e.message.type === 'nack');
    expect(nack?.message).toMatchObject({ type: 'nack', ballot: { round: 1, node: 'a' }, promised: { round: 1, node: 'b' } });
    net.run((e) => e.message.type === 'nack');
    const p = net.states.a!.proposer!;
    expect(p.phase).toBe('backoff');
    expect(p.seenRound).toBe(1);
    // The backoff counts from the nack's own time (v2: `now` travels with every input).
    const at = net.states.a!.proposer!.timer.at!;
    expect(basicPaxos.nextDeadline(net.states.a!)).toBe(at);
    expect(at).toBeGreaterThanOrEqual(net.now + 1);
    expect(at).toBeLessThanOrEqual(net.now + 10 * 2);
    net.tick('a', at - 1);
    expect(net.states.a!.proposer!.phase).toBe('backoff');
    net.tick('a', at);
    expect(net.states.a!.proposer!.ballot).toEqual({ round: 2, node: 'a' });
  });

  it('persist comes before the sends, and a recovered acceptor keeps its promise (PMS §2.5)', () => {
    const net = cluster();
    net.input('a', { type: 'propose', value: 'x' });
    expect(net.last.a![0]!.type).toBe('persist');
    net.run((e) => e.to === 'b' && e.message.type === 'prepare');
    expect(net.last.b!.map((o) => o.type)).toEqual(['persist', 'send']);
    const durable = basicPaxos.durable(net.states.b!);
    expect(durable.promised).toEqual({ round: 1, node: 'a' });
    const recovered = basicPaxos.recover(cfg('b'), JSON.parse(JSON.stringify(durable)));
    const t = basicPaxos.step(recovered, { type: 'message', from: 'c', message: { type: 'prepare', ballot: { round: 1, node: 'c' } }, now: 0 });
    expect(t.outputs).toContainEqual({ type: 'send', to: 'c', message: { type: 'promise', ballot: { round: 1, node: 'c' }, accepted: null } });
    const t2 = basicPaxos.step(t.state, { type: 'message', from: 'a', message: { type: 'accept', ballot: { round: 1, node: 'a' }, value: 'x' }, now: 0 });
    expect(t2.outputs).toContainEqual({ type: 'send', to: 'a', message: { type: 'nack', ballot: { round: 1, node: 'a' }, promised: { round: 1, node: 'c' } } });
  });

  it('a recovered proposer never reuses a ballot', () => {
    const s = basicPaxos.step(basicPaxos.init(cfg('a')), { type: 'propose', value: 'x', now: 0 }).state;
    const r = basicPaxos.recover(cfg('a'), basicPaxos.durable(s));
    const t = basicPaxos.step(r, { type: 'propose', value: 'z', now: 5 });
    expect(t.state.proposer!.ballot).toEqual({ round: 2, node: 'a' });
  });

  it('a learner that missed everything learns by asking', () => {
    const ids = ['a', 'b', 'c', 'l'];
    const net = new Net(basicPaxos, Object.fromEntries(ids.map((id) => [id, { id, acceptors: IDS, learners: ids, seed: 1 }])));
    net.input('a', { type: 'propose', value: 'x' });
    net.run((e) => e.to !== 'l');
    net.drop((e) => e.to === 'l');
    expect(net.states.l!.learner!.decided).toBeNull();
    net.tick('l', 0); // the first input starts the learner's query timer
    net.tick('l', 200);
    net.run();
    expect(net.states.l!.learner!.decided).toEqual({ value: 'x' });
  });

  it('propose after the decision answers with the chosen value', () => {
    const net = cluster();
    net.input('a', { type: 'propose', value: 'x' });
    net.run();
    net.input('b', { type: 'propose', value: 'y' });
    expect(net.events.b!.at(-1)).toEqual({ type: 'decided', value: 'x' });
  });

  it('config errors name the field', () => {
    const bad: [Partial<BasicPaxosConfig>, string][] = [
      [{ acceptors: [] }, 'acceptors'],
      [{ acceptors: ['a', 'a'] }, 'acceptors[1]'],
      [{ phaseTimeoutMs: 0 }, 'phaseTimeoutMs'],
      [{ backoffMinMs: 50, backoffMaxMs: 10 }, 'backoffMinMs'],
      [{ seed: Number.NaN }, 'seed'],
      [{ id: '' }, 'id'],
    ];
    for (const [extra, field] of bad) {
      try {
        basicPaxos.init({ ...cfg('a'), ...extra });
        expect.unreachable(field);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        expect((e as ConfigError).field).toBe(field);
      }
    }
    expect(() => basicPaxos.step(basicPaxos.init({ id: 'x', acceptors: IDS, proposers: [] }), { type: 'propose', value: 1, now: 0 })).toThrow(InvalidCommandError);
  });
});
