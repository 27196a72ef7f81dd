import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from 'distkit/core';
import { generatePbftHmacKeyRings, pbftCanonicalJson, pbftDigest, pbftHmacAuthenticator, pbftHmacKeyRings, type PbftSubtleCrypto } from 'distkit/consensus';
import { checkSha256, pbftCryptoInternals as C, portableSha256 } from '../../../src/consensus/pbft/crypto.js';

const hex = (s: string): Uint8Array => C.hexToBytes(s)!;
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const mac = (key: Uint8Array, data: Uint8Array): string => C.bytesToHex(C.hmacSha256(C.hmacSha256Key(key), data));

describe('SHA-256 (FIPS 180-4 examples)', () => {
  it('one block, two blocks, empty', () => {
    expect(C.bytesToHex(C.sha256(ascii('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(C.bytesToHex(C.sha256(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(C.bytesToHex(C.sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

// RFC 4231 §4.2–4.8 (test case 5 checks a truncated output, which PBFT does not use).
const RFC4231: { key: string; data: Uint8Array; mac: string }[] = [
  { key: '0b'.repeat(20), data: ascii('Hi There'), mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7' },
  { key: C.bytesToHex(ascii('Jefe')), data: ascii('what do ya want for nothing?'), mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' },
  { key: 'aa'.repeat(20), data: hex('dd'.repeat(50)), mac: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe' },
  { key: '0102030405060708090a0b0c0d0e0f10111213141516171819', data: hex('cd'.repeat(50)), mac: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b' },
  {
    key: 'aa'.repeat(131),
    data: ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  },
  {
    key: 'aa'.repeat(131),
    data: ascii('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'),
    mac: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  },
];

describe('HMAC-SHA256 (RFC 4231)', () => {
  it.each(RFC4231.map((t, i) => [i + 1, t] as const))('test vector %i', (_, t) => {
    expect(mac(hex(t.key), t.data)).toBe(t.mac);
  });

  it('matches crypto.subtle on random keys and messages (property)', async () => {
    const subtle = globalThis.crypto.subtle;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 150 }), fc.uint8Array({ maxLength: 300 }), async (key, data) => {
        const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
        const expected = C.bytesToHex(new Uint8Array(await subtle.sign('HMAC', k, data)));
        expect(mac(key, data)).toBe(expected);
        expect(C.bytesToHex(C.sha256(data))).toBe(C.bytesToHex(new Uint8Array(await subtle.digest('SHA-256', data))));
      }),
      { numRuns: 200, seed: 4231 },
    );
  });

  it('UTF-8 encoding matches TextEncoder, lone surrogates included (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(C.bytesToHex(C.utf8Bytes(s))).toBe(C.bytesToHex(new TextEncoder().encode(s)));
      }),
      { numRuns: 100, seed: 8 },
    );
    expect(C.bytesToHex(C.utf8Bytes('\ud800x'))).toBe(C.bytesToHex(new TextEncoder().encode('\ud800x')));
  });
});

describe('canonical JSON and digests', () => {
  it('key order does not matter; values do', () => {
    expect(pbftCanonicalJson({ b: [1, { d: 2, c: 3 }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":3,"d":2}]}');
    expect(pbftDigest({ a: 1, b: 2 })).toBe(pbftDigest({ b: 2, a: 1 }));
    expect(pbftDigest({ a: 1, b: 2 })).not.toBe(pbftDigest({ a: 1, b: 3 }));
  });

  it('a digest is SHA-256 of the canonical JSON, with the portable hash or one passed in', () => {
    expect(pbftDigest('abc')).toBe(C.bytesToHex(C.sha256(ascii('"abc"'))));
    const calls: string[] = [];
    const spy = (t: string): string => (calls.push(t), C.bytesToHex(C.sha256(C.utf8Bytes(t))));
    expect(pbftDigest({ b: 'é', a: [1] }, spy)).toBe(pbftDigest({ a: [1], b: 'é' }));
    expect(calls).toEqual(['{"a":[1],"b":"é"}']);
  });

  it('checkSha256 accepts the portable hash and any equal function; it names the field of one that differs', () => {
    expect(checkSha256('sha256', undefined)).toBe(portableSha256);
    const same = (t: string): string => portableSha256(t);
    expect(checkSha256('sha256', same)).toBe(same);
    expect(() => checkSha256('opts.sha256', (t) => portableSha256(t).slice(0, 63))).toThrow(/opts\.sha256/);
  });
});

describe('HMAC authenticators (TOCS §3.2)', () => {
  const nodes = ['r0', 'r1', 'r2', 'r3', 'c0'];
  const rings = pbftHmacKeyRings(nodes, 'secret');
  const auth = Object.fromEntries(nodes.map((id) => [id, pbftHmacAuthenticator({ id, keys: rings[id]! })]));

  it('every node accepts a genuine signature; none accepts a changed payload or another signer', () => {
    const sig = auth.r0!.sign('payload');
    for (const id of nodes) {
      expect(auth[id]!.verify('r0', 'payload', sig)).toBe(true);
      expect(auth[id]!.verify('r0', 'payloaD', sig)).toBe(false);
      expect(auth[id]!.verify('r1', 'payload', sig)).toBe(false);
    }
  });

  it('a node cannot forge another node\'s signature for third parties (property)', () => {
    // r3 signs as itself and relabels the entries: r1 and r2 must reject it as r0's.
    fc.assert(
      fc.property(fc.string(), (payload) => {
        const forged = auth.r3!.sign(payload);
        expect(auth.r1!.verify('r0', payload, forged)).toBe(false);
        expect(auth.r2!.verify('r0', payload, forged)).toBe(false);
      }),
      { numRuns: 100, seed: 3 },
    );
  });

  it('a signature for an audience carries entries for it and the signer only', () => {
    const sig = auth.r0!.sign('p', ['r1']);
    expect(sig.split(',').map((e) => e.split(':')[0])).toEqual(['r0', 'r1']);
    expect(auth.r1!.verify('r0', 'p', sig)).toBe(true);
    expect(auth.r0!.verify('r0', 'p', sig)).toBe(true);
    expect(auth.r2!.verify('r0', 'p', sig)).toBe(false);
  });

  it('malformed signatures are rejected, never thrown', () => {
    for (const s of ['', 'r1:', 'r1:zz', 'x'.repeat(10_000), 'r0:' + '0'.repeat(64), ',r1:' + '1'.repeat(64)]) {
      expect(auth.r1!.verify('r0', 'p', s)).toBe(false);
    }
    expect(auth.r1!.verify('nobody', 'p', auth.r0!.sign('p'))).toBe(false);
  });

  it('bad key rings are a ConfigError naming the key', () => {
    expect(() => pbftHmacAuthenticator({ id: 'r0', keys: { r0: 'zz' } })).toThrow(ConfigError);
    expect(() => pbftHmacAuthenticator({ id: 'r0', keys: { r1: '00'.repeat(32) } })).toThrow(/keys\.r0/);
  });

  it('Web Crypto key generation gives symmetric, distinct, usable keys', async () => {
    const ids = ['r0', 'r1', 'c0'];
    const generated = await generatePbftHmacKeyRings(ids, globalThis.crypto.subtle as unknown as PbftSubtleCrypto);
    expect(generated.r0!.r1).toBe(generated.r1!.r0);
    expect(generated.r0!.r1).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set([generated.r0!.r1, generated.r0!.c0, generated.r1!.c0, generated.r0!.r0]).size).toBe(4);
    const a = pbftHmacAuthenticator({ id: 'r0', keys: generated.r0! });
    const b = pbftHmacAuthenticator({ id: 'c0', keys: generated.c0! });
    expect(b.verify('r0', 'x', a.sign('x'))).toBe(true);
  });
});
