// Property and fuzz tests: the codec must round-trip everything valid and, for any input at
// all, produce packets or a ViciProtocolError, never another exception, never loop forever.
import fc from 'fast-check';
import { decodeMessage, decodePacket, encodeFrame, encodeMessage, encodePacket, PacketType, ViciPacket } from './codec';
import { ViciProtocolError } from './errors';
import { FrameReader } from './frame-reader';
import type { ViciSection } from './message';

// VICI_FUZZ_SCALE=10 for a longer soak run; the default keeps the unit tier fast
const SCALE = Number(process.env.VICI_FUZZ_SCALE ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));

const nameArb = fc.string({ unit: 'binary-ascii', maxLength: 12 });
const longNameArb = fc.oneof({ weight: 9, arbitrary: nameArb }, { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 250, maxLength: 255 }) });
const valueArb = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1000, maxLength: 3000 }) },
);

const sectionArb: fc.Arbitrary<ViciSection> = fc.letrec<{ section: ViciSection }>((tie) => ({
  section: fc.dictionary(longNameArb, fc.oneof({ depthSize: 'small', withCrossShrink: true }, valueArb, fc.array(valueArb, { maxLength: 5 }), tie('section')), {
    maxKeys: 6,
    noNullPrototype: true,
  }),
})).section;

const packetArb: fc.Arbitrary<ViciPacket> = fc.oneof(
  fc.record({ type: fc.constant(PacketType.CMD_REQUEST), name: nameArb, message: sectionArb }),
  fc.record({ type: fc.constant(PacketType.CMD_RESPONSE), message: sectionArb }),
  fc.constant({ type: PacketType.CMD_UNKNOWN }),
  fc.record({ type: fc.constant(PacketType.EVENT_REGISTER), name: nameArb }),
  fc.record({ type: fc.constant(PacketType.EVENT_UNREGISTER), name: nameArb }),
  fc.constant({ type: PacketType.EVENT_CONFIRM }),
  fc.constant({ type: PacketType.EVENT_UNKNOWN }),
  fc.record({ type: fc.constant(PacketType.EVENT), name: nameArb, message: sectionArb }),
) as fc.Arbitrary<ViciPacket>;

/** Random element tokens: mostly well-formed pieces in a random (often invalid) order. */
const tokenArb = fc.oneof(
  nameArb.map((n) => Buffer.concat([Buffer.of(1, n.length), Buffer.from(n, 'latin1')])),
  fc.constant(Buffer.of(2)),
  fc
    .tuple(nameArb, fc.uint8Array({ maxLength: 8 }))
    .map(([n, v]) => Buffer.concat([Buffer.of(3, n.length), Buffer.from(n, 'latin1'), Buffer.of(0, v.length), Buffer.from(v)])),
  nameArb.map((n) => Buffer.concat([Buffer.of(4, n.length), Buffer.from(n, 'latin1')])),
  fc.uint8Array({ maxLength: 8 }).map((v) => Buffer.concat([Buffer.of(5, 0, v.length), Buffer.from(v)])),
  fc.constant(Buffer.of(6)),
  fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => Buffer.from(b)), // junk
);

function hasIndexKey(section: ViciSection): boolean {
  return Object.entries(section).some(([k, v]) => /^(0|[1-9]\d*)$/.test(k) || (typeof v === 'object' && !Array.isArray(v) && hasIndexKey(v)));
}

/** Runs `fn`; returns the error code, or 'ok'. Any non-protocol exception fails the property. */
function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof ViciProtocolError) return err.code;
    throw err;
  }
}

/** Splits `bytes` at the given (sorted, deduplicated) cut points. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

/** Feeds chunks to a fresh reader; returns the packets and how it ended. Bounded by input size. */
function readAll(chunks: Buffer[]): { packets: ViciPacket[]; end: string } {
  const reader = new FrameReader({ encoding: 'latin1' });
  const packets: ViciPacket[] = [];
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const end = outcome(() => {
    for (const chunk of chunks) {
      for (const p of reader.feed(chunk)) {
        packets.push(p);
        // every frame takes at least 5 bytes: more packets than that means we are looping
        if (packets.length * 5 > total) throw new Error('reader produced more packets than bytes allow');
      }
    }
    reader.end();
  });
  return { packets, end };
}

