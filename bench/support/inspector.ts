// A bench's look inside another Node process (the worker) over the V8 inspector protocol: a forced
// GC and the live heap after it, objects of a class (Runtime.queryObjects), heap snapshots. The
// process is started with `--inspect-port=127.0.0.1:<port>` (NODE_OPTIONS) and the inspector is
// opened with SIGUSR1 when the bench attaches, so it listens only on loopback and only then.
// A minimal WebSocket client (text frames, the one message at a time the inspector sends):
// Node 20 has no WebSocket of its own and the bench needs no dependency for it.
import { randomBytes } from 'crypto';
import { createWriteStream } from 'fs';
import { request } from 'http';
import { Socket } from 'net';

type Pending = { resolve: (v: any) => void; reject: (e: Error) => void };

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, (params: any) => void>();
  private buffer: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('inspector connection closed'));
      this.pending.clear();
    });
  }

  /** Opens the inspector of `pid` (SIGUSR1) on its --inspect-port and connects to its first target. */
  static async attach(pid: number, port: number, timeoutMs = 10_000): Promise<Inspector> {
    process.kill(pid, 'SIGUSR1');
    const deadline = Date.now() + timeoutMs;
    let url: string | null = null;
    while (!url) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/json/list`);
        const targets = (await res.json()) as { webSocketDebuggerUrl?: string }[];
        url = targets[0]?.webSocketDebuggerUrl ?? null;
      } catch {
        // not listening yet
      }
      if (!url) {
        if (Date.now() > deadline) throw new Error(`process ${pid}: no inspector on 127.0.0.1:${port} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const { pathname } = new URL(url);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path: pathname,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') },
      });
      req.on('upgrade', (_res, s: Socket, head: Buffer) => {
        if (head.length) s.unshift(head);
        resolve(s);
      });
      req.on('response', (res) => reject(new Error(`inspector refused the WebSocket: HTTP ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    return new Inspector(socket);
  }

  /** One protocol command; resolves with its result. */
  send<T = any>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    const payload = Buffer.from(JSON.stringify({ id, method, params }));
    // A client frame: FIN + text, masked, 7/16/64-bit length.
    const len = payload.length;
    const header = len < 126 ? Buffer.from([0x81, 0x80 | len]) : len < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
    if (len >= 126 && len < 65_536) {
      header[0] = 0x81;
      header[1] = 0x80 | 126;
      header.writeUInt16BE(len, 2);
    } else if (len >= 65_536) {
      header[0] = 0x81;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(len), 2);
    }
    const mask = randomBytes(4);
    for (let i = 0; i < len; i++) payload[i] ^= mask[i & 3];
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(Buffer.concat([header, mask, payload]));
    });
  }

  on(method: string, listener: (params: any) => void): void {
    this.listeners.set(method, listener);
  }

  /** A full GC (twice: what the first frees may hold more), then the heap V8 reports in use: live objects only. */
  async liveHeapBytes(): Promise<{ usedBytes: number; totalBytes: number }> {
    await this.send('HeapProfiler.collectGarbage');
    await this.send('HeapProfiler.collectGarbage');
    const { usedSize, totalSize } = await this.send<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage');
    return { usedBytes: usedSize, totalBytes: totalSize };
  }

  /**
   * Every live instance of the class `exportName` exported by the module at `modulePath` (as the
   * process loaded it), mapped by `fn` (a function source taking the instances' array), by value.
   */
  async mapInstances<T>(modulePath: string, exportName: string, fn: string): Promise<T> {
    const group = 'bench';
    try {
      const proto = await this.send('Runtime.evaluate', {
        expression: `process.mainModule.require(${JSON.stringify(modulePath)})[${JSON.stringify(exportName)}].prototype`,
        objectGroup: group,
      });
      if (proto.exceptionDetails) throw new Error(`cannot reach ${exportName}: ${JSON.stringify(proto.exceptionDetails).slice(0, 300)}`);
      const { objects } = await this.send('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId, objectGroup: group });
      const r = await this.send('Runtime.callFunctionOn', { objectId: objects.objectId, functionDeclaration: fn, returnByValue: true, objectGroup: group });
      if (r.exceptionDetails) throw new Error(`mapping ${exportName}: ${JSON.stringify(r.exceptionDetails).slice(0, 300)}`);
      return r.result.value as T;
    } finally {
      await this.send('Runtime.releaseObjectGroup', { objectGroup: group }).catch(() => undefined);
    }
  }

  /** Writes a heap snapshot (it forces a GC first) to `path`; returns its size in bytes. */
  async heapSnapshot(path: string): Promise<number> {
    const out = createWriteStream(path);
    let bytes = 0;
    this.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }: { chunk: string }) => {
      bytes += Buffer.byteLength(chunk);
      out.write(chunk);
    });
    try {
      await this.send('HeapProfiler.enable');
      await this.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      await this.send('HeapProfiler.disable');
    } finally {
      this.listeners.delete('HeapProfiler.addHeapSnapshotChunk');
      await new Promise<void>((resolve) => out.end(resolve));
    }
    return bytes;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, d]) : d;
    for (;;) {
      if (this.buffer.length < 2) return;
      const fin = (this.buffer[0] & 0x80) !== 0;
      const opcode = this.buffer[0] & 0x0f;
      const masked = (this.buffer[1] & 0x80) !== 0;
      let len = this.buffer[1] & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (this.buffer.length < 4) return;
        len = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (this.buffer.length < 10) return;
        len = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      const maskKey = masked ? this.buffer.subarray(offset, offset + 4) : null;
      if (masked) offset += 4;
      if (this.buffer.length < offset + len) return;
      const payload = Buffer.from(this.buffer.subarray(offset, offset + len));
      if (maskKey) for (let i = 0; i < len; i++) payload[i] ^= maskKey[i & 3];
      this.buffer = this.buffer.subarray(offset + len);
      if (opcode === 0x8) {
        this.socket.end();
        return;
      }
      if (opcode === 0x9 || opcode === 0xa) continue; // ping / pong: the inspector sends none
      this.fragments.push(payload);
      if (!fin) continue;
      const text = Buffer.concat(this.fragments).toString('utf8');
      this.fragments = [];
      this.onMessage(JSON.parse(text));
    }
  }

  private onMessage(m: { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message: string } }): void {
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error.message));
      else p?.resolve(m.result);
    } else if (m.method) {
      this.listeners.get(m.method)?.(m.params);
    }
  }
}
