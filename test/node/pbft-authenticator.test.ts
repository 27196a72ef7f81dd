import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from 'distkit/core';
import { pbftClient, pbftDigest, pbftHmacAuthenticator, pbftReplica, type PbftAuthenticator, type PbftVote } from 'distkit/consensus';
import { nodePbftCrypto, nodePbftHmacAuthenticator, nodePbftSha256 } from 'distkit/node';
import { portableSha256 } from '../../src/consensus/pbft/crypto.js';
import { Cluster, rings } from '../consensus/pbft/harness.js';

const NODES = ['r0', 'r1', 'r2', 'r3', 'c0'];
const RINGS = rings(NODES);
const fast = (id: string): PbftAuthenticator => nodePbftHmacAuthenticator({ id, keys: RINGS[id]! });
const portable = (id: string): PbftAuthenticator => pbftHmacAuthenticator({ id, keys: RINGS[id]! });

/** A 4-replica cluster whose nodes use node:crypto (authenticator and digests) or the portable code, as `pick(id)` says. */
function cluster(pick: (id: string) => 'fast' | 'portable'): Cluster {
  const c = new Cluster(4, ['c0'], { checkpointInterval: 4 });
  const make = (id: string) => (pick(id) === 'fast' ? nodePbftCrypto({ id, keys: RINGS[id]! }) : { authenticator: portable(id) });
  for (const id of c.replicas) c.machines.set(id, pbftReplica(make(id)));
  c.clientMachines.set('c0', pbftClient(make('c0')));
  return c;
}

/** Normal operation, then a silent primary and a view change, then more requests. */
function scenario(c: Cluster): void {
  for (let i = 0; i < 6; i++) {
    c.request('c0', `op${i}`);
    c.run();
  }
  c.silent.add('r0');
  c.request('c0', 'during view change');
  c.advance(3000);
  c.silent.delete('r0');
  c.request('c0', 'after');
  c.advance(4000);
}

