// gateway buy: the quote first, then "buy now" once confirmed (it charges the balance).
import type { Command } from 'commander';
import { client, confirm, intFlag, print } from '../context';
import { CliError, UsageError } from '../errors';
import { outputFormat, render } from '../output';
import { gateways, resolveExternalIp, resolveMachineType, resolveSubnet, resolveVpc } from '../resources';

export interface BuyFlags {
  name: string;
  remark?: string;
  vpc: string;
  subnet: string;
  externalIp: string;
  machineType: string;
  chargeType: string;
  period?: string;
  yes?: boolean;
  output: string;
}

const CHARGE_TYPES = ['hourly', 'monthly', 'yearly'] as const;

export function gatewayBuyOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--name <name>')
    .option('--remark <text>')
    .requiredOption('--vpc <name-or-id>')
    .requiredOption('--subnet <name-cidr-or-id>', 'A subnet of that VPC')
    .option('--external-ip <address-or-id>', 'An external IP of the tenant; auto: the first one bound to nothing', 'auto')
    .requiredOption('--machine-type <name-or-id>')
    .option('--charge-type <hourly|monthly|yearly>', 'How it is paid', 'monthly')
    .option('--period <n>', 'Months or years paid at once')
    .option('-y, --yes', 'Buy without asking')
    .option('-o, --output <format>', 'table|json|yaml', 'table');
}

export async function buyGateway(o: BuyFlags): Promise<void> {
  const format = outputFormat(o.output, 'table');
  if (!(CHARGE_TYPES as readonly string[]).includes(o.chargeType))
    throw new UsageError(`--charge-type must be one of ${CHARGE_TYPES.join(', ')} (got ${o.chargeType})`);
  const chargeType = o.chargeType as (typeof CHARGE_TYPES)[number];
  const period = o.period === undefined ? undefined : intFlag(o.period, '--period');
  const vpn = client();
  const vpc = await resolveVpc(vpn, o.vpc);
  const subnet = await resolveSubnet(vpn, vpc.id, o.subnet);
  const eip = await resolveExternalIp(vpn, o.externalIp);
  const machineType = await resolveMachineType(vpn, o.machineType);
  const quote = await vpn.call(
    vpn.api.POST('/api/v1/vpn-gateways/quote', { body: { machineTypeId: machineType.id, chargeType, ...(period ? { period } : {}) } }),
  );
  const money = (minor: number | null) => (minor === null ? '-' : `${(minor / 100).toFixed(2)} ${quote.currency}`);
  // The quote goes to stderr with -o json|yaml, so stdout stays the gateway alone.
  const say = format === 'table' ? print : (text: string) => process.stderr.write(`${text}\n`);
  say(`Gateway ${o.name}: ${machineType.name}, VPC ${vpc.name}, subnet ${subnet.name} (${subnet.cidr}), external IP ${eip.address}`);
  say(
    `Price: ${money(quote.amount)} (${chargeType}${quote.period ? `, ${quote.period} period(s)` : ''})${quote.expiresAt ? `, paid until ${quote.expiresAt}` : ''}; balance ${money(quote.balance)}`,
  );
  if (!quote.affordable) throw new CliError(`the balance (${money(quote.balance)}) does not cover ${money(quote.amount)}: top up first`);
  if (!(await confirm('Buy it?', o.yes, 'gateway buy charges the balance'))) {
    say('Not bought.');
    return;
  }
  const body = {
    name: o.name,
    machineTypeId: machineType.id,
    vpcId: vpc.id,
    subnetId: subnet.id,
    externalIpId: eip.id,
    chargeType,
    ...(period ? { period } : {}),
    ...(o.remark !== undefined ? { remark: o.remark } : {}),
  };
  const g = await vpn.call(vpn.api.POST('/api/v1/vpn-gateways', { body }));
  print(render(g, format, gateways.columns));
}

export function gatewayCommands(program: Command): void {
  const gateway = program.command('gateway').description('Gateway actions');
  gatewayBuyOptions(gateway.command('buy').description('Show the quote, ask to confirm (--yes to skip), buy the gateway')).action(async (o: BuyFlags) =>
    buyGateway(o),
  );
}
