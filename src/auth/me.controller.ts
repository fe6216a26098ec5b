import { Controller, Get } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { CurrentPrincipal, Principal } from './principal';
import { TenantQueries } from './tenants.queries';

export class MeDto {
  @ApiProperty({ enum: ['admin', 'tenant'] }) role: 'admin' | 'tenant';
  @ApiProperty({ type: String, nullable: true, description: 'null for operator keys' }) tenantId: string | null;
  @ApiProperty({ type: String, nullable: true }) tenantName: string | null;
  @ApiProperty() keyId: string;
  @ApiProperty() keyName: string;
}

@ApiTags('tenants')
@ApiBearerAuth()
@Controller('api/v1/me')
export class MeController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  @Get()
  @ApiOperation({ summary: "Who this API key is: its role and tenant (the console's login reads it)" })
  @ApiOkResponse({ type: MeDto })
  async me(@CurrentPrincipal() p: Principal): Promise<MeDto> {
    const queries = new TenantQueries(this.db);
    const key = await queries.keyNamed(p.keyId);
    const tenant = p.tenantId ? await queries.tenant(p.tenantId) : null;
    return { role: p.role, tenantId: p.tenantId, tenantName: tenant?.name ?? null, keyId: p.keyId, keyName: key?.name ?? '' };
  }
}
