import { ALERT_ENTITIES } from '../alerts/alert.entities';
import { BILLING_ENTITIES } from '../billing/billing.entities';
import { ApiKey } from '../auth/api-key.entity';
import { Tenant } from '../auth/tenant.entity';
import { DataCenter, ExternalIp, Instance, MachineType, Subnet, Vpc } from '../inventory/inventory.entities';
import { GatewayHost } from '../hosts/gateway-host.entity';
import { TunnelEvent } from '../vpn/tunnels/tunnel-event.entity';
import { GatewayMove } from '../hosts/gateway-move.entity';
import { AgentTarget } from '../routes/agent-target.entity';
import { GatewaySample, TunnelSample } from '../monitoring/samples.entity';
import { VpnGateway } from '../vpn/gateways/vpn-gateway.entity';
import { AuditEvent } from '../audit/audit-event.entity';
import { PeerGateway } from '../vpn/peers/peer-gateway.entity';
import { TunnelPair, VpnTunnel } from '../vpn/tunnels/vpn-tunnel.entity';

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
  ...ALERT_ENTITIES,
  ...BILLING_ENTITIES,
  AuditEvent,
];
