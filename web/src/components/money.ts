/** Money from the API's integer minor units (fen/cents) and ISO currency: "1,234.50 CNY" (thousands separated). */
export function money(minor: number | null | undefined, currency: string | undefined): string {
  if (minor === null || minor === undefined) return '-';
  const zeroDecimal = ['JPY', 'KRW', 'VND', 'CLP', 'ISK'].includes(currency ?? '');
  const digits = zeroDecimal ? 0 : 2;
  const value = (zeroDecimal ? minor : minor / 100).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${value} ${currency ?? ''}`.trim();
}
