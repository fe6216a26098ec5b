import { encodeFrame, MAX_PAYLOAD, PacketType, ViciPacket } from './codec';
import { ViciProtocolError } from './errors';
import { FrameReader } from './frame-reader';

const packets: ViciPacket[] = [
  { type: PacketType.EVENT, name: 'list-sa', message: { site: { state: 'ESTABLISHED', 'child-sas': { 'net-1': { 'local-ts': ['198.51.100.0/26'] } } } } },
  { type: PacketType.EVENT_CONFIRM },
  { type: PacketType.CMD_RESPONSE, message: { success: 'yes' } },
];
const stream = Buffer.concat(packets.map((p) => encodeFrame(p)));

const header = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
};

function drain(reader: FrameReader, chunks: Buffer[]): ViciPacket[] {
  const out: ViciPacket[] = [];
  for (const chunk of chunks) out.push(...reader.feed(chunk));
  return out;
}

function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ViciProtocolError) return err.code;
    throw err;
  }
  throw new Error('nothing thrown');
}

describe('FrameReader', () => {
  it('yields every packet when the stream is split at every byte boundary', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const reader = new FrameReader();
      const got = drain(reader, [stream.subarray(0, cut), stream.subarray(cut)]);
      expect(got).toEqual(packets);
      expect(reader.pendingBytes).toBe(0);
    }
  });

  it('yields every packet when fed one byte at a time', () => {
    const reader = new FrameReader();
    const chunks = Array.from(stream, (b) => Buffer.of(b));
    expect(drain(reader, chunks)).toEqual(packets);
  });

  it('yields several frames from one chunk, and keeps the partial rest', () => {
    const reader = new FrameReader();
    const extra = encodeFrame({ type: PacketType.CMD_UNKNOWN });
    const got = drain(reader, [Buffer.concat([stream, extra.subarray(0, 3)])]);
    expect(got).toEqual(packets);
    expect(reader.pendingBytes).toBe(3);
    expect([...reader.feed(extra.subarray(3))]).toEqual([{ type: PacketType.CMD_UNKNOWN }]);
  });

  it('accepts Uint8Array chunks that are views into a larger buffer', () => {
    const backing = new Uint8Array(stream.length + 10);
    backing.set(stream, 5);
    const view = new Uint8Array(backing.buffer, 5, stream.length);
    expect(drain(new FrameReader(), [Buffer.from(view)])).toEqual(packets);
    expect([...new FrameReader().feed(view)]).toEqual(packets);
  });

  it('rejects an oversized frame as soon as the length header is read', () => {
    const reader = new FrameReader();
    expect([...reader.feed(header(MAX_PAYLOAD + 1).subarray(0, 3))]).toEqual([]);
    expect(errorCode(() => [...reader.feed(header(MAX_PAYLOAD + 1).subarray(3))])).toBe('oversized');
  });

  it('accepts a frame announcing exactly MAX_PAYLOAD bytes (waits for it)', () => {
    const reader = new FrameReader();
    expect([...reader.feed(Buffer.concat([header(MAX_PAYLOAD), Buffer.of(1)]))]).toEqual([]);
    expect(reader.pendingBytes).toBe(5);
  });

  it('honours a smaller maxPayload', () => {
    const reader = new FrameReader({ maxPayload: 16 });
    expect(errorCode(() => [...reader.feed(header(17))])).toBe('oversized');
  });

  it('rejects a zero-length frame', () => {
    expect(errorCode(() => [...new FrameReader().feed(header(0))])).toBe('empty_packet');
  });

  it('reports a stream that ends inside a frame as truncated', () => {
    const reader = new FrameReader();
    expect([...reader.feed(stream.subarray(0, stream.length - 1))]).toHaveLength(packets.length - 1);
    expect(errorCode(() => reader.end())).toBe('truncated');
    const clean = new FrameReader();
    drain(clean, [stream]);
    expect(() => clean.end()).not.toThrow();
  });

  it('stays poisoned after a malformed frame: the stream cannot be resynced', () => {
    const reader = new FrameReader();
    const bad = Buffer.concat([header(1), Buffer.of(9)]);
    const first = errorCode(() => [...reader.feed(Buffer.concat([bad, stream]))]);
    expect(first).toBe('unknown_packet');
    expect(errorCode(() => reader.push(stream))).toBe('unknown_packet');
    expect(errorCode(() => reader.next())).toBe('unknown_packet');
  });

  it('hands out packets decoded before a malformed frame in the same chunk', () => {
    const reader = new FrameReader();
    reader.push(Buffer.concat([stream, header(1), Buffer.of(42)]));
    const got: ViciPacket[] = [];
    expect(
      errorCode(() => {
        for (let p = reader.next(); p; p = reader.next()) got.push(p);
      }),
    ).toBe('unknown_packet');
    expect(got).toEqual(packets);
  });
});
