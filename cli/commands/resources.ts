// get | describe | delete <kind>, and create <kind> with a flag for every field.
import type { Command } from 'commander';
import { readFileSync } from 'fs';
import type { VpnClient } from '../../sdk/client';
import type { Schemas } from '../../sdk/errors';
import { client, collect, groupFlag, intFlag, print } from '../context';
import { UsageError } from '../errors';
import { outputFormat, render } from '../output';
import { alertTemplates, gateways, kindNamed, listEvery, peers, resolve, singular, tunnels, type ListFilters } from '../resources';
import { buyGateway, gatewayBuyOptions, type BuyFlags } from './gateway';

interface GetFlags extends ListFilters {
  output: string;
  limit?: string;
}

export function resourceCommands(program: Command): void {
  program
    .command('get')
    .description('List gateways, peers, tunnels or alert-templates (every page), or show one by name or id')
    .argument('<kind>', 'gateways | peers | tunnels | alert-templates')
    .argument('[name-or-id]')
    .option('-o, --output <format>', 'table|json|yaml', 'table')
    .option('-q, --search <text>', "Fuzzy search over name, id and addresses (as the console's search box)")
    .option('--gateway <name-or-id>', 'tunnels: of this gateway')
    .option('--peer <name-or-id>', 'tunnels: to this peer')
    .option('--vpc <name-or-id>', 'gateways: in this VPC')
    .option('--state <state>', 'gateways, tunnels: resource state (creating, running, deleting, error, expired)')
    .option('--connection <state>', 'tunnels: connection state (connecting, connected, phase1_failed, phase2_failed)')
    .option('--sort <field>', 'Sort field (createdAt, name, ...)')
    .option('--order <order>', 'asc|desc')
    .option('--limit <n>', 'At most this many rows')
    .action(async (kindWord: string, nameOrId: string | undefined, o: GetFlags & { search?: string }) => {
      const kind = kindNamed(kindWord);
      const format = outputFormat(o.output, 'table');
      const vpn = client();
      if (nameOrId) {
        print(render(await resolve(vpn, kind, nameOrId), format, kind.columns));
        return;
      }
      if (o.order && o.order !== 'asc' && o.order !== 'desc') throw new UsageError(`--order must be asc or desc (got ${o.order})`);
      let rows = await listEvery(vpn, kind, { ...o, q: o.search });
      if (o.limit) rows = rows.slice(0, intFlag(o.limit, '--limit'));
      print(render(rows, format, kind.columns));
    });

  program
    .command('describe')
    .description('Everything about one resource (YAML by default)')
    .argument('<kind>', 'gateway | peer | tunnel | alert-template')
    .argument('<name-or-id>')
    .option('-o, --output <format>', 'table|json|yaml', 'yaml')
    .action(async (kindWord: string, nameOrId: string, o: { output: string }) => {
      const kind = kindNamed(kindWord);
      print(render(await resolve(client(), kind, nameOrId), outputFormat(o.output, 'yaml'), kind.columns));
    });

  program
    .command('delete')
    .description('Delete resources by name or id (a gateway or peer with tunnels is refused)')
    .argument('<kind>', 'gateway | peer | tunnel | alert-template')
    .argument('<name-or-id...>')
    .action(async (kindWord: string, names: string[]) => {
      const kind = kindNamed(kindWord);
      const vpn = client();
      for (const n of names) {
        const r = await resolve(vpn, kind, n);
        const result = await kind.remove(vpn, r.id);
        print(`${singular(kind)} ${r.name} (${r.id}) ${result.deleting.includes(r.id) ? 'is being deleted' : 'deleted'}`);
      }
    });

  const create = program.command('create').description('Create a peer, gateway, tunnel or alert template from flags');

  create
    .command('peer')
    .description("A peer gateway: the remote device's public address")
    .requiredOption('--name <name>')
    .requiredOption('--ip <address>', 'Public IPv4 address; 0.0.0.0 accepts any (the remote initiates)')
    .option('--remark <text>')
    .option('-o, --output <format>', 'table|json|yaml', 'table')
    .action(async (o: { name: string; ip: string; remark?: string; output: string }) => {
      const format = outputFormat(o.output, 'table');
      const vpn = client();
      const p = await vpn.call(
        vpn.api.POST('/api/v1/peer-gateways', { body: { name: o.name, ipAddress: o.ip, ...(o.remark !== undefined ? { remark: o.remark } : {}) } }),
      );
      print(render(p, format, peers.columns));
    });

  gatewayBuyOptions(create.command('gateway').description('Buy a VPN gateway (same as `gateway buy`): shows the quote and asks to confirm')).action(
    async (o: BuyFlags) => buyGateway(o),
  );

  tunnelCreateOptions(create.command('tunnel').description('A tunnel between a gateway and a peer, with its IKE and IPsec policies')).action(
    async (o: TunnelFlags) => {
      const format = outputFormat(o.output, 'table');
      const vpn = client();
      const t = await vpn.call(vpn.api.POST('/api/v1/vpn-tunnels', { body: await tunnelBody(vpn, o) }));
      print(render(t, format, tunnels.columns));
    },
  );

  create
    .command('alert-template')
    .description('An alert template: rules and channels')
    .requiredOption('--name <name>')
    .option('--description <text>')
    .option('--rule <metric:comparator:threshold:periods>', 'A rule, e.g. tunnel_health:lt:1:3 (repeatable)', collect, [])
    .option('--webhook <url>', 'A webhook channel (repeatable)', collect, [])
    .option('--webhook-secret <secret>', 'Signing secret for the webhooks')
    .option('--console', 'A console channel (notifications in the console)')
    .option('--default', "Make it the tenant's default template")
    .option('-o, --output <format>', 'table|json|yaml', 'table')
    .action(
      async (o: {
        name: string;
        description?: string;
        rule: string[];
        webhook: string[];
        webhookSecret?: string;
        console?: boolean;
        default?: boolean;
        output: string;
      }) => {
        const format = outputFormat(o.output, 'table');
        if (!o.rule.length) throw new UsageError('give at least one --rule metric:comparator:threshold:periods');
        const rules = o.rule.map((r) => {
          const [metric, comparator, threshold, periods, ...rest] = r.split(':');
          if (rest.length || periods === undefined || Number.isNaN(Number(threshold)))
            throw new UsageError(`--rule must be metric:comparator:threshold:periods (got ${r})`);
          return { metric, comparator, threshold: Number(threshold), periods: intFlag(periods, '--rule periods') };
        });
        const channels = [
          ...o.webhook.map((url) => ({ type: 'webhook' as const, url, ...(o.webhookSecret ? { secret: o.webhookSecret } : {}) })),
          ...(o.console ? [{ type: 'console' as const }] : []),
        ];
        const vpn = client();
        const body = { name: o.name, rules, channels, ...(o.description ? { description: o.description } : {}), ...(o.default ? { isDefault: true } : {}) };
        const t = await vpn.call(vpn.api.POST('/api/v1/alert-templates', { body: body as Schemas['CreateAlertTemplateDto'] }));
        print(render(t, format, alertTemplates.columns));
      },
    );
}

