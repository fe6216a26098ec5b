// VICI wire codec: packets and message elements (docs/vici.md, "Wire format").
// Pure functions over Buffers; every malformed input ends in a ViciProtocolError with a code.
import { ViciProtocolError } from './errors';
import type { ViciSection, ViciValue } from './message';

export const MAX_PAYLOAD = 512 * 1024; // charon refuses longer packets, so do we
export const MAX_NAME_LENGTH = 255; // u8 length prefix
export const MAX_VALUE_LENGTH = 65535; // u16 length prefix
// charon's messages nest 4-5 levels; the cap keeps hostile input from building absurd trees
export const MAX_DEPTH = 64;

export const PacketType = {
  CMD_REQUEST: 0,
  CMD_RESPONSE: 1,
  CMD_UNKNOWN: 2,
  EVENT_REGISTER: 3,
  EVENT_UNREGISTER: 4,
  EVENT_CONFIRM: 5,
  EVENT_UNKNOWN: 6,
  EVENT: 7,
} as const;
export type PacketTypeCode = (typeof PacketType)[keyof typeof PacketType];

export const ElementType = {
  SECTION_START: 1,
  SECTION_END: 2,
  KEY_VALUE: 3,
  LIST_START: 4,
  LIST_ITEM: 5,
  LIST_END: 6,
} as const;

export type ViciPacket =
  | { type: typeof PacketType.CMD_REQUEST; name: string; message: ViciSection }
  | { type: typeof PacketType.CMD_RESPONSE; message: ViciSection }
  | { type: typeof PacketType.CMD_UNKNOWN }
  | { type: typeof PacketType.EVENT_REGISTER; name: string }
  | { type: typeof PacketType.EVENT_UNREGISTER; name: string }
  | { type: typeof PacketType.EVENT_CONFIRM }
  | { type: typeof PacketType.EVENT_UNKNOWN }
  | { type: typeof PacketType.EVENT; name: string; message: ViciSection };

// [named, carries a message] per packet type, indexed by type code
const PACKET_SHAPE: ReadonlyArray<readonly [boolean, boolean]> = [
  [true, true],
  [false, true],
  [false, false],
  [true, false],
  [true, false],
  [false, false],
  [false, false],
  [true, true],
];

export interface CodecOptions {
  /**
   * How value bytes map to JS strings. 'utf8' (default) suits charon's text; 'latin1' is
   * binary-safe: Buffer.from(value, 'latin1') gives back the exact bytes.
   */
  encoding?: 'utf8' | 'latin1';
}

// ---------------------------------------------------------------- encoding

function encodeName(name: unknown): Buffer {
  if (typeof name !== 'string') throw new ViciProtocolError('invalid_name', 'name is not a string');
  if (!/^[\x00-\x7f]*$/.test(name)) throw new ViciProtocolError('invalid_name', `name is not ASCII: ${JSON.stringify(name)}`);
  if (name.length > MAX_NAME_LENGTH) {
    throw new ViciProtocolError('name_too_long', `name of ${name.length} bytes exceeds ${MAX_NAME_LENGTH}`);
  }
  const out = Buffer.allocUnsafe(1 + name.length);
  out[0] = name.length;
  out.write(name, 1, 'latin1');
  return out;
}

function encodeValue(value: string, encoding: BufferEncoding, name: string): Buffer {
  const bytes = Buffer.from(value, encoding);
  if (bytes.length > MAX_VALUE_LENGTH) {
    throw new ViciProtocolError('value_too_long', `value of '${name}' has ${bytes.length} bytes, max ${MAX_VALUE_LENGTH}`);
  }
  const head = Buffer.allocUnsafe(2);
  head.writeUInt16BE(bytes.length, 0);
  return Buffer.concat([head, bytes]);
}

const byte = (b: number): Buffer => Buffer.of(b);

