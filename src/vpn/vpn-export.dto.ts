// The VPN lists' export queries: each list's search, filters and sort without paging, plus lang.
import { IntersectionType, OmitType } from '@nestjs/swagger';
import { ListQueryDto } from '../common/list-query';
import { ExportLangDto, PAGING } from '../exports/export-query';
import { GatewayListQueryDto } from './gateways/gateway.dto';
import { TunnelListQueryDto, TunnelLogQueryDto } from './tunnels/tunnel.dto';

export class GatewayExportQueryDto extends IntersectionType(OmitType(GatewayListQueryDto, PAGING), ExportLangDto) {}
export class PeerExportQueryDto extends IntersectionType(OmitType(ListQueryDto, PAGING), ExportLangDto) {}
export class TunnelExportQueryDto extends IntersectionType(OmitType(TunnelListQueryDto, PAGING), ExportLangDto) {}
/** A tunnel's connection log: the log tab's filters (kind, result, reasonCode, from/to, q, collapse), no paging. */
export class TunnelLogExportQueryDto extends IntersectionType(OmitType(TunnelLogQueryDto, PAGING), ExportLangDto) {}
