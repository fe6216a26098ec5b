// The gateway host's part of "diagnose this tunnel": what only the host can see. Does the peer
// answer IKE from the gateway's own namespace (its real path), is the gateway's charon up, and do
// the tunnel's SA counters move over a short window. The API turns this into the checklist.
import { join } from 'node:path';
import { ViciCommands, ViciSession } from '../vici';
import { run } from './host/exec';
import { ProbeResult, TunnelProbe } from '../jobs/job-catalogue';
import { connName, isAnyPeer } from '../strongswan/tunnel-model';
import { DesiredTunnel } from './negotiation.queries';

const PROBE_SCRIPT = join(__dirname, 'host', 'ike-probe.js');

export interface TunnelProbeDeps {
  hostId: string;
  namespaceOf(gatewayId: string): string;
  viciSocketOf(gatewayId: string): string;
  isCharonRunning(gatewayId: string): boolean;
}

async function childBytes(vici: ViciCommands, ike: string): Promise<{ ikeState: string | null; installed: number; bytes: number }> {
  const sas = await vici.listSas({ ike });
  const installed = sas.flatMap((s) => s.children).filter((c) => c.state === 'INSTALLED');
  const bytes = installed.reduce((n, c) => n + Number(c['bytes-in'] ?? 0) + Number(c['bytes-out'] ?? 0), 0);
  return { ikeState: sas[0]?.sa.state ?? null, installed: installed.length, bytes };
}

/** Runs the host-side checks for one tunnel of a gateway served here; `windowMs` is the counter window. */
export async function probeTunnel(deps: TunnelProbeDeps, gatewayId: string, desired: DesiredTunnel, windowMs = 2000): Promise<TunnelProbe> {
  const t = desired.render;
  const served = deps.isCharonRunning(gatewayId);
  const peerCheck = async () => {
    if (isAnyPeer(t)) return null;
    const { stdout } = await run('ip', ['netns', 'exec', deps.namespaceOf(gatewayId), process.execPath, PROBE_SCRIPT, t.peerIp, t.ike.version], {
      timeoutMs: 10_000,
    });
    return { address: t.peerIp, ...(JSON.parse(stdout) as { udp500: ProbeResult; udp4500: ProbeResult }) };
  };
  const saCheck = async () => {
    if (!served) return null;
    const session = new ViciSession({ socketPath: deps.viciSocketOf(gatewayId), timeoutMs: 5000, reconnect: false });
    await session.connect();
    try {
      const vici = new ViciCommands(session);
      const before = await childBytes(vici, connName(t.id));
      await new Promise((r) => setTimeout(r, windowMs));
      const after = await childBytes(vici, connName(t.id));
      return { ikeState: after.ikeState, childrenInstalled: after.installed, bytesBefore: before.bytes, bytesAfter: after.bytes, windowMs };
    } finally {
      await session.close();
    }
  };
  // The probe and the counter window run side by side: the answer takes ~3 s, not 6.
  const [peer, sas] = await Promise.all([served ? peerCheck() : Promise.resolve(null), saCheck()]);
  return { hostId: deps.hostId, gatewayServed: served, peer, sas };
}
