// Where vpnctl finds the API: VPNCTL_API_URL / VPNCTL_API_KEY, else the file `vpnctl login` wrote
// ($VPNCTL_CONFIG, default $XDG_CONFIG_HOME/vpnctl/config.json or ~/.config/vpnctl/config.json,
// mode 600: it holds a key).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { homedir } from 'os';
import { dirname, join } from 'path';
import { CliError } from './errors';

export interface Credentials {
  apiUrl: string;
  apiKey: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VPNCTL_CONFIG) return env.VPNCTL_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'vpnctl', 'config.json');
}

/** The API's origin: a URL given with /api/v1 (as docs/api.md writes it) works too. */
export function normalizeApiUrl(url: string): string {
  const u = new URL(url); // throws on a non-URL: the caller reports it as a usage error
  return `${u.origin}${u.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}`;
}

function readFile(env: NodeJS.ProcessEnv): Partial<Credentials> {
  const path = configPath(env);
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<Credentials>;
  } catch (e) {
    throw new CliError(`${path} is not valid JSON (${(e as Error).message}): run vpnctl login again`);
  }
}

export function loadCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  const file = readFile(env);
  const apiUrl = env.VPNCTL_API_URL || file.apiUrl;
  const apiKey = env.VPNCTL_API_KEY || file.apiKey;
  if (!apiUrl || !apiKey) throw new CliError('not logged in: run `vpnctl login --api-url URL --api-key KEY` (or set VPNCTL_API_URL and VPNCTL_API_KEY)');
  return { apiUrl: normalizeApiUrl(apiUrl), apiKey };
}

export function saveCredentials(creds: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const path = configPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify(creds, null, 2) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its mode on write
  return path;
}