describe('nodePbftHmacAuthenticator', () => {
  it('signs byte for byte as the portable authenticator, for any payload and audience', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NODES), fc.string({ unit: 'binary' }), fc.option(fc.subarray(NODES), { nil: undefined }), (id, payload, audience) => {
        expect(fast(id).sign(payload, audience)).toBe(portable(id).sign(payload, audience));
      }),
      { numRuns: 60 },
    );
  });

  it('PBFT decides identically with it: same messages, same executions, same results, same states (view change included)', () => {
    const reference = cluster(() => 'portable');
    const native = cluster(() => 'fast');
    const mixed = cluster((id) => (id === 'r1' || id === 'c0' ? 'fast' : 'portable'));
    for (const c of [reference, native, mixed]) scenario(c);
    expect(reference.executed('r1').length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...reference.replicas.map((r) => reference.states.get(r)!.view))).toBeGreaterThan(0);
    expect(reference.rejected()).toEqual([]);
    for (const c of [native, mixed]) {
      expect(c.history).toEqual(reference.history);
      expect(c.events).toEqual(reference.events);
      expect(Object.fromEntries(c.states)).toEqual(Object.fromEntries(reference.states));
    }
  });

  it('rejects forged MACs: a flipped bit, another payload, another signer, a missing or short entry, non-hex characters', () => {
    const r0 = fast('r0');
    const r1 = fast('r1');
    const sig = r0.sign('payload');
    expect(r1.verify('r0', 'payload', sig)).toBe(true);
    const mine = /r1:([0-9a-f]{64})/.exec(sig)![1]!;
    const flipped = mine.slice(0, 10) + (mine[10] === '0' ? '1' : '0') + mine.slice(11);
    expect(r1.verify('r0', 'payload', sig.replace(mine, flipped))).toBe(false);
    expect(r1.verify('r0', 'payload!', sig)).toBe(false);
    expect(r1.verify('r2', 'payload', sig)).toBe(false); // r0's MAC does not vouch for r2
    expect(r1.verify('r0', 'payload', r0.sign('payload', ['r2']))).toBe(false); // no entry for r1
    expect(r1.verify('r0', 'payload', sig.replace(mine, mine.slice(0, 63)))).toBe(false);
    expect(r1.verify('r0', 'payload', sig.replace(mine, `${mine.slice(0, 62)}zz`))).toBe(false);
    expect(r1.verify('r0', 'payload', sig.replace(mine, mine.toUpperCase()))).toBe(false);
    expect(r1.verify('nobody', 'payload', sig)).toBe(false);
    expect(r1.verify('r0', 'payload', 42 as unknown as string)).toBe(false);
    // A node with a different key ring (another secret) cannot produce r0's entries for r1.
    const impostor = nodePbftHmacAuthenticator({ id: 'r0', keys: { ...RINGS.r0!, r1: 'ab'.repeat(32) } });
    expect(r1.verify('r0', 'payload', impostor.sign('payload'))).toBe(false);
  });

  it('a replica rejects a prepare whose MAC was forged, and accepts the genuine one', () => {
    const c = cluster(() => 'fast');
    c.request('c0', 'op');
    c.deliver(c.queue.shift()!); // request → primary
    const toR1 = c.queue.find((e) => e.to === 'r1')!;
    c.deliver(toR1); // pre-prepare → r1
    const prepare = c.queue.find((e) => e.from === 'r1' && e.to === 'r2')!.message as PbftVote;
    const forged: PbftVote = { ...prepare, replica: 'r3', sig: prepare.sig };
    const before = c.states.get('r2')!;
    c.deliver({ from: 'r3', to: 'r2', message: forged });
    expect(c.states.get('r2')).toBe(before);
    expect(c.rejected().map((r) => r.node)).toEqual(['r2']);
    const fake = { ...prepare, sig: prepare.sig.replace(/r2:[0-9a-f]{64}/, `r2:${'0'.repeat(64)}`) };
    c.deliver({ from: 'r1', to: 'r2', message: fake });
    expect(c.rejected()).toHaveLength(2);
    c.deliver({ from: 'r1', to: 'r2', message: prepare });
    expect(c.rejected()).toHaveLength(2);
    expect(c.states.get('r2')).not.toBe(before);
  });

  it('keys longer than a block are hashed first (RFC 2104 §2), as the portable code does (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 200 }), fc.string(), (key, payload) => {
        const hex = Buffer.from(key).toString('hex');
        const keys = { r0: hex, r1: hex };
        expect(nodePbftHmacAuthenticator({ id: 'r0', keys }).sign(payload)).toBe(pbftHmacAuthenticator({ id: 'r0', keys }).sign(payload));
      }),
      { numRuns: 60 },
    );
  });

  it('validates its key ring', () => {
    expect(() => nodePbftHmacAuthenticator({ id: 'r0', keys: { r0: 'ab' } })).toThrow(ConfigError);
    expect(() => nodePbftHmacAuthenticator({ id: 'r0', keys: { r0: 'zz'.repeat(16) } })).toThrow(ConfigError);
    expect(() => nodePbftHmacAuthenticator({ id: 'r0', keys: { r1: 'ab'.repeat(16) } })).toThrow(/self key/);
  });
});

describe('nodePbftSha256', () => {
  // Any UTF-16 string, lone surrogates included (where UTF-8 encoders could differ).
  const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 300 });

  it('is the portable SHA-256 of UTF-8 text, byte for byte (property)', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.string({ unit: 'binary' })), (text) => {
        expect(nodePbftSha256(text)).toBe(portableSha256(text));
      }),
      { numRuns: 300 },
    );
    expect(nodePbftSha256('x'.repeat(100_000))).toBe(portableSha256('x'.repeat(100_000)));
  });

  it('gives the same PBFT digests as the portable code on any JSON value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(pbftDigest(value, nodePbftSha256)).toBe(pbftDigest(value));
      }),
      { numRuns: 300 },
    );
  });

  it('nodePbftCrypto bundles it with the node:crypto authenticator, and the replica accepts it', () => {
    const bundle = nodePbftCrypto({ id: 'r0', keys: RINGS.r0! });
    expect(bundle.sha256).toBe(nodePbftSha256);
    expect(bundle.authenticator.sign('x')).toBe(portable('r0').sign('x'));
    expect(() => pbftReplica(bundle).init({ id: 'r0', replicas: ['r0', 'r1', 'r2', 'r3'] })).not.toThrow();
  });
});
