import { ApiProperty } from '@nestjs/swagger';

/** How many gateways are placed on a host, in total and per resource state. */
export class GatewayHostGatewaysDto {
  @ApiProperty({ description: 'Every gateway placed on the host, whatever its state (counts against capacity)' }) total: number;
  @ApiProperty() creating: number;
  @ApiProperty() running: number;
  @ApiProperty() deleting: number;
  @ApiProperty() error: number;
  @ApiProperty() expired: number;
}

/** The host's BullMQ queue (`host.<id>`) by job state. */
export class GatewayHostQueueDto {
  @ApiProperty({ example: 'host.gw-host-1' }) name: string;
  @ApiProperty({ description: 'Jobs still to be done: waiting + active + delayed + prioritized + waiting-children' }) depth: number;
  @ApiProperty() waiting: number;
  @ApiProperty() active: number;
  @ApiProperty() delayed: number;
  @ApiProperty() prioritized: number;
  @ApiProperty() waitingChildren: number;
  @ApiProperty({ description: 'Failed jobs kept for inspection (the last 100)' }) failed: number;
}

/** A gateway or tunnel on the host in state error, with the worker's own words (tenants see a generic reason). */
export class GatewayHostProblemDto {
  @ApiProperty({ enum: ['gateway', 'tunnel'] }) kind: 'gateway' | 'tunnel';
  @ApiProperty() id: string;
  @ApiProperty() tenantId: string;
  @ApiProperty({ description: 'The detailed reason (host internals included): operators only' }) reason: string;
}

/** A drain in progress: the host's gateways move to other hosts one at a time. */
export class GatewayHostDrainDto {
  @ApiProperty({ type: Date }) startedAt: Date;
  @ApiProperty({ description: 'Gateways moved off the host since the drain started' }) moved: number;
  @ApiProperty({ description: 'Gateways still on the host' }) remaining: number;
  @ApiProperty({ description: 'No gateway left on the host' }) done: boolean;
}

/** Gateways moved onto and off the host (failovers after a lost lease, and drains). */
export class GatewayHostFailoversDto {
  @ApiProperty({ description: 'Gateways taken over from other hosts whose lease expired' }) in: number;
  @ApiProperty({ description: "Gateways other hosts took over after this host's lease expired" }) out: number;
  @ApiProperty({ type: Date, nullable: true, description: 'The last failover onto or off the host' }) lastAt: Date | null;
}

export class GatewayHostDto {
  @ApiProperty({ example: 'gw-host-1' }) id: string;
  @ApiProperty({ example: 'vpn-node-1' }) hostname: string;
  @ApiProperty({ description: 'How many gateways may be placed on the host' }) capacity: number;
  @ApiProperty({ type: Date, description: "The worker's last heartbeat" }) lastSeenAt: Date;
  @ApiProperty({
    description: 'The host holds its lease (`leaseExpiresAt` is in the future): it serves its gateways. Once it expires, live hosts take them over',
  })
  live: boolean;
  @ApiProperty({ example: 4, description: 'The lease TTL in seconds (30 for a host that never held a lease: judged by its heartbeat)' })
  livenessSeconds: number;
  @ApiProperty({ type: Date, nullable: true, description: "Until when the host's lease holds (renewed about every second)" }) leaseExpiresAt: Date | null;
  @ApiProperty({ description: 'No new gateways are placed on the host (an operator cordoned it, or it is draining)' }) cordoned: boolean;
  @ApiProperty({ type: GatewayHostDrainDto, nullable: true, description: 'null unless the host is draining' }) drain: GatewayHostDrainDto | null;
  @ApiProperty({ description: 'Tunnels of the gateways placed on the host' }) tunnels: number;
  @ApiProperty({ description: 'Of those, connected' }) tunnelsConnected: number;
  @ApiProperty({ type: GatewayHostFailoversDto }) failovers: GatewayHostFailoversDto;
  @ApiProperty({ type: GatewayHostGatewaysDto }) gateways: GatewayHostGatewaysDto;
  @ApiProperty({ type: GatewayHostQueueDto, nullable: true, description: 'null when Redis did not answer in time' }) queue: GatewayHostQueueDto | null;
  @ApiProperty({ type: [GatewayHostProblemDto], description: 'Gateways and tunnels in state error on this host (at most 50), newest first' })
  problems: GatewayHostProblemDto[];
}

/** A job of the host's queue that failed after its attempts (GET /gateway-hosts/{id}/failed-jobs). */
export class GatewayHostFailedJobDto {
  @ApiProperty({ example: 'tunnel.sync.vpntnl-abc.v3' }) id: string;
  @ApiProperty({ enum: ['gateway.sync', 'gateway.delete', 'tunnel.sync', 'tunnel.delete'] }) name: string;
  @ApiProperty({ type: String, nullable: true, description: 'The gateway or tunnel the job was for' }) resourceId: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The worker's error (host internals included): operators only" }) failedReason: string | null;
  @ApiProperty() attemptsMade: number;
  @ApiProperty({ type: Date, description: 'When the job was queued' }) queuedAt: Date;
  @ApiProperty({ type: Date, nullable: true, description: 'When its last attempt failed' }) failedAt: Date | null;
}

export class GatewayHostFailedJobsDto {
  @ApiProperty({ example: 'host.gw-host-1' }) queue: string;
  @ApiProperty({ description: 'false when Redis did not answer within 3 s (then jobs is empty)' }) available: boolean;
  @ApiProperty({ type: [GatewayHostFailedJobDto], description: 'Newest first, at most 50 (the queue keeps the last 100)' }) jobs: GatewayHostFailedJobDto[];
}