function encodeSection(section: ViciSection, out: Buffer[], depth: number, encoding: BufferEncoding): void {
  // also stops cyclic objects
  if (depth > MAX_DEPTH) throw new ViciProtocolError('too_deep', `sections nested deeper than ${MAX_DEPTH}`);
  for (const key of Object.keys(section)) {
    const value: unknown = section[key];
    if (typeof value === 'string') {
      out.push(byte(ElementType.KEY_VALUE), encodeName(key), encodeValue(value, encoding, key));
    } else if (Array.isArray(value)) {
      out.push(byte(ElementType.LIST_START), encodeName(key));
      for (const item of value) {
        if (typeof item !== 'string') throw new ViciProtocolError('invalid_value', `list '${key}' holds a ${typeof item}`);
        out.push(byte(ElementType.LIST_ITEM), encodeValue(item, encoding, key));
      }
      out.push(byte(ElementType.LIST_END));
    } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
      out.push(byte(ElementType.SECTION_START), encodeName(key));
      encodeSection(value as ViciSection, out, depth + 1, encoding);
      out.push(byte(ElementType.SECTION_END));
    } else {
      throw new ViciProtocolError('invalid_value', `'${key}' is ${value === null ? 'null' : typeof value}, not a string, list or section`);
    }
  }
}

/** Encodes a message (the part after the packet header). */
export function encodeMessage(message: ViciSection, options: CodecOptions = {}): Buffer {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    throw new ViciProtocolError('invalid_value', 'a message must be a section object');
  }
  const out: Buffer[] = [];
  encodeSection(message, out, 0, options.encoding ?? 'utf8');
  return Buffer.concat(out);
}

