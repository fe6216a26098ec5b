// The agent's configuration from flags and environment. Pure: main.ts passes argv and env in.
export const DEFAULT_PROTO = 201; // our routing protocol number; no name in /etc/iproute2/rt_protos ("vpc-route-agent")
export const DEFAULT_WAIT_SECONDS = 25;
export const MAX_WAIT_SECONDS = 30; // the API holds a long poll at most this long
export const DEFAULT_AUTH_RETRY_SECONDS = 30;
// 0-4 are unspec, redirect, kernel, boot, static: routes the agent must never claim.
const RESERVED_PROTOS = new Set([0, 1, 2, 3, 4]);

export interface AgentConfig {
  apiUrl: string;
  tokenFile?: string;
  token?: string; // from AGENT_TOKEN only (never argv, so `ps` does not show it)
  stateFile?: string;
  proto: number;
  waitSeconds: number;
  authRetrySeconds: number;
  netns?: string; // absent: the agent's own namespace (a real VM); set: `ip -n <netns>` (the lab)
  once: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const VALUE_FLAGS = ['api-url', 'token-file', 'state-file', 'proto', 'wait', 'netns', 'auth-retry'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

export const AGENT_USAGE = `usage: node dist/agent/main.js --api-url URL (--token-file FILE | env AGENT_TOKEN) [options]

  --api-url URL        the console API (env AGENT_API_URL), e.g. http://10.0.0.2:8080
  --token-file FILE    file holding the agent token (env AGENT_TOKEN_FILE); re-read on every request
  --state-file FILE    last applied version and routes, JSON (env AGENT_STATE_FILE)
  --proto N            routing protocol number marking the agent's routes (default ${DEFAULT_PROTO})
  --wait S             long-poll wait, 0-${MAX_WAIT_SECONDS} s (default ${DEFAULT_WAIT_SECONDS})
  --auth-retry S       retry interval after 401 (default ${DEFAULT_AUTH_RETRY_SECONDS})
  --netns NAME         act on network namespace NAME with 'ip -n' (env AGENT_NETNS); default: our own
  --once               fetch and apply once, then exit (status 0 when applied)
`;

export function parseAgentArgs(argv: readonly string[], env: Record<string, string | undefined>): AgentConfig | 'help' {
  const v: Partial<Record<ValueFlag, string>> = {};
  let once = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--once') {
      once = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument '${arg}'`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (name === 'token') throw new ConfigError('the token is never passed on the command line (ps shows it): use --token-file or AGENT_TOKEN');
    if (!(VALUE_FLAGS as readonly string[]).includes(name)) throw new ConfigError(`unknown option --${name}`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) throw new ConfigError(`--${name} needs a value`);
    v[name as ValueFlag] = value;
  }
  const apiUrl = v['api-url'] ?? env.AGENT_API_URL;
  if (!apiUrl) throw new ConfigError('--api-url (or AGENT_API_URL) is required');
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new ConfigError(`--api-url '${apiUrl}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`--api-url must be http(s), not ${url.protocol}`);
  const tokenFile = v['token-file'] ?? env.AGENT_TOKEN_FILE;
  const token = tokenFile ? undefined : env.AGENT_TOKEN?.trim();
  if (!tokenFile && !token) throw new ConfigError('no token: pass --token-file (or AGENT_TOKEN_FILE), or set AGENT_TOKEN');
  const netns = v.netns ?? env.AGENT_NETNS;
  if (netns !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(netns)) throw new ConfigError(`invalid network namespace name '${netns}'`);
  const proto = integer('proto', v.proto, DEFAULT_PROTO, 0, 255);
  if (RESERVED_PROTOS.has(proto)) throw new ConfigError(`--proto ${proto} is reserved (kernel/boot/static...): pick 5-255, default ${DEFAULT_PROTO}`);
  return {
    apiUrl: apiUrl.replace(/\/+$/, ''),
    tokenFile,
    token,
    stateFile: v['state-file'] ?? env.AGENT_STATE_FILE,
    proto,
    waitSeconds: integer('wait', v.wait, DEFAULT_WAIT_SECONDS, 0, MAX_WAIT_SECONDS),
    authRetrySeconds: integer('auth-retry', v['auth-retry'], DEFAULT_AUTH_RETRY_SECONDS, 1, 3600),
    netns,
    once,
  };
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new ConfigError(`--${name} must be an integer ${min}-${max}, not '${raw}'`);
  return Number(raw);
}

// The API URL for logs: without any user:password part.
export function displayUrl(apiUrl: string): string {
  try {
    const u = new URL(apiUrl);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '<invalid url>';
  }
}
