import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles, tenantOf } from '../../auth/principal';
import { ApiErrors } from '../../common/api-errors.decorator';
import { resolveListQuery } from '../../common/list-query';
import { BatchDeleteDto, BatchDeleteResultDto, CreateGatewayDto, GatewayDto, GatewayListQueryDto, GatewayPageDto, UpdateNameRemarkDto } from './gateway.dto';
import { GATEWAY_SORT, GatewaysService, gatewayView } from './gateways.service';

@ApiTags('vpn-gateways')
@ApiBearerAuth()
@Roles('tenant')
@Controller('api/v1/vpn-gateways')
export class GatewaysController {
  constructor(private readonly gateways: GatewaysService) {}

  @Get()
  @ApiOperation({ summary: 'List VPN gateways', description: `Sort by ${Object.keys(GATEWAY_SORT).join(', ')}; q searches name, ID and IPs.` })
  @ApiOkResponse({ type: GatewayPageDto })
  @ApiErrors(400)
  async list(@CurrentPrincipal() p: Principal, @Query() query: GatewayListQueryDto): Promise<GatewayPageDto> {
    const page = await this.gateways.list(tenantOf(p), resolveListQuery(query, GATEWAY_SORT), query);
    return { ...page, items: page.items.map(gatewayView) };
  }

  @Post()
  @ApiOperation({ summary: 'Create (buy) a VPN gateway: one per order' })
  @ApiCreatedResponse({ type: GatewayDto })
  @ApiErrors(400, 409)
  async create(@CurrentPrincipal() p: Principal, @Body() body: CreateGatewayDto): Promise<GatewayDto> {
    return gatewayView(await this.gateways.create(tenantOf(p), body));
  }

  @Get(':id')
  @ApiOkResponse({ type: GatewayDto })
  @ApiErrors(404)
  async get(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<GatewayDto> {
    return gatewayView(await this.gateways.get(tenantOf(p), id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename or change the remark (any state)' })
  @ApiOkResponse({ type: GatewayDto })
  @ApiErrors(400, 404)
  async update(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: UpdateNameRemarkDto): Promise<GatewayDto> {
    return gatewayView(await this.gateways.update(tenantOf(p), id, body));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a gateway without tunnels (409 names the tunnels otherwise)' })
  @ApiOkResponse({ type: BatchDeleteResultDto })
  @ApiErrors(404, 409)
  remove(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<BatchDeleteResultDto> {
    return this.gateways.remove(tenantOf(p), [id]);
  }

  @Post('batch-delete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete several gateways: all or nothing' })
  @ApiOkResponse({ type: BatchDeleteResultDto })
  @ApiErrors(400, 409)
  batchRemove(@CurrentPrincipal() p: Principal, @Body() body: BatchDeleteDto): Promise<BatchDeleteResultDto> {
    return this.gateways.remove(tenantOf(p), body.ids);
  }
}
