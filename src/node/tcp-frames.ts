// Length-prefixed framing for the TCP transport (a 4-byte big-endian length, then the body), and
// the listening step the transport and the fault proxy share.
import type { Server } from 'node:net';

/** Starts `server` listening on `host:port`; resolves with the bound address (rejections are also reported through `onError`). */
export function listenOn(server: Server, host: string, port: number, onError: (problem: string) => void): Promise<{ host: string; port: number }> {
  const listening = new Promise<{ host: string; port: number }>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address();
      if (a && typeof a === 'object') resolve({ host: a.address, port: a.port });
    });
  });
  listening.catch(() => undefined);
  server.on('error', (e) => onError(`server: ${e.message}`));
  return listening;
}

/** Bytes of a frame's length prefix. */
export const FRAME_HEADER_BYTES = 4;

/** Frames `body`: its length as 4 big-endian bytes, then the body. */
export function frame(...parts: readonly Buffer[]): Buffer {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  out.writeUInt32BE(length, 0);
  let at = FRAME_HEADER_BYTES;
  for (const p of parts) {
    p.copy(out, at);
    at += p.length;
  }
  return out;
}

/** UTF-8 JSON of `value`; throws a TypeError when it is not JSON (undefined, bigint, a cycle). */
export function jsonBytes(value: unknown): Buffer {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('undefined is not JSON');
  return Buffer.from(json, 'utf8');
}

/** What a {@link FrameReader} does with the frames it splits off. */
export interface FrameSink {
  /** The largest body accepted now (it may change, e.g. once a handshake completes). */
  limit(): number;
  /** A complete frame body; return false to stop reading (the connection is being closed). */
  frame(body: Buffer): boolean;
  /** A frame announced larger than `limit()`; return true to skip its bytes, false to stop reading. */
  oversized(length: number): boolean;
}

/**
 * Splits a byte stream into frames. A frame announced larger than the limit is never buffered:
 * its bytes are skipped as they arrive (or reading stops, as the sink decides). Chunks are joined
 * only once a whole frame is there, so a large frame costs one copy, not one per chunk.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes still to be skipped of an oversized frame. */
  private skipping = 0;
  /** Bytes needed before the next frame can be split off. */
  private needed = FRAME_HEADER_BYTES;
  private stopped = false;

  constructor(private readonly sink: FrameSink) {}

  /** Feeds the next chunk of the stream. */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    if (this.skipping > 0) {
      const n = Math.min(this.skipping, chunk.length);
      this.skipping -= n;
      chunk = chunk.subarray(n);
    }
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return;
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const offset = this.split(buf);
    if (this.stopped) return;
    const rest = buf.subarray(offset);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }

  /** Splits whole frames off `buf`; returns the offset of the first byte not consumed. */
  private split(buf: Buffer): number {
    let offset = 0;
    this.needed = FRAME_HEADER_BYTES;
    while (buf.length - offset >= FRAME_HEADER_BYTES) {
      const length = buf.readUInt32BE(offset);
      if (length > this.sink.limit()) {
        offset += FRAME_HEADER_BYTES;
        if (!this.sink.oversized(length)) return this.stop();
        const available = buf.length - offset;
        if (available >= length) {
          offset += length;
          continue;
        }
        this.skipping = length - available;
        return buf.length;
      }
      if (buf.length - offset - FRAME_HEADER_BYTES < length) {
        this.needed = FRAME_HEADER_BYTES + length;
        break;
      }
      const body = buf.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length);
      offset += FRAME_HEADER_BYTES + length;
      if (!this.sink.frame(body)) return this.stop();
    }
    return offset;
  }

  private stop(): number {
    this.stopped = true;
    this.chunks = [];
    this.buffered = 0;
    return 0;
  }
}
