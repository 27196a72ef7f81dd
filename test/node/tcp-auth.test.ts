import { describe, expect, it } from 'vitest';
import { ConfigError } from 'distkit/core';
import { checkAuth, FrameMac, isLoopback, nonce, proof, proofMatches, type HandshakeBinding } from '../../src/node/tcp-auth.js';

const secret = Buffer.from('cluster secret for the tests');
const b: HandshakeBinding = { dialer: 'a', listener: 'b', dialerNonce: nonce(), listenerNonce: nonce() };

describe('HMAC handshake proofs', () => {
  it('bind the role, both ids and both nonces', () => {
    const p = proof(secret, 'dialer', b);
    expect(proofMatches(secret, 'dialer', b, p)).toBe(true);
    expect(proofMatches(secret, 'listener', b, p)).toBe(false); // a reflected proof fails
    expect(proofMatches(secret, 'dialer', { ...b, dialer: 'c' }, p)).toBe(false);
    expect(proofMatches(secret, 'dialer', { ...b, listener: 'c' }, p)).toBe(false);
    expect(proofMatches(secret, 'dialer', { ...b, listenerNonce: nonce() }, p)).toBe(false); // replay into a new handshake
    expect(proofMatches(secret, 'dialer', { ...b, dialerNonce: nonce() }, p)).toBe(false);
    expect(proofMatches(Buffer.from('another secret of enough bytes'), 'dialer', b, p)).toBe(false);
    // Ids are kept apart: ("a\nb", "c") and ("a", "b\nc") do not share a proof.
    expect(proof(secret, 'dialer', { ...b, dialer: 'a\nb', listener: 'c' })).not.toBe(proof(secret, 'dialer', { ...b, dialer: 'a', listener: 'b\nc' }));
  });

  it('reject malformed proofs without throwing', () => {
    for (const bad of [undefined, 42, '', 'zz'.repeat(32), proof(secret, 'dialer', b).slice(1), proof(secret, 'dialer', b).toUpperCase()]) {
      expect(proofMatches(secret, 'dialer', b, bad)).toBe(false);
    }
  });
});

describe('FrameMac: per-frame MACs of a session', () => {
  it('opens frames in order; a replayed, reordered, altered or cross-direction frame fails', () => {
    const tx = new FrameMac(secret, 'dialer→listener', b);
    const rx = new FrameMac(secret, 'dialer→listener', b);
    const f1 = tx.seal(Buffer.from('one')).subarray(4);
    const f2 = tx.seal(Buffer.from('two')).subarray(4);
    const f3 = tx.seal(Buffer.from('three')).subarray(4);
    expect(rx.open(f1)?.toString()).toBe('one');
    expect(rx.open(f1)).toBeUndefined(); // replayed: the receiver expected seq 1
    const rx2 = new FrameMac(secret, 'dialer→listener', b);
    expect(rx2.open(f2)).toBeUndefined(); // reordered
    const rx3 = new FrameMac(secret, 'dialer→listener', b);
    rx3.open(f1);
    const altered = Buffer.from(f2);
    altered[altered.length - 1] = altered[altered.length - 1]! ^ 1;
    expect(rx3.open(altered)).toBeUndefined();
    const back = new FrameMac(secret, 'listener→dialer', b);
    expect(back.open(f1)).toBeUndefined();
    const rx4 = new FrameMac(secret, 'dialer→listener', b);
    rx4.open(f1);
    rx4.skip(); // f2 was dropped unread as oversized
    expect(rx4.open(f3)?.toString()).toBe('three');
    expect(new FrameMac(secret, 'dialer→listener', b).open(Buffer.alloc(5))).toBeUndefined();
  });
});

describe('checkAuth', () => {
  it("allows 'none' on loopback only, and needs a 16-byte secret", () => {
    expect(checkAuth({ mode: 'none' }, ['127.0.0.1', 'localhost', '::1', '127.0.0.2'])).toEqual({ mode: 'none' });
    expect(() => checkAuth({ mode: 'none' }, ['127.0.0.1', '192.168.1.2'])).toThrow(ConfigError);
    expect(() => checkAuth({ mode: 'hmac', secret: new Uint8Array(15) }, [])).toThrow(/16 bytes/);
    expect(checkAuth({ mode: 'hmac', secret: new Uint8Array(16) }, ['10.0.0.1'])).toMatchObject({ mode: 'hmac' });
    expect(() => checkAuth({ mode: 'tls', key: '', cert: 'x', ca: 'y' }, [])).toThrow(/auth.key/);
    expect(() => checkAuth({ mode: 'tls', key: 'not a key', cert: 'not a cert', ca: 'not a ca' }, [])).toThrow(/TLS key material rejected/);
    expect(isLoopback('127.10.0.1')).toBe(true);
    expect(isLoopback('127.example.com')).toBe(false);
  });
});