describe('codec properties', () => {
  it('(a) decode(encode(m)) === m for arbitrary valid messages', () => {
    fc.assert(
      fc.property(sectionArb, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
      { numRuns: runs(300) },
    );
  });

  it('(a) decode(encode(p)) === p for arbitrary packets, framed and streamed', () => {
    fc.assert(
      fc.property(fc.array(packetArb, { maxLength: 4 }), fc.array(fc.nat(), { maxLength: 6 }), (ps, cuts) => {
        const stream = Buffer.concat(ps.map((p) => encodeFrame(p)));
        const { packets, end } = readAll(split(stream, cuts));
        expect(end).toBe('ok');
        // read back binary-safe (latin1), re-encoding must reproduce the stream byte for byte
        expect(Buffer.concat(packets.map((p) => encodeFrame(p, { encoding: 'latin1' }))).equals(stream)).toBe(true);
        expect(ps.map((p) => decodePacket(encodePacket(p)))).toEqual(ps);
      }),
      { numRuns: runs(200) },
    );
  });

  it('(a) encode(decode(bytes)) === bytes for every byte string the decoder accepts (latin1, up to JS key order)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(tokenArb, { maxLength: 12 }), (tokens) => {
        const bytes = Buffer.concat(tokens);
        let decoded: ViciSection | undefined;
        const result = outcome(() => (decoded = decodeMessage(bytes, { encoding: 'latin1' })));
        if (result === 'ok' && decoded) {
          accepted++;
          const again = encodeMessage(decoded, { encoding: 'latin1' });
          expect(decodeMessage(again, { encoding: 'latin1' })).toEqual(decoded);
          // JS objects list integer-like keys ("0", "17") first, so only then can the order change
          if (!hasIndexKey(decoded)) expect(again.equals(bytes)).toBe(true);
        }
      }),
      { numRuns: runs(2000) },
    );
    expect(accepted).toBeGreaterThan(20); // the generator must exercise the success path too
  });
});

describe('decoder fuzzing', () => {
  it('(b) arbitrary bytes as a packet payload: a packet or a ViciProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom<'utf8' | 'latin1'>('utf8', 'latin1'), (bytes, encoding) => {
        outcome(() => decodePacket(Buffer.from(bytes), { encoding }));
      }),
      { numRuns: runs(3000) },
    );
  });

  it('(b) arbitrary bytes through the frame reader, in arbitrary chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        readAll(split(Buffer.from(bytes), cuts));
      }),
      { numRuns: runs(2000) },
    );
  });

  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
  );
  type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

  function mutate(bytes: Buffer, ms: Mutation[]): Buffer {
    let out = Buffer.from(bytes);
    for (const m of ms) {
      if (out.length === 0) break;
      const at = m.at % out.length;
      if (m.kind === 'flip') out[at] ^= 1 << m.bit;
      else if (m.kind === 'set') out[at] = m.byte;
      else if (m.kind === 'cut') out = out.subarray(0, at);
      else out = Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes), out.subarray(at)]);
    }
    return out;
  }

  it('(b) mutated valid frames: packets or a ViciProtocolError, the same for any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(packetArb, { minLength: 1, maxLength: 3 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (ps, ms, cuts) => {
          const stream = mutate(Buffer.concat(ps.map((p) => encodeFrame(p))), ms);
          const whole = readAll([stream]);
          const chunked = readAll(split(stream, cuts));
          expect(chunked.end).toBe(whole.end);
          expect(chunked.packets).toEqual(whole.packets);
        },
      ),
      { numRuns: runs(1500) },
    );
  });

  it('(b) mutated payloads straight into decodePacket', () => {
    fc.assert(
      fc.property(packetArb, fc.array(mutation, { minLength: 1, maxLength: 3 }), (p, ms) => {
        outcome(() => decodePacket(mutate(encodePacket(p), ms)));
      }),
      { numRuns: runs(2000) },
    );
  });
});
