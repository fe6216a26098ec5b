// The landing page (issue 17): counts by state, what is failing now and why, gateways expiring
// soon, recent alerts, and a simple topology VPC -> gateway -> tunnel -> peer coloured by state.
// One request (GET /api/v1/overview), fetched again whenever tunnels, gateways or alerts change.
import { useCallback, useEffect, useState } from 'react';
import { Alert, Card, Col, Empty, Row, Space, Spin, Statistic, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call, type Schemas } from '../../api/client';
import { errorText } from '../../components/errors';
import { fmtTime } from '../../components/format';
import { useLive } from '../../components/live';
import { Since } from '../../components/since';
import { templateName } from '../../components/systemText';
import { CONNECTION_STATES, ConnStateTag, RESOURCE_STATES, ResourceStateTag, type ConnectionState } from '../../components/state';
import { stateReason } from '../tunnels/TunnelList';

type OverviewData = Schemas['OverviewDto'];
type Failing = Schemas['OverviewTunnelDto'];
type Gw = Schemas['OverviewGatewayDto'];
type AlertRow = Schemas['AlertDto'];

export const STATE_COLOUR: Record<ConnectionState, string> = {
  connected: '#237804',
  connecting: '#0958d9',
  phase1_failed: '#cf1322',
  phase2_failed: '#ad4e00',
};

export default function Overview() {
  const { t } = useTranslation();
  const [data, setData] = useState<OverviewData | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      setData(await call(api.GET('/api/v1/overview')));
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  useLive(['tunnels', 'gateways', 'alerts'], () => void load());

  if (error && !data) return <Alert type="error" showIcon message={errorText(error)} />;
  if (!data) return <Spin />;

  const failingColumns: TableColumnsType<Failing> = [
    {
      title: t('tunnel.nameId'),
      render: (_, x) => (
        <Link to={`/vpn-tunnels/${x.id}`} data-testid="tunnel-link">
          {x.name}
        </Link>
      ),
    },
    { title: t('tunnel.connectionState'), render: (_, x) => <ConnStateTag state={x.connectionState} /> },
    {
      title: t('overview.reason'),
      render: (_, x) => (
        <span data-testid="failing-reason">{stateReason({ ...x, failure: x.failure } as unknown as Parameters<typeof stateReason>[0], t)}</span>
      ),
    },
    { title: t('tunnel.stateSince'), render: (_, x) => <Since at={x.stateChangedAt} /> },
    { title: t('tunnel.gateway'), render: (_, x) => x.gatewayName, responsive: ['xl'] },
    {
      title: t('tunnel.peer'),
      render: (_, x) => (
        <span>
          {x.peerName} <span className="sub">{x.peerIp}</span>
        </span>
      ),
    },
  ];
  const expiringColumns: TableColumnsType<Gw> = [
    { title: t('gateway.nameId'), render: (_, g) => <Link to={`/vpn-gateways/${g.id}`}>{g.name}</Link> },
    { title: t('common.state'), render: (_, g) => <ResourceStateTag state={g.resourceState as never} /> },
    { title: t('gateway.expiresAt'), render: (_, g) => fmtTime(g.expiresAt) },
    { title: t('overview.autoRenew'), render: (_, g) => (g.autoRenew ? t('overview.yes') : t('overview.no')) },
  ];
  const alertColumns: TableColumnsType<AlertRow> = [
    { title: t('overview.alertRule'), render: (_, a) => templateName(a.templateName, t) },
    { title: t('overview.resource'), render: (_, a) => a.resource.name },
    { title: t('common.state'), render: (_, a) => <Tag color={a.state === 'firing' ? 'red' : 'default'}>{t(`alert.states.${a.state}`)}</Tag> },
    { title: t('overview.firedAt'), render: (_, a) => fmtTime(a.firedAt) },
  ];

  const counts = data.tunnelsByState as Record<string, number>;
  const gwCounts = data.gatewaysByState as Record<string, number>;
  return (
    <div data-testid="overview">
      <Typography.Title level={4}>{t('menu.overview')}</Typography.Title>
      <Row gutter={[16, 16]}>
        {CONNECTION_STATES.map((s) => (
          <Col xs={12} lg={6} key={s}>
            <Card size="small">
              <Statistic title={t(`state.connection.${s}`)} value={counts[s] ?? 0} valueStyle={{ color: STATE_COLOUR[s] }} data-testid={`count-${s}`} />
            </Card>
          </Col>
        ))}
        <Col span={24}>
          <Space wrap data-testid="gateway-counts">
            <Typography.Text type="secondary">{t('menu.gateways')}:</Typography.Text>
            {[...RESOURCE_STATES]
              .filter((s) => (gwCounts[s] ?? 0) > 0)
              .map((s) => (
                <span key={s}>
                  <ResourceStateTag state={s} /> {gwCounts[s]}
                </span>
              ))}
          </Space>
        </Col>
        <Col span={24}>
          <Card size="small" title={t('overview.failing', { count: data.failingTotal })} data-testid="overview-failing">
            <Table<Failing>
              rowKey="id"
              size="small"
              pagination={false}
              dataSource={data.failing}
              columns={failingColumns}
              locale={{ emptyText: t('overview.noneFailing') }}
            />
            {data.failingTotal > data.failing.length && <Link to="/vpn-tunnels">{t('overview.more', { count: data.failingTotal - data.failing.length })}</Link>}
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('overview.expiring')} data-testid="overview-expiring">
            <Table<Gw>
              rowKey="id"
              size="small"
              pagination={false}
              dataSource={data.expiringSoon}
              columns={expiringColumns}
              locale={{ emptyText: t('overview.noneExpiring') }}
            />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('overview.alerts')} extra={<Link to="/alerts">{t('menu.alerts')}</Link>} data-testid="overview-alerts">
            <Table<AlertRow>
              rowKey="id"
              size="small"
              pagination={false}
              dataSource={data.recentAlerts}
              columns={alertColumns}
              locale={{ emptyText: t('overview.noAlerts') }}
            />
          </Card>
        </Col>
        <Col span={24}>
          <Card size="small" title={t('overview.topology')} data-testid="overview-topology">
            <Topology topology={data.topology} />
          </Card>
        </Col>
      </Row>
    </div>
  );
}

