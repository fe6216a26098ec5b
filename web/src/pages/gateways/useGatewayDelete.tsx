// The spec's delete guard: a gateway with tunnels cannot be deleted, and the dialog says which.
import { App } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { errorText } from '../../components/errors';
import { useDeleteGuard } from '../../components/deleteGuard';

type Gateway = Schemas['GatewayDto'];

export function useGatewayDelete(onDone: () => void) {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();

  const blocked = useDeleteGuard('gatewayId', { title: t('gateway.deleteBlockedTitle'), body: t('gateway.deleteBlocked') });

  const confirmDelete = async (g: Gateway) => {
    if (await blocked([g])) return;
    modal.confirm({
      title: t('gateway.deleteTitle'),
      content: t('gateway.deleteConfirm', { name: `${g.name} (${g.id})` }),
      okText: t('common.delete'),
      okButtonProps: { danger: true, 'data-testid': 'confirm-delete' },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await call(api.DELETE('/api/v1/vpn-gateways/{id}', { params: { path: { id: g.id } } }));
          void message.success(t('common.deleted', { name: g.name }));
          onDone();
        } catch (e) {
          void message.error(errorText(e));
        }
      },
    });
  };

  const confirmBatchDelete = async (gs: Gateway[]) => {
    if (!gs.length || (await blocked(gs))) return;
    modal.confirm({
      title: t('gateway.deleteTitle'),
      content: t('common.batchDeleteConfirm', { count: gs.length, names: gs.map((g) => g.name).join(', ') }),
      okText: t('common.delete'),
      okButtonProps: { danger: true, 'data-testid': 'confirm-delete' },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await call(api.POST('/api/v1/vpn-gateways/batch-delete', { body: { ids: gs.map((g) => g.id) } }));
          void message.success(t('common.batchDeleted', { count: gs.length }));
          onDone();
        } catch (e) {
          void message.error(errorText(e));
        }
      },
    });
  };

  return { confirmDelete, confirmBatchDelete };
}
