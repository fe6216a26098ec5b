// The VICI `load-conn` / `load-shared` messages for one tunnel (docs/vici.md, "load-conn for a PSK site-to-site tunnel"). Pure: the
// worker sends what these return; nothing here talks to charon.
import { ViciSection } from '../vici/message';
import { childProposalList, ikeProposalList } from '../policy/policy';
import {
  RenderableTunnel,
  assertRenderable,
  canInitiate,
  connName,
  isAnyPeer,
  optionsOf,
  seconds,
  subnetPairs,
  timers,
  usesPairChildren,
} from './tunnel-model';

export { connName } from './tunnel-model';

export interface RenderOptions {
  /**
   * false (default): charon never starts the tunnel by itself (start_action/close_action none,
   * dpd_action clear); the worker sends `initiate` per child, sees the result and control-log,
   * classifies phase 1/2 failures and retries every 12 s as the spec says. A second, hidden retry
   * loop inside charon would race the worker and blur which attempt failed.
   * true: charon self-heals (start/restart), for a lab or a platform run without the worker.
   * Ignored for a 0.0.0.0 peer: the platform cannot initiate towards "any" address.
   */
  autoStart?: boolean;
  /** IKE keying attempts per initiate before charon gives up (default 3, the spec's "3 tries"). */
  keyingtries?: number;
}

export const DEFAULT_KEYINGTRIES = 3;

/** Names of the CHILD_SAs load-conn creates, in order: what the worker initiates/terminates. */
export function childNames(t: RenderableTunnel): string[] {
  return usesPairChildren(t) ? subnetPairs(t).map((p) => p.name) : [connName(t.id)];
}

/**
 * charon's dpd_action for the tunnel's DPD action. With the worker, restart is the worker's (charon
 * clears, the worker initiates at once: one retry loop); hold is charon's trap (traffic to the
 * remote subnets re-initiates). A tunnel the platform cannot initiate only clears.
 */
export function dpdActionOf(t: RenderableTunnel, opts: RenderOptions): 'clear' | 'trap' | 'restart' {
  if (!canInitiate(t)) return 'clear';
  const action = optionsOf(t).dpd.action;
  if (action === 'hold') return 'trap';
  return action === 'restart' && opts.autoStart ? 'restart' : 'clear';
}

function childActions(t: RenderableTunnel, opts: RenderOptions): ViciSection {
  const dpd_action = dpdActionOf(t, opts);
  if (canInitiate(t) && opts.autoStart) return { start_action: 'start', dpd_action, close_action: 'start' };
  // dpd clear: charon drops a dead tunnel and reports ike-updown/child-updown; the worker (or, for
  // a 0.0.0.0 peer, the remote) brings it back.
  return { start_action: 'none', dpd_action, close_action: 'none' };
}

/**
 * A child's selectors, proposal, mode and lifetimes: what both ends agree on. swanctl.conf uses the
 * VICI keys, so the remote's file (remote-config/swanctl-conf.ts) takes these too.
 */
export function childSaSettings(t: RenderableTunnel, local: string[], remote: string[]): ViciSection {
  const proposal = childProposalList(t.ipsec);
  const life = timers(t.ipsec.lifetimeSeconds);
  return {
    local_ts: local,
    remote_ts: remote,
    // Exactly one of the two: a child with esp_proposals would never accept an AH proposal.
    ...(t.ipsec.protocol === 'ah' ? { ah_proposals: proposal } : { esp_proposals: proposal }),
    mode: 'tunnel',
    life_time: seconds(life.life),
    rekey_time: seconds(life.rekey),
    rand_time: seconds(life.margin),
  };
}

function renderChild(t: RenderableTunnel, local: string[], remote: string[], opts: RenderOptions): ViciSection {
  return { ...childSaSettings(t, local, remote), ...childActions(t, opts) };
}

/** IKE version and, for IKEv1, the exchange mode (the first keys of a connection). */
export function ikeVersionSettings(t: RenderableTunnel): ViciSection {
  const v1 = t.ike.version === 'v1';
  return { version: v1 ? '1' : '2', ...(v1 ? { aggressive: t.ike.exchangeMode === 'aggressive' ? 'yes' : 'no' } : {}) };
}

