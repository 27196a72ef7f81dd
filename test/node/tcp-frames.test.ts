import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameReader, frame, jsonBytes } from '../../src/node/tcp-frames.js';

/** Feeds `stream` to a reader in the given cut points; returns the frames and oversized lengths seen. */
function read(stream: Buffer, cuts: number[], limit: number, skip = true) {
  const frames: string[] = [];
  const oversized: number[] = [];
  const r = new FrameReader({
    limit: () => limit,
    frame: (b) => (frames.push(b.toString('utf8')), true),
    oversized: (n) => (oversized.push(n), skip),
  });
  let at = 0;
  for (const c of [...cuts.filter((x) => x > 0 && x < stream.length)].sort((a, b) => a - b)) {
    r.push(stream.subarray(at, c));
    at = c;
  }
  r.push(stream.subarray(at));
  return { frames, oversized };
}

describe('FrameReader', () => {
  it('splits any chunking of a stream into the same frames, skipping oversized ones whole', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 12 }), fc.array(fc.nat(600)), (bodies, cuts) => {
        const stream = Buffer.concat(bodies.map((b) => frame(Buffer.from(b, 'utf8'))));
        const limit = 30;
        const { frames, oversized } = read(stream, cuts, limit);
        expect(frames).toEqual(bodies.filter((b) => Buffer.byteLength(b) <= limit));
        expect(oversized).toEqual(bodies.map((b) => Buffer.byteLength(b)).filter((n) => n > limit));
      }),
      { numRuns: 300 },
    );
  });

  it('stops for good when the sink refuses an oversized frame', () => {
    const stream = Buffer.concat([frame(Buffer.from('ok')), frame(Buffer.alloc(100)), frame(Buffer.from('after'))]);
    expect(read(stream, [3, 50], 10, false)).toEqual({ frames: ['ok'], oversized: [100] });
  });

  it('encodes JSON and refuses what is not JSON', () => {
    expect(frame(jsonBytes({ a: 1 }))).toEqual(Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('{"a":1}')]));
    expect(() => jsonBytes(undefined)).toThrow(TypeError);
    expect(() => jsonBytes(1n)).toThrow(TypeError);
  });
});
