// The lab's status report and its text rendering for `lab status`. Pure.
import { AgentSummary, formatAgents } from './lab-agents';
import { LabInventory } from './lab-inventory';
import { SiteState } from './lab-state';

export interface SiteSummary {
  name: string;
  kind: string;
  publicIp: string;
  subnet: string;
  running: boolean;
  pid?: number;
  routerNamespace: string;
  hostNamespace: string;
}

export interface LabStatus {
  prefix: string;
  stateFile: string;
  up: boolean;
  registered: boolean;
  namespaces: { name: string; exists: boolean }[];
  inventory: LabInventory | null;
  sites: SiteSummary[];
  agents: AgentSummary[];
}

export function siteSummary(s: SiteState, running: boolean): SiteSummary {
  return {
    name: s.name,
    kind: s.kind,
    publicIp: s.publicIp,
    subnet: s.subnet,
    running,
    pid: running ? s.pid : undefined,
    routerNamespace: s.routerNamespace,
    hostNamespace: s.hostNamespace,
  };
}

export function formatSites(sites: SiteSummary[]): string {
  if (!sites.length) return 'no sites';
  return sites
    .map((s) => `${s.name.padEnd(12)} ${s.kind.padEnd(8)} ${s.publicIp.padEnd(15)} ${s.subnet.padEnd(18)} ${s.running ? `running (pid ${s.pid})` : 'stopped'}`)
    .join('\n');
}

export function formatStatus(st: LabStatus): string {
  if (!st.up) return `lab '${st.prefix}' is down (no ${st.stateFile})`;
  const lines = [`lab '${st.prefix}' is up (${st.registered ? 'registered in the API' : 'not registered'}); state ${st.stateFile}`];
  const missing = st.namespaces.filter((n) => !n.exists);
  lines.push(`namespaces: ${st.namespaces.length}${missing.length ? `, MISSING: ${missing.map((n) => n.name).join(', ')}` : ', all present'}`);
  for (const vpc of st.inventory?.vpcs ?? []) {
    lines.push(`VPC ${vpc.name} ${vpc.id} ${vpc.cidr}`);
    for (const subnet of vpc.subnets) {
      const vms = subnet.instances.map((i) => `${i.name}=${i.privateIp}`).join(' ');
      lines.push(`  subnet ${subnet.name} ${subnet.id} ${subnet.cidr}: ${vms}`);
    }
  }
  const ips = st.inventory?.externalIps ?? [];
  if (ips.length) lines.push(`external IPs: ${ips[0]} - ${ips[ips.length - 1]} (${ips.length})`);
  lines.push('sites:', formatSites(st.sites));
  lines.push('route agents:', formatAgents(st.agents));
  return lines.join('\n');
}
