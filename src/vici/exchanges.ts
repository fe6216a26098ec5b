// The packet sequences of each VICI operation, run on one live connection. ViciSession makes
// sure only one of these runs per connection at a time.
import { PacketType, ViciPacket } from './codec';
import type { ViciConnection } from './connection';
import { ViciProtocolError, ViciUnknownCommandError, ViciUnknownEventError } from './errors';
import type { ViciSection } from './message';

export interface StreamResult {
  /** The closing CMD_RESPONSE message. */
  response: ViciSection;
  /** The streamed EVENT messages, in arrival order. */
  events: ViciSection[];
}

function unexpected(what: string, packet: ViciPacket): ViciProtocolError {
  return new ViciProtocolError('unexpected_packet', `packet type ${packet.type} in reply to ${what}`);
}

/** CMD_REQUEST (pre-encoded `request` frame) -> CMD_RESPONSE. */
export async function runRequest(conn: ViciConnection, command: string, request: Buffer): Promise<ViciSection> {
  const reply = await conn.exchange(request);
  if (reply.type === PacketType.CMD_RESPONSE) return reply.message;
  if (reply.type === PacketType.CMD_UNKNOWN) throw new ViciUnknownCommandError(command);
  throw unexpected(`command '${command}'`, reply);
}

/** EVENT_REGISTER -> EVENT_CONFIRM for each name not yet registered on this connection. */
export async function registerEvents(conn: ViciConnection, names: Iterable<string>): Promise<void> {
  for (const name of names) {
    if (conn.registered.has(name)) continue;
    const reply = await conn.exchange({ type: PacketType.EVENT_REGISTER, name });
    if (reply.type === PacketType.EVENT_UNKNOWN) throw new ViciUnknownEventError(name);
    if (reply.type !== PacketType.EVENT_CONFIRM) throw unexpected(`registering '${name}'`, reply);
    conn.registered.add(name);
  }
}

/** EVENT_UNREGISTER -> EVENT_CONFIRM for each name registered on this connection. */
export async function unregisterEvents(conn: ViciConnection, names: Iterable<string>): Promise<void> {
  for (const name of names) {
    if (!conn.registered.has(name)) continue;
    const reply = await conn.exchange({ type: PacketType.EVENT_UNREGISTER, name });
    if (reply.type === PacketType.EVENT_UNKNOWN) throw new ViciUnknownEventError(name);
    if (reply.type !== PacketType.EVENT_CONFIRM) throw unexpected(`unregistering '${name}'`, reply);
    conn.registered.delete(name);
  }
}

/**
 * Streamed command: register `event`, send the request, collect `event` packets until the
 * closing CMD_RESPONSE, unregister. If the event is already registered on this connection (a
 * long-lived subscription) it is left registered, and its packets are collected meanwhile.
 */
export async function runStreamed(
  conn: ViciConnection,
  command: string,
  event: string,
  request: Buffer,
  onEvent?: (message: ViciSection) => void,
): Promise<StreamResult> {
  const owned = !conn.registered.has(event);
  if (owned) await registerEvents(conn, [event]);
  const events: ViciSection[] = [];
  let handlerError: unknown;
  conn.tap = (name, msg) => {
    if (name !== event) return false;
    events.push(msg);
    try {
      onEvent?.(msg);
    } catch (err) {
      handlerError ??= err; // reported after the stream completes; the wire must stay in step
    }
    return true;
  };
  let reply: ViciPacket;
  try {
    reply = await conn.exchange(request);
  } finally {
    conn.tap = undefined;
  }
  // out of step: do not send anything more on this connection (the session resets it)
  if (reply.type !== PacketType.CMD_RESPONSE && reply.type !== PacketType.CMD_UNKNOWN) {
    throw unexpected(`command '${command}'`, reply);
  }
  if (owned) await unregisterEvents(conn, [event]);
  if (reply.type === PacketType.CMD_UNKNOWN) throw new ViciUnknownCommandError(command);
  if (handlerError !== undefined) throw handlerError;
  return { response: reply.message, events };
}
