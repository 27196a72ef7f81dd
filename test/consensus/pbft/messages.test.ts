import { expect, it } from 'vitest';
import fc from 'fast-check';
import { pbftCanonicalJson } from 'distkit/consensus';
import { signedPayload } from '../../../src/consensus/pbft/messages.js';
import type { PbftMessage } from 'distkit/consensus';

it('the written-out payload of votes and pre-prepares is their canonical JSON (property)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('prepare', 'commit', 'pre-prepare'),
      fc.nat(),
      fc.nat(),
      fc.string(),
      fc.string({ minLength: 1 }),
      (type, view, seq, digest, replica) => {
        const m = { type, view, seq, digest, replica, sig: 'x', request: null } as never;
        expect(signedPayload(m)).toBe(pbftCanonicalJson({ type, view, seq, digest, replica }));
      },
    ),
    { numRuns: 200, seed: 5 },
  );
});

it('the written-out payloads of requests, replies and checkpoints are their canonical JSON (property)', () => {
  fc.assert(
    fc.property(fc.nat(), fc.integer({ min: 1 }), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string(), fc.jsonValue(), (view, n, a, b, digest, value) => {
      const messages: PbftMessage[] = [
        { type: 'request', client: a, timestamp: n, operation: value, sig: 'x' },
        { type: 'reply', view, timestamp: n, client: a, replica: b, result: value, sig: 'x' },
        { type: 'checkpoint', seq: n, digest, replica: b, sig: 'x' },
      ];
      for (const m of messages) {
        const { sig: _, ...unsigned } = m as PbftMessage & { sig: string };
        expect(signedPayload(m)).toBe(pbftCanonicalJson(unsigned));
      }
    }),
    { numRuns: 200, seed: 6 },
  );
});
