import type { OpenAPIObject } from '@nestjs/swagger';

// OpenAPI operation ids: camelCase verb + resource (`listVpnTunnels`, `createVpnTunnel`), the names
// a generated client's methods get. Derived from the controller and handler names by one convention,
// with the handlers whose verb is not list/get/create/update/remove named here.

/** Controller -> [singular, plural] resource name as a client sees it. */
const RESOURCES: Record<string, [string, string]> = {
  HealthController: ['Health', 'Health'],
  MeController: ['Me', 'Me'],
  ChangesController: ['Changes', 'Changes'],
  OverviewController: ['Overview', 'Overview'],
  TenantsController: ['Tenant', 'Tenants'],
  DataCentersController: ['DataCenter', 'DataCenters'],
  MachineTypesController: ['MachineType', 'MachineTypes'],
  VpcsController: ['Vpc', 'Vpcs'],
  SubnetsController: ['Subnet', 'Subnets'],
  ExternalIpsController: ['ExternalIp', 'ExternalIps'],
  InstancesController: ['Instance', 'Instances'],
  GatewaysController: ['VpnGateway', 'VpnGateways'],
  PeersController: ['PeerGateway', 'PeerGateways'],
  TunnelsController: ['VpnTunnel', 'VpnTunnels'],
  GatewayHostsController: ['GatewayHost', 'GatewayHosts'],
  AlertTemplatesController: ['AlertTemplate', 'AlertTemplates'],
  AlertsController: ['Alert', 'Alerts'],
  NotificationsController: ['Notification', 'Notifications'],
  WebhookDeliveriesController: ['WebhookDelivery', 'WebhookDeliveries'],
  PricesController: ['Price', 'Prices'],
  OrdersController: ['Order', 'Orders'],
  LedgerController: ['LedgerEntry', 'LedgerEntries'],
  AccountController: ['Account', 'Accounts'],
  TenantAccountsController: ['TenantAccount', 'TenantAccounts'],
  AuditController: ['AuditEvent', 'AuditEvents'],
};

const VERBS: Record<string, (singular: string, plural: string) => string> = {
  list: (_s, p) => `list${p}`,
  get: (s) => `get${s}`,
  create: (s) => `create${s}`,
  update: (s) => `update${s}`,
  remove: (s) => `delete${s}`,
  batchRemove: (_s, p) => `batchDelete${p}`,
  export: (_s, p) => `export${p}`,
};

/** Handlers outside the convention. */
const NAMED: Record<string, string> = {
  'HealthController.health': 'getHealth',
  'HealthController.live': 'getLiveness',
  'HealthController.ready': 'getReadiness',
  'MeController.me': 'getMe',
  'TenantsController.issueKey': 'createTenantApiKey',
  'TenantsController.listKeys': 'listTenantApiKeys',
  'TenantsController.revokeKey': 'deleteTenantApiKey',
  'TunnelsController.rename': 'updateVpnTunnel',
  'TunnelsController.config': 'getVpnTunnelConfig',
  'TunnelsController.logs': 'listVpnTunnelLogs',
  'TunnelsController.updateSubnets': 'updateVpnTunnelSubnets',
  'TunnelsController.updateIke': 'updateVpnTunnelIkePolicy',
  'TunnelsController.updateIpsec': 'updateVpnTunnelIpsecPolicy',
  'TunnelsController.checkRemoteConfig': 'checkVpnTunnelRemoteConfig',
  'TunnelsController.exportLogs': 'exportVpnTunnelLogs',
  'GatewaysController.logs': 'listVpnGatewayLogs',
  'GatewayHostsController.failedJobs': 'listGatewayHostFailedJobs',
  'GatewayBillingController.deletePreview': 'getVpnGatewayDeletePreview',
  'RemoteConfigController.vendors': 'listRemoteConfigVendors',
  'RouteAgentController.desired': 'getAgentRoutes',
  'RouteAgentController.report': 'reportAgentStatus',
  'AgentsAdminController.issueInstance': 'createInstanceAgentToken',
  'AgentsAdminController.revokeInstance': 'deleteInstanceAgentToken',
  'AgentsAdminController.issueRouter': 'createVpcRouterToken',
  'AgentsAdminController.revokeRouter': 'deleteVpcRouterToken',
  'AgentsAdminController.agents': 'listAgents',
  'GatewayAlertTemplateController.bind': 'bindVpnGatewayAlertTemplate',
  'TunnelAlertTemplateController.bind': 'bindVpnTunnelAlertTemplate',
  'NotificationsController.readAll': 'markAllNotificationsRead',
  'NotificationsController.read': 'markNotificationRead',
  'MonitoringController.tunnel': 'getVpnTunnelMetrics',
  'MonitoringController.gateway': 'getVpnGatewayMetrics',
  'PrometheusController.metrics': 'getPrometheusMetrics',
  'PricesController.put': 'replacePrices',
  'GatewayBillingController.quote': 'quoteVpnGateway',
  'GatewayBillingController.renew': 'renewVpnGateway',
  'OrdersController.refund': 'refundOrder',
  'TenantAccountsController.topUp': 'topUpTenantAccount',
  'BillingController.usage': 'getBillingUsage',
  'BillingController.settings': 'getBillingSettings',
  'BillingController.updateSettings': 'updateBillingSettings',
  'BillingController.sweep': 'runBillingSweep',
};

/** `SwaggerModule.createDocument`'s operationIdFactory. */
export function operationId(controllerKey: string, methodKey: string): string {
  const named = NAMED[`${controllerKey}.${methodKey}`];
  if (named) return named;
  const resource = RESOURCES[controllerKey];
  const verb = VERBS[methodKey];
  if (resource && verb) return verb(...resource);
  // A new controller or handler: still a camelCase verb first; the OpenAPI test lists it for naming.
  const noun = resource?.[0] ?? controllerKey.replace(/Controller$/, '');
  return `${methodKey}${noun}`;
}

const ACRONYMS: Record<string, string> = { vpn: 'VPN', ip: 'IP', ips: 'IPs', ike: 'IKE', ipsec: 'IPsec', api: 'API', vpc: 'VPC', vpcs: 'VPCs' };

/** `listVpnTunnels` -> "List VPN tunnels": the summary of an operation that has none of its own. */
export function summaryFromOperationId(id: string): string {
  const words = id
    .split(/(?=[A-Z])/)
    .map((w) => w.toLowerCase())
    .map((w) => ACRONYMS[w] ?? w);
  return words.map((w, i) => (i === 0 ? w[0].toUpperCase() + w.slice(1) : w)).join(' ');
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Every operation gets a summary (its own, or read from its id) and a security requirement: an
 * operation that declares none is public (health), and says so with `security: []`.
 */
export function completeOperations(doc: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      if (!op.summary && op.operationId) op.summary = summaryFromOperationId(op.operationId);
      if (!op.security) op.security = [];
    }
  }
  return doc;
}
