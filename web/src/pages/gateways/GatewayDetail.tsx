import { useEffect, useState } from 'react';
import { ArrowLeftOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Descriptions, Result, Space, Spin, Switch, Tabs, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiError, call, type Schemas } from '../../api/client';
import { AlertTemplateBinding } from '../../components/AlertTemplateBinding';
import { gatewayReason } from '../../components/systemText';
import { EditableText } from '../../components/EditableText';
import { errorText } from '../../components/errors';
import { fmtTime } from '../../components/format';
import { MetricsPanel, type Aggregate, type MetricsWindow } from '../../components/MetricsPanel';
import { ResourceStateTag } from '../../components/state';
import { RenewModal } from './RenewModal';
import { useGatewayDelete } from './useGatewayDelete';
import { useResource } from '../../components/useResource';

type Gateway = Schemas['GatewayDto'];

export default function GatewayDetail() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const navigate = useNavigate();
  const {
    data: g,
    error,
    reload: load,
    set: setG,
  } = useResource<Gateway>(id, () => call(api.GET('/api/v1/vpn-gateways/{id}', { params: { path: { id } } })), ['gateways']);
  const [renewing, setRenewing] = useState(false);
  const { message } = App.useApp();
  const { confirmDelete } = useGatewayDelete(() => navigate('/vpn-gateways'));
  const [machineTypes, setMachineTypes] = useState<Schemas['MachineTypeDto'][]>([]);
  useEffect(() => {
    void call(api.GET('/api/v1/machine-types', { params: { query: { limit: 1000 } } }))
      .then((p) => setMachineTypes(p.items))
      .catch(() => undefined);
  }, []);

  if (error instanceof ApiError && error.status === 404) {
    return <Result status="404" title={t('common.notFound')} extra={<Button onClick={() => navigate('/vpn-gateways')}>{t('common.back')}</Button>} />;
  }
  if (error) return <Alert type="error" showIcon message={errorText(error)} />;
  if (!g) return <Spin />;

  const patch = async (body: { name?: string; remark?: string; autoRenew?: boolean }) => {
    setG(await call(api.PATCH('/api/v1/vpn-gateways/{id}', { params: { path: { id } }, body })));
  };

  const metrics = async (w: MetricsWindow, agg: Aggregate) => {
    const m = await call(api.GET('/api/v1/vpn-gateways/{id}/metrics', { params: { path: { id }, query: { ...w, agg } } }));
    const s = m.series as unknown as Record<string, number[][]>;
    return {
      from: Date.parse(m.from),
      to: Date.parse(m.to),
      stepSeconds: m.stepSeconds,
      charts: [
        {
          id: 'bps',
          title: t('metrics.nicBps'),
          unit: 'bps' as const,
          series: [
            { name: t('metrics.in'), points: s.rxBps },
            { name: t('metrics.out'), points: s.txBps },
          ],
        },
        {
          id: 'pps',
          title: t('metrics.nicPps'),
          unit: 'pps' as const,
          series: [
            { name: t('metrics.in'), points: s.rxPps },
            { name: t('metrics.out'), points: s.txPps },
          ],
        },
        {
          id: 'util',
          title: t('metrics.txUtil', { mbps: m.bandwidthMbps }),
          unit: 'ratio' as const,
          series: [{ name: t('metrics.out'), points: s.txUtilization }],
        },
      ],
    };
  };

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }}>
        <Space>
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate('/vpn-gateways')} aria-label={t('common.back')} />
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="detail-title">
            {g.name}
          </Typography.Title>
          <ResourceStateTag state={g.resourceState} reason={gatewayReason(g.stateReason, t)} />
        </Space>
        <Space>
          <Button data-testid="renew" onClick={() => setRenewing(true)} disabled={g.resourceState === 'deleting'}>
            {t('gateway.renew')}
          </Button>
          <Button danger data-testid="detail-delete" onClick={() => confirmDelete(g)} disabled={g.resourceState === 'deleting'}>
            {t('common.delete')}
          </Button>
        </Space>
      </Space>
      {g.resourceState === 'expired' && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="expired-notice"
          message={t('gateway.expiredNotice', { at: fmtTime(g.expiredAt ?? g.expiresAt) })}
          action={
            <Button size="small" type="primary" onClick={() => setRenewing(true)}>
              {t('gateway.renew')}
            </Button>
          }
        />
      )}
      {g.resourceState === 'error' && g.stateReason && (
        <Alert type="error" showIcon message={gatewayReason(g.stateReason, t)} style={{ marginBottom: 16 }} data-testid="state-reason" />
      )}
      <Tabs
        items={[
          {
            key: 'info',
            label: t('common.basicInfo'),
            children: (
              <Card size="small">
                <Descriptions column={{ xs: 1, md: 2 }} size="small" data-testid="gateway-info">
                  <Descriptions.Item label={t('common.name')}>
                    <EditableText testId="edit-name" value={g.name} max={64} required save={(name) => patch({ name })} />
                  </Descriptions.Item>
                  <Descriptions.Item label={t('common.id')}>
                    <Typography.Text copyable>{g.id}</Typography.Text>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('common.remark')}>
                    <EditableText testId="edit-remark" value={g.remark} max={256} save={(remark) => patch({ remark })} />
                  </Descriptions.Item>
                  <Descriptions.Item label={t('common.state')}>
                    <ResourceStateTag state={g.resourceState} />
                  </Descriptions.Item>
                  <Descriptions.Item label={t('gateway.vpc')}>{`${g.vpc.name} (${g.vpc.cidr})`}</Descriptions.Item>
                  <Descriptions.Item label={t('gateway.subnet')}>{`${g.subnet.name} (${g.subnet.cidr})`}</Descriptions.Item>
                  <Descriptions.Item label={t('gateway.externalIp')}>{g.externalIp?.address ?? '-'}</Descriptions.Item>
                  <Descriptions.Item label={t('gateway.privateIp')}>{g.privateIp ?? '-'}</Descriptions.Item>
                  <Descriptions.Item label={t('gateway.machineType')}>
                    {(() => {
                      const m = machineTypes.find((x) => x.id === g.machineTypeId);
                      return m ? `${m.name} (${m.architecture})` : g.machineTypeId;
                    })()}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('gateway.tunnelCount')}>
                    <Space>
                      <Link to={`/vpn-tunnels?gatewayId=${g.id}`} data-testid="gateway-tunnels">
                        {g.tunnelCount}
                      </Link>
                      {g.tunnelCount < 20 && g.resourceState !== 'deleting' && (
                        <Link to={`/vpn-tunnels/new?gatewayId=${g.id}`} data-testid="gateway-new-tunnel">
                          {t('tunnel.create')}
                        </Link>
                      )}
                    </Space>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('gateway.chargeType')}>{t(`charge.${g.chargeType}`)}</Descriptions.Item>
                  <Descriptions.Item label={t('gateway.expiresAt')}>{fmtTime(g.expiresAt)}</Descriptions.Item>
                  <Descriptions.Item label={t('gateway.autoRenew')}>
                    <Space>
                      <Switch
                        data-testid="auto-renew"
                        aria-label={t('gateway.autoRenew')}
                        size="small"
                        checked={g.autoRenew}
                        onChange={async (autoRenew) => {
                          try {
                            await patch({ autoRenew });
                            void message.success(t('common.saved'));
                          } catch (e) {
                            void message.error(errorText(e));
                          }
                        }}
                      />
                      <Typography.Text type="secondary">{t('gateway.autoRenewHint')}</Typography.Text>
                    </Space>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('common.createdAt')}>{fmtTime(g.createdAt)}</Descriptions.Item>
                  <Descriptions.Item label={t('alert.template')}>
                    <AlertTemplateBinding kind="gateway" id={g.id} value={g.alertTemplateId} onChanged={load} />
                  </Descriptions.Item>
                </Descriptions>
              </Card>
            ),
          },
          { key: 'metrics', label: t('metrics.title'), children: <MetricsPanel load={metrics} /> },
        ]}
      />
      <RenewModal
        gateway={renewing ? g : null}
        onClose={(changed) => {
          setRenewing(false);
          if (changed) void load();
        }}
      />
    </>
  );
}
