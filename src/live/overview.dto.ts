import { ApiProperty } from '@nestjs/swagger';
import { AlertDto } from '../alerts/alerts.dto';
import { CONNECTION_STATES, ConnectionState } from '../common/states';

export class OverviewFailureDto {
  @ApiProperty() code: string;
  @ApiProperty() message: string;
}

export class OverviewTunnelDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: CONNECTION_STATES }) connectionState: ConnectionState;
  @ApiProperty() resourceState: string;
  @ApiProperty({ type: OverviewFailureDto, nullable: true }) failure: OverviewFailureDto | null;
  @ApiProperty() stateChangedAt: Date;
  @ApiProperty({ type: Date, nullable: true, description: 'Since when it is connected; null while it is not' }) connectedAt: Date | null;
  @ApiProperty({ type: Date, nullable: true, description: 'When it last stopped being connected; null: never connected' }) disconnectedAt: Date | null;
  @ApiProperty() gatewayId: string;
  @ApiProperty() gatewayName: string;
  @ApiProperty() peerId: string;
  @ApiProperty() peerName: string;
  @ApiProperty() peerIp: string;
}

export class OverviewGatewayDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() resourceState: string;
  @ApiProperty({ type: String, nullable: true }) stateReason: string | null;
  @ApiProperty() externalIp: string;
  @ApiProperty() vpcId: string;
  @ApiProperty({ type: Date, nullable: true }) expiresAt: Date | null;
  @ApiProperty() autoRenew: boolean;
  @ApiProperty() chargeType: string;
}

export class OverviewVpcDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() cidr: string;
}

export class OverviewTopologyTunnelDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() gatewayId: string;
  @ApiProperty() peerId: string;
  @ApiProperty({ enum: CONNECTION_STATES }) connectionState: ConnectionState;
}

export class OverviewPeerDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() ipAddress: string;
}

export class TopologyDto {
  @ApiProperty({ type: [OverviewVpcDto] }) vpcs: OverviewVpcDto[];
  @ApiProperty({ type: [OverviewGatewayDto] }) gateways: OverviewGatewayDto[];
  @ApiProperty({ type: [OverviewTopologyTunnelDto] }) tunnels: OverviewTopologyTunnelDto[];
  @ApiProperty({ type: [OverviewPeerDto] }) peers: OverviewPeerDto[];
}

export class OverviewDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Tunnels per connection state (every state present, 0 when none)',
    example: { connecting: 3, connected: 950, phase1_failed: 40, phase2_failed: 7 },
  })
  tunnelsByState: Record<string, number>;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Gateways per resource state (every state present)',
    example: { creating: 0, running: 50, deleting: 0, error: 0, expired: 0 },
  })
  gatewaysByState: Record<string, number>;
  @ApiProperty({
    type: [OverviewTunnelDto],
    description: 'Failing now: phase 1/2 failed, or connecting after having been connected; most recent change first, at most 20',
  })
  failing: OverviewTunnelDto[];
  @ApiProperty({ description: 'How many tunnels are failing in all' }) failingTotal: number;
  @ApiProperty({ type: [OverviewGatewayDto], description: 'Gateways expiring within 7 days or already expired, soonest first, at most 10' })
  expiringSoon: OverviewGatewayDto[];
  @ApiProperty({ type: [AlertDto], description: 'The 5 most recent alerts' }) recentAlerts: AlertDto[];
  @ApiProperty({ type: TopologyDto, description: 'VPCs -> gateways -> tunnels -> peers, for the topology (every gateway, tunnel and peer of the tenant)' })
  topology: TopologyDto;
}
