import { PUSH_ERROR_CODES, PushErrorCode } from './push-errors';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, Max, MaxLength, Min, ValidateBy, ValidateIf } from 'class-validator';
import { Optional } from '../common/validators';

export class RouteDto {
  @ApiProperty({ example: '172.16.1.0/24' }) destination: string;
  @ApiProperty({ example: '10.1.1.254' }) via: string;
}

export class AgentRoutesDto {
  @ApiProperty({ description: 'Opaque version of the route set; send it back to wait for a change' }) version: string;
  @ApiProperty({ type: [RouteDto] }) routes: RouteDto[];
  @ApiProperty({ description: 'Poll again after this many seconds (0: at once)' }) pollAfterSeconds: number;
}

export class AgentRoutesQueryDto {
  @ApiPropertyOptional({ description: 'The version the agent has; the server waits while it is current' })
  @Optional()
  @IsString()
  @MaxLength(32)
  version?: string;
  @ApiPropertyOptional({ minimum: 0, maximum: 30, default: 0 }) @Optional() @Type(() => Number) @IsInt() @Min(0) @Max(30) wait?: number;
  @ApiPropertyOptional({
    maxLength: 32,
    description:
      "The agent's report, riding on the poll: the version it last applied in full ('' for none yet), recorded (with X-Agent-Version) as `POST /api/v1/agent/report` records it, before the poll waits",
  })
  @Optional()
  @IsString()
  @MaxLength(32)
  appliedVersion?: string;
  @ApiPropertyOptional({ maxLength: 1000, description: 'With `appliedVersion`: what failed while applying (absent: nothing failed)' })
  @Optional()
  @IsString()
  @MaxLength(1000)
  @ValidateBy({
    name: 'with_applied_version',
    validator: {
      validate: (_: unknown, a) => (a?.object as AgentRoutesQueryDto).appliedVersion !== undefined,
      defaultMessage: () => 'error is part of a report: send it with appliedVersion',
    },
  })
  error?: string;
}

export class AgentReportDto {
  @ApiProperty() @IsString() @MaxLength(32) appliedVersion: string;
  @ApiProperty({ example: '1.0.0' }) @IsString() @MaxLength(32) agentVersion: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'What failed while applying, or null' })
  @Optional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(1000)
  error?: string | null;
}

export class AgentTokenDto {
  @ApiProperty({ description: 'Shown once; a new request replaces it' }) token: string;
  @ApiPropertyOptional() instanceId?: string;
  @ApiPropertyOptional() vpcId?: string;
}

class RouteCandidateDto {
  @ApiProperty({ description: "Next hop: the gateway's private IP" }) via: string;
  @ApiProperty() tunnelId: string;
}

class RouteConflictDto {
  @ApiProperty({ example: '172.16.1.0/24' }) destination: string;
  @ApiProperty({ type: [RouteCandidateDto] }) candidates: RouteCandidateDto[];
  @ApiProperty({ description: "The next hop installed (the oldest tunnel's)" }) chosen: string;
}

export class AgentStatusDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['instance', 'vpc_router'] }) kind: string;
  @ApiProperty() vpcId: string;
  @ApiProperty({ type: String, nullable: true }) subnetId: string | null;
  @ApiProperty({ type: String, nullable: true }) instanceId: string | null;
  @ApiProperty({ type: String, nullable: true }) instanceName: string | null;
  @ApiProperty() tokenIssued: boolean;
  @ApiProperty({ type: String, nullable: true }) agentVersion: string | null;
  @ApiProperty({ type: Date, nullable: true }) lastCheckInAt: Date | null;
  @ApiProperty({ type: String, nullable: true }) appliedVersion: string | null;
  @ApiProperty() desiredVersion: string;
  @ApiProperty({ description: 'Applied the current routes without error' }) upToDate: boolean;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({ type: [RouteDto] }) routes: RouteDto[];
  @ApiProperty({ description: 'Destinations claimed by several gateways (impossible by the pair rule; reported, not flapped)', type: [RouteConflictDto] })
  conflicts: RouteConflictDto[];
}

class PushTargetDto {
  @ApiProperty() targetId: string;
  @ApiProperty() name: string;
}
class PushFailureDto extends PushTargetDto {
  @ApiProperty({ description: "What the agent reported (ip's own words)" }) error: string;
  @ApiProperty({ enum: PUSH_ERROR_CODES, description: 'The error as a code the console translates' }) errorCode: PushErrorCode;
}
class PushInstanceDto extends PushTargetDto {
  @ApiProperty({ enum: ['applied', 'pending', 'failed'] }) status: 'applied' | 'pending' | 'failed';
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty({ type: String, nullable: true, enum: PUSH_ERROR_CODES }) errorCode: PushErrorCode | null;
}
export class RoutePushStatusDto {
  @ApiProperty({ description: "Instances (and the VPC router) that must carry the tunnel's routes" }) targets: number;
  @ApiProperty({ description: 'How many applied their current routes' }) applied: number;
  @ApiProperty({ type: [PushFailureDto] }) failed: PushFailureDto[];
  @ApiProperty({ type: [PushTargetDto] }) pending: PushTargetDto[];
  @ApiProperty({ type: [PushInstanceDto], description: 'Every target with its own status' }) instances: PushInstanceDto[];
  @ApiProperty({
    enum: ['routed', 'hold_down', 'not_connected'],
    description:
      'routed: the tunnel is connected and its routes are wanted; hold_down: it dropped and its routes stay for holdDownSecondsLeft; not_connected: no routes are pushed',
  })
  routing: 'routed' | 'hold_down' | 'not_connected';
  @ApiProperty({ type: Number, nullable: true }) holdDownSecondsLeft: number | null;
}
