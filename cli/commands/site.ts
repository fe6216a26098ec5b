// plan -f / apply -f: a site file made true.
import type { Command } from 'commander';
import { applyPlan } from '../site/apply';
import { formatPlan, makePlan, planAsData, readCurrent, type Plan } from '../site/plan';
import { readSite } from '../site/site-file';
import { client, confirm, print } from '../context';
import { parseDuration } from '../durations';
import { CliError, UsageError } from '../errors';

function blockedError(plan: Plan): CliError {
  return new CliError(
    `${plan.blocked.length} field(s) cannot change in place`,
    1,
    plan.blocked.map((b) => `${b.kind} ${b.name}: ${b.field} [rule: immutable]`),
  );
}

export function siteCommands(program: Command): void {
  program
    .command('plan')
    .description('What apply would create, change (field by field, PSKs masked) and, with --prune, delete')
    .requiredOption('-f, --file <site.yaml>', 'The site file (- for standard input)')
    .option('--prune', "Also delete the tenant's peers, gateways and tunnels the file does not name")
    .option('-o, --output <format>', 'text | json', 'text')
    .action(async (o: { file: string; prune?: boolean; output: string }) => {
      if (o.output !== 'text' && o.output !== 'json') throw new UsageError(`-o must be text or json for plan (got ${o.output})`);
      const site = readSite(o.file);
      const vpn = client();
      const current = await readCurrent(vpn, site);
      const plan = await makePlan(vpn, site, current, { prune: !!o.prune });
      print(o.output === 'json' ? JSON.stringify(planAsData(plan), null, 2) : formatPlan(plan, o.file));
      if (plan.blocked.length) throw blockedError(plan);
    });

  program
    .command('apply')
    .description('Make the tenant match the file: create, change (and with --prune delete), then wait for its tunnels')
    .requiredOption('-f, --file <site.yaml>', 'The site file (- for standard input)')
    .option('--prune', "Also delete the tenant's peers, gateways and tunnels the file does not name")
    .option('--no-wait', 'Do not wait for the tunnels to connect')
    .option('--timeout <duration>', 'How long to wait for the tunnels (and deletions)', '5m')
    .option('-y, --yes', 'Apply without asking (required when not on a terminal)')
    .action(async (o: { file: string; prune?: boolean; wait: boolean; timeout: string; yes?: boolean }) => {
      const timeoutMs = parseDuration(o.timeout, '--timeout');
      const site = readSite(o.file);
      const vpn = client();
      const current = await readCurrent(vpn, site);
      const plan = await makePlan(vpn, site, current, { prune: !!o.prune });
      print(formatPlan(plan, o.file));
      if (plan.blocked.length) throw blockedError(plan);
      if (plan.steps.length) {
        if (!(await confirm('Apply these changes?', o.yes, 'apply changes the tenant (and buys gateways)'))) {
          print('Nothing applied.');
          return;
        }
      }
      await applyPlan(vpn, site, current, plan, { wait: o.wait, timeoutMs, log: print });
      if (plan.steps.length) print(`Applied: ${plan.steps.length} change(s).`);
    });
}