/** VPC -> gateways -> one square per tunnel (coloured by state, grouped by peer). Plain elements: 1,000 tunnels stay cheap. */
function Topology({ topology }: { topology: OverviewData['topology'] }) {
  const { t } = useTranslation();
  if (!topology.gateways.length) return <Empty description={t('overview.noTopology')} />;
  const peers = new Map(topology.peers.map((p) => [p.id, p]));
  return (
    <div>
      <Space size="middle" wrap style={{ marginBottom: 8 }}>
        {CONNECTION_STATES.map((s) => (
          <span key={s} className="sub">
            <span className="topo-dot" style={{ background: STATE_COLOUR[s] }} /> {t(`state.connection.${s}`)}
          </span>
        ))}
      </Space>
      {topology.vpcs.map((v) => (
        <div key={v.id} className="topo-vpc" data-testid="topo-vpc">
          <Typography.Text strong>
            {v.name} <span className="sub">{v.cidr}</span>
          </Typography.Text>
          {topology.gateways
            .filter((g) => g.vpcId === v.id)
            .map((g) => {
              const tunnels = topology.tunnels.filter((x) => x.gatewayId === g.id);
              return (
                <div key={g.id} className="topo-gateway" data-testid="topo-gateway">
                  <Link to={`/vpn-gateways/${g.id}`}>{g.name}</Link> <span className="sub">{g.externalIp}</span>{' '}
                  <ResourceStateTag state={g.resourceState as never} />
                  <span className="topo-tunnels">
                    {tunnels.map((x) => {
                      const peer = peers.get(x.peerId);
                      const label = `${x.name} → ${peer?.name ?? ''} ${peer?.ipAddress ?? ''}: ${t(`state.connection.${x.connectionState}`)}`;
                      return (
                        <Link
                          key={x.id}
                          to={`/vpn-tunnels/${x.id}`}
                          className="topo-dot"
                          title={label}
                          aria-label={label}
                          data-testid="topo-tunnel"
                          data-state={x.connectionState}
                          style={{ background: STATE_COLOUR[x.connectionState] }}
                        />
                      );
                    })}
                    {!tunnels.length && <span className="sub">{t('overview.noTunnels')}</span>}
                  </span>
                </div>
              );
            })}
        </div>
      ))}
    </div>
  );
}