export interface TunnelFlags {
  name: string;
  remark?: string;
  gateway: string;
  peer: string;
  localSubnet: string[];
  remoteCidr: string[];
  psk?: string;
  pskStdin?: boolean;
  ikeVersion?: string;
  ikeAuth?: string;
  ikeEncryption?: string;
  ikeExchangeMode?: string;
  ikeDhGroup?: string;
  ikeLocalId?: string;
  ikeRemoteId?: string;
  ikeLifetime?: string;
  ipsecProtocol?: string;
  ipsecAuth?: string;
  ipsecEncryption?: string;
  ipsecPfsGroup?: string;
  ipsecLifetime?: string;
  output: string;
}

export function tunnelCreateOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--name <name>')
    .option('--remark <text>')
    .requiredOption('--gateway <name-or-id>')
    .requiredOption('--peer <name-or-id>')
    .option('--local-subnet <name-cidr-or-id>', "A subnet of the gateway's VPC (repeatable)", collect, [])
    .option('--remote-cidr <cidr>', 'A remote subnet (repeatable)', collect, [])
    .option('--psk <key>', 'Pre-shared key (visible in the process list: prefer --psk-stdin)')
    .option('--psk-stdin', 'Read the pre-shared key from standard input')
    .option('--ike-version <v1|v2>')
    .option('--ike-auth <md5|sha1|sha2-256>')
    .option('--ike-encryption <3des|aes128|aes192|aes256>')
    .option('--ike-exchange-mode <main|aggressive>', 'IKEv1 only')
    .option('--ike-dh-group <1|2|5|14|24>')
    .option('--ike-local-id <ip-or-fqdn>')
    .option('--ike-remote-id <ip-or-fqdn>')
    .option('--ike-lifetime <seconds>', '3600-86400')
    .option('--ipsec-protocol <esp|ah>')
    .option('--ipsec-auth <md5|sha1>')
    .option('--ipsec-encryption <3des|aes128|aes192|aes256>', 'ESP only')
    .option('--ipsec-pfs-group <1|2|5|14|24|disable>')
    .option('--ipsec-lifetime <seconds>', '3600-86400')
    .option('-o, --output <format>', 'table|json|yaml', 'table');
}

