// One socket to charon: frames in and out, events routed apart from replies. No queueing or
// reconnecting here (that is ViciSession's job); this class only knows one exchange at a time.
import * as net from 'net';
import { CodecOptions, encodeFrame, PacketType, ViciPacket } from './codec';
import { ViciConnectionError, ViciError, ViciProtocolError } from './errors';
import { FrameReader } from './frame-reader';
import type { ViciSection } from './message';

export interface ConnectionHandlers {
  /** An EVENT packet nobody tapped. */
  onEvent(name: string, message: ViciSection): void;
  /** Called exactly once when the connection is gone, with the reason. */
  onClose(reason: ViciError): void;
}

/** Returns true when the event was consumed (a streamed command collecting its events). */
export type EventTap = (name: string, message: ViciSection) => boolean;

export class ViciConnection {
  /** Set by a streamed command while it collects its events. */
  tap: EventTap | undefined;
  /** Events registered on this very socket (registrations die with it). */
  readonly registered = new Set<string>();

  private readonly reader: FrameReader;
  private waiter: { resolve(p: ViciPacket): void; reject(e: ViciError): void } | undefined;
  private closeReason: ViciError | undefined;
  private notified = false; // onClose fires once, whichever of destroy/end/'close' comes first
  private readonly closed: Promise<void>;

  private constructor(
    private readonly socket: net.Socket,
    private readonly codec: CodecOptions,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.reader = new FrameReader(codec);
    let markClosed!: () => void;
    this.closed = new Promise((resolve) => (markClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      this.closeReason ??= new ViciConnectionError(`VICI socket error: ${err.message}`, err);
    });
    socket.on('close', () => {
      this.finish(this.closeReason ?? new ViciConnectionError('VICI connection closed by charon'));
      markClosed();
    });
  }

  /** Connects to a unix socket; rejects with ViciConnectionError. */
  static open(socketPath: string, codec: CodecOptions, handlers: ConnectionHandlers): Promise<ViciConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ path: socketPath });
      const onError = (err: Error): void => {
        socket.destroy();
        reject(new ViciConnectionError(`cannot connect to VICI socket ${socketPath}: ${err.message}`, err));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new ViciConnection(socket, codec, handlers));
      });
    });
  }

  get alive(): boolean {
    return this.closeReason === undefined;
  }

  /** Sends a packet (or a pre-encoded frame) and resolves with the next non-EVENT packet. */
  exchange(packet: ViciPacket | Buffer): Promise<ViciPacket> {
    if (this.closeReason) return Promise.reject(this.closeReason);
    if (this.waiter) return Promise.reject(new ViciProtocolError('unexpected_packet', 'an exchange is already in flight'));
    const frame = Buffer.isBuffer(packet) ? packet : encodeFrame(packet, this.codec);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.socket.write(frame);
    });
  }

  /** Drops the connection; the pending exchange (if any) rejects with `reason`. */
  destroy(reason: ViciError): void {
    this.closeReason ??= reason;
    this.socket.destroy();
    this.finish(this.closeReason);
  }

  /** Graceful close: FIN, wait for charon to close its side (or destroy after `graceMs`). */
  async end(reason: ViciError, graceMs = 1000): Promise<void> {
    this.closeReason ??= reason;
    this.finish(this.closeReason);
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), graceMs);
    await this.closed;
    clearTimeout(timer);
  }

  private onData(chunk: Buffer): void {
    try {
      for (const packet of this.reader.feed(chunk)) {
        if (!this.alive) return;
        this.dispatch(packet);
      }
    } catch (err) {
      this.destroy(err instanceof ViciError ? err : new ViciProtocolError('unexpected_packet', String(err)));
    }
  }

  private dispatch(packet: ViciPacket): void {
    if (packet.type === PacketType.EVENT) {
      if (this.tap?.(packet.name, packet.message)) return;
      this.handlers.onEvent(packet.name, packet.message);
      return;
    }
    const waiter = this.waiter;
    if (!waiter) {
      // no request ids in VICI: a reply nobody asked for means we are out of step with charon
      this.destroy(new ViciProtocolError('unexpected_packet', `unsolicited packet of type ${packet.type}`));
      return;
    }
    this.waiter = undefined;
    waiter.resolve(packet);
  }

  private finish(reason: ViciError): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    this.tap = undefined;
    if (waiter) waiter.reject(reason);
    if (!this.notified) {
      this.notified = true;
      this.handlers.onClose(reason);
    }
  }
}
