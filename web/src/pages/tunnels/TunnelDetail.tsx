import { useEffect, useState } from 'react';
import { ArrowLeftOutlined, DownloadOutlined, EditOutlined, FileSearchOutlined, MedicineBoxOutlined, SyncOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Descriptions, Result, Space, Spin, Tabs, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiError, call, type Schemas } from '../../api/client';
import { AlertTemplateBinding } from '../../components/AlertTemplateBinding';
import { useConfirmDelete } from '../../components/deleteGuard';
import { EditableText } from '../../components/EditableText';
import { errorText } from '../../components/errors';
import { FAILURE_CODES, WAITING_FOR_REMOTE } from '../../shared';
import { fmtTime } from '../../components/format';
import { MetricsPanel, type Aggregate, type MetricsWindow } from '../../components/MetricsPanel';
import { ConnStateTag, ResourceStateTag } from '../../components/state';
import { ConfigDownloadModal } from './ConfigDownloadModal';
import { ConfigCheckModal } from './ConfigCheckModal';
import { DiagnoseModal } from './DiagnoseModal';
import { PolicyEditors, type Editor } from './PolicyEditors';
import { TunnelLogs } from './TunnelLogs';
import { useResource } from '../../components/useResource';
import { proposalText } from './policyFields';
import { optionsText } from './optionsFields';

type Tunnel = Schemas['TunnelDto'];
/** The reasons the console has a title and advice for (the i18n check holds both catalogues to them); any other code reads as unknown. */
const ADVISED_CODES = new Set<string>([...FAILURE_CODES, WAITING_FOR_REMOTE]);

