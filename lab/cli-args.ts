// Command-line parsing for `lab`: pure, so it is unit-tested.
export const VALUE_FLAGS = new Set(['state-dir', 'prefix', 'api-url', 'admin-key', 'public-ip', 'subnet', 'conf', 'secrets', 'kind']);
export const BOOLEAN_FLAGS = new Set(['no-register', 'no-agents', 'router', 'json', 'help']);

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean>;
  // Everything after `--` (the command of `exec`), untouched.
  command: string[];
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { positionals: [], flags: {}, command: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.command = argv.slice(i + 1);
      break;
    }
    if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
      if (BOOLEAN_FLAGS.has(name)) {
        if (inline !== undefined) throw new Error(`--${name} takes no value`);
        out.flags[name] = true;
      } else if (VALUE_FLAGS.has(name)) {
        const value = inline ?? argv[++i];
        if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new Error(`--${name} needs a value`);
        out.flags[name] = value;
      } else {
        throw new Error(`unknown option --${name}`);
      }
    } else if (arg === '-h') {
      out.flags.help = true;
    } else {
      out.positionals.push(arg);
    }
  }
  return out;
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function requireFlag(args: ParsedArgs, name: string): string {
  const v = stringFlag(args, name);
  if (!v) throw new Error(`--${name} is required`);
  return v;
}

export const USAGE = `usage: lab <verb> [options]

  up [--no-register] [--no-agents]
                                build the internet, the demo VPCs and instances; register them in the API;
                                run a route agent per instance and VPC router (agents stop|start restart)
  down                          remove everything the lab made (sites, namespaces, /etc/netns files)
  status [--json]
  site add <name> --public-ip <ip> --subnet <cidr> [--kind starter|swanctl] [--conf <file>] [--secrets <file>]
                                starter: --conf is an ipsec.conf, --secrets an ipsec.secrets (legacy starter);
                                swanctl: --conf is a swanctl.conf (connections and secrets), loaded with
                                swanctl --load-all; --secrets (optional) extra swanctl secrets
  site rm <name> | site list | site reload <name> | site stop <name> | site start <name>
  site status <name>            ipsec statusall (starter) or swanctl --list-conns/--list-sas (swanctl)
  site exec <name> [--router] -- <cmd...>   run on the site's host (or its router, beside the IKE daemon)
  vm exec <instance> -- <cmd...>
  agents [--json]               route agents: pid, running, last log line (logs in <state dir>/agents/)
  agents stop <name> | agents start <name>   by instance name, or VPC name for its router
  host add <id> [--capacity N]  start another gateway host (a worker) on this machine, with the shell's
                                DATABASE_URL, REDIS_URL, SECRETS_KEY (source .run/secrets.env)
  host kill <id>                power loss: SIGKILL the worker and its charons, cut its gateways' links
  host freeze <id>              SIGSTOP the worker only (its charons keep running: split brain)
  host revive <id>              continue a frozen worker, or start a killed one again
  host list

options: --state-dir DIR (env LAB_STATE_DIR, default /var/lib/vpn-console/lab)
         --prefix P      (env LAB_PREFIX, default vl): namespace prefix
         --api-url URL   (env LAB_API_URL, default http://127.0.0.1:8080)
         --admin-key K   (env ADMIN_API_KEY)
`;
