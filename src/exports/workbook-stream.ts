// Streams a list as an .xlsx download with exceljs's streaming writer: each row is committed as
// soon as it is written and the next row is only taken once the response has drained, so the
// API holds about one page of rows whatever the list's size (docs/exports.md).
//
// Reuse (orders, ledger, any list):
//   1. Describe the sheet (sheet.ts): a localized title, an ASCII file name, and columns
//        { key, header: { zh, en }, type: 'text' | 'number' | 'date' | 'enum', value?, words?, numFmt?, width? }
//      `value(row)` reads the cell from a row (default `row[key]`); enum columns map stored codes to
//      words ({ code: { zh, en } }); dates become Excel dates in UTC (the header says "(UTC)");
//      numeric strings (PostgreSQL numeric) become numbers; null/undefined/'' an empty cell.
//   2. Produce the rows as an AsyncIterable read page by page from PostgreSQL, in the list's order:
//      keysetRawRows() (keyset.queries.ts) for a builder that select()s just the exported columns (fast),
//      or keysetRows() for entities.
//   3. In the controller, validate the query first (bad parameters must answer 400 before the
//      download starts), then `await streamWorkbook(res, SHEET, rows, { lang: resolveLang(q.lang, al) })`
//      from a `@Get('export.xlsx')` route declared before any `@Get(':id')` and decorated with
//      `@ApiXlsxExport(...)`. `ExportLangDto` (export-query.ts) adds the `lang` parameter to a query
//      DTO. Complete examples: TunnelsController.export and TunnelsService.exportRows.
// The first row is fetched before any byte is sent, so a failing query still gets the usual error
// body. A failure after that can only abort the transfer (never a short file presented as
// complete), and is logged. A client that goes away stops the row source (no further pages).
import { applyDecorators, Logger } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import type * as ExcelJS from 'exceljs';
import type { Response } from 'express';
import { Lang } from './locale';
import { CellValue, columnLetter, contentDisposition, headerOf, numFmtOf, rowValues, SheetDef, widthOf, worksheetName } from './sheet';

export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const logger = new Logger('Export');

export interface StreamWorkbookOptions {
  lang: Lang;
  /** The time in the file name (default: now). */
  now?: Date;
}

/** Waits until the response can take more, or is gone (then answers false). */
function drained(res: Response): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (!res.writableNeedDrain) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain).off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.on('drain', onDrain).on('close', onClose);
  });
}

/** Writes the workbook to the response; resolves with the number of data rows once it is sent. */
export async function streamWorkbook<R>(res: Response, sheet: SheetDef<R>, rows: AsyncIterable<R>, opts: StreamWorkbookOptions): Promise<number> {
  const { lang } = opts;
  // Loaded on the first export, not at start: exceljs and its zip libraries weigh ~27 MiB of RSS
  // that an API process which never exports need not carry.
  const { stream } = await import('exceljs');
  const iterator = rows[Symbol.asyncIterator]();
  let next = await iterator.next(); // may throw: nothing is sent yet, the error filter answers

  res.status(200);
  res.setHeader('Content-Type', XLSX_MIME);
  res.setHeader('Content-Disposition', contentDisposition(sheet, lang, opts.now ?? new Date()));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));

  const columns = sheet.columns;
  // One style object per column, shared by its cells: exceljs caches a style by object identity,
  // while a fresh object per cell costs a lookup by content for every cell.
  const styles: Partial<ExcelJS.Style>[] = columns.map((c) => {
    const numFmt = numFmtOf(c);
    return numFmt ? { numFmt } : {};
  });
  const workbook = new stream.xlsx.WorkbookWriter({ stream: res, useStyles: true, useSharedStrings: false });
  const ws = workbook.addWorksheet(worksheetName(sheet.title[lang]), {
    views: [{ state: 'frozen', ySplit: 1 }],
    autoFilter: `A1:${columnLetter(columns.length)}1`,
  } as Partial<ExcelJS.AddWorksheetOptions>);
  ws.columns = columns.map((c) => ({ key: c.key, width: widthOf(c) }));
  const header = ws.addRow(columns.map((c) => headerOf(c, lang)));
  header.font = { bold: true };
  header.commit();

  let count = 0;
  try {
    while (!next.done) {
      const values: CellValue[] = rowValues(sheet, next.value, lang);
      const row = ws.addRow(values);
      for (let i = 0; i < styles.length; i++) row.getCell(i + 1).style = styles[i];
      row.commit();
      count++;
      if (!(await drained(res))) throw new Error('the client closed the connection');
      next = await iterator.next();
    }
    ws.commit();
    const committed = workbook.commit();
    committed.catch(() => undefined); // a failure after the client left has nobody to tell
    await Promise.race([committed, closed]);
    if (!res.writableFinished) throw new Error('the client closed the connection');
    return count;
  } catch (err) {
    // Headers are sent: a broken download is the only signal left. Stop the row source too.
    await iterator.return?.(undefined).catch(() => undefined);
    const message = err instanceof Error ? err.message : String(err);
    logger.warn(`${sheet.fileName} export stopped after ${count} rows: ${message}`);
    res.destroy();
    return count;
  }
}

/** OpenAPI for an export route: a 200 with an .xlsx body (errors stay JSON: document them with @ApiErrors). */
export const ApiXlsxExport = (what: string) =>
  applyDecorators(
    ApiOkResponse({
      description: `${what} as an Excel workbook (attachment; filename and UTF-8 filename*). One header row in the chosen language, then every matching row in the list's order; dates are Excel dates in UTC, states are words.`,
      content: { [XLSX_MIME]: { schema: { type: 'string', format: 'binary' } } },
    }),
  );
