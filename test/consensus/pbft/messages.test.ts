import { expect, it } from 'vitest';
import fc from 'fast-check';
import { pbftCanonicalJson } from 'distkit/consensus';
import { signedPayload } from '../../../src/consensus/pbft/messages.js';

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
