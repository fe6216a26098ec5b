// Query parameters of the export routes: exactly the list's search, filters and sort (no paging:
// `offset`/`limit` answer 400 like any unknown parameter), plus the language of the workbook.
import { ApiPropertyOptional, IntersectionType, OmitType } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { ListQueryDto } from '../common/list-query';
import { GatewayListQueryDto } from '../vpn/gateways/gateway.dto';
import { TunnelListQueryDto, TunnelLogQueryDto } from '../vpn/tunnels/tunnel.dto';
import { Lang, LANGS } from './locale';
import { Optional } from '../common/validators';

export class ExportLangDto {
  @ApiPropertyOptional({ enum: LANGS, description: 'Language of headers and state words; default: from Accept-Language (zh or en), else zh' })
  @Optional() @IsIn(LANGS) lang?: Lang;
}

const PAGING = ['offset', 'limit'] as const;

export class GatewayExportQueryDto extends IntersectionType(OmitType(GatewayListQueryDto, PAGING), ExportLangDto) {}
export class PeerExportQueryDto extends IntersectionType(OmitType(ListQueryDto, PAGING), ExportLangDto) {}
export class TunnelExportQueryDto extends IntersectionType(OmitType(TunnelListQueryDto, PAGING), ExportLangDto) {}
/** A tunnel's connection log: the log tab's filters (kind, result, reasonCode, from/to, q, collapse), no paging. */
export class TunnelLogExportQueryDto extends IntersectionType(OmitType(TunnelLogQueryDto, PAGING), ExportLangDto) {}
