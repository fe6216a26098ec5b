// A minimal VICI client for one question: "does this charon answer?" (the `version` command).
// It keeps the host runtime independent of the full VICI session in src/vici.
import { connect } from 'node:net';

const CMD_REQUEST = 0;
const CMD_RESPONSE = 1;
const KEY_VALUE = 3;

export function encodeCommand(name: string): Buffer {
  const n = Buffer.from(name, 'ascii');
  const payload = Buffer.concat([Buffer.from([CMD_REQUEST, n.length]), n]);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

// Reads the top-level key/values of a CMD_RESPONSE payload (enough for `version`).
export function decodeFlatResponse(payload: Buffer): Record<string, string> {
  if (payload[0] !== CMD_RESPONSE) throw new Error(`unexpected VICI packet type ${payload[0]}`);
  const out: Record<string, string> = {};
  let i = 1;
  while (i < payload.length) {
    const type = payload[i++];
    if (type !== KEY_VALUE) break; // sections/lists are not needed here
    const nameLen = payload[i++];
    const name = payload.subarray(i, i + nameLen).toString('ascii');
    i += nameLen;
    const valueLen = payload.readUInt16BE(i);
    i += 2;
    out[name] = payload.subarray(i, i + valueLen).toString('utf8');
    i += valueLen;
  }
  return out;
}

// Sends `version` and resolves with charon's answer (daemon, version, sysname, ...).
export function viciVersion(socketPath: string, timeoutMs = 2000): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`VICI ${socketPath}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | null, value?: Record<string, string>) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    socket.on('connect', () => socket.write(encodeCommand('version')));
    socket.on('error', (e) => finish(e));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < 4) return;
      const len = buffer.readUInt32BE(0);
      if (buffer.length < 4 + len) return;
      try {
        finish(null, decodeFlatResponse(buffer.subarray(4, 4 + len)));
      } catch (e) {
        finish(e as Error);
      }
    });
  });
}
