import { decodeMessage, decodePacket, encodeFrame, encodeMessage, encodePacket, MAX_DEPTH, MAX_PAYLOAD, PacketType, ViciPacket } from './codec';
import { ViciProtocolError } from './errors';
import type { ViciSection } from './message';

// raw element builders, independent of the encoder under test
const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
const name = (n: string | Buffer): Buffer => {
  const b = Buffer.isBuffer(n) ? n : Buffer.from(n, 'latin1');
  return Buffer.concat([Buffer.of(b.length), b]);
};
const value = (v: string | Buffer): Buffer => {
  const b = Buffer.isBuffer(v) ? v : Buffer.from(v);
  return Buffer.concat([u16(b.length), b]);
};
const SS = (n: string): Buffer => Buffer.concat([Buffer.of(1), name(n)]);
const SE = Buffer.of(2);
const KV = (n: string, v: string): Buffer => Buffer.concat([Buffer.of(3), name(n), value(v)]);
const LS = (n: string): Buffer => Buffer.concat([Buffer.of(4), name(n)]);
const LI = (v: string): Buffer => Buffer.concat([Buffer.of(5), value(v)]);
const LE = Buffer.of(6);
const msg = (...parts: Buffer[]): Buffer => Buffer.concat(parts);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ViciProtocolError) return err.code;
    throw err;
  }
  throw new Error('expected a ViciProtocolError, nothing was thrown');
}

describe('message elements', () => {
  it('encodes KEY_VALUE, SECTION and LIST to the exact wire bytes', () => {
    const m: ViciSection = { a: 'b', s: { l: ['x', ''] } };
    const expected = msg(KV('a', 'b'), SS('s'), LS('l'), LI('x'), LI(''), LE, SE);
    expect(encodeMessage(m).equals(expected)).toBe(true);
    expect(decodeMessage(expected)).toEqual(m);
  });

  it.each<[string, ViciSection]>([
    ['empty message', {}],
    ['empty value', { k: '' }],
    ['empty list', { l: [] }],
    ['empty section', { s: {} }],
    ['empty name', { '': 'v' }],
    ['nested sections', { a: { b: { c: { d: 'deep', l: ['1', '2'] } }, e: 'f' }, g: ['h'] }],
    [
      'charon-like load-conn',
      {
        site: {
          version: '2',
          local_addrs: ['192.0.2.1'],
          proposals: ['aes128-sha256-modp2048'],
          local: { auth: 'psk', id: '192.0.2.1' },
          children: { net: { local_ts: ['10.1.0.0/24', '10.3.0.0/24'], start_action: 'none' } },
        },
      },
    ],
    ['utf8 values', { msg: 'déjà vu – 東京 🚀' }],
  ])('round-trips %s', (_label, m) => {
    expect(decodeMessage(encodeMessage(m))).toEqual(m);
  });

  it('keeps key order', () => {
    const m: ViciSection = { z: '1', a: '2', m: { y: '3', b: '4' } };
    const decoded = decodeMessage(encodeMessage(m));
    expect(Object.keys(decoded)).toEqual(['z', 'a', 'm']);
    expect(Object.keys(decoded.m as ViciSection)).toEqual(['y', 'b']);
  });

  it('cannot keep the order of integer-like keys (JS objects list them first): known model limit', () => {
    const decoded = decodeMessage(msg(KV('b', '1'), KV('10', '2'), KV('2', '3')));
    expect(Object.keys(decoded)).toEqual(['2', '10', 'b']);
    expect(decoded).toEqual({ b: '1', 10: '2', 2: '3' }); // nothing is lost, only reordered
  });

  it('handles 255-byte names and 65535-byte values at the limit', () => {
    const longName = 'n'.repeat(255);
    const longValue = 'v'.repeat(65535);
    const m: ViciSection = { [longName]: longValue, l: [longValue], [`s${'x'.repeat(254)}`]: { k: '' } };
    const bytes = encodeMessage(m);
    expect(bytes[1]).toBe(255); // name length byte
    expect(decodeMessage(bytes)).toEqual(m);
  });

  it('is binary-safe with latin1 values', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const wire = KV('bin', all.toString('latin1'));
    const raw = msg(Buffer.of(3), name('bin'), value(all));
    const decoded = decodeMessage(raw, { encoding: 'latin1' });
    expect(Buffer.from(decoded.bin as string, 'latin1').equals(all)).toBe(true);
    expect(encodeMessage(decoded, { encoding: 'latin1' }).equals(raw)).toBe(true);
    expect(wire.length).toBeGreaterThan(raw.length); // utf8 re-encoding of the same string would differ
  });

  it('decodes "__proto__" as a plain own key without touching prototypes', () => {
    const decoded = decodeMessage(msg(SS('__proto__'), KV('polluted', 'yes'), SE));
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    expect(encodeMessage(decoded).equals(msg(SS('__proto__'), KV('polluted', 'yes'), SE))).toBe(true);
  });
});

