import { ApiKey } from '../auth/api-key.entity';
import { Tenant } from '../auth/tenant.entity';
import { DataCenter } from '../inventory/data-center.entity';
import { ExternalIp } from '../inventory/external-ip.entity';
import { Instance } from '../inventory/instance.entity';
import { MachineType } from '../inventory/machine-type.entity';
import { Subnet } from '../inventory/subnet.entity';
import { Vpc } from '../inventory/vpc.entity';
import { GatewayHost } from '../hosts/gateway-host.entity';
import { TunnelEvent } from '../vpn/tunnels/tunnel-event.entity';
import { GatewayMove } from '../hosts/gateway-move.entity';
import { AgentTarget } from '../routes/agent-target.entity';
import { GatewaySample } from '../monitoring/gateway-sample.entity';
import { TunnelSample } from '../monitoring/tunnel-sample.entity';
import { VpnGateway } from '../vpn/gateways/vpn-gateway.entity';
import { AuditEvent } from '../audit/audit-event.entity';
import { PeerGateway } from '../vpn/peers/peer-gateway.entity';
import { TunnelPair } from '../vpn/tunnels/tunnel-pair.entity';
import { VpnTunnel } from '../vpn/tunnels/vpn-tunnel.entity';

import { AlertTemplate } from '../alerts/alert-template.entity';
import { AlertState } from '../alerts/alert-state.entity';
import { Alert } from '../alerts/alert.entity';
import { Notification } from '../alerts/notification.entity';
import { WebhookDelivery } from '../alerts/webhook-delivery.entity';
import { AlertEvaluatorClaim } from '../alerts/alert-evaluator-claim.entity';
import { Price } from '../billing/price.entity';
import { Account } from '../billing/account.entity';
import { LedgerEntry } from '../billing/ledger-entry.entity';
import { Order } from '../billing/order.entity';
import { BillingSettings } from '../billing/billing-settings.entity';
import { BillingNotice } from '../billing/billing-notice.entity';
/** Every entity, in one list shared by the API, the worker, the migration tools and the tests. */
export const ENTITIES = [
  Tenant,
  ApiKey,
  DataCenter,
  MachineType,
  Vpc,
  Subnet,
  ExternalIp,
  Instance,
  GatewayHost,
  VpnGateway,
  PeerGateway,
  VpnTunnel,
  TunnelPair,
  TunnelEvent,
  GatewayMove,
  AgentTarget,
  TunnelSample,
  GatewaySample,
  AlertTemplate,
  AlertState,
  Alert,
  Notification,
  WebhookDelivery,
  AlertEvaluatorClaim,
  Price,
  Account,
  LedgerEntry,
  Order,
  BillingSettings,
  BillingNotice,
  AuditEvent,
];