export default function TunnelDetail() {
  const { id = '' } = useParams();
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const confirmDelete = useConfirmDelete();
  const navigate = useNavigate();
  const {
    data: x,
    error,
    reload: load,
    set: setX,
  } = useResource<Tunnel>(id, () => call(api.GET('/api/v1/vpn-tunnels/{id}', { params: { path: { id } } })), ['tunnels']);
  const [vpc, setVpc] = useState<{ id: string; cidr: string } | undefined>(undefined);
  const [editor, setEditor] = useState<Editor>(null);
  const [configOpen, setConfigOpen] = useState(false);
  const [checkOpen, setCheckOpen] = useState(false);
  const [diagnoseOpen, setDiagnoseOpen] = useState(false);
  const [psk, setPsk] = useState<string | null>(null);
  const [reconnecting, setReconnecting] = useState(false);
  const gatewayId = x?.gateway.id;
  useEffect(() => {
    if (!gatewayId) return;
    void call(api.GET('/api/v1/vpn-gateways/{id}', { params: { path: { id: gatewayId } } }))
      .then((g) => setVpc({ id: g.vpc.id, cidr: g.vpc.cidr }))
      .catch(() => undefined);
  }, [gatewayId]);

  if (error instanceof ApiError && error.status === 404) {
    return <Result status="404" title={t('common.notFound')} extra={<Button onClick={() => navigate('/vpn-tunnels')}>{t('common.back')}</Button>} />;
  }
  if (error && !x) return <Alert type="error" showIcon message={errorText(error)} />;
  if (!x) return <Spin />;

  const failure = x.failure as { code?: string; message?: string } | null;
  const faqCode = failure?.code && ADVISED_CODES.has(failure.code) ? failure.code : 'unknown';
  const routePush = x.routePush as Schemas['RoutePushStatusDto'] | undefined;

  const remove = () =>
    confirmDelete({
      title: t('tunnel.deleteTitle'),
      content: t('tunnel.deleteConfirm', { name: `${x.name} (${x.id})` }),
      run: async () => {
        await call(api.DELETE('/api/v1/vpn-tunnels/{id}', { params: { path: { id: x.id } } }));
        navigate('/vpn-tunnels');
      },
    });

  const patch = async (body: { name?: string; remark?: string }) => {
    setX(await call(api.PATCH('/api/v1/vpn-tunnels/{id}', { params: { path: { id } }, body })));
  };

  // "Reconnect now": the same configuration again, so the gateway drops the SAs and negotiates at once.
  const reconnect = async () => {
    setReconnecting(true);
    try {
      setX(await call(api.POST('/api/v1/vpn-tunnels/{id}/reconnect', { params: { path: { id } } })));
      void message.success(t('tunnel.reconnectQueued'));
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setReconnecting(false);
    }
  };

  const showPsk = async () => {
    try {
      const full = await call(api.GET('/api/v1/vpn-tunnels/{id}', { params: { path: { id }, query: { includePsk: 'true' } } }));
      setPsk(full.psk ?? '');
    } catch (e) {
      void message.error(errorText(e));
    }
  };

  const metrics = async (w: MetricsWindow, agg: Aggregate) => {
    const m = await call(api.GET('/api/v1/vpn-tunnels/{id}/metrics', { params: { path: { id }, query: { ...w, agg } } }));
    const s = m.series as unknown as Record<string, number[][]>;
    return {
      from: Date.parse(m.from),
      to: Date.parse(m.to),
      stepSeconds: m.stepSeconds,
      charts: [
        {
          id: 'bps',
          title: t('metrics.tunnelBps'),
          unit: 'bps' as const,
          series: [
            { name: t('metrics.in'), points: s.bpsIn },
            { name: t('metrics.out'), points: s.bpsOut },
          ],
        },
        {
          id: 'pps',
          title: t('metrics.tunnelPps'),
          unit: 'pps' as const,
          series: [
            { name: t('metrics.in'), points: s.ppsIn },
            { name: t('metrics.out'), points: s.ppsOut },
          ],
        },
        { id: 'health', title: t('metrics.health'), unit: 'health' as const, series: [{ name: t('metrics.health'), points: s.health }] },
      ],
    };
  };

  const ike = x.ikePolicy;
  const ipsec = x.ipsecPolicy;
  const options = optionsText(x, t);
  const editBtn = (which: Editor, testId: string) => (
    <Button size="small" icon={<EditOutlined />} data-testid={testId} onClick={() => setEditor(which)} disabled={x.resourceState === 'deleting'}>
      {t('common.edit')}
    </Button>
  );

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }} wrap>
        <Space>
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate('/vpn-tunnels')} aria-label={t('common.back')} />
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="detail-title">
            {x.name}
          </Typography.Title>
          <ResourceStateTag state={x.resourceState} />
          <ConnStateTag state={x.connectionState} />
        </Space>
        <Space wrap>
          <Button icon={<DownloadOutlined />} data-testid="download-config" onClick={() => setConfigOpen(true)}>
            {t('tunnel.downloadConfig')}
          </Button>
          <Button
            icon={<SyncOutlined />}
            data-testid="reconnect"
            loading={reconnecting}
            onClick={reconnect}
            disabled={x.resourceState !== 'running'}
            title={t('tunnel.reconnectHint')}
          >
            {t('tunnel.reconnect')}
          </Button>
          <Button icon={<MedicineBoxOutlined />} data-testid="diagnose" onClick={() => setDiagnoseOpen(true)}>
            {t('diagnose.button')}
          </Button>
          <Button icon={<FileSearchOutlined />} data-testid="check-config" onClick={() => setCheckOpen(true)}>
            {t('configCheck.button')}
          </Button>
          <Button danger data-testid="detail-delete" onClick={remove} disabled={x.resourceState === 'deleting'}>
            {t('common.delete')}
          </Button>
        </Space>
      </Space>
      {failure && (
        <Alert
          // Beside `connected` a failure is a failed rekey: traffic still flows until the SA expires.
          type={x.connectionState === 'connecting' || x.connectionState === 'connected' ? 'warning' : 'error'}
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="failure-reason"
          // The API's reason is English prose with this tunnel's ids and subnets: shown as is in English,
          // its translated summary in Chinese (the advice below is translated in both).
          message={i18n.language === 'en' && failure.message ? failure.message : t(`failureTitle.${faqCode}`)}
          description={
            <div data-testid="failure-advice">
              <div>{t(`faq.${faqCode}`)}</div>
              {x.connectionState !== 'connected' && failure.code !== 'waiting_for_remote' && <div style={{ marginTop: 4 }}>{t('faq.retrying')}</div>}
            </div>
          }
        />
      )}
      {x.connectionState === 'connecting' && !failure && <Alert type="info" showIcon style={{ marginBottom: 16 }} message={t('faq.connecting')} />}
      {x.subnetPairs.total > 1 && x.subnetPairs.up > 0 && x.subnetPairs.up < x.subnetPairs.total && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="subnet-pairs"
          message={t('tunnel.pairsUp', { up: x.subnetPairs.up, total: x.subnetPairs.total })}
          description={x.subnetPairs.down.map((p) => `${p.localCidr} ↔ ${p.remoteCidr}`).join(', ')}
        />
      )}
      <Tabs
        data-testid="tunnel-tabs"
        items={[
          {
            key: 'info',
            label: t('common.basicInfo'),
            children: (
              <Space direction="vertical" style={{ width: '100%' }} size={16}>
                <Card size="small" title={t('common.basicInfo')}>
                  <Descriptions column={{ xs: 1, md: 2 }} size="small" data-testid="tunnel-info">
                    <Descriptions.Item label={t('common.name')}>
                      <EditableText testId="edit-name" value={x.name} max={64} required save={(name) => patch({ name })} />
                    </Descriptions.Item>
                    <Descriptions.Item label={t('common.id')}>
                      <Typography.Text copyable>{x.id}</Typography.Text>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('common.remark')}>
                      <EditableText testId="edit-remark" value={x.remark} max={256} save={(remark) => patch({ remark })} />
                    </Descriptions.Item>
                    <Descriptions.Item label={t('tunnel.gateway')}>
                      <Link to={`/vpn-gateways/${x.gateway.id}`}>{x.gateway.name}</Link> ({x.gateway.ip})
                    </Descriptions.Item>
                    <Descriptions.Item label={t('tunnel.peer')}>
                      {x.peer.name} ({x.peer.ip})
                    </Descriptions.Item>
                    <Descriptions.Item label={t('tunnel.connectedAt')}>{fmtTime(x.connectedAt)}</Descriptions.Item>
                    <Descriptions.Item label={t('common.createdAt')}>{fmtTime(x.createdAt)}</Descriptions.Item>
                    <Descriptions.Item label={t('tunnel.configVersion')}>{x.configVersion}</Descriptions.Item>
                    <Descriptions.Item label={t('alert.template')}>
                      <AlertTemplateBinding kind="tunnel" id={x.id} value={x.alertTemplateId} onChanged={load} />
                    </Descriptions.Item>
                  </Descriptions>
                </Card>
                <Card size="small" title={t('tunnel.routePush')} data-testid="route-push">
                  {routePush ? (
                    <Space direction="vertical" style={{ width: '100%' }}>
                      <span data-testid="route-push-routing" data-routing={routePush.routing}>
                        {routePush.routing === 'not_connected'
                          ? t('tunnel.routePushNotConnected')
                          : routePush.routing === 'hold_down'
                            ? t('tunnel.routePushHoldDown', { seconds: routePush.holdDownSecondsLeft ?? 0 })
                            : t('tunnel.routePushSummary', { applied: routePush.applied, targets: routePush.targets })}
                      </span>
                      {routePush.routing !== 'not_connected' &&
                        routePush.instances.map((i) => (
                          <div key={i.targetId} data-testid="route-push-instance" data-status={i.status}>
                            <Tag color={i.status === 'applied' ? 'success' : i.status === 'failed' ? 'error' : 'processing'}>
                              {t(`tunnel.pushStatus.${i.status}`)}
                            </Tag>
                            {i.name.startsWith('router of ') ? t('tunnel.vpcRouter') : i.name}
                            {i.errorCode && (
                              <span className="sub" title={i.error ?? undefined}>
                                {' '}
                                {t(`tunnel.pushError.${i.errorCode}`)}
                              </span>
                            )}
                          </div>
                        ))}
                    </Space>
                  ) : (
                    <Typography.Text type="secondary">{t('tunnel.routePushNone')}</Typography.Text>
                  )}
                </Card>
              </Space>
            ),
          },
          {
            key: 'policies',
            label: t('tunnel.policies'),
            children: (
              <Space direction="vertical" style={{ width: '100%' }} size={16}>
                {x.weak.length > 0 && (
                  <Alert
                    type="warning"
                    showIcon
                    data-testid="tunnel-weak"
                    message={t('policy.weakWarning', {
                      list: [...new Set(x.weak.map((w) => (typeof w.value === 'number' ? `DH ${w.value}` : w.value)))].join(', '),
                    })}
                  />
                )}
                <Card size="small" title={t('tunnel.subnets')} extra={editBtn('subnets', 'edit-subnets')}>
                  <Descriptions column={1} size="small" data-testid="tunnel-subnets">
                    <Descriptions.Item label={t('tunnel.localSubnets')}>
                      <Space wrap>
                        {x.localSubnets.map((s) => (
                          <Tag key={s.id}>{`${s.name} ${s.cidr}`}</Tag>
                        ))}
                      </Space>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('tunnel.remoteSubnets')}>
                      <Space wrap>
                        {x.remoteCidrs.map((c) => (
                          <Tag key={c}>{c}</Tag>
                        ))}
                      </Space>
                    </Descriptions.Item>
                  </Descriptions>
                </Card>
                <Card size="small" title={t('policy.ikeTitle')} extra={editBtn('ike', 'edit-ike')}>
                  <Descriptions column={{ xs: 1, md: 2 }} size="small" data-testid="tunnel-ike">
                    <Descriptions.Item label={t('policy.ikeVersion')}>{ike.version === 'v1' ? 'IKEv1' : 'IKEv2'}</Descriptions.Item>
                    <Descriptions.Item label={t('policy.exchangeMode')}>
                      {ike.version === 'v1' && ike.exchangeMode ? t(`policy.mode.${ike.exchangeMode}`) : '-'}
                    </Descriptions.Item>
                    <Descriptions.Item label={t('policy.auth')}>{ike.authAlgorithm}</Descriptions.Item>
                    <Descriptions.Item label={t('policy.encryption')}>{ike.encryptionAlgorithm}</Descriptions.Item>
                    <Descriptions.Item label={t('policy.dhGroup')}>{ike.dhGroup}</Descriptions.Item>
                    <Descriptions.Item label={t('policy.lifetime')}>{`${ike.lifetimeSeconds} ${t('policy.seconds')}`}</Descriptions.Item>
                    <Descriptions.Item label={t('policy.localId')}>{ike.localId}</Descriptions.Item>
                    <Descriptions.Item label={t('policy.remoteId')}>{ike.remoteId}</Descriptions.Item>
                    <Descriptions.Item label={t('policy.additionalProposals')}>
                      <span data-testid="ike-additional">
                        {ike.additionalProposals.length ? ike.additionalProposals.map((p) => proposalText(p, t)).join('; ') : t('policy.noAdditional')}
                      </span>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('tunnel.psk')}>
                      {psk === null ? (
                        <Button size="small" type="link" data-testid="show-psk" onClick={showPsk}>
                          {t('tunnel.showPsk')}
                        </Button>
                      ) : (
                        <Typography.Text copyable code data-testid="psk-value">
                          {psk}
                        </Typography.Text>
                      )}
                    </Descriptions.Item>
                  </Descriptions>
                </Card>
                <Card size="small" title={t('policy.ipsecTitle')} extra={editBtn('ipsec', 'edit-ipsec')}>
                  <Descriptions column={{ xs: 1, md: 2 }} size="small" data-testid="tunnel-ipsec">
                    <Descriptions.Item label={t('policy.protocol')}>{ipsec.protocol.toUpperCase()}</Descriptions.Item>
                    <Descriptions.Item label={t('policy.auth')}>{ipsec.authAlgorithm ?? '-'}</Descriptions.Item>
                    <Descriptions.Item label={t('policy.encryption')}>{ipsec.encryptionAlgorithm ?? '-'}</Descriptions.Item>
                    <Descriptions.Item label={t('policy.pfs')}>{ipsec.pfsGroup === 'disable' ? t('policy.pfsDisable') : ipsec.pfsGroup}</Descriptions.Item>
                    <Descriptions.Item label={t('policy.lifetime')}>{`${ipsec.lifetimeSeconds} ${t('policy.seconds')}`}</Descriptions.Item>
                    <Descriptions.Item label={t('policy.additionalProposals')}>
                      <span data-testid="ipsec-additional">
                        {ipsec.additionalProposals.length ? ipsec.additionalProposals.map((p) => proposalText(p, t)).join('; ') : t('policy.noAdditional')}
                      </span>
                    </Descriptions.Item>
                  </Descriptions>
                </Card>
                <Card size="small" title={t('options.title')} extra={editBtn('options', 'edit-options')}>
                  <Descriptions column={{ xs: 1, md: 2 }} size="small" data-testid="tunnel-options">
                    <Descriptions.Item label={t('options.initiatorMode')}>
                      <span data-testid="initiator-mode" data-mode={x.initiatorMode}>
                        {t(`options.mode.${x.initiatorMode}`)}
                      </span>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('options.dpd')}>
                      <span data-testid="dpd-summary">{options.dpd}</span>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('options.ikeFragmentation')}>{options.ikeFragmentation}</Descriptions.Item>
                    <Descriptions.Item label={t('options.tcpMssClamp')}>
                      <span data-testid="mss-summary">{options.tcpMssClamp}</span>
                    </Descriptions.Item>
                  </Descriptions>
                </Card>
              </Space>
            ),
          },
          { key: 'logs', label: t('logs.title'), children: <TunnelLogs tunnelId={x.id} /> },
          { key: 'metrics', label: t('metrics.title'), children: <MetricsPanel load={metrics} /> },
        ]}
      />
      <PolicyEditors
        tunnel={x}
        editor={editor}
        gatewayVpc={vpc}
        onClose={(saved) => {
          setEditor(null);
          if (saved) setX(saved);
        }}
      />
      <ConfigDownloadModal tunnel={configOpen ? x : null} onClose={() => setConfigOpen(false)} />
      <ConfigCheckModal tunnel={checkOpen ? x : null} onClose={() => setCheckOpen(false)} />
      <DiagnoseModal tunnel={diagnoseOpen ? x : null} onClose={() => setDiagnoseOpen(false)} />
    </>
  );
}
