import { ikev1Probe, ikev2Probe } from './ike-probe';

// Walks an IKE message's payload chain by each payload's own length: every length must add up.
function payloadChain(m: Buffer): number[] {
  const types: number[] = [];
  let next = m.readUInt8(16);
  let at = 28;
  while (next !== 0) {
    types.push(next);
    next = m.readUInt8(at);
    at += m.readUInt16BE(at + 2);
  }
  expect(at).toBe(m.length);
  return types;
}

describe('IKE probes', () => {
  it('IKEv2 IKE_SA_INIT: header, SA/KE/Nonce chain, lengths that add up, a KE value below the MODP-2048 prime', () => {
    const m = ikev2Probe();
    expect(m.readUInt32BE(24)).toBe(m.length);
    expect([m.readUInt8(17), m.readUInt8(18), m.readUInt8(19)]).toEqual([0x20, 34, 0x08]); // v2.0, IKE_SA_INIT, initiator
    expect(m.subarray(8, 16).equals(Buffer.alloc(8))).toBe(true); // responder SPI zero
    expect(payloadChain(m)).toEqual([33, 34, 40]); // SA, KE, Nonce
    const ke = 28 + m.readUInt16BE(30); // after the SA payload
    expect(m.readUInt16BE(ke + 4)).toBe(14);
    expect(m.readUInt16BE(ke + 2)).toBe(8 + 256);
    expect(m[ke + 8]).toBeLessThan(0x80);
    // A fresh SPI per probe: two probes are two IKE_SAs to the peer, never a retransmission.
    expect(ikev2Probe().subarray(0, 8).equals(m.subarray(0, 8))).toBe(false);
  });

  it('IKEv1 Main Mode message 1: one SA payload whose lengths add up', () => {
    const m = ikev1Probe();
    expect(m.readUInt32BE(24)).toBe(m.length);
    expect([m.readUInt8(17), m.readUInt8(18)]).toEqual([0x10, 2]); // v1.0, Identity Protection
    expect(payloadChain(m)).toEqual([1]);
  });
});
