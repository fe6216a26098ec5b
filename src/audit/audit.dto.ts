import { ApiProperty, ApiPropertyOptional, IntersectionType, OmitType } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength } from 'class-validator';
import { ListQueryDto } from '../common/list-query';
import { IsIsoDateTime, Optional } from '../common/validators';
import { ExportLangDto } from '../exports/export-query';
import { AUDIT_RESULTS } from './audit-event.entity';

export const AUDIT_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

export class AuditListQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ description: "Operators: one tenant's events (tenants always see only their own)" })
  @Optional()
  @IsString()
  @MaxLength(32)
  tenantId?: string;
  @ApiPropertyOptional({ description: 'The API key that made the calls' }) @Optional() @IsString() @MaxLength(32) keyId?: string;
  @ApiPropertyOptional({ example: 'vpn-tunnels' }) @Optional() @IsString() @MaxLength(48) resource?: string;
  @ApiPropertyOptional() @Optional() @IsString() @MaxLength(64) resourceId?: string;
  @ApiPropertyOptional({ enum: AUDIT_METHODS }) @Optional() @IsIn(AUDIT_METHODS) method?: string;
  @ApiPropertyOptional({ enum: AUDIT_RESULTS }) @Optional() @IsIn(AUDIT_RESULTS) result?: string;
  @ApiPropertyOptional({ description: 'At or after (ISO 8601)' }) @Optional() @IsIsoDateTime() from?: string;
  @ApiPropertyOptional({ description: 'Before (ISO 8601)' }) @Optional() @IsIsoDateTime() to?: string;
}

export class AuditExportQueryDto extends IntersectionType(OmitType(AuditListQueryDto, ['offset', 'limit'] as const), ExportLangDto) {}

export class AuditEventDto {
  @ApiProperty() id: string;
  @ApiProperty({ type: Date }) at: Date;
  @ApiProperty() keyId: string;
  @ApiProperty({ enum: ['admin', 'tenant'] }) role: string;
  @ApiProperty({ type: String, nullable: true }) tenantId: string | null;
  @ApiProperty() clientAddress: string;
  @ApiProperty({ enum: AUDIT_METHODS }) method: string;
  @ApiProperty({ example: '/api/v1/vpn-tunnels/:id/ike-policy' }) route: string;
  @ApiProperty({ example: 'vpn-tunnels' }) resource: string;
  @ApiProperty({ type: String, nullable: true }) resourceId: string | null;
  @ApiProperty({ type: [String], nullable: true, description: 'Batch calls: the ids named (at most 100)' }) resourceIds: string[] | null;
  @ApiProperty() statusCode: number;
  @ApiProperty({ enum: AUDIT_RESULTS }) result: string;
  @ApiProperty({ type: String, nullable: true }) errorCode: string | null;
}

export class AuditEventPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items: AuditEventDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}