/** Encodes a packet payload (type, name, message), without the length prefix. */
export function encodePacket(packet: ViciPacket, options: CodecOptions = {}): Buffer {
  const shape = PACKET_SHAPE[packet.type as number];
  if (!shape) throw new ViciProtocolError('unknown_packet', `packet type ${String(packet.type)}`);
  const parts = [byte(packet.type)];
  if (shape[0]) parts.push(encodeName((packet as { name?: unknown }).name));
  if (shape[1]) parts.push(encodeMessage((packet as { message?: ViciSection }).message ?? {}, options));
  const payload = Buffer.concat(parts);
  if (payload.length > MAX_PAYLOAD) {
    throw new ViciProtocolError('oversized', `packet of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  }
  return payload;
}

/** Encodes a packet with its 4-byte big-endian length prefix, ready for the socket. */
export function encodeFrame(packet: ViciPacket, options: CodecOptions = {}): Buffer {
  const payload = encodePacket(packet, options);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
}

// ---------------------------------------------------------------- decoding

/** Sets an own property even for names like "__proto__", refusing duplicates. */
function put(section: ViciSection, name: string, value: ViciValue, offset: number): void {
  if (Object.prototype.hasOwnProperty.call(section, name)) {
    throw new ViciProtocolError('duplicate_key', `'${name}' appears twice in one section`, offset);
  }
  Object.defineProperty(section, name, { value, enumerable: true, writable: true, configurable: true });
}

function readName(buf: Buffer, pos: number, base: number): [string, number] {
  if (pos >= buf.length) throw new ViciProtocolError('truncated', 'name length missing', base + pos);
  const len = buf[pos];
  const end = pos + 1 + len;
  if (end > buf.length) throw new ViciProtocolError('truncated', `name of ${len} bytes runs past the end`, base + pos);
  for (let i = pos + 1; i < end; i++) {
    if (buf[i] > 0x7f) throw new ViciProtocolError('invalid_name', 'name is not ASCII', base + i);
  }
  return [buf.toString('latin1', pos + 1, end), end];
}

function readValue(buf: Buffer, pos: number, base: number, encoding: BufferEncoding): [string, number] {
  if (pos + 2 > buf.length) throw new ViciProtocolError('truncated', 'value length missing', base + pos);
  const len = buf.readUInt16BE(pos);
  const end = pos + 2 + len;
  if (end > buf.length) throw new ViciProtocolError('truncated', `value of ${len} bytes runs past the end`, base + pos);
  return [buf.toString(encoding, pos + 2, end), end];
}

/**
 * Decodes a message. `base` is only used to report offsets relative to the whole payload.
 * Iterative (explicit stack), so hostile nesting cannot overflow the JS stack.
 */
export function decodeMessage(buf: Buffer, options: CodecOptions = {}, base = 0): ViciSection {
  const encoding = options.encoding ?? 'utf8';
  const root: ViciSection = {};
  const stack: ViciSection[] = [root];
  let list: string[] | null = null;
  let pos = 0;
  while (pos < buf.length) {
    const at = base + pos;
    const type = buf[pos++];
    const current = stack[stack.length - 1];
    let name: string;
    let value: string;
    switch (type) {
      case ElementType.SECTION_START: {
        if (list) throw new ViciProtocolError('section_in_list', 'SECTION_START inside a list', at);
        [name, pos] = readName(buf, pos, base);
        if (stack.length > MAX_DEPTH) throw new ViciProtocolError('too_deep', `sections nested deeper than ${MAX_DEPTH}`, at);
        const section: ViciSection = {};
        put(current, name, section, at);
        stack.push(section);
        break;
      }
      case ElementType.SECTION_END:
        if (list) throw new ViciProtocolError('unbalanced', 'SECTION_END inside a list', at);
        if (stack.length === 1) throw new ViciProtocolError('unbalanced', 'SECTION_END without SECTION_START', at);
        stack.pop();
        break;
      case ElementType.KEY_VALUE:
        if (list) throw new ViciProtocolError('key_in_list', 'KEY_VALUE inside a list', at);
        [name, pos] = readName(buf, pos, base);
        [value, pos] = readValue(buf, pos, base, encoding);
        put(current, name, value, at);
        break;
      case ElementType.LIST_START:
        if (list) throw new ViciProtocolError('list_in_list', 'LIST_START inside a list', at);
        [name, pos] = readName(buf, pos, base);
        list = [];
        put(current, name, list, at);
        break;
      case ElementType.LIST_ITEM:
        if (!list) throw new ViciProtocolError('item_outside_list', 'LIST_ITEM outside a list', at);
        [value, pos] = readValue(buf, pos, base, encoding);
        list.push(value);
        break;
      case ElementType.LIST_END:
        if (!list) throw new ViciProtocolError('unbalanced', 'LIST_END without LIST_START', at);
        list = null;
        break;
      default:
        throw new ViciProtocolError('unknown_element', `element type ${type}`, at);
    }
  }
  if (list) throw new ViciProtocolError('unbalanced', 'list not closed', base + pos);
  if (stack.length > 1) throw new ViciProtocolError('unbalanced', `${stack.length - 1} section(s) not closed`, base + pos);
  return root;
}

/** Decodes one packet payload (without the length prefix). */
export function decodePacket(payload: Buffer, options: CodecOptions = {}): ViciPacket {
  if (payload.length === 0) throw new ViciProtocolError('empty_packet', 'zero-length packet', 0);
  if (payload.length > MAX_PAYLOAD) throw new ViciProtocolError('oversized', `packet of ${payload.length} bytes`, 0);
  const type = payload[0];
  const shape = PACKET_SHAPE[type];
  if (!shape) throw new ViciProtocolError('unknown_packet', `packet type ${type}`, 0);
  let pos = 1;
  let name = '';
  if (shape[0]) [name, pos] = readName(payload, pos, 0);
  let message: ViciSection = {};
  if (shape[1]) {
    message = decodeMessage(payload.subarray(pos), options, pos);
  } else if (pos !== payload.length) {
    throw new ViciProtocolError('trailing_data', `${payload.length - pos} bytes after a packet of type ${type}`, pos);
  }
  switch (type) {
    case PacketType.CMD_REQUEST:
    case PacketType.EVENT:
      return { type, name, message };
    case PacketType.CMD_RESPONSE:
      return { type, message };
    case PacketType.EVENT_REGISTER:
    case PacketType.EVENT_UNREGISTER:
      return { type, name };
    default:
      return { type: type as 2 | 5 | 6 };
  }
}
