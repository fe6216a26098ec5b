// Localized column definitions of an exported sheet and the mapping of row values to cells.
// Pure: no framework imports (the exceljs writer is in workbook-stream.ts).
import { Lang, Localized } from './locale';

interface ColumnBase<R> {
  /** Stable name of the column; also the row property read when `value` is left out. */
  key: string;
  header: Localized;
  /** Column width in characters (default by type). */
  width?: number;
  /** Reads the column's value from a row (default: `row[key]`). */
  value?: (row: R) => unknown;
}
export interface TextColumn<R> extends ColumnBase<R> {
  type: 'text';
}
/** Numbers, or numeric strings (PostgreSQL `numeric` arrives as a string): written as Excel numbers. */
export interface NumberColumn<R> extends ColumnBase<R> {
  type: 'number';
  numFmt?: string;
}
/** Dates (or ISO strings) written as Excel dates in UTC; the header says so. */
export interface DateColumn<R> extends ColumnBase<R> {
  type: 'date';
  numFmt?: string;
}
/** Stored codes written as words of the chosen language; an unknown code is written as is. */
export interface EnumColumn<R> extends ColumnBase<R> {
  type: 'enum';
  words: Record<string, Localized>;
}
export type Column<R> = TextColumn<R> | NumberColumn<R> | DateColumn<R> | EnumColumn<R>;

export interface SheetDef<R> {
  /** Worksheet name and the file name in filename* (UTF-8). */
  title: Localized;
  /** ASCII base of the file name (`vpn-tunnels` -> vpn-tunnels-2026-01-31.xlsx). */
  fileName: string;
  columns: Column<R>[];
}

export type CellValue = string | number | Date | null;

export const DATE_FORMAT = 'yyyy-mm-dd hh:mm:ss';
const UTC_SUFFIX: Localized = { zh: '(UTC)', en: '(UTC)' };
const DEFAULT_WIDTH: Record<Column<unknown>['type'], number> = { text: 24, number: 12, date: 20, enum: 16 };

export function headerOf<R>(column: Column<R>, lang: Lang): string {
  return column.type === 'date' ? `${column.header[lang]} ${UTC_SUFFIX[lang]}` : column.header[lang];
}

export function widthOf<R>(column: Column<R>): number {
  return column.width ?? DEFAULT_WIDTH[column.type];
}

/** The Excel number format of a column's cells, if it has one. */
export function numFmtOf<R>(column: Column<R>): string | undefined {
  if (column.type === 'date') return column.numFmt ?? DATE_FORMAT;
  if (column.type === 'number') return column.numFmt;
  return undefined;
}

export function cellValue<R>(column: Column<R>, row: R, lang: Lang): CellValue {
  const raw = column.value ? column.value(row) : (row as Record<string, unknown>)[column.key];
  if (raw === null || raw === undefined || raw === '') return null;
  switch (column.type) {
    case 'text':
      return String(raw);
    case 'number': {
      const n = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(n)) throw new Error(`export column ${column.key}: ${String(raw)} is not a number`);
      return n;
    }
    case 'date': {
      const d = raw instanceof Date ? raw : new Date(raw as string | number);
      if (Number.isNaN(d.getTime())) throw new Error(`export column ${column.key}: ${String(raw)} is not a date`);
      return d;
    }
    case 'enum':
      return column.words[String(raw)]?.[lang] ?? String(raw);
  }
}

export function rowValues<R>(sheet: SheetDef<R>, row: R, lang: Lang): CellValue[] {
  return sheet.columns.map((c) => cellValue(c, row, lang));
}

/** Excel refuses sheet names over 31 characters or with any of : \ / ? * [ ]. */
export function worksheetName(title: string): string {
  const clean = title
    .replace(/[:\\/?*[\]]/g, ' ')
    .trim()
    .slice(0, 31);
  return clean || 'Sheet1';
}

/** `A`, `B` … `Z`, `AA` …: the letters of a 1-based column number. */
export function columnLetter(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

// RFC 5987 attr-char: encodeURIComponent leaves ' ( ) * ! unescaped, which filename* may not carry.
const rfc5987 = (s: string) => encodeURIComponent(s).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * An attachment named `<base>-<UTC date>.xlsx`: an ASCII `filename` for old clients and a
 * `filename*` (RFC 6266 / 5987) with the localized title for the rest.
 */
export function contentDisposition(sheet: Pick<SheetDef<unknown>, 'title' | 'fileName'>, lang: Lang, at: Date): string {
  const day = at.toISOString().slice(0, 10);
  const ascii = `${sheet.fileName.replace(/[^A-Za-z0-9._-]+/g, '-')}-${day}.xlsx`;
  const localized = `${sheet.title[lang]}-${day}.xlsx`;
  return `attachment; filename="${ascii}"; filename*=UTF-8''${rfc5987(localized)}`;
}
