// The spec's delete guard: a gateway with tunnels cannot be deleted, and the dialog says which.
import { App } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { useConfirmDelete, useDeleteGuard } from '../../components/deleteGuard';

type Gateway = Schemas['GatewayDto'];

export function useGatewayDelete(onDone: () => void) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const confirm = useConfirmDelete();

  const blocked = useDeleteGuard('gatewayId', { title: t('gateway.deleteBlockedTitle'), body: t('gateway.deleteBlocked') });

  const confirmDelete = async (g: Gateway) => {
    if (await blocked([g])) return;
    confirm({
      title: t('gateway.deleteTitle'),
      content: t('gateway.deleteConfirm', { name: `${g.name} (${g.id})` }),
      run: async () => {
        await call(api.DELETE('/api/v1/vpn-gateways/{id}', { params: { path: { id: g.id } } }));
        void message.success(t('common.deleted', { name: g.name }));
        onDone();
      },
    });
  };

  const confirmBatchDelete = async (gs: Gateway[]) => {
    if (!gs.length || (await blocked(gs))) return;
    confirm({
      title: t('gateway.deleteTitle'),
      content: t('common.batchDeleteConfirm', { count: gs.length, names: gs.map((g) => g.name).join(', ') }),
      run: async () => {
        await call(api.POST('/api/v1/vpn-gateways/batch-delete', { body: { ids: gs.map((g) => g.id) } }));
        void message.success(t('common.batchDeleted', { count: gs.length }));
        onDone();
      },
    });
  };

  return { confirmDelete, confirmBatchDelete };
}
