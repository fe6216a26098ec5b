// The wait's progress: one line rewritten in place on a terminal, a plain line per change when piped.
import type { Tunnel } from '../sdk/client';

export function describeTunnelState(t: Tunnel): string {
  const parts = [`${t.name}: ${t.resourceState}/${t.connectionState}`];
  if (t.failure) parts.push(`attempt ${t.failure.tries}`, `reason ${t.failure.code}`);
  return parts.join(', ');
}

export function progressPrinter(stream: NodeJS.WriteStream = process.stdout) {
  let last = '';
  const live = stream.isTTY === true;
  const started = Date.now();
  return {
    update(t: Tunnel): void {
      const line = describeTunnelState(t);
      if (live) {
        stream.write(`\r\x1b[2K${line} (${Math.round((Date.now() - started) / 1000)} s)`);
      } else if (line !== last) {
        stream.write(`${line}\n`);
      }
      last = line;
    },
    done(): void {
      if (live && last) stream.write('\n');
    },
  };
}
