// Typed errors of the VICI client. Callers branch on the class (and on `code` for protocol
// errors), never on message text, so the messages are free to change.

/** Base class: everything this library throws on purpose is a ViciError. */
export class ViciError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export type ViciProtocolErrorCode =
  | 'truncated' // an element, name, value or frame goes beyond the available bytes
  | 'oversized' // frame/payload longer than 512 KiB
  | 'empty_packet' // zero-length payload
  | 'unknown_packet' // packet type byte not in 0..7
  | 'unknown_element' // message element type byte not in 1..6
  | 'unbalanced' // SECTION_END/LIST_END without a start, or an unclosed section/list
  | 'list_in_list' // LIST_START inside a list
  | 'section_in_list' // SECTION_START inside a list
  | 'key_in_list' // KEY_VALUE inside a list
  | 'item_outside_list' // LIST_ITEM outside a list
  | 'duplicate_key' // a name used twice in one section
  | 'invalid_name' // non-ASCII name
  | 'name_too_long' // encoder: name over 255 bytes
  | 'value_too_long' // encoder: value over 65535 bytes
  | 'invalid_value' // encoder: a value that is not a string, string[] or section
  | 'too_deep' // sections nested deeper than MAX_DEPTH
  | 'trailing_data' // bytes after a packet that carries no message
  | 'unexpected_packet'; // a reply that does not fit the operation in flight

/** Malformed bytes on the wire, or a message that cannot be encoded. */
export class ViciProtocolError extends ViciError {
  constructor(
    readonly code: ViciProtocolErrorCode,
    message: string,
    /** Byte offset in the payload where the problem was found, when known. */
    readonly offset?: number,
  ) {
    super(`${code}: ${message}`);
  }
}

/** The connection is gone (or never came up, or the session was closed). */
export class ViciConnectionError extends ViciError {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** A command did not complete in time; an in-flight command also resets its connection. */
export class ViciTimeoutError extends ViciError {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
    /** 'queued': never sent; 'in_flight': sent, connection reset. */
    readonly phase: 'queued' | 'in_flight',
  ) {
    super(`VICI command '${command}' timed out after ${timeoutMs} ms (${phase})`);
  }
}

/** charon answered CMD_UNKNOWN: it has no such command (plugin version mismatch or typo). */
export class ViciUnknownCommandError extends ViciError {
  constructor(readonly command: string) {
    super(`charon does not know the VICI command '${command}'`);
  }
}

/** charon answered EVENT_UNKNOWN: it has no such event. */
export class ViciUnknownEventError extends ViciError {
  constructor(readonly event: string) {
    super(`charon does not know the VICI event '${event}'`);
  }
}

/** A command answered success=no (for commands where that is a caller error, e.g. load-conn). */
export class ViciCommandError extends ViciError {
  constructor(
    readonly command: string,
    /** charon's errmsg, verbatim ('' when charon sent none). */
    readonly errmsg: string,
  ) {
    super(`VICI command '${command}' failed: ${errmsg || '(no errmsg)'}`);
  }
}