/**
 * The IKE SA's proposal, rekey or reauthentication timers, dead peer detection and fragmentation:
 * the same on both ends. dpd_timeout is IKEv1's: IKEv2 declares the peer dead when the DPD
 * exchange's retransmissions give up (strongswan.conf's retransmit settings).
 */
export function ikeSaSettings(t: RenderableTunnel): ViciSection {
  const v1 = t.ike.version === 'v1';
  const ike = timers(t.ike.lifetimeSeconds);
  const { dpd, ikeFragmentation } = optionsOf(t);
  return {
    proposals: ikeProposalList(t.ike),
    // IKEv1 cannot rekey an IKE SA, it reauthenticates; IKEv2 rekeys (no traffic gap). over_time
    // makes the hard expiry exactly the configured lifetime; rand_time spreads rekeys like rekeyfuzz.
    ...(v1 ? { reauth_time: seconds(ike.rekey) } : { rekey_time: seconds(ike.rekey) }),
    over_time: seconds(ike.margin),
    rand_time: seconds(ike.margin),
    dpd_delay: seconds(dpd.delaySeconds),
    ...(v1 ? { dpd_timeout: seconds(dpd.timeoutSeconds) } : {}),
    fragmentation: ikeFragmentation ? 'yes' : 'no',
  };
}

/**
 * `{ ipsvpn_<id>: {...} }` for `load-conn`. IKEv2: one child with every subnet. IKEv1: one child per
 * (local, remote) pair, because IKEv1 negotiates only the first pair of a child.
 */
export function renderLoadConn(t: RenderableTunnel, opts: RenderOptions = {}): ViciSection {
  assertRenderable(t);
  const v1 = t.ike.version === 'v1';
  const keyingtries = opts.keyingtries ?? DEFAULT_KEYINGTRIES;
  if (!Number.isInteger(keyingtries) || keyingtries < 0) throw new RangeError('keyingtries must be a non-negative integer (0 = forever)');

  const children: ViciSection = {};
  if (usesPairChildren(t)) {
    for (const p of subnetPairs(t)) children[p.name] = renderChild(t, [p.local], [p.remote], opts);
  } else {
    children[connName(t.id)] = renderChild(t, t.localCidrs, t.remoteCidrs, opts);
  }

  const conn: ViciSection = {
    ...ikeVersionSettings(t),
    local_addrs: [t.gatewayIp],
    // A response-only tunnel to a known peer still answers that address only.
    remote_addrs: [isAnyPeer(t) ? '%any' : t.peerIp],
    ...ikeSaSettings(t),
    keyingtries: String(keyingtries),
    // A gateway's address never moves (an external IP). With MOBIKE, every route change in its
    // namespace made charon send address updates, and under load some timed out and took SAs down.
    ...(v1 ? {} : { mobike: 'no' }),
    // unique stays at charon's default (no): several tunnels between the same two gateways share
    // the same ids, and replace would let one tunnel's IKE SA kill another's.
    local: { auth: 'psk', id: t.ike.localId },
    remote: { auth: 'psk', id: t.ike.remoteId },
    children,
  };
  return { [connName(t.id)]: conn };
}

/** `unload-conn` / `unload-shared` ids for the tunnel. */
export function sharedSecretId(tunnelId: string): string {
  return `${connName(tunnelId)}-psk`;
}

/**
 * `load-shared` for the PSK. Owners are the two configured ids: charon looks the key up by
 * (local id, remote id) in every case we use, including a 0.0.0.0 peer (the remote id is then
 * mandatory, and IKEv1 Main Mode as responder uses the configured remote id of the matching
 * %any config). No %any owner: it would let this key match other tunnels of the same gateway.
 */
export function renderLoadShared(t: RenderableTunnel): ViciSection {
  assertRenderable(t);
  const owners = [...new Set([t.ike.localId, t.ike.remoteId])];
  return { id: sharedSecretId(t.id), type: 'IKE', data: t.psk, owners };
}
