import i18n from '../i18n';
import { download, qs } from '../api/client';

/** Downloads `<resource>/export.xlsx` with the list's filters and the console's language. */
export async function exportList(resource: string, filters: Record<string, string | number | undefined>, fileName: string): Promise<void> {
  const lang = i18n.language === 'zh' ? 'zh' : 'en';
  await download(`/api/v1/${resource}/export.xlsx${qs({ ...filters, lang })}`, fileName);
}
