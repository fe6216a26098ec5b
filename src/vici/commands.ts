// Thin typed wrappers over ViciSession: each builds the ViciSection charon expects and shapes
// the reply. Field names follow charon's (docs/vici.md, "Commands"); only the wrapping is ours.
import { ViciCommandError } from './errors';
import type { ViciSection } from './message';
import type { ViciSession } from './session';
import type { RequestOptions } from './session-types';
import type { ChildSaInfo, ConnEntry, ControlLogLine, ControlResult, IkeSaEntry, IkeSaInfo, StatsInfo, VersionInfo } from './types';

export interface SharedSecret {
  /** Unique id: needed to unload or replace it later. */
  id?: string;
  type: 'IKE' | 'EAP' | 'XAUTH' | 'NTLM' | 'PPK' | (string & {});
  /** The secret itself. Never logged (see redactSecrets). */
  data: string;
  /** Identities the secret belongs to; empty/absent = any. */
  owners?: string[];
}

interface ControlCommon extends RequestOptions {
  child?: string;
  ike?: string;
  /** charon-side wait in ms (0 = until done, -1 = return at once). */
  timeout?: number;
  /** control-log verbosity charon streams back (default 1 in charon). */
  loglevel?: number;
  /** Called per control-log line as it arrives. */
  onLog?(line: ControlLogLine): void;
}

export interface InitiateOptions extends ControlCommon {
  initLimits?: boolean;
}

export interface TerminateOptions extends ControlCommon {
  childId?: number | string;
  ikeId?: number | string;
  force?: boolean;
}

export interface RekeyOptions extends RequestOptions {
  child?: string;
  ike?: string;
  childId?: number | string;
  ikeId?: number | string;
  reauth?: boolean;
}

export interface ListSasFilter extends RequestOptions {
  noblock?: boolean;
  ike?: string;
  ikeId?: number | string;
  child?: string;
  childId?: number | string;
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

/** Drops undefined entries and stringifies numbers/booleans the way charon parses them. */
function build(fields: Record<string, string | number | boolean | string[] | ViciSection | undefined>): ViciSection {
  const out: ViciSection = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[key] = typeof value === 'number' ? String(value) : typeof value === 'boolean' ? yesNo(value) : value;
  }
  return out;
}

function str(section: ViciSection, key: string): string | undefined {
  const value = section[key];
  return typeof value === 'string' ? value : undefined;
}

export function parseControlLog(message: ViciSection): ControlLogLine {
  const level = Number(str(message, 'level'));
  return {
    group: str(message, 'group') ?? '',
    level: Number.isFinite(level) ? level : 0,
    ikesaName: str(message, 'ikesa-name'),
    ikesaUniqueid: str(message, 'ikesa-uniqueid'),
    msg: str(message, 'msg') ?? '',
  };
}

/** Every `{ <name>: {...} }` event flattened into named entries. */
function namedEntries<T>(events: ViciSection[], make: (name: string, body: ViciSection) => T): T[] {
  const out: T[] = [];
  for (const event of events) {
    for (const [name, body] of Object.entries(event)) {
      if (typeof body === 'object' && !Array.isArray(body)) out.push(make(name, body));
    }
  }
  return out;
}

export class ViciCommands {
  constructor(readonly session: ViciSession) {}

  async version(options?: RequestOptions): Promise<VersionInfo> {
    const r = await this.session.request('version', {}, options);
    return {
      daemon: str(r, 'daemon') ?? '',
      version: str(r, 'version') ?? '',
      sysname: str(r, 'sysname') ?? '',
      release: str(r, 'release') ?? '',
      machine: str(r, 'machine') ?? '',
    };
  }

  stats(options?: RequestOptions): Promise<StatsInfo> {
    return this.session.request('stats', {}, options) as Promise<StatsInfo>;
  }

  /**
   * Loads (or replaces) a connection: loadConn(name, config) or loadConn({ <name>: config })
   * (the whole message, as renderers produce it). Throws ViciCommandError with charon's errmsg.
   */
  loadConn(message: ViciSection, options?: RequestOptions): Promise<void>;
  loadConn(name: string, config: ViciSection, options?: RequestOptions): Promise<void>;
  async loadConn(a: string | ViciSection, b?: ViciSection | RequestOptions, c?: RequestOptions): Promise<void> {
    if (typeof a === 'string') await this.mutate('load-conn', { [a]: b as ViciSection }, c);
    else await this.mutate('load-conn', a, b as RequestOptions | undefined);
  }

