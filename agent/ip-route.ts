// The kernel's routing table through iproute2. With a namespace every command gets `-n <ns>`
// (the lab runs the agent beside the instance); without, the agent's own namespace (a real VM).
// One change set costs one listing and one `ip -batch` process, whatever its size: a process per
// route made a 100-instance push cost 3 processes per instance per change.
import { execFile, spawn } from 'node:child_process';
import { DesiredRoute, KernelRoute, parseIpRoutes, RouteDelete } from './routes';

export type RouteChange = { op: 'replace'; route: DesiredRoute } | { op: 'remove'; route: RouteDelete };

export interface RouteTable {
  // owned: routes with our protocol; foreign: every other route of the main table.
  list(): Promise<{ owned: KernelRoute[]; foreign: KernelRoute[] }>;
  // Applies the changes in order, each independently of the others' failures; per change, null
  // when it took effect or what failed.
  apply(changes: readonly RouteChange[]): Promise<(string | null)[]>;
}

// What `ip` printed when a command failed: the text an operator needs in the report.
export class IpError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
  ) {
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

/**
 * Runs `ip -force -batch -` with one command per line (argv without the leading `ip`). With
 * -force ip goes on after a failure, printing what the kernel said followed by
 * `Command failed -:<line>`; the result maps those back to the lines (null: the line succeeded).
 */
export function ipBatch(globalArgs: readonly string[], lines: readonly (readonly string[])[], timeoutMs = 10_000): Promise<(string | null)[]> {
  if (lines.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const child = spawn('ip', [...globalArgs, '-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new IpError([...globalArgs, '-batch', '-'], e.message));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal) return reject(new IpError([...globalArgs, '-batch', '-'], `killed by ${signal} after ${timeoutMs} ms`));
      const results = parseBatchErrors(stderr, lines.length);
      // A non-zero exit with no line blamed (ip itself failed, e.g. a namespace that does not exist).
      if (code !== 0 && results.every((r) => r === null)) return reject(new IpError([...globalArgs, '-batch', '-'], stderr.trim() || `exit ${code}`));
      resolve(results);
    });
    child.stdin.on('error', () => undefined); // ip exiting early is reported by 'close'
    child.stdin.end(lines.map((l) => l.join(' ')).join('\n') + '\n');
  });
}

/** Pure: ip's -force -batch stderr -> per line, null or the message printed before its `Command failed -:N`. */
export function parseBatchErrors(stderr: string, lineCount: number): (string | null)[] {
  const results: (string | null)[] = new Array(lineCount).fill(null);
  let pending: string[] = [];
  for (const text of stderr.split('\n')) {
    const failed = /^Command failed -:(\d+)$/.exec(text.trim());
    if (failed) {
      const index = Number(failed[1]) - 1;
      if (index >= 0 && index < lineCount) results[index] = pending.join(' ').trim() || 'failed';
      pending = [];
    } else if (text.trim()) {
      pending.push(text.trim());
    }
  }
  return results;
}

export class IpRouteTable implements RouteTable {
  private readonly nsArgs: string[];

  constructor(
    readonly proto: number,
    readonly netns?: string,
  ) {
    this.nsArgs = netns ? ['-n', netns] : [];
  }

  async list(): Promise<{ owned: KernelRoute[]; foreign: KernelRoute[] }> {
    // One listing (-N: protocols as numbers, not names from rt_protos) tells ours from the rest.
    const all = parseIpRoutes(await ip([...this.nsArgs, '-N', '-j', 'route', 'show']));
    const proto = String(this.proto);
    return { owned: all.filter((r) => r.protocol === proto), foreign: all.filter((r) => r.protocol !== proto) };
  }

  async apply(changes: readonly RouteChange[]): Promise<(string | null)[]> {
    const lines = changes.map((c) => this.commandOf(c));
    const results = await ipBatch(this.nsArgs, lines);
    // Each failure reads as the single command would have: what an operator can paste and retry.
    return results.map((err, i) => (err === null ? null : `ip ${[...this.nsArgs, ...lines[i]].join(' ')}: ${err}`));
  }

  private commandOf(c: RouteChange): string[] {
    const proto = String(this.proto);
    if (c.op === 'replace') return ['route', 'replace', c.route.destination, 'via', c.route.via, 'proto', proto];
    // `proto` makes the kernel match only our route, never another protocol's at the same prefix.
    const metric = c.route.metric ? ['metric', String(c.route.metric)] : [];
    return ['route', 'del', c.route.destination, 'proto', proto, ...metric];
  }
}
