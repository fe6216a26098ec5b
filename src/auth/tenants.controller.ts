import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { ApiErrors } from '../common/api-errors.decorator';
import { ListQueryDto, resolveListQuery } from '../common/list-query';
import { Roles } from './principal';
import { TenantsService } from './tenants.service';

class CreateTenantDto {
  @ApiProperty({ example: 'acme' })
  @IsString()
  @Length(1, 64)
  @Matches(/^[a-z0-9][a-z0-9-]*$/, { message: 'name must be lowercase letters, digits and hyphens' })
  name: string;
}
class CreateApiKeyDto {
  @ApiProperty({ example: 'ci' }) @IsString() @Length(1, 64) name: string;
}
export class TenantDto {
  @ApiProperty({ example: 'tenant-k3j9x2ab' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() createdAt: Date;
}
class TenantPageDto {
  @ApiProperty({ type: [TenantDto] }) items: TenantDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}
class ApiKeyDto {
  @ApiProperty({ example: 'key-k3j9x2ab' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'First characters of the key, to tell keys apart' }) keyPrefix: string;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ nullable: true, type: Date }) revokedAt: Date | null;
}
class IssuedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself: shown only in this response' }) key: string;
}

const keyView = (k: { id: string; name: string; keyPrefix: string; createdAt: Date; revokedAt: Date | null }): ApiKeyDto => ({
  id: k.id,
  name: k.name,
  keyPrefix: k.keyPrefix,
  createdAt: k.createdAt,
  revokedAt: k.revokedAt,
});

@ApiTags('tenants')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiCreatedResponse({ type: TenantDto })
  @ApiErrors(400, 409)
  create(@Body() body: CreateTenantDto): Promise<TenantDto> {
    return this.tenants.create(body.name);
  }

  @Get()
  @ApiOkResponse({ type: TenantPageDto })
  @ApiErrors(400)
  list(@Query() query: ListQueryDto): Promise<TenantPageDto> {
    return this.tenants.list(resolveListQuery(query, { createdAt: 't.created_at', name: 't.name' }));
  }

  @Get(':id')
  @ApiOkResponse({ type: TenantDto })
  @ApiErrors(404)
  get(@Param('id') id: string): Promise<TenantDto> {
    return this.tenants.get(id);
  }

  @Post(':id/api-keys')
  @ApiCreatedResponse({ type: IssuedApiKeyDto })
  @ApiErrors(400, 404)
  async issueKey(@Param('id') id: string, @Body() body: CreateApiKeyDto): Promise<IssuedApiKeyDto> {
    const { key, secret } = await this.tenants.issueKey(id, body.name);
    return { ...keyView(key), key: secret };
  }

  @Get(':id/api-keys')
  @ApiOkResponse({ type: [ApiKeyDto] })
  @ApiErrors(404)
  async listKeys(@Param('id') id: string): Promise<ApiKeyDto[]> {
    await this.tenants.get(id);
    return (await this.tenants.listKeys(id)).map(keyView);
  }

  @Delete(':id/api-keys/:keyId')
  @HttpCode(204)
  @ApiErrors(404)
  revokeKey(@Param('id') id: string, @Param('keyId') keyId: string): Promise<void> {
    return this.tenants.revokeKey(id, keyId);
  }
}
