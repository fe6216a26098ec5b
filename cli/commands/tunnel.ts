// tunnel config | logs | wait
import type { Command } from 'commander';
import { writeFileSync } from 'fs';
import { waitForTunnel, WaitTimeout, type ConnectionState } from '../../sdk/client';
import { ApiError, type Schemas } from '../../sdk/errors';
import { client, intFlag, print } from '../context';
import { parseDuration } from '../durations';
import { CliError, EXIT, UsageError } from '../errors';
import { outputFormat, render } from '../output';
import { progressPrinter } from '../progress';
import { resolve, tunnels } from '../resources';

type LogEntry = Schemas['TunnelLogEntryDto'];
const CONNECTION_STATES: ConnectionState[] = ['connecting', 'connected', 'phase1_failed', 'phase2_failed'];
const FOLLOW_INTERVAL_MS = 2000;

function logLine(e: LogEntry): string {
  const parts = [e.at, e.kind, e.result ?? '', e.phase ? `phase ${e.phase}` : '', e.reasonCode ?? '', e.message].filter(Boolean);
  return parts.join('  ');
}

export function tunnelCommands(program: Command): void {
  const tunnel = program.command('tunnel').description("Tunnel actions: the remote side's configuration, the connection log, waiting for a state");

  tunnel
    .command('config')
    .description('The configuration for a side of the tunnel (stdout, or --out FILE)')
    .argument('<name-or-id>')
    .option('--side <side>', 'remote (the remote device) or platform (strongswan-ipsec only)', 'remote')
    .option('--vendor <vendor>', "strongswan-ipsec | strongswan-swanctl | libreswan | cisco-ios | huawei (default: the API's)")
    .option('--out <file>', 'Write to this file (mode 600: it holds the PSK)')
    .action(async (nameOrId: string, o: { side: string; vendor?: string; out?: string }) => {
      const vpn = client();
      const t = await resolve(vpn, tunnels, nameOrId);
      const query = { side: o.side, ...(o.vendor ? { vendor: o.vendor } : {}) } as never;
      const text = await vpn.call(vpn.api.GET('/api/v1/vpn-tunnels/{id}/config', { params: { path: { id: t.id }, query }, parseAs: 'text' }));
      if (o.out) writeFileSync(o.out, text, { mode: 0o600 });
      else process.stdout.write(text);
    });

  tunnel
    .command('logs')
    .description('The connection log, oldest first; --follow prints new entries as they come')
    .argument('<name-or-id>')
    .option('--follow', 'Keep printing new entries (Ctrl-C to stop)')
    .option('--limit <n>', 'The last n entries', '20')
    .option('--kind <kind>', 'attempt | connected | down | rekey | config | deleted')
    .option('--result <result>', 'success | failure')
    .option('-o, --output <format>', 'table (one line per entry) | json (one object per line) | yaml', 'table')
    .action(async (nameOrId: string, o: { follow?: boolean; limit: string; kind?: string; result?: string; output: string }) => {
      const format = outputFormat(o.output, 'table');
      const limit = intFlag(o.limit, '--limit');
      if (limit < 1 || limit > 200) throw new UsageError('--limit must be 1-200');
      const vpn = client();
      const t = await resolve(vpn, tunnels, nameOrId);
      const seen = new Set<string>();
      const show = (entries: LogEntry[]) => {
        const fresh = entries.filter((e) => !seen.has(e.id)).reverse();
        for (const e of fresh) seen.add(e.id);
        if (!fresh.length) return;
        if (format === 'json') for (const e of fresh) print(JSON.stringify(e));
        else if (format === 'yaml') print(render(fresh, 'yaml', []));
        else for (const e of fresh) print(logLine(e));
      };
      // Following, every poll asks for all entries since the newest seen (the page's maximum).
      const read = async (from?: string) =>
        (
          await vpn.call(
            vpn.api.GET('/api/v1/vpn-tunnels/{id}/logs', {
              params: {
                path: { id: t.id },
                query: {
                  limit: from ? 200 : limit,
                  ...(o.kind ? { kind: o.kind } : {}),
                  ...(o.result ? { result: o.result } : {}),
                  ...(from ? { from } : {}),
                } as never,
              },
            }),
          )
        ).items;
      const first = await read();
      show(first);
      let newest = first[0]?.at;
      while (o.follow) {
        await new Promise((r) => setTimeout(r, FOLLOW_INTERVAL_MS));
        let entries: LogEntry[];
        try {
          entries = await read(newest);
        } catch (e) {
          if (e instanceof ApiError && e.status === 404) throw new CliError(`tunnel ${t.id} was deleted`);
          throw e;
        }
        show(entries);
        if (entries[0]) newest = entries[0].at;
      }
    });

  tunnel
    .command('wait')
    .description('Wait until the tunnel reaches a connection state; exit 3 on timeout')
    .argument('<name-or-id>')
    .option('--for <state>', 'connecting | connected | phase1_failed | phase2_failed', 'connected')
    .option('--timeout <duration>', 'e.g. 60s, 5m', '5m')
    .option('--interval <duration>', 'Between two reads', '1s')
    .action(async (nameOrId: string, o: { for: string; timeout: string; interval: string }) => {
      if (!CONNECTION_STATES.includes(o.for as ConnectionState)) throw new UsageError(`--for must be one of ${CONNECTION_STATES.join(', ')} (got ${o.for})`);
      const timeoutMs = parseDuration(o.timeout, '--timeout');
      const intervalMs = parseDuration(o.interval, '--interval');
      const vpn = client();
      const t = await resolve(vpn, tunnels, nameOrId);
      const progress = progressPrinter();
      try {
        const done = await waitForTunnel(vpn, t.id, o.for as ConnectionState, { timeoutMs, intervalMs, onProgress: progress.update });
        progress.done();
        print(`tunnel ${done.name} (${done.id}) is ${done.connectionState}`);
      } catch (e) {
        progress.done();
        if (e instanceof WaitTimeout) throw new CliError(`timed out: ${e.message}`, EXIT.timeout);
        throw e;
      }
    });
}
