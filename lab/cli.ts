// `node dist/lab/cli.js <verb>`: the lab from a shell. Reads the environment here, at the edge;
// the library (lab.ts) takes everything as options.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Lab, sweepIdleGatewayNamespaces } from './lab';
import { ParsedArgs, parseArgs, requireFlag, stringFlag, USAGE } from './cli-args';
import { formatAgents } from './lab-agents';
import { LabHosts } from './lab-hosts';
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

// The lab's worker next to this CLI (dist/lab/cli.js -> dist/lab/lab-worker.js), with the shell's
// environment (DATABASE_URL, REDIS_URL, SECRETS_KEY...: `source .run/secrets.env` after npm start).
async function host(lab: Lab, args: ParsedArgs, sub: string | undefined, id: string | undefined): Promise<number> {
  const hosts = new LabHosts({
    dir: join(lab.store.dir, 'hosts'),
    prefix: lab.prefix,
    workerScript: resolve(__dirname, 'lab-worker.js'),
    baseEnv: process.env,
  });
  if (!sub || sub === 'list') {
    for (const h of hosts.list()) console.log(`${h.id}\t${h.condition}\tpid ${h.pid}\tlog ${h.log}`);
    return 0;
  }
  if (!id) throw new Error(`lab host ${sub} <id>`);
  switch (sub) {
    case 'add': {
      const capacity = stringFlag(args, 'capacity');
      const h = hosts.add(id, capacity ? { HOST_CAPACITY: capacity } : {});
      console.log(`host ${id}: worker pid ${h.pid}, gateways in ${h.gatewaysDir}, log ${h.log}`);
      return 0;
    }
    case 'kill': {
      const r = await hosts.kill(id);
      console.log(`host ${id} killed: worker and ${r.charons} charon(s) SIGKILLed, ${r.links} link(s) cut`);
      return 0;
    }
    case 'freeze':
      hosts.freeze(id);
      console.log(`host ${id} frozen (worker stopped; its charons keep running)`);
      return 0;
    case 'revive': {
      const h = hosts.revive(id);
      console.log(`host ${id} running, worker pid ${h.pid}`);
      return 0;
    }
    default:
      throw new Error(`unknown: lab host ${sub}\n${USAGE}`);
  }
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
      // The explicit cleanup: gateway namespaces of labs that are gone (lab.down() leaves other labs' alone).
      await sweepIdleGatewayNamespaces();
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
    case 'host':
      return host(lab, args, sub, name);
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
