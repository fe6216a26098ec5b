// Exit codes (docs/cli.md): 0 ok, 1 error (the API refused, not found, a bad site file), 2 usage
// (the command line itself), 3 timed out waiting.
import { ApiError } from '../sdk/errors';

export const EXIT = { ok: 0, error: 1, usage: 2, timeout: 3 } as const;

/** A mistake in the command line: exit 2. */
export class UsageError extends Error {}

/** A failure to report as it is (exit 1, or the code given). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

/** The lines to print for an error: the API's message, then each violation's field and rule. */
export function describeError(e: unknown): { lines: string[]; exitCode: number } {
  if (e instanceof ApiError) {
    const head = e.status === 0 ? `cannot reach the API: ${e.message}` : `${e.message} (HTTP ${e.status}${e.code ? `, ${e.code}` : ''})`;
    const lines = [`error: ${head}`];
    for (const v of e.violations) lines.push(`  ${v.field}: ${v.message} [rule: ${v.rule}]`);
    return { lines, exitCode: EXIT.error };
  }
  if (e instanceof UsageError) return { lines: [`usage error: ${e.message}`], exitCode: EXIT.usage };
  if (e instanceof CliError) return { lines: [`error: ${e.message}`, ...e.details.map((d) => `  ${d}`)], exitCode: e.exitCode };
  return { lines: [`error: ${e instanceof Error ? e.message : String(e)}`], exitCode: EXIT.error };
}