  async unloadConn(name: string, options?: RequestOptions): Promise<void> {
    await this.mutate('unload-conn', { name }, options);
  }

  /** Accepts the typed form or a ready load-shared message. The secret is never logged. */
  async loadShared(secret: SharedSecret | ViciSection, options?: RequestOptions): Promise<void> {
    await this.mutate('load-shared', build({ ...secret }), options);
  }

  async unloadShared(id: string, options?: RequestOptions): Promise<void> {
    await this.mutate('unload-shared', { id }, options);
  }

  /** Names of the connections loaded over VICI. */
  async getConns(options?: RequestOptions): Promise<string[]> {
    const r = await this.session.request('get-conns', {}, options);
    const conns = r.conns;
    return Array.isArray(conns) ? conns : [];
  }

  /**
   * Initiates a CHILD_SA (or IKE_SA). A negotiation failure is a result (success=false, errmsg,
   * and the control-log lines to classify it), not an exception; protocol errors still throw.
   */
  initiate(options: InitiateOptions): Promise<ControlResult> {
    const message = build({
      child: options.child,
      ike: options.ike,
      timeout: options.timeout,
      'init-limits': options.initLimits,
      loglevel: options.loglevel,
    });
    return this.control('initiate', message, options);
  }

  terminate(options: TerminateOptions): Promise<ControlResult> {
    const message = build({
      child: options.child,
      ike: options.ike,
      'child-id': options.childId,
      'ike-id': options.ikeId,
      force: options.force,
      timeout: options.timeout,
      loglevel: options.loglevel,
    });
    return this.control('terminate', message, options);
  }

  /**
   * Queues a rekey of the matching SAs and returns at once with how many matched: charon reports
   * the outcome later, as a `child-rekey`/`ike-rekey` event or, when it fails, in its log.
   */
  async rekey(options: RekeyOptions): Promise<{ matches: number }> {
    const r = await this.mutate(
      'rekey',
      build({ child: options.child, ike: options.ike, 'child-id': options.childId, 'ike-id': options.ikeId, reauth: options.reauth }),
      options,
    );
    return { matches: Number(str(r, 'matches') ?? 0) || 0 };
  }

  /** One entry per IKE_SA (charon streams one list-sa event each). */
  async listSas(filter: ListSasFilter = {}): Promise<IkeSaEntry[]> {
    const message = build({
      noblock: filter.noblock,
      ike: filter.ike,
      'ike-id': filter.ikeId,
      child: filter.child,
      'child-id': filter.childId,
    });
    const { events } = await this.session.streamedRequest('list-sas', 'list-sa', message, filter);
    return namedEntries(events, (name, body) => {
      const sa = body as IkeSaInfo;
      const childSas = sa['child-sas'];
      const children = typeof childSas === 'object' && !Array.isArray(childSas) ? Object.values(childSas) : [];
      return { name, sa, children: children.filter((c): c is ChildSaInfo => typeof c === 'object' && !Array.isArray(c)) };
    });
  }

  /** Loaded connections with their details (streamed list-conn events); `ike` filters by name. */
  async listConns(ike?: string, options?: RequestOptions): Promise<ConnEntry[]> {
    const { events } = await this.session.streamedRequest('list-conns', 'list-conn', build({ ike }), options);
    return namedEntries(events, (name, conn) => ({ name, conn }));
  }

  private async mutate(command: string, message: ViciSection, options?: RequestOptions): Promise<ViciSection> {
    const r = await this.session.request(command, message, options);
    if (str(r, 'success') !== 'yes') throw new ViciCommandError(command, str(r, 'errmsg') ?? '');
    return r;
  }

  private async control(command: string, message: ViciSection, options: ControlCommon): Promise<ControlResult> {
    // the client deadline must outlast charon's own wait, or we would reset the socket first
    const timeoutMs = options.timeoutMs ?? (options.timeout !== undefined && options.timeout > 0 ? options.timeout + 5000 : undefined);
    const onLog = options.onLog;
    const { response, events } = await this.session.streamedRequest(command, 'control-log', message, {
      timeoutMs,
      onEvent: onLog ? (m) => onLog(parseControlLog(m)) : undefined,
    });
    const errmsg = str(response, 'errmsg');
    return {
      success: str(response, 'success') === 'yes',
      ...(errmsg !== undefined ? { errmsg } : {}),
      log: events.map(parseControlLog),
      response,
    };
  }
}
