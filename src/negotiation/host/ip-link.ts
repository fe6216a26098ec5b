// Idempotent `ip` operations inside named network namespaces: each call converges one fact
// (a link exists, is up, has exactly these addresses...) and succeeds when it already holds.
import { run, ExecError } from './exec';
import { namespaceExists } from './gateway-namespace';
import { assertIfName } from './gateway-names';

export interface LinkInfo {
  ifindex: number;
  ifname: string;
  link_index?: number;
  master?: string;
  ifalias?: string;
  address?: string;
  flags?: string[];
  operstate?: string;
  addr_info?: { family: string; local: string; prefixlen: number; label?: string }[];
}

export interface LinkEnd {
  namespace: string;
  name: string;
}

function isMissingDevice(e: unknown): boolean {
  return e instanceof ExecError && /does not exist|Cannot find device|No such device|Cannot open network namespace/.test(e.stderr);
}

async function showJson(namespace: string, what: 'link' | 'addr', name: string): Promise<LinkInfo | null> {
  if (!namespaceExists(namespace)) return null;
  try {
    const { stdout } = await run('ip', ['-n', namespace, '-j', what, 'show', 'dev', name]);
    const parsed = JSON.parse(stdout) as LinkInfo[];
    return parsed[0] ?? null;
  } catch (e) {
    if (isMissingDevice(e)) return null;
    throw e;
  }
}

// `link show` carries the alias and the peer's index; `addr show` carries neither, only addresses.
export function getLink(namespace: string, name: string): Promise<LinkInfo | null> {
  return showJson(namespace, 'link', name);
}

/** The names of every link in the namespace ('lo' included). */
export async function linkNames(namespace: string): Promise<string[]> {
  const { stdout } = await run('ip', ['-n', namespace, '-j', 'link', 'show']);
  return (JSON.parse(stdout) as LinkInfo[]).map((l) => l.ifname);
}

/** Every link in the namespace whose alias is `alias` (none when the namespace is gone). */
export async function linksWithAlias(namespace: string, alias: string): Promise<LinkInfo[]> {
  if (!namespaceExists(namespace)) return [];
  const { stdout } = await run('ip', ['-n', namespace, '-j', 'link', 'show']);
  return (JSON.parse(stdout) as LinkInfo[]).filter((l) => l.ifalias === alias);
}

async function getAddresses(namespace: string, name: string): Promise<string[] | null> {
  const info = await showJson(namespace, 'addr', name);
  return info ? ownAddresses(info) : null;
}

/**
 * The link's own IPv4 addresses: not those under another label (the subnet anchors gateway-routes.ts
 * adds as `eth1:t`), which belong to whoever labelled them. Counting them made every attach delete
 * the anchors and the next route sync add them back: address churn charon saw on every reconcile.
 */
export function ownAddresses(link: LinkInfo): string[] {
  return (link.addr_info ?? []).filter((a) => a.family === 'inet' && (!a.label || a.label === link.ifname)).map((a) => `${a.local}/${a.prefixlen}`);
}

/**
 * Several `ip -j` listings of one namespace (`addr show`, `route show table 252`...) from ONE
 * process. An `addr show` must come first: after a `link show` in the same batch, iproute2 5.10
 * lists the links without their addresses.
 */
export async function showAll(namespace: string, commands: readonly string[]): Promise<unknown[][]> {
  const { stdout } = await run('ip', ['-n', namespace, '-j', '-batch', '-'], { input: `${commands.join('\n')}\n` });
  const arrays = stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as unknown[]);
  if (arrays.length !== commands.length) throw new Error(`ip -batch in ${namespace}: ${arrays.length} listings for ${commands.length} commands`);
  return arrays;
}

/** `ip` commands as ONE batch (one process, stops at the first error), in a namespace or (null) ours. */
export async function ipBatch(namespace: string | null, commands: readonly string[]): Promise<void> {
  if (!commands.length) return;
  await run('ip', [...(namespace ? ['-n', namespace] : []), '-batch', '-'], { input: `${commands.join('\n')}\n` });
}

export async function deleteLink(namespace: string, name: string): Promise<void> {
  if (!(await getLink(namespace, name))) return;
  try {
    await run('ip', ['-n', namespace, 'link', 'del', 'dev', name]);
  } catch (e) {
    // Deleting one end of a veth takes the other with it: a racing delete is fine.
    if (!isMissingDevice(e)) throw e;
  }
}

