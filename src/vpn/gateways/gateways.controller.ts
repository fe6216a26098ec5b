import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { Response } from 'express';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles, tenantOf } from '../../auth/principal';
import { ApiPaymentRequired } from '../../common/api-payment-required';
import { ApiErrors } from '../../common/api-errors.decorator';
import { resolveListQuery } from '../../common/list-query';
import { BatchDeleteDto, BatchDeleteResultDto, CreateGatewayDto, GatewayDto, GatewayListQueryDto, GatewayPageDto, UpdateGatewayDto } from './gateway.dto';
import { GATEWAY_SORT } from './gateways.queries';
import { GatewaysService, gatewayView } from './gateways.service';
import { GatewayLogPageDto, GatewayLogQueryDto } from './gateway-log';
import { GatewayExportQueryDto } from '../vpn-export.dto';
import { resolveLang } from '../../exports/locale';
import { GATEWAY_SHEET } from '../vpn-sheets';
import { ApiXlsxExport, streamWorkbook } from '../../exports/workbook-stream';

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

  // Declared before ':id', which would otherwise take "export.xlsx" for an id.
  @Get('export.xlsx')
  @ApiOperation({
    summary: 'Download the whole list as Excel',
    description: `The list's q, filters and sort (${Object.keys(GATEWAY_SORT).join(', ')}), no paging; lang=zh|en (default: Accept-Language, else zh).`,
  })
  @ApiXlsxExport('The VPN gateways')
  @ApiErrors(400)
  async export(
    @CurrentPrincipal() p: Principal,
    @Query() query: GatewayExportQueryDto,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const rows = this.gateways.exportRows(tenantOf(p), resolveListQuery(query, GATEWAY_SORT), query);
    await streamWorkbook(res, GATEWAY_SHEET, rows, { lang: resolveLang(query.lang, acceptLanguage) });
  }

  @Post()
  @ApiOperation({ summary: 'Create (buy) a VPN gateway: one per order, charged to the balance (quote first: POST /api/v1/vpn-gateways/quote)' })
  @ApiCreatedResponse({ type: GatewayDto })
  @ApiErrors(400, 409)
  @ApiPaymentRequired()
  async create(@CurrentPrincipal() p: Principal, @Body() body: CreateGatewayDto): Promise<GatewayDto> {
    return gatewayView(await this.gateways.create(tenantOf(p), body));
  }

  @Get(':id')
  @ApiOkResponse({ type: GatewayDto })
  @ApiErrors(404)
  async get(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<GatewayDto> {
    return gatewayView(await this.gateways.get(tenantOf(p), id));
  }

  @Get(':id/logs')
  @ApiOperation({
    summary:
      "The gateway's log: its moves between gateway hosts (a failover after its host was lost, a drain) and how long its tunnels took to reconnect (newest first)",
    description: "Filters reasonCode and from/to combine. Each tunnel's connection log has the same failover as an entry of its own.",
  })
  @ApiOkResponse({ type: GatewayLogPageDto })
  @ApiErrors(400, 404)
  async logs(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() query: GatewayLogQueryDto): Promise<GatewayLogPageDto> {
    return this.gateways.logs(tenantOf(p), id, query);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename, change the remark or turn auto-renewal on/off (any state)' })
  @ApiOkResponse({ type: GatewayDto })
  @ApiErrors(400, 404)
  async update(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: UpdateGatewayDto): Promise<GatewayDto> {
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
