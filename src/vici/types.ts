// Shapes of charon's replies as the wrappers return them. charon's fields are all strings; the
// typed keys below are the ones observed on 5.9.8 (see e2e/vici-charon.test.ts), the rest stays
// reachable through the ViciSection index signature.
import type { ViciSection } from './message';

export interface VersionInfo {
  daemon: string;
  version: string;
  sysname: string;
  release: string;
  machine: string;
}

export interface StatsInfo extends ViciSection {
  uptime: ViciSection; // { running, since }
  workers: ViciSection; // { total, idle, active{critical,high,medium,low} }
  queues: ViciSection;
  scheduled: string;
  ikesas: ViciSection; // { total, half-open }
  plugins: string[];
}

/** One control-log event streamed by initiate/terminate. */
export interface ControlLogLine {
  group: string; // charon's debug group: IKE, CFG, NET, ENC, KNL, CHD, ...
  level: number; // 0 (most important) .. 4
  ikesaName?: string; // absent when the line is not tied to an IKE_SA
  ikesaUniqueid?: string;
  msg: string;
}

export interface ControlResult {
  success: boolean;
  /** charon's errmsg when success is false, e.g. "establishing CHILD_SA 'x' failed". */
  errmsg?: string;
  log: ControlLogLine[];
  /** The raw CMD_RESPONSE. */
  response: ViciSection;
}

export interface ChildSaInfo extends ViciSection {
  name: string;
  uniqueid: string;
  reqid: string;
  state: string; // INSTALLED, REKEYING, ...
  mode: string;
  protocol: string; // ESP or AH
  'local-ts': string[];
  'remote-ts': string[];
}

export interface IkeSaInfo extends ViciSection {
  uniqueid: string;
  version: string;
  state: string; // CREATED, CONNECTING, ESTABLISHED, ...
  'local-host': string;
  'remote-host': string;
  'child-sas': ViciSection; // { '<child>-<uniqueid>': ChildSaInfo }
}

export interface IkeSaEntry {
  /** The connection (IKE config) name. */
  name: string;
  sa: IkeSaInfo;
  /** The values of sa['child-sas'], for convenience. */
  children: ChildSaInfo[];
}

export interface ConnEntry {
  name: string;
  /** As charon lists it: local_addrs, remote_addrs, version, local-1, remote-1, children, ... */
  conn: ViciSection;
}
