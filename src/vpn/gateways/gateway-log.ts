// A gateway's own log: what happened to the gateway itself rather than to one tunnel. Today that is
// its moves between gateway hosts (gateway_moves: a failover after its host's lease expired, or an
// operator's drain), each with how long its tunnels took to connect again. Read-only here: the
// worker that took the gateway over writes the move (NegotiationStore.moveGateways, finishMove).
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { MAX_OFFSET } from '../../common/list-query';
import { IsIsoDateTime, Optional, parseIsoDateTime } from '../../common/validators';
import type { GatewayMoveRow, GatewayQueries } from './gateways.queries';

export const GATEWAY_LOG_KINDS = ['failover'] as const;
/** The same reason codes as the tunnels' failover entries. */
export const GATEWAY_MOVE_REASON_CODES = ['host_lease_expired', 'gateway_drained'] as const;

export class GatewayLogQueryDto {
  @ApiPropertyOptional({ minimum: 0, maximum: MAX_OFFSET, default: 0 }) @Optional() @Type(() => Number) @IsInt() @Min(0) @Max(MAX_OFFSET) offset?: number;
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 20 }) @Optional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @ApiPropertyOptional({
    enum: GATEWAY_MOVE_REASON_CODES,
    description: 'Only failovers after a lost host (host_lease_expired) or only drains (gateway_drained)',
  })
  @Optional()
  @IsIn(GATEWAY_MOVE_REASON_CODES)
  reasonCode?: (typeof GATEWAY_MOVE_REASON_CODES)[number];
  @ApiPropertyOptional({ format: 'date-time', description: 'Entries at or after this time' }) @Optional() @IsIsoDateTime() from?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Entries at or before this time' }) @Optional() @IsIsoDateTime() to?: string;
}

export class GatewayLogEntryDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'When the gateway moved' }) at: Date;
  @ApiProperty({ enum: GATEWAY_LOG_KINDS }) kind: string;
  @ApiProperty({ enum: GATEWAY_MOVE_REASON_CODES }) reasonCode: string;
  @ApiProperty({ type: String, nullable: true, description: 'The gateway host it moved from (null: it had none)' }) fromHost: string | null;
  @ApiProperty({ description: 'The gateway host it moved to' }) toHost: string;
  @ApiProperty({
    type: Date,
    nullable: true,
    description: 'When every tunnel of the gateway was connected again (null: not yet, or tunnels that wait for their remote)',
  })
  reconnectedAt: Date | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Seconds from the move to reconnectedAt' }) reconnectSeconds: number | null;
  @ApiProperty() message: string;
}

export class GatewayLogPageDto {
  @ApiProperty({ type: [GatewayLogEntryDto] }) items: GatewayLogEntryDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}

/** One page of the gateway's log, newest first. */
export async function gatewayLogPage(queries: GatewayQueries, gatewayId: string, q: GatewayLogQueryDto): Promise<GatewayLogPageDto> {
  const offset = q.offset ?? 0;
  const limit = q.limit ?? 20;
  const { rows, total } = await queries.moves(
    gatewayId,
    {
      ...(q.reasonCode && { reason: q.reasonCode === 'gateway_drained' ? 'drain' : 'lease_expired' }),
      ...(q.from && { from: parseIsoDateTime(q.from) }),
      ...(q.to && { to: parseIsoDateTime(q.to) }),
    },
    offset,
    limit,
  );
  return { items: rows.map(entry), total, offset, limit };
}

function entry(r: GatewayMoveRow): GatewayLogEntryDto {
  const from = r.from_host_id ?? '(none)';
  const why = r.reason === 'drain' ? `while ${from} was drained` : `after ${from}'s lease expired`;
  const secs = r.secs === null ? null : Math.round(r.secs * 10) / 10;
  const outcome =
    secs === null ? 'its tunnels are reconnecting (or wait for their remote to initiate)' : `every tunnel connected again in ${secs.toFixed(1)} s`;
  return {
    id: String(r.id),
    at: r.moved_at,
    kind: 'failover',
    reasonCode: r.reason === 'drain' ? 'gateway_drained' : 'host_lease_expired',
    fromHost: r.from_host_id,
    toHost: r.to_host_id,
    reconnectedAt: r.reconnected_at,
    reconnectSeconds: secs,
    message: `The gateway moved from host ${from} to host ${r.to_host_id} ${why}; ${outcome}.`,
  };
}
