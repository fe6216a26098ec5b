// The spec's delete guard: a gateway with tunnels cannot be deleted, and the dialog says which.
// The confirmation then says what the deletion forfeits (docs/billing.md "Deleting": prepaid time
// is not refunded; GET /vpn-gateways/{id}/delete-preview prices what is left of it).
import { App } from 'antd';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { useConfirmDelete, useDeleteGuard } from '../../components/deleteGuard';
import { money } from '../../components/money';

type Gateway = Schemas['GatewayDto'];
type Preview = Schemas['GatewayDeletePreviewDto'];

/** "12 days" / "5 hours" / "20 minutes": the paid time left, in its largest unit. */
function remaining(seconds: number, t: TFunction): string {
  if (seconds >= 86400) return t('time.days', { count: Math.floor(seconds / 86400) });
  if (seconds >= 3600) return t('time.hours', { count: Math.floor(seconds / 3600) });
  return t('time.minutes', { count: Math.floor(seconds / 60) });
}

/** The previews, or null when they could not be read (the confirmation still works without them). */
async function previews(gs: Gateway[]): Promise<Preview[] | null> {
  try {
    return await Promise.all(gs.map((g) => call(api.GET('/api/v1/vpn-gateways/{id}/delete-preview', { params: { path: { id: g.id } } }))));
  } catch {
    return null;
  }
}

function forfeitText(ps: Preview[] | null, t: TFunction): string | null {
  if (!ps?.length) return null;
  const total = ps.reduce((n, p) => n + p.forfeited, 0);
  if (total === 0) return t('gateway.deleteNothingLeft');
  if (ps.length === 1) return t('gateway.deleteForfeit', { time: remaining(ps[0].remainingSeconds, t), amount: money(total, ps[0].currency) });
  return t('gateway.deleteForfeitBatch', { amount: money(total, ps[0].currency) });
}

export function useGatewayDelete(onDone: () => void) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const confirm = useConfirmDelete();

  const blocked = useDeleteGuard('gatewayId', { title: t('gateway.deleteBlockedTitle'), body: t('gateway.deleteBlocked') });

  const content = (question: string, forfeit: string | null) => (
    <div>
      <div>{question}</div>
      {forfeit && (
        <div data-testid="delete-forfeit" style={{ marginTop: 8 }}>
          {forfeit}
        </div>
      )}
    </div>
  );

  const confirmDelete = async (g: Gateway) => {
    if (await blocked([g])) return;
    const forfeit = forfeitText(await previews([g]), t);
    confirm({
      title: t('gateway.deleteTitle'),
      content: content(t('gateway.deleteConfirm', { name: `${g.name} (${g.id})` }), forfeit),
      run: async () => {
        await call(api.DELETE('/api/v1/vpn-gateways/{id}', { params: { path: { id: g.id } } }));
        void message.success(t('common.deleted', { name: g.name }));
        onDone();
      },
    });
  };

  const confirmBatchDelete = async (gs: Gateway[]) => {
    if (!gs.length || (await blocked(gs))) return;
    const forfeit = forfeitText(await previews(gs), t);
    confirm({
      title: t('gateway.deleteTitle'),
      content: content(t('common.batchDeleteConfirm', { count: gs.length, names: gs.map((g) => g.name).join(', ') }), forfeit),
      run: async () => {
        await call(api.POST('/api/v1/vpn-gateways/batch-delete', { body: { ids: gs.map((g) => g.id) } }));
        void message.success(t('common.batchDeleted', { count: gs.length }));
        onDone();
      },
    });
  };

  return { confirmDelete, confirmBatchDelete };
}