export async function setLinkUp(namespace: string, name: string): Promise<void> {
  await run('ip', ['-n', namespace, 'link', 'set', 'dev', name, 'up']);
}

export async function ensureBridge(namespace: string, name: string): Promise<void> {
  assertIfName(name);
  if (!(await getLink(namespace, name))) {
    await run('ip', ['-n', namespace, 'link', 'add', 'name', name, 'type', 'bridge']);
  }
  await setLinkUp(namespace, name);
}

// A veth pair with one end in each namespace, created directly there (never in the caller's
// namespace, so host interface names cannot clash). `alias` tags end b with its owner: if end b
// exists with another owner's alias, two owners derived the same short name and we refuse.
// With `bUp: false` end b is left as it is (a new pair's end b stays down: nothing passes until
// someone sets it up).
export async function ensureVethPair(a: LinkEnd, b: LinkEnd, alias?: string, opts: { bUp?: boolean } = {}): Promise<void> {
  assertIfName(a.name);
  assertIfName(b.name);
  const la = await getLink(a.namespace, a.name);
  let lb = await getLink(b.namespace, b.name);
  if (lb && alias && lb.ifalias && lb.ifalias !== alias) {
    throw new Error(`interface ${b.name} in ${b.namespace} belongs to '${lb.ifalias}', not '${alias}' (short-name collision)`);
  }
  const paired = la && lb && la.link_index === lb.ifindex && lb.link_index === la.ifindex;
  if (!paired) {
    // Half a pair or two unrelated links: start over.
    if (la) await deleteLink(a.namespace, a.name);
    if (lb) await deleteLink(b.namespace, b.name);
    await run('ip', ['link', 'add', a.name, 'netns', a.namespace, 'type', 'veth', 'peer', 'name', b.name, 'netns', b.namespace]);
    lb = await getLink(b.namespace, b.name);
  }
  if (alias && lb?.ifalias !== alias) await run('ip', ['-n', b.namespace, 'link', 'set', 'dev', b.name, 'alias', alias]);
  await setLinkUp(a.namespace, a.name);
  if (opts.bUp ?? true) await setLinkUp(b.namespace, b.name);
}

/** Gives a link a fixed MAC address (veth allows changing it while up). */
export async function setMacAddress(namespace: string, name: string, mac: string): Promise<void> {
  const link = await getLink(namespace, name);
  if (!link) throw new Error(`interface ${name} missing in namespace ${namespace}`);
  if (link.address?.toLowerCase() !== mac.toLowerCase()) await run('ip', ['-n', namespace, 'link', 'set', 'dev', name, 'address', mac]);
}

export async function setMaster(namespace: string, name: string, bridge: string): Promise<void> {
  const link = await getLink(namespace, name);
  if (!link) throw new Error(`interface ${name} missing in namespace ${namespace}`);
  if (link.master !== bridge) await run('ip', ['-n', namespace, 'link', 'set', 'dev', name, 'master', bridge]);
}

/** Plugs a port into a bridge and sets it up, in one command (a floating-IP move's last step). */
export async function plugIntoBridge(namespace: string, name: string, bridge: string): Promise<void> {
  await run('ip', ['-n', namespace, 'link', 'set', 'dev', name, 'master', bridge, 'up']);
}

// Makes the IPv4 addresses of a link exactly `cidrs` (e.g. '198.51.100.10/24').
export async function setAddresses(namespace: string, name: string, cidrs: readonly string[]): Promise<void> {
  const current = await getAddresses(namespace, name);
  if (!current) throw new Error(`interface ${name} missing in namespace ${namespace}`);
  for (const cidr of current) {
    if (!cidrs.includes(cidr)) await run('ip', ['-n', namespace, 'addr', 'del', cidr, 'dev', name]);
  }
  for (const cidr of cidrs) {
    if (!current.includes(cidr)) await run('ip', ['-n', namespace, 'addr', 'add', cidr, 'dev', name]);
  }
}

export async function replaceRoute(namespace: string, destination: string, via: string, dev: string): Promise<void> {
  await run('ip', ['-n', namespace, 'route', 'replace', destination, 'via', via, 'dev', dev]);
}