describe('packets', () => {
  const cases: Array<[string, ViciPacket, Buffer]> = [
    ['CMD_REQUEST', { type: PacketType.CMD_REQUEST, name: 'version', message: {} }, msg(Buffer.of(0), name('version'))],
    [
      'CMD_REQUEST with message',
      { type: PacketType.CMD_REQUEST, name: 'unload-conn', message: { name: 'x' } },
      msg(Buffer.of(0), name('unload-conn'), KV('name', 'x')),
    ],
    ['CMD_RESPONSE', { type: PacketType.CMD_RESPONSE, message: { success: 'yes' } }, msg(Buffer.of(1), KV('success', 'yes'))],
    ['CMD_RESPONSE empty', { type: PacketType.CMD_RESPONSE, message: {} }, Buffer.of(1)],
    ['CMD_UNKNOWN', { type: PacketType.CMD_UNKNOWN }, Buffer.of(2)],
    ['EVENT_REGISTER', { type: PacketType.EVENT_REGISTER, name: 'ike-updown' }, msg(Buffer.of(3), name('ike-updown'))],
    ['EVENT_UNREGISTER', { type: PacketType.EVENT_UNREGISTER, name: 'log' }, msg(Buffer.of(4), name('log'))],
    ['EVENT_CONFIRM', { type: PacketType.EVENT_CONFIRM }, Buffer.of(5)],
    ['EVENT_UNKNOWN', { type: PacketType.EVENT_UNKNOWN }, Buffer.of(6)],
    [
      'EVENT',
      { type: PacketType.EVENT, name: 'list-sa', message: { site: { state: 'ESTABLISHED' } } },
      msg(Buffer.of(7), name('list-sa'), SS('site'), KV('state', 'ESTABLISHED'), SE),
    ],
  ];

  it.each(cases)('%s encodes to the exact bytes and decodes back', (_label, packet, bytes) => {
    expect(encodePacket(packet).equals(bytes)).toBe(true);
    expect(decodePacket(bytes)).toEqual(packet);
  });

  it('frames with a 4-byte big-endian length prefix', () => {
    const frame = encodeFrame({ type: PacketType.CMD_REQUEST, name: 'stats', message: {} });
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
    expect(frame.subarray(4).equals(msg(Buffer.of(0), name('stats')))).toBe(true);
  });

  it('accepts a payload of exactly MAX_PAYLOAD and refuses one byte more', () => {
    const overhead = encodePacket({ type: PacketType.CMD_RESPONSE, message: { l: [] } }).length;
    // one list of items of 65535 bytes each (3 bytes of header per item) plus a filler item
    const per = 3 + 65535;
    const room = MAX_PAYLOAD - overhead;
    const items = Array.from({ length: Math.floor(room / per) }, () => 'x'.repeat(65535));
    items.push('y'.repeat(room - items.length * per - 3));
    const packet: ViciPacket = { type: PacketType.CMD_RESPONSE, message: { l: items } };
    const payload = encodePacket(packet);
    expect(payload.length).toBe(MAX_PAYLOAD);
    expect(decodePacket(payload)).toEqual(packet);
    const bigger: ViciPacket = { type: PacketType.CMD_RESPONSE, message: { l: [...items.slice(0, -1), `${items[items.length - 1]}z`] } };
    expect(codeOf(() => encodePacket(bigger))).toBe('oversized');
  });
});

describe('encoder rejects what charon could not parse', () => {
  it.each<[string, () => unknown, string]>([
    ['name of 256 bytes', () => encodeMessage({ ['n'.repeat(256)]: 'v' }), 'name_too_long'],
    ['value of 65536 bytes', () => encodeMessage({ k: 'v'.repeat(65536) }), 'value_too_long'],
    ['list item of 65536 bytes', () => encodeMessage({ l: ['v'.repeat(65536)] }), 'value_too_long'],
    ['value of 65536 bytes after utf8', () => encodeMessage({ k: 'é'.repeat(32768) }), 'value_too_long'],
    ['non-ASCII name', () => encodeMessage({ clé: 'v' }), 'invalid_name'],
    ['non-ASCII packet name', () => encodePacket({ type: PacketType.CMD_REQUEST, name: 'ünload', message: {} }), 'invalid_name'],
    ['number value', () => encodeMessage({ k: 5 } as unknown as ViciSection), 'invalid_value'],
    ['null value', () => encodeMessage({ k: null } as unknown as ViciSection), 'invalid_value'],
    ['list in list', () => encodeMessage({ l: [['x']] } as unknown as ViciSection), 'invalid_value'],
    ['section in list', () => encodeMessage({ l: [{}] } as unknown as ViciSection), 'invalid_value'],
    ['non-object message', () => encodeMessage('x' as unknown as ViciSection), 'invalid_value'],
    ['unknown packet type', () => encodePacket({ type: 9 } as unknown as ViciPacket), 'unknown_packet'],
  ])('%s', (_label, fn, code) => {
    expect(codeOf(fn)).toBe(code);
  });

  it('refuses nesting beyond MAX_DEPTH, and cycles', () => {
    let deep: ViciSection = { leaf: 'x' };
    for (let i = 0; i < MAX_DEPTH; i++) deep = { s: deep };
    expect(decodeMessage(encodeMessage(deep))).toEqual(deep); // MAX_DEPTH levels are fine
    expect(codeOf(() => encodeMessage({ s: deep }))).toBe('too_deep');
    const cyclic: ViciSection = {};
    cyclic.self = cyclic;
    expect(codeOf(() => encodeMessage(cyclic))).toBe('too_deep');
  });
});

