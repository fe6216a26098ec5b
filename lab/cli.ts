// `node dist/lab/cli.js <verb>`: the lab from a shell. Reads the environment here, at the edge;
// the library (lab.ts) takes everything as options.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Lab } from './lab';
import { ParsedArgs, parseArgs, requireFlag, stringFlag, USAGE } from './cli-args';
import { formatAgents } from './lab-agents';
import { formatSites, formatStatus } from './lab-status';
import { SiteKind } from './lab-state';
import { SITE_KINDS } from './lab-site-daemon';

function makeLab(args: ParsedArgs): Lab {
  const env = process.env;
  return new Lab({
    stateDir: stringFlag(args, 'state-dir') ?? env.LAB_STATE_DIR,
    prefix: stringFlag(args, 'prefix') ?? env.LAB_PREFIX,
    api: {
      baseUrl: stringFlag(args, 'api-url') ?? env.LAB_API_URL ?? 'http://127.0.0.1:8080',
      adminKey: stringFlag(args, 'admin-key') ?? env.ADMIN_API_KEY ?? '',
    },
  });
}

// Runs an interactive command with the terminal attached and returns its exit code.
function passthrough(argv: string[]): number {
  const [bin, ...rest] = argv;
  const r = spawnSync(bin, rest, { stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function needCommand(args: ParsedArgs): string[] {
  if (!args.command.length) throw new Error('missing command: ... exec <name> -- <cmd...>');
  return args.command;
}

function siteKind(value: string | undefined): SiteKind {
  const kind = (value ?? 'starter') as SiteKind;
  if (!SITE_KINDS.includes(kind)) throw new Error(`--kind must be one of ${SITE_KINDS.join(', ')} (got '${value}')`);
  return kind;
}

async function site(lab: Lab, args: ParsedArgs, sub: string | undefined, name: string | undefined): Promise<number> {
  if (sub === 'list') {
    console.log(formatSites((await lab.status()).sites));
    return 0;
  }
  if (!name) throw new Error(`lab site ${sub ?? '<verb>'} <name>`);
  switch (sub) {
    case 'add': {
      const conf = stringFlag(args, 'conf');
      const secrets = stringFlag(args, 'secrets');
      const s = await lab.addSite({
        name,
        publicIp: requireFlag(args, 'public-ip'),
        subnet: requireFlag(args, 'subnet'),
        kind: siteKind(stringFlag(args, 'kind')),
        confFile: conf ? resolve(conf) : undefined,
        secretsFile: secrets ? resolve(secrets) : undefined,
      });
      console.log(`site ${s.name}: router ${s.routerNamespace} (${s.publicIp}), host ${s.hostNamespace} in ${s.subnet}, daemon pid ${s.pid}`);
      return 0;
    }
    case 'rm':
      await lab.removeSite(name);
      console.log(`site ${name} removed`);
      return 0;
    case 'reload':
      await lab.reloadSite(name);
      console.log(`site ${name}: configuration and secrets re-read`);
      return 0;
    case 'stop':
      await lab.stopSite(name);
      console.log(`site ${name}: IKE daemon stopped`);
      return 0;
    case 'start':
      await lab.startSite(name);
      console.log(`site ${name}: IKE daemon started`);
      return 0;
    case 'status':
      console.log(await lab.siteStatus(name));
      return 0;
    case 'exec':
      return passthrough(lab.siteExecArgv(name, needCommand(args), { router: args.flags.router === true }));
    default:
      throw new Error(`unknown: lab site ${sub}\n${USAGE}`);
  }
}

async function agents(lab: Lab, args: ParsedArgs, sub: string | undefined, name: string | undefined): Promise<number> {
  if (!sub || sub === 'list') {
    const list = lab.agentStatus();
    console.log(args.flags.json ? JSON.stringify(list, null, 2) : formatAgents(list));
    return 0;
  }
  if (!name) throw new Error(`lab agents ${sub} <name>`);
  if (sub === 'stop') {
    await lab.stopAgent(name);
    console.log(`agent ${name} stopped (its routes stay)`);
  } else if (sub === 'start') {
    console.log(`agent ${name} started, pid ${await lab.startAgent(name)}`);
  } else {
    throw new Error(`unknown: lab agents ${sub}\n${USAGE}`);
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const [verb, sub, name] = args.positionals;
  if (!verb || args.flags.help) {
    console.log(USAGE);
    return verb ? 0 : 2;
  }
  const lab = makeLab(args);
  switch (verb) {
    case 'up': {
      const r = await lab.up({ register: args.flags['no-register'] !== true, agents: args.flags['no-agents'] !== true });
      for (const c of r.created) console.log(`created ${c}`);
      for (const w of r.warnings) console.error(`warning: ${w}`);
      if (r.newTenantApiKey) {
        // Shown once by the API: the only chance to see it.
        console.log(`demo tenant API key (shown once, keep it): ${r.newTenantApiKey}`);
      }
      console.log(`lab '${lab.prefix}' is up`);
      return 0;
    }
    case 'down':
      await lab.down();
      console.log(`lab '${lab.prefix}' is down`);
      return 0;
    case 'status': {
      const st = await lab.status();
      console.log(args.flags.json ? JSON.stringify(st, null, 2) : formatStatus(st));
      return 0;
    }
    case 'site':
      return site(lab, args, sub, name);
    case 'agents':
      return agents(lab, args, sub, name);
    case 'vm':
      if (sub !== 'exec' || !name) throw new Error('lab vm exec <instance> -- <cmd...>');
      return passthrough(lab.vmExecArgv(name, needCommand(args)));
    default:
      throw new Error(`unknown verb '${verb}'\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`lab: ${e.message}`);
    process.exit(1);
  },
);
