// What every command needs: the client (from the saved login or the environment), output, prompts.
import { createInterface } from 'readline';
import { createVpnClient, type VpnClient } from '../sdk/client';
import { loadCredentials } from './config';
import { UsageError } from './errors';

export function client(): VpnClient {
  const creds = loadCredentials();
  return createVpnClient({ baseUrl: creds.apiUrl, apiKey: creds.apiKey });
}

export const print = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

/** Yes to go on: --yes, or "y" typed on a terminal; without a terminal and --yes it is a usage error. */
export async function confirm(question: string, yes: boolean | undefined, what: string): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) throw new UsageError(`${what}: pass --yes to confirm when not on a terminal`);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** Every value of a repeatable flag (commander's collector). */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

export function intFlag(value: string, flag: string): number {
  if (!/^-?\d+$/.test(value)) throw new UsageError(`${flag} must be an integer (got ${value})`);
  return Number(value);
}

/** A DH/PFS group flag: a number, or "disable" where it is allowed. */
export function groupFlag(value: string, flag: string, allowDisable: boolean): number | 'disable' {
  if (allowDisable && value === 'disable') return 'disable';
  return intFlag(value, flag);
}
