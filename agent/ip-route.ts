// The kernel's routing table through iproute2. With a namespace every command gets `-n <ns>`
// (the lab runs the agent beside the instance); without, the agent's own namespace (a real VM).
import { execFile } from 'node:child_process';
import { DesiredRoute, KernelRoute, parseIpRoutes, RouteDelete } from './routes';

export interface RouteTable {
  // owned: routes with our protocol; foreign: every other route of the main table.
  list(): Promise<{ owned: KernelRoute[]; foreign: KernelRoute[] }>;
  replace(route: DesiredRoute): Promise<void>;
  remove(route: RouteDelete): Promise<void>;
}

// What `ip` printed when a command failed: the text an operator needs in the report.
export class IpError extends Error {
  constructor(readonly args: readonly string[], readonly stderr: string) {
    super(`ip ${args.join(' ')}: ${stderr || 'failed'}`);
    this.name = 'IpError';
  }
}

export function ip(args: readonly string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args as string[], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new IpError(args, (stderr || error.message).trim()));
      else resolve(stdout);
    });
  });
}

export class IpRouteTable implements RouteTable {
  private readonly nsArgs: string[];

  constructor(readonly proto: number, readonly netns?: string) {
    this.nsArgs = netns ? ['-n', netns] : [];
  }

  async list(): Promise<{ owned: KernelRoute[]; foreign: KernelRoute[] }> {
    // The kernel filters ours by protocol; the full listing (-N: protocols as numbers, not names
    // from rt_protos) tells which destinations other protocols hold.
    const owned = parseIpRoutes(await ip([...this.nsArgs, '-j', 'route', 'show', 'proto', String(this.proto)]));
    const all = parseIpRoutes(await ip([...this.nsArgs, '-N', '-j', 'route', 'show']));
    return { owned, foreign: all.filter((r) => r.protocol !== String(this.proto)) };
  }

  async replace(r: DesiredRoute): Promise<void> {
    await ip([...this.nsArgs, 'route', 'replace', r.destination, 'via', r.via, 'proto', String(this.proto)]);
  }

  async remove(r: RouteDelete): Promise<void> {
    // `proto` makes the kernel match only our route, never another protocol's at the same prefix.
    const metric = r.metric ? ['metric', String(r.metric)] : [];
    await ip([...this.nsArgs, 'route', 'del', r.destination, 'proto', String(this.proto), ...metric]);
  }
}
