// Streaming reassembly of VICI frames (4-byte big-endian length + payload) from socket chunks.
import { CodecOptions, decodePacket, MAX_PAYLOAD, ViciPacket } from './codec';
import { ViciProtocolError } from './errors';

export interface FrameReaderOptions extends CodecOptions {
  /** Largest accepted payload; defaults to charon's 512 KiB. */
  maxPayload?: number;
}

/**
 * Accepts arbitrary chunks and hands out complete packets. After the first protocol error the
 * reader is poisoned and rethrows it: without request ids a garbled stream cannot be resynced,
 * so the owner must drop the connection.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1; // payload length of the frame being assembled, -1 before its header
  private failure: ViciProtocolError | undefined;
  private readonly maxPayload: number;

  constructor(private readonly options: FrameReaderOptions = {}) {
    this.maxPayload = Math.min(options.maxPayload ?? MAX_PAYLOAD, MAX_PAYLOAD);
  }

  /** Bytes received but not yet handed out as packets. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return;
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.buffered += chunk.length;
  }

  /** The next complete payload, or undefined until more bytes arrive. */
  nextFrame(): Buffer | undefined {
    if (this.failure) throw this.failure;
    if (this.expected < 0) {
      if (this.buffered < 4) return undefined;
      if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
      const length = this.chunks[0].readUInt32BE(0);
      // checked on the header alone, before buffering a body that may never be accepted
      if (length === 0) this.fail(new ViciProtocolError('empty_packet', 'frame with a zero length header'));
      if (length > this.maxPayload) {
        this.fail(new ViciProtocolError('oversized', `frame announces ${length} bytes, max ${this.maxPayload}`));
      }
      this.expected = length;
    }
    const total = 4 + this.expected;
    if (this.buffered < total) return undefined;
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    const frame = all.subarray(4, total);
    const rest = all.subarray(total);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.expected = -1;
    return frame;
  }

  /** The next decoded packet, or undefined until more bytes arrive. Throws ViciProtocolError. */
  next(): ViciPacket | undefined {
    const frame = this.nextFrame();
    if (!frame) return undefined;
    try {
      return decodePacket(frame, this.options);
    } catch (err) {
      if (err instanceof ViciProtocolError) this.fail(err);
      throw err;
    }
  }

  /** push() then yield every packet that became complete. */
  *feed(chunk: Uint8Array): Generator<ViciPacket, void, undefined> {
    this.push(chunk);
    for (let packet = this.next(); packet; packet = this.next()) yield packet;
  }

  /** Call at end of stream: leftover bytes mean the peer stopped mid-frame. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.buffered > 0) {
      this.fail(new ViciProtocolError('truncated', `stream ended inside a frame (${this.buffered} bytes pending)`));
    }
  }

  private fail(err: ViciProtocolError): never {
    this.failure = err;
    throw err;
  }
}
