// A planned move's new copy of a gateway gets its tunnels' routes, connections and secrets before
// it takes the gateway over: loaded exactly as the gateway's negotiator and its tunnels' negotiators load them, not
// initiated (the copy is not plugged in yet). After the move the gateway's negotiator finds them loaded at the version last
// applied and adopts them (GatewayNegotiator.converge), which initiates at once: the outage of the move
// is the address move plus one IKE exchange, not a charon start and a configuration load.
import { renderLoadConn, renderLoadShared } from '../strongswan/vici-conn';
import { ViciCommands, ViciSession } from '../vici';
import { syncGatewayRouting } from './gateway-routes';
import { GATEWAY_VPC_IFACE } from './host/gateway-names';
import { DesiredTunnel } from './negotiation.queries';

export interface PreloadTarget {
  namespace: string;
  viciSocket: string;
  /** The gateway's VPC address and subnet (its routes' source, its own subnet's anchor). */
  privateIp: string;
  subnetCidr: string;
}

/** Returns how many tunnels were loaded. */
export async function preloadTunnels(target: PreloadTarget, desired: DesiredTunnel[]): Promise<number> {
  const live = desired.filter((d) => d.resourceState !== 'deleting');
  // The negotiator's route sync after the move then finds them in place (GatewayNegotiator.syncRoutes).
  await syncGatewayRouting(target.namespace, GATEWAY_VPC_IFACE, {
    ownSubnet: target.subnetCidr,
    srcIp: target.privateIp,
    localCidrs: live.flatMap((d) => d.render.localCidrs),
    remoteCidrs: live.flatMap((d) => d.render.remoteCidrs),
  });
  const session = new ViciSession({ socketPath: target.viciSocket, timeoutMs: 30_000, reconnect: false });
  await session.connect();
  try {
    await loadTunnelsInOneMessage(new ViciCommands(session), live);
    return live.length;
  } finally {
    await session.close().catch(() => undefined);
  }
}

/**
 * The tunnels' secrets, then their connections in ONE load-conn message (charon takes several), as
 * the gateway's negotiator loads them (keyingtries 1: the negotiators retry by themselves). Throws what
 * charon refused.
 */
export async function loadTunnelsInOneMessage(commands: ViciCommands, tunnels: DesiredTunnel[]): Promise<void> {
  if (!tunnels.length) return;
  for (const d of tunnels) await commands.loadShared(renderLoadShared(d.render));
  await commands.loadConn(Object.assign({}, ...tunnels.map((d) => renderLoadConn(d.render, { keyingtries: 1 }))));
}
