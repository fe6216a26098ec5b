import { useEffect, useState } from 'react';
import { App, Button, InputNumber, Table, Typography, type TableColumnsType } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { errorText } from '../../components/errors';
import { CHARGE_TYPES, type ChargeType } from '../../components/state';

type Row = { machineType: Schemas['MachineTypeDto'] } & Partial<Record<ChargeType, number | null>>;

/** Unit prices per machine type and charge type, in major units here, minor units in the API. */
export default function Prices() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [rows, setRows] = useState<Row[]>([]);
  const [currency, setCurrency] = useState('');
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      const [mts, prices] = await Promise.all([
        call(api.GET('/api/v1/machine-types', { params: { query: { limit: 1000 } } })),
        call(api.GET('/api/v1/prices')),
      ]);
      setCurrency(prices.items[0]?.currency ?? '');
      setRows(
        mts.items.map((m) => {
          const row: Row = { machineType: m };
          for (const c of CHARGE_TYPES) {
            const p = prices.items.find((x) => x.machineTypeId === m.id && x.chargeType === c);
            row[c] = p ? p.unitPrice / 100 : null;
          }
          return row;
        }),
      );
      setDirty(false);
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const save = async () => {
    setBusy(true);
    try {
      const items = rows.flatMap((r) =>
        CHARGE_TYPES.map((c) => ({
          machineTypeId: r.machineType.id,
          chargeType: c,
          unitPrice: r[c] === null || r[c] === undefined ? null : Math.round((r[c] as number) * 100),
        })),
      );
      await call(api.PUT('/api/v1/prices', { body: { items } }));
      void message.success(t('common.saved'));
      await load();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const columns: TableColumnsType<Row> = [
    { title: t('gateway.machineType'), render: (_, r) => `${r.machineType.name} (${r.machineType.architecture})` },
    ...CHARGE_TYPES.map((c) => ({
      title: `${t(`charge.${c}`)} (${t(`op.per.${c}`)}${currency ? `, ${currency}` : ''})`,
      render: (_: unknown, r: Row) => (
        <InputNumber
          data-testid={`price-${r.machineType.id}-${c}`}
          min={0}
          precision={2}
          value={r[c] ?? null}
          placeholder={t('op.notSold')}
          onChange={(v) => {
            setRows((all) => all.map((x) => (x.machineType.id === r.machineType.id ? { ...x, [c]: v } : x)));
            setDirty(true);
          }}
          style={{ width: 160 }}
        />
      ),
    })),
  ];

  return (
    <>
      <Typography.Title level={4}>{t('menu.prices')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('op.pricesIntro')}</Typography.Paragraph>
      <Table<Row> data-testid="price-table" rowKey={(r) => r.machineType.id} size="middle" columns={columns} dataSource={rows} pagination={false} />
      <Button type="primary" style={{ marginTop: 16 }} disabled={!dirty} loading={busy} onClick={save} data-testid="prices-save">
        {t('common.save')}
      </Button>
    </>
  );
}
