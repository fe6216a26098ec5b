// The tunnels' TCP MSS clamps in a gateway's namespace (issue 16): one nftables table the worker
// owns, rewritten whole (one `nft -f` transaction) whenever a tunnel's clamp or subnets change.
// TCP SYNs forwarded to or from a tunnel's remote subnets get their MSS lowered to the clamp, so
// neither end sends segments larger than the tunnel carries.
import { ExecError, run } from './host/exec';

export const MSS_TABLE = 'vpn_mss';

export interface MssClamp {
  tunnelId: string;
  remoteCidrs: string[];
  mss: number;
}

/** The nft script that makes the table exactly these clamps (none: the table goes). Pure. */
export function renderMssClampScript(clamps: MssClamp[]): string {
  // Declaring then deleting makes the delete succeed whether or not the table exists.
  const lines = [`table inet ${MSS_TABLE}`, `delete table inet ${MSS_TABLE}`];
  const rules = clamps.flatMap((c) => {
    if (!Number.isInteger(c.mss) || !/^[A-Za-z0-9_-]+$/.test(c.tunnelId)) throw new Error(`invalid MSS clamp for ${c.tunnelId}`);
    return c.remoteCidrs.flatMap((cidr) => {
      if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr)) throw new Error(`invalid CIDR ${cidr} in the MSS clamp of ${c.tunnelId}`);
      const clamp = `tcp flags & (syn | rst) == syn tcp option maxseg size > ${c.mss} tcp option maxseg size set ${c.mss} comment "${c.tunnelId}"`;
      return [`ip daddr ${cidr} ${clamp}`, `ip saddr ${cidr} ${clamp}`];
    });
  });
  if (rules.length) {
    lines.push(
      `table inet ${MSS_TABLE} {`,
      '  chain forward {',
      '    type filter hook forward priority mangle; policy accept;',
      ...rules.map((r) => `    ${r}`),
      '  }',
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes the clamps into the namespace. Without nft on the host a gateway with no clamp is fine
 * (false: nothing to do); one with a clamp fails with the missing command named.
 */
export async function syncMssClamps(namespace: string, clamps: MssClamp[]): Promise<boolean> {
  try {
    await run('ip', ['netns', 'exec', namespace, 'nft', '-f', '-'], { input: renderMssClampScript(clamps) });
    return true;
  } catch (err) {
    const missing = err instanceof ExecError && /nft.*(No such file|not found)|exec of "nft" failed/i.test(err.message);
    if (missing && !clamps.length) return false;
    if (missing)
      throw new Error(`the TCP MSS clamp needs nftables on this host (apt-get install nftables): ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    throw err;
  }
}
