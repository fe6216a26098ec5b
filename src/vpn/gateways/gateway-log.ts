// A gateway's own log: what happened to the gateway itself rather than to one tunnel. Today that is
// its moves between gateway hosts (gateway_moves: a failover after its host's lease expired, or an
// operator's drain), each with how long its tunnels took to connect again. Read-only here: the
// worker that took the gateway over writes the move (NegotiationStore.moveGateways, finishMove).
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { MAX_OFFSET } from '../../common/list-query';
import { IsIsoDateTime, Optional, parseIsoDateTime } from '../../common/validators';

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

interface MoveRow {
  id: string;
  moved_at: Date;
  reason: string;
  from_host_id: string | null;
  to_host_id: string;
  reconnected_at: Date | null;
  secs: number | null;
  total: string;
}

/** One page of the gateway's log, newest first. */
export async function gatewayLogPage(db: DataSource, gatewayId: string, q: GatewayLogQueryDto): Promise<GatewayLogPageDto> {
  const offset = q.offset ?? 0;
  const limit = q.limit ?? 20;
  const params: unknown[] = [gatewayId];
  const where = ['gateway_id = $1'];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (q.reasonCode) add('reason = ?', q.reasonCode === 'gateway_drained' ? 'drain' : 'lease_expired');
  if (q.from) add('moved_at >= ?', parseIsoDateTime(q.from));
  if (q.to) add('moved_at <= ?', parseIsoDateTime(q.to));
  params.push(offset, limit);
  const rows: MoveRow[] = await db.query(
    `SELECT id, moved_at, reason, from_host_id, to_host_id, reconnected_at, extract(epoch FROM reconnected_at - moved_at)::float8 AS secs, count(*) OVER () AS total
       FROM gateway_moves WHERE ${where.join(' AND ')} ORDER BY moved_at DESC, id DESC OFFSET $${params.length - 1} LIMIT $${params.length}`,
    params,
  );
  const total = rows.length
    ? Number(rows[0].total)
    : offset > 0
      ? Number((await db.query(`SELECT count(*) AS n FROM gateway_moves WHERE ${where.join(' AND ')}`, params.slice(0, -2)))[0].n)
      : 0;
  return { items: rows.map(entry), total, offset, limit };
}

function entry(r: MoveRow): GatewayLogEntryDto {
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
