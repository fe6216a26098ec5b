import { useState } from 'react';
import { App } from 'antd';
import i18n from '../i18n';
import { download, qs } from '../api/client';
import { errorText } from './errors';

type Filters = Record<string, string | number | undefined>;

/** Downloads `<resource>/export.xlsx` with the list's filters and the console's language. */
export async function exportList(resource: string, filters: Filters, fileName: string): Promise<void> {
  const lang = i18n.language === 'zh' ? 'zh' : 'en';
  await download(`/api/v1/${resource}/export.xlsx${qs({ ...filters, lang })}`, fileName);
}

/** An Excel export button's state: busy while downloading, a failure shown as a message. */
export function useExport(resource: string, fileName: string) {
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  return {
    busy,
    run: async (filters: Filters) => {
      setBusy(true);
      try {
        await exportList(resource, filters, fileName);
      } catch (e) {
        void message.error(errorText(e));
      } finally {
        setBusy(false);
      }
    },
  };
}
