// -o table|json|yaml for lists and single resources.
import { stringify } from 'yaml';
import { UsageError } from './errors';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function outputFormat(value: string | undefined, fallback: OutputFormat): OutputFormat {
  const v = value ?? fallback;
  if (!(OUTPUT_FORMATS as readonly string[]).includes(v)) throw new UsageError(`-o must be one of ${OUTPUT_FORMATS.join(', ')} (got ${v})`);
  return v as OutputFormat;
}

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

const cell = (v: unknown): string => (v === null || v === undefined || v === '' ? '-' : Array.isArray(v) ? v.join(',') : String(v));

export function table<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]))).join('  ');
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

export function render<T>(data: T | T[], format: OutputFormat, columns: Column<T>[]): string {
  if (format === 'json') return JSON.stringify(data, null, 2) + '\n';
  if (format === 'yaml') return stringify(data);
  return table(Array.isArray(data) ? data : [data], columns);
}
