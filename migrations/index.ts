// Every migration in order. Listed explicitly (no glob) so the same list works compiled and under
// jest. Never edit a migration that has landed: add a new one (npm run migration:generate -- Name).
import { Initial1795310251105 } from './1795310251105-Initial';
import { SearchIndexes1795400000000 } from './1795400000000-SearchIndexes';
import { TunnelEvents1795310552459 } from './1795310552459-TunnelEvents';
import { RouteAgents1795400001000 } from './1795400001000-RouteAgents';
import { Monitoring1795400002000 } from './1795400002000-Monitoring';
import { Alerts1795400003000 } from './1795400003000-Alerts';
import { MonitoringTwo1795400004000 } from './1795400004000-MonitoringTwo';
import { Billing1795400010000 } from './1795400010000-Billing';
import { NegotiationDetail1795400020000 } from './1795400020000-NegotiationDetail';
import { StateChangedAt1795400030000 } from './1795400030000-StateChangedAt';
import { AuditEvents1796426601597 } from './1796426601597-AuditEvents';
import { SubnetVni1796508873278 } from './1796508873278-SubnetVni';
import { TunnelInitiatorMode1796511326690 } from './1796511326690-TunnelInitiatorMode';
import { GatewayHostLeases1796512195513 } from './1796512195513-GatewayHostLeases';
import { TunnelOptions1796513400000 } from './1796513400000-TunnelOptions';
import { GatewayBandwidth1796520000000 } from './1796520000000-GatewayBandwidth';
import { ListIndexes1796605000000 } from './1796605000000-ListIndexes';
import { TunnelIdSearchIndex1796606000000 } from './1796606000000-TunnelIdSearchIndex';

export const MIGRATIONS: Function[] = [
  Initial1795310251105,
  TunnelEvents1795310552459,
  SearchIndexes1795400000000,
  RouteAgents1795400001000,
  Monitoring1795400002000,
  Alerts1795400003000,
  MonitoringTwo1795400004000,
  Billing1795400010000,
  NegotiationDetail1795400020000,
  StateChangedAt1795400030000,
  AuditEvents1796426601597,
  SubnetVni1796508873278,
  TunnelInitiatorMode1796511326690,
  GatewayHostLeases1796512195513,
  TunnelOptions1796513400000,
  GatewayBandwidth1796520000000,
  ListIndexes1796605000000,
  TunnelIdSearchIndex1796606000000,
];
