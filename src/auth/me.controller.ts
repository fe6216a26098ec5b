import { Controller, Get } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { ApiKey } from './api-key.entity';
import { CurrentPrincipal, Principal } from './principal';
import { Tenant } from './tenant.entity';

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
    const key = await this.db.getRepository(ApiKey).findOne({ where: { id: p.keyId }, select: { id: true, name: true } });
    const tenant = p.tenantId ? await this.db.getRepository(Tenant).findOne({ where: { id: p.tenantId } }) : null;
    return { role: p.role, tenantId: p.tenantId, tenantName: tenant?.name ?? null, keyId: p.keyId, keyName: key?.name ?? '' };
  }
}
