// A scriptable fake of charon's VICI socket for unit tests (ours and the workers'): a unix
// socket server that decodes real frames and answers like charon unless a test overrides it.
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { encodeFrame, PacketType, ViciPacket } from '../codec';
import { FrameReader } from '../frame-reader';
import type { ViciSection } from '../message';

export class FakeClient {
  readonly registered = new Set<string>();
  readonly received: ViciPacket[] = [];

  constructor(readonly socket: net.Socket) {}

  send(packet: ViciPacket): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(packet));
  }

  event(name: string, message: ViciSection): void {
    this.send({ type: PacketType.EVENT, name, message });
  }

  respond(message: ViciSection = {}): void {
    this.send({ type: PacketType.CMD_RESPONSE, message });
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Answers one CMD_REQUEST; call client.respond()/event() now or later (or never). */
export type CommandHandler = (client: FakeClient, message: ViciSection) => void;

export const DEFAULT_EVENTS = ['ike-updown', 'child-updown', 'control-log', 'list-sa', 'list-conn', 'log'];

export class FakeViciServer {
  readonly clients: FakeClient[] = [];
  /** Every packet received, from any client, in order. */
  readonly received: Array<{ client: number; packet: ViciPacket }> = [];
  readonly commands = new Map<string, CommandHandler>();
  readonly events = new Set(DEFAULT_EVENTS);
  /** Run on EVENT_REGISTER before the EVENT_CONFIRM goes out (to test events racing the confirm). */
  beforeConfirm: ((client: FakeClient, event: string) => void) | undefined;
  private server: net.Server | undefined;

  private constructor(
    readonly dir: string,
    readonly socketPath: string,
  ) {
    this.commands.set('version', (c) => c.respond({ daemon: 'charon', version: '5.9.8', sysname: 'Linux', release: 'test', machine: 'x86_64' }));
  }

  static async start(): Promise<FakeViciServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fakevici-'));
    const fake = new FakeViciServer(dir, path.join(dir, 'charon.vici'));
    await fake.listen();
    return fake;
  }

  /** Names of the CMD_REQUESTs received so far. */
  get requests(): string[] {
    return this.received.flatMap(({ packet }) => (packet.type === PacketType.CMD_REQUEST ? [packet.name] : []));
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  listen(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
  }

  /** Stops listening and drops every client (charon going away). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of this.clients) c.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(this.socketPath, { force: true });
  }

  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Resolves once `count` clients have connected in total. */
  async waitForClients(count: number, timeoutMs = 2000): Promise<FakeClient> {
    const deadline = Date.now() + timeoutMs;
    while (this.clients.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.clients.length} of ${count} clients connected`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.clients[count - 1];
  }

  private accept(socket: net.Socket): void {
    const client = new FakeClient(socket);
    const index = this.clients.push(client) - 1;
    const reader = new FrameReader();
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      try {
        for (const packet of reader.feed(chunk)) {
          client.received.push(packet);
          this.received.push({ client: index, packet });
          this.handle(client, packet);
        }
      } catch {
        socket.destroy(); // like charon: garbage ends the connection
      }
    });
  }

  private handle(client: FakeClient, packet: ViciPacket): void {
    switch (packet.type) {
      case PacketType.CMD_REQUEST: {
        const handler = this.commands.get(packet.name);
        if (handler) handler(client, packet.message);
        else client.send({ type: PacketType.CMD_UNKNOWN });
        return;
      }
      case PacketType.EVENT_REGISTER:
        if (!this.events.has(packet.name)) return client.send({ type: PacketType.EVENT_UNKNOWN });
        client.registered.add(packet.name);
        this.beforeConfirm?.(client, packet.name);
        return client.send({ type: PacketType.EVENT_CONFIRM });
      case PacketType.EVENT_UNREGISTER:
        if (!this.events.has(packet.name)) return client.send({ type: PacketType.EVENT_UNKNOWN });
        client.registered.delete(packet.name);
        return client.send({ type: PacketType.EVENT_CONFIRM });
      default:
        client.destroy();
    }
  }
}
