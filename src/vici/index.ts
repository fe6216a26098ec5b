// Public API of the VICI client: protocol codec, socket session, command wrappers.
//
//   const session = new ViciSession({ socketPath: '/run/x/charon.vici', timeoutMs: 10_000 });
//   const vici = new ViciCommands(session);
//   await vici.loadConn(renderLoadConn(t));            // throws ViciCommandError(errmsg)
//   const r = await vici.initiate({ child, ike, timeout: 10_000 }); // { success, errmsg?, log }
//   const events = new ViciEventStream({ socketPath });  // its own connection
//   await events.subscribe(['ike-updown', 'child-updown'], (name, msg) => ...);
//   await Promise.all([events.close(), session.close()]);
export type { ViciSection, ViciValue } from './message';
export {
  decodeMessage,
  decodePacket,
  ElementType,
  encodeFrame,
  encodeMessage,
  encodePacket,
  MAX_DEPTH,
  MAX_NAME_LENGTH,
  MAX_PAYLOAD,
  MAX_VALUE_LENGTH,
  PacketType,
} from './codec';
export type { CodecOptions, PacketTypeCode, ViciPacket } from './codec';
export { FrameReader } from './frame-reader';
export type { FrameReaderOptions } from './frame-reader';
export {
  ViciCommandError,
  ViciConnectionError,
  ViciError,
  ViciProtocolError,
  ViciTimeoutError,
  ViciUnknownCommandError,
  ViciUnknownEventError,
} from './errors';
export type { ViciProtocolErrorCode } from './errors';
export { ViciSession } from './session';
export type { StreamResult } from './exchanges';
export type {
  ConnectionChange,
  ReconnectOptions,
  RequestOptions,
  SessionState,
  StreamOptions,
  ViciEventHandler,
  ViciLogger,
  ViciSessionOptions,
  ViciSubscription,
} from './session-types';
export { ViciEventStream } from './event-stream';
export { ViciCommands, parseControlLog } from './commands';
export type { InitiateOptions, ListSasFilter, SharedSecret, TerminateOptions } from './commands';
export type { ChildSaInfo, ConnEntry, ControlLogLine, ControlResult, IkeSaEntry, IkeSaInfo, StatsInfo, VersionInfo } from './types';
export { REDACTED, redactSecrets } from './redact';
