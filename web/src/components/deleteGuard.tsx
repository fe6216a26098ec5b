// Deleting: the confirmation every delete goes through, and the spec's delete guard for gateways
// and peers: one with tunnels still attached is not deleted; a dialog names those tunnels instead.
import type { ReactNode } from 'react';
import { App, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../api/client';
import { errorText } from './errors';

/** Asks before deleting (the OK button is `confirm-delete`); `run` goes on OK, its failure is shown as a message. */
export function useConfirmDelete() {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  return (o: { title: string; content: ReactNode; okText?: string; run: () => Promise<unknown> }) => {
    modal.confirm({
      title: o.title,
      content: o.content,
      okText: o.okText ?? t('common.delete'),
      okButtonProps: { danger: true, 'data-testid': 'confirm-delete' },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await o.run();
        } catch (e) {
          void message.error(errorText(e));
        }
      },
    });
  };
}

type Owner = Pick<Schemas['GatewayDto'] | Schemas['PeerDto'], 'id' | 'name' | 'tunnelCount'>;

/** Resolves true (and shows the dialog) when any of `owners` still has tunnels. */
export function useDeleteGuard(filter: 'gatewayId' | 'peerId', text: { title: string; body: string }) {
  const { t } = useTranslation();
  const { modal } = App.useApp();
  return async (owners: Owner[]): Promise<boolean> => {
    const busy = owners.filter((o) => o.tunnelCount > 0);
    if (!busy.length) return false;
    const lines: string[] = [];
    for (const o of busy) {
      try {
        const page = await call(api.GET('/api/v1/vpn-tunnels', { params: { query: { [filter]: o.id, limit: 20 } } }));
        lines.push(`${o.name}: ${page.items.map((x) => `${x.name} (${x.id})`).join(', ')}`);
      } catch {
        lines.push(`${o.name}: ${t('gateway.tunnelCountN', { count: o.tunnelCount })}`);
      }
    }
    modal.warning({
      title: text.title,
      content: (
        <div data-testid="delete-blocked">
          <Typography.Paragraph>{text.body}</Typography.Paragraph>
          <ul>
            {lines.map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
        </div>
      ),
    });
    return true;
  };
}
