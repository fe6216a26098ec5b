/** Money from the API's integer minor units (fen/cents) and ISO currency: "1234.50 CNY". */
export function money(minor: number | null | undefined, currency: string | undefined): string {
  if (minor === null || minor === undefined) return '-';
  const zeroDecimal = ['JPY', 'KRW', 'VND', 'CLP', 'ISK'].includes(currency ?? '');
  const value = zeroDecimal ? String(minor) : (minor / 100).toFixed(2);
  return `${value} ${currency ?? ''}`.trim();
}
