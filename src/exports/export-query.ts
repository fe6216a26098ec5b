// Query parameters of the export routes: exactly the list's search, filters and sort (no paging:
// `offset`/`limit` answer 400 like any unknown parameter), plus the language of the workbook.
// Each feature declares its own export queries from these (vpn/vpn-export.dto.ts, billing.dto.ts).
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { Lang, LANGS } from './locale';
import { Optional } from '../common/validators';

export class ExportLangDto {
  @ApiPropertyOptional({ enum: LANGS, description: 'Language of headers and state words; default: from Accept-Language (zh or en), else zh' })
  @Optional()
  @IsIn(LANGS)
  lang?: Lang;
}

/** The list query's paging fields, which an export's query omits. */
export const PAGING = ['offset', 'limit'] as const;
