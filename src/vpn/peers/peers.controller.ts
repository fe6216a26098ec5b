import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { Response } from 'express';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles, tenantOf } from '../../auth/principal';
import { ApiErrors } from '../../common/api-errors.decorator';
import { ListQueryDto, resolveListQuery } from '../../common/list-query';
import { BatchDeleteDto, BatchDeleteResultDto, UpdateNameRemarkDto } from '../gateways/gateway.dto';
import { CreatePeerDto, PeerDto, PeerPageDto } from './peer.dto';
import { PEER_SORT } from './peers.queries';
import { PeersService, peerView } from './peers.service';
import { PeerExportQueryDto } from '../vpn-export.dto';
import { resolveLang } from '../../exports/locale';
import { PEER_SHEET } from '../vpn-sheets';
import { ApiXlsxExport, streamWorkbook } from '../../exports/workbook-stream';

@ApiTags('peer-gateways')
@ApiBearerAuth()
@Roles('tenant')
@Controller('api/v1/peer-gateways')
export class PeersController {
  constructor(private readonly peers: PeersService) {}

  @Get()
  @ApiOperation({ summary: 'List peer gateways', description: `Sort by ${Object.keys(PEER_SORT).join(', ')}; q searches name, ID and IP.` })
  @ApiOkResponse({ type: PeerPageDto })
  @ApiErrors(400)
  async list(@CurrentPrincipal() p: Principal, @Query() query: ListQueryDto): Promise<PeerPageDto> {
    const page = await this.peers.list(tenantOf(p), resolveListQuery(query, PEER_SORT));
    return { ...page, items: page.items.map(peerView) };
  }

  // Declared before ':id', which would otherwise take "export.xlsx" for an id.
  @Get('export.xlsx')
  @ApiOperation({
    summary: 'Download the whole list as Excel',
    description: `The list's q and sort (${Object.keys(PEER_SORT).join(', ')}), no paging; lang=zh|en (default: Accept-Language, else zh).`,
  })
  @ApiXlsxExport('The peer gateways')
  @ApiErrors(400)
  async export(
    @CurrentPrincipal() p: Principal,
    @Query() query: PeerExportQueryDto,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const rows = this.peers.exportRows(tenantOf(p), resolveListQuery(query, PEER_SORT));
    await streamWorkbook(res, PEER_SHEET, rows, { lang: resolveLang(query.lang, acceptLanguage) });
  }

  @Post()
  @ApiCreatedResponse({ type: PeerDto })
  @ApiErrors(400)
  async create(@CurrentPrincipal() p: Principal, @Body() body: CreatePeerDto): Promise<PeerDto> {
    return peerView(await this.peers.create(tenantOf(p), body));
  }

  @Get(':id')
  @ApiOkResponse({ type: PeerDto })
  @ApiErrors(404)
  async get(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<PeerDto> {
    return peerView(await this.peers.get(tenantOf(p), id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: PeerDto })
  @ApiErrors(400, 404)
  async update(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: UpdateNameRemarkDto): Promise<PeerDto> {
    return peerView(await this.peers.update(tenantOf(p), id, body));
  }

  @Delete(':id')
  @ApiOkResponse({ type: BatchDeleteResultDto })
  @ApiErrors(404, 409)
  remove(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<BatchDeleteResultDto> {
    return this.peers.remove(tenantOf(p), [id]);
  }

  @Post('batch-delete')
  @HttpCode(200)
  @ApiOkResponse({ type: BatchDeleteResultDto })
  @ApiErrors(400, 409)
  batchRemove(@CurrentPrincipal() p: Principal, @Body() body: BatchDeleteDto): Promise<BatchDeleteResultDto> {
    return this.peers.remove(tenantOf(p), body.ids);
  }
}
