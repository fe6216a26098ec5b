// "Does the peer answer IKE?": one first-exchange packet to UDP 500 (and, with the 4-byte non-ESP
// marker, to 4500) and a wait for any answer. Any IKE reply counts, a refusal included
// (NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD): it proves a daemon listens and the path is open.
// Run from the gateway's namespace (the tunnel's own path) by the worker's diagnose job:
//   ip netns exec <namespace> node dist/src/negotiation/host/ike-probe.js <address> <v1|v2>
// prints {"udp500": "answered"|"silent"|"unreachable", "udp4500": ...}.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { ProbeResult } from '../../jobs/job-catalogue';

function transform(type: number, id: number, last: boolean, attrs: Buffer = Buffer.alloc(0)): Buffer {
  const t = Buffer.alloc(8);
  t.writeUInt8(last ? 0 : 3, 0);
  t.writeUInt16BE(8 + attrs.length, 2);
  t.writeUInt8(type, 4);
  t.writeUInt16BE(id, 6);
  return Buffer.concat([t, attrs]);
}

function payload(next: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt8(next, 0);
  h.writeUInt16BE(4 + body.length, 2);
  return Buffer.concat([h, body]);
}

/** IKEv2 IKE_SA_INIT: AES-CBC-128 / HMAC-SHA1 / MODP-2048, a KE value below the prime, a nonce. */
export function ikev2Probe(): Buffer {
  const transforms = Buffer.concat([
    transform(1, 12, false, Buffer.from([0x80, 0x0e, 0x00, 0x80])), // ENCR_AES_CBC, key length 128
    transform(2, 2, false), // PRF_HMAC_SHA1
    transform(3, 2, false), // AUTH_HMAC_SHA1_96
    transform(4, 14, true), // MODP 2048
  ]);
  const proposal = Buffer.alloc(8);
  proposal.writeUInt16BE(8 + transforms.length, 2);
  proposal.writeUInt8(1, 4); // proposal 1
  proposal.writeUInt8(1, 5); // protocol IKE
  proposal.writeUInt8(4, 7); // four transforms
  const sa = payload(34, Buffer.concat([proposal, transforms]));
  const keyData = randomBytes(256);
  keyData[0] &= 0x7f; // below MODP-2048's prime (it starts with 0xFF): a value charon accepts
  const ke = payload(40, Buffer.concat([Buffer.from([0x00, 0x0e, 0x00, 0x00]), keyData]));
  const nonce = payload(0, randomBytes(32));
  return header(33, 0x20, 34, 0x08, Buffer.concat([sa, ke, nonce]));
}

/** IKEv1 Main Mode message 1: one ISAKMP proposal (AES-128, SHA1, PSK, MODP-2048). */
export function ikev1Probe(): Buffer {
  const attr = (type: number, value: number) => Buffer.from([0x80, type, value >> 8, value & 0xff]);
  const attrs = Buffer.concat([attr(1, 7), attr(14, 128), attr(2, 2), attr(3, 1), attr(4, 14)]);
  const t = Buffer.alloc(8);
  t.writeUInt16BE(8 + attrs.length, 2);
  t.writeUInt8(1, 4); // transform 1
  t.writeUInt8(1, 5); // KEY_IKE
  const transformPayload = Buffer.concat([t, attrs]);
  const proposal = Buffer.alloc(8);
  proposal.writeUInt16BE(8 + transformPayload.length, 2);
  proposal.writeUInt8(1, 4); // proposal 1
  proposal.writeUInt8(1, 5); // PROTO_ISAKMP
  proposal.writeUInt8(1, 7); // one transform
  const doi = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1]); // IPsec DOI, SIT_IDENTITY_ONLY
  return header(1, 0x10, 2, 0, payload(0, Buffer.concat([doi, proposal, transformPayload])));
}

function header(next: number, version: number, exchange: number, flags: number, body: Buffer): Buffer {
  const h = Buffer.alloc(28);
  randomBytes(8).copy(h, 0); // initiator SPI / cookie
  h.writeUInt8(next, 16);
  h.writeUInt8(version, 17);
  h.writeUInt8(exchange, 18);
  h.writeUInt8(flags, 19);
  h.writeUInt32BE(28 + body.length, 24);
  return Buffer.concat([h, body]);
}

/** Sends the probe to address:port and waits up to timeoutMs for any datagram back. */
export function probeIke(address: string, port: 500 | 4500, version: 'v1' | 'v2', timeoutMs = 3000): Promise<ProbeResult> {
  const packet = version === 'v1' ? ikev1Probe() : ikev2Probe();
  // On 4500 every IKE message starts with the 4-byte non-ESP marker.
  const datagram = port === 4500 ? Buffer.concat([Buffer.alloc(4), packet]) : packet;
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    let done = false;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish('silent'), timeoutMs);
    socket.on('message', () => finish('answered'));
    // A connected UDP socket reports an ICMP port unreachable as ECONNREFUSED.
    socket.on('error', (e: NodeJS.ErrnoException) =>
      finish(e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' ? 'unreachable' : 'silent'),
    );
    socket.connect(port, address, () => socket.send(datagram, (err) => err && finish('unreachable')));
  });
}

if (require.main === module) {
  const [address, version] = process.argv.slice(2);
  if (!address || (version !== 'v1' && version !== 'v2')) {
    process.stderr.write('usage: ike-probe <address> <v1|v2>\n');
    process.exit(2);
  }
  void Promise.all([probeIke(address, 500, version), probeIke(address, 4500, version)]).then(([udp500, udp4500]) => {
    process.stdout.write(`${JSON.stringify({ udp500, udp4500 })}\n`);
  });
}