describe('decoder: one test per malformed case', () => {
  const req = (...parts: Buffer[]): Buffer => msg(Buffer.of(1), ...parts); // CMD_RESPONSE carrying parts
  it.each<[string, Buffer, string]>([
    ['zero-length packet', Buffer.alloc(0), 'empty_packet'],
    ['unknown packet type 8', Buffer.of(8), 'unknown_packet'],
    ['unknown packet type 255', Buffer.of(255, 0), 'unknown_packet'],
    ['named packet without name length', Buffer.of(0), 'truncated'],
    ['packet name length beyond end', msg(Buffer.of(3, 10), Buffer.from('abc')), 'truncated'],
    ['non-ASCII packet name', msg(Buffer.of(7, 2, 0xc3, 0xa9)), 'invalid_name'],
    ['trailing bytes after CMD_UNKNOWN', Buffer.of(2, 0), 'trailing_data'],
    ['trailing bytes after EVENT_REGISTER name', msg(Buffer.of(3), name('log'), Buffer.of(1)), 'trailing_data'],
    ['unknown element type 0', req(Buffer.of(0)), 'unknown_element'],
    ['unknown element type 7', req(Buffer.of(7, 1, 0x61)), 'unknown_element'],
    ['element name length beyond end', req(Buffer.of(3, 200), Buffer.from('ab')), 'truncated'],
    ['element name length missing', req(Buffer.of(1)), 'truncated'],
    ['value length missing', req(Buffer.of(3), name('k'), Buffer.of(0)), 'truncated'],
    ['value length beyond end', req(Buffer.of(3), name('k'), u16(10), Buffer.from('short')), 'truncated'],
    ['list item value beyond end', req(LS('l'), Buffer.of(5), u16(3), Buffer.from('x')), 'truncated'],
    ['non-ASCII element name', req(Buffer.of(3), name(Buffer.of(0x80)), value('v')), 'invalid_name'],
    ['SECTION_END without start', req(SE), 'unbalanced'],
    ['section never closed', req(SS('s'), KV('a', 'b')), 'unbalanced'],
    ['list never closed', req(LS('l'), LI('x')), 'unbalanced'],
    ['LIST_END without start', req(LE), 'unbalanced'],
    ['SECTION_END inside list', req(SS('s'), LS('l'), SE), 'unbalanced'],
    ['list inside list', req(LS('a'), LS('b'), LE, LE), 'list_in_list'],
    ['section inside list', req(LS('a'), SS('s'), SE, LE), 'section_in_list'],
    ['key-value inside list', req(LS('a'), KV('k', 'v'), LE), 'key_in_list'],
    ['LIST_ITEM outside list', req(LI('x')), 'item_outside_list'],
    ['duplicate key', req(KV('k', '1'), KV('k', '2')), 'duplicate_key'],
    ['duplicate key across kinds', req(KV('k', '1'), LS('k'), LE), 'duplicate_key'],
    ['duplicate section', req(SS('s'), SE, SS('s'), SE), 'duplicate_key'],
    ['sections deeper than MAX_DEPTH', req(...Array.from({ length: MAX_DEPTH + 1 }, () => SS('s'))), 'too_deep'],
  ])('%s', (_label, payload, code) => {
    expect(codeOf(() => decodePacket(payload))).toBe(code);
  });

  it('allows the same key in different sections', () => {
    expect(decodePacket(msg(Buffer.of(1), SS('a'), KV('k', '1'), SE, SS('b'), KV('k', '2'), SE))).toEqual({
      type: PacketType.CMD_RESPONSE,
      message: { a: { k: '1' }, b: { k: '2' } },
    });
  });

  it('reports the offset of the problem', () => {
    const err = (() => {
      try {
        decodePacket(msg(Buffer.of(1), KV('a', 'b'), LI('x')));
      } catch (e) {
        return e as ViciProtocolError;
      }
      return undefined;
    })();
    expect(err?.code).toBe('item_outside_list');
    expect(err?.offset).toBe(1 + KV('a', 'b').length);
  });

  it('rejects a payload above MAX_PAYLOAD even when handed over directly', () => {
    expect(codeOf(() => decodePacket(Buffer.alloc(MAX_PAYLOAD + 1, 1)))).toBe('oversized');
  });
});