/** Flags -> the create body; what is left out takes the API's defaults. Names resolve to ids. */
async function tunnelBody(vpn: VpnClient, o: TunnelFlags): Promise<Schemas['CreateTunnelDto']> {
  const psk = o.pskStdin ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : o.psk;
  if (psk === undefined) throw new UsageError('give --psk KEY or --psk-stdin');
  if (!o.localSubnet.length || !o.remoteCidr.length) throw new UsageError('give at least one --local-subnet and one --remote-cidr');
  const gateway = await resolve(vpn, gateways, o.gateway);
  const peer = await resolve(vpn, peers, o.peer);
  const subnets = await listSubnets(vpn, gateway.vpc.id);
  const localSubnetIds = o.localSubnet.map((s) => subnets.find((x) => x.id === s || x.name === s || x.cidr === s)?.id ?? s);
  const defined = <T extends object>(obj: T) => Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
  const ike = defined({
    version: o.ikeVersion,
    authAlgorithm: o.ikeAuth,
    encryptionAlgorithm: o.ikeEncryption,
    exchangeMode: o.ikeExchangeMode,
    dhGroup: o.ikeDhGroup === undefined ? undefined : groupFlag(o.ikeDhGroup, '--ike-dh-group', false),
    localId: o.ikeLocalId,
    remoteId: o.ikeRemoteId,
    lifetimeSeconds: o.ikeLifetime === undefined ? undefined : intFlag(o.ikeLifetime, '--ike-lifetime'),
  });
  const ipsec = defined({
    protocol: o.ipsecProtocol,
    authAlgorithm: o.ipsecAuth,
    encryptionAlgorithm: o.ipsecEncryption,
    pfsGroup: o.ipsecPfsGroup === undefined ? undefined : groupFlag(o.ipsecPfsGroup, '--ipsec-pfs-group', true),
    lifetimeSeconds: o.ipsecLifetime === undefined ? undefined : intFlag(o.ipsecLifetime, '--ipsec-lifetime'),
  });
  return {
    name: o.name,
    gatewayId: gateway.id,
    peerId: peer.id,
    localSubnetIds,
    remoteCidrs: o.remoteCidr,
    psk,
    ...(o.remark !== undefined ? { remark: o.remark } : {}),
    ...(Object.keys(ike).length ? { ikePolicy: ike as Schemas['IkePolicyDto'] } : {}),
    ...(Object.keys(ipsec).length ? { ipsecPolicy: ipsec as Schemas['IpsecPolicyDto'] } : {}),
  };
}

async function listSubnets(vpn: VpnClient, vpcId: string) {
  return (await vpn.call(vpn.api.GET('/api/v1/subnets', { params: { query: { vpcId, limit: 1000 } } }))).items;
}
