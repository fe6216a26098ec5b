import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { resolveListQuery } from '../common/list-query';
import { resolveLang } from '../exports/locale';
import { ApiXlsxExport, streamWorkbook } from '../exports/workbook-stream';
import { AUDIT_SHEET } from './audit-sheet';
import { AuditEventPageDto, AuditExportQueryDto, AuditListQueryDto } from './audit.dto';
import { AUDIT_SORT } from './audit.queries';
import { AuditService } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary: 'Audit log: every state-changing call (who, what, when, result); tenants see their own, operators all',
    description: 'Sort: at (default, newest first). q searches route, resource id, key id and client address.',
  })
  @ApiOkResponse({ type: AuditEventPageDto })
  @ApiErrors(400)
  list(@CurrentPrincipal() p: Principal, @Query() q: AuditListQueryDto): Promise<AuditEventPageDto> {
    return this.audit.list(p, resolveListQuery(q, AUDIT_SORT, 'at'), q);
  }

  @Get('export.xlsx')
  @ApiOperation({
    summary: 'Download the audit log as Excel',
    description: "The list's filters and sort, no paging; lang=zh|en (default: Accept-Language, else zh).",
  })
  @ApiXlsxExport('The audit log')
  @ApiErrors(400)
  async export(
    @CurrentPrincipal() p: Principal,
    @Query() q: AuditExportQueryDto,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const rows = this.audit.exportRows(p, resolveListQuery(q, AUDIT_SORT, 'at'), q);
    await streamWorkbook(res, AUDIT_SHEET, rows, { lang: resolveLang(q.lang, acceptLanguage) });
  }
}
