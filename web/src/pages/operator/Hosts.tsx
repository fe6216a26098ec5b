import { useEffect, useState } from 'react';
import { Alert, Badge, Card, Col, Descriptions, Row, Space, Table, Tag, Tooltip, Typography, type TableColumnsType } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { errorText } from '../../components/errors';
import { fmtTime } from '../../components/format';
import { ListToolbar } from '../../components/ListToolbar';
import { RESOURCE_STATES } from '../../components/state';
import { useLive } from '../../components/live';
import { agentWhy } from './agentWhy';

type Host = Schemas['GatewayHostDto'];
type Agent = Schemas['AgentStatusDto'];
type FailedJobs = Schemas['GatewayHostFailedJobsDto'];
type QueueCount = keyof Omit<Schemas['GatewayHostQueueDto'], 'name' | 'depth'>;
const QUEUE_COUNTS: QueueCount[] = ['waiting', 'active', 'delayed', 'prioritized', 'waitingChildren', 'failed'];

/** Gateway hosts (GET /api/v1/gateway-hosts: liveness, capacity, gateways per state, queue depth), platform health, route agents. */
export default function Hosts() {
  const { t } = useTranslation();
  const [hosts, setHosts] = useState<Host[]>([]);
  const [hostsError, setHostsError] = useState<string | null>(null);
  const [health, setHealth] = useState<{ status: string; database: string; redis: string } | null>(null);
  const [agents, setAgents] = useState<Schemas['AgentStatusDto'][]>([]);
  const [loading, setLoading] = useState(true);

  const load = () => {
    setLoading(true);
    void Promise.all([
      call(api.GET('/api/v1/gateway-hosts'))
        .then((h) => {
          setHosts(h);
          setHostsError(null);
        })
        .catch((e) => setHostsError(errorText(e))),
      fetch('/healthz')
        .then((r) => r.json() as Promise<{ status: string; database: string; redis: string }>)
        .then(setHealth)
        .catch(() => setHealth(null)),
      call(api.GET('/api/v1/agents'))
        .then(setAgents)
        .catch(() => undefined),
    ]).finally(() => setLoading(false));
  };
  useEffect(() => {
    load();
  }, []);
  useLive(['hosts', 'gateways'], load);

  const now = Date.now();
  const up = (s: string | undefined) => (
    <Badge status={s === 'up' || s === 'ok' ? 'success' : 'error'} text={s === 'up' || s === 'ok' ? t('op.up') : t('op.down')} />
  );
  const columns: TableColumnsType<Host> = [
    {
      title: t('op.host'),
      render: (_, h) => (
        <Space direction="vertical" size={0}>
          <Typography.Text strong>{h.id}</Typography.Text>
          {h.hostname !== h.id && <Typography.Text type="secondary">{h.hostname}</Typography.Text>}
        </Space>
      ),
    },
    {
      title: t('op.health'),
      render: (_, h) => (
        <Tooltip title={h.live ? undefined : t('op.staleHint', { seconds: h.livenessSeconds })}>
          <Tag color={h.live ? 'success' : 'error'} data-testid="host-health" data-state={h.live ? 'healthy' : 'stale'}>
            {h.live ? t('op.healthy') : t('op.stale')}
          </Tag>
        </Tooltip>
      ),
    },
    {
      title: t('op.lastSeen'),
      render: (_, h) => `${fmtTime(h.lastSeenAt)} (${t('op.secondsAgo', { count: Math.max(0, Math.round((now - Date.parse(h.lastSeenAt)) / 1000)) })})`,
    },
    {
      title: t('op.capacity'),
      render: (_, h) => <Typography.Text type={h.gateways.total >= h.capacity ? 'danger' : undefined}>{`${h.gateways.total} / ${h.capacity}`}</Typography.Text>,
    },
    {
      title: t('op.gatewaysByState'),
      render: (_, h) => {
        const tags = RESOURCE_STATES.filter((s) => h.gateways[s] > 0).map((s) => (
          <Tag key={s} color={s === 'error' ? 'error' : undefined}>{`${t(`state.resource.${s}`)}: ${h.gateways[s]}`}</Tag>
        ));
        if (h.problems.length)
          tags.push(
            <Tag key="problems" color="error" data-testid="host-problem-count">
              {t('op.drill.inError', { count: h.problems.length })}
            </Tag>,
          );
        return tags.length ? (
          <Space size={[0, 4]} wrap>
            {tags}
          </Space>
        ) : (
          '-'
        );
      },
    },
    {
      title: t('op.queueDepth'),
      render: (_, h) => {
        if (!h.queue) return <Typography.Text type="secondary">{t('op.queueUnknown')}</Typography.Text>;
        const q = h.queue;
        const parts = QUEUE_COUNTS.filter((s) => q[s] > 0);
        return (
          <Space size={4} wrap>
            <Tooltip title={parts.length ? parts.map((s) => `${t(`op.queueStates.${s}`)}: ${q[s]}`).join(', ') : undefined}>
              <Typography.Text data-testid="host-queue-depth">{q.depth}</Typography.Text>
            </Tooltip>
            {q.failed > 0 && <Tag color="error">{`${t('op.queueStates.failed')}: ${q.failed}`}</Tag>}
          </Space>
        );
      },
    },
  ];
  const agentColumns: TableColumnsType<Agent> = [
    { title: t('op.agent'), render: (_, a) => a.instanceName || a.instanceId || a.vpcId },
    { title: t('op.agentKind'), dataIndex: 'kind', render: (v: string) => t(`op.agentKinds.${v}`, { defaultValue: v }) },
    { title: t('op.lastSeen'), dataIndex: 'lastCheckInAt', render: (v: string | null) => fmtTime(v) },
    {
      title: t('op.upToDate'),
      render: (_, a) =>
        a.upToDate ? (
          <Tag color="success">{t('op.yes')}</Tag>
        ) : (
          <Space direction="vertical" size={0}>
            <Tag color="warning">{t('op.no')}</Tag>
            <Typography.Text type="secondary" data-testid="agent-why">
              {agentWhy(a, t)}
            </Typography.Text>
          </Space>
        ),
    },
    { title: t('op.lastError'), dataIndex: 'lastError', ellipsis: true, render: (v: string | null) => v ?? '-' },
  ];

  return (
    <>
      <Typography.Title level={4}>{t('menu.hosts')}</Typography.Title>
      <ListToolbar onReload={load} />
      <Row gutter={16} style={{ marginBottom: 16 }}>
        <Col xs={24} md={12}>
          <Card size="small" title={t('op.platform')}>
            <Descriptions column={1} size="small">
              <Descriptions.Item label={t('op.api')}>{up(health?.status)}</Descriptions.Item>
              <Descriptions.Item label={t('op.database')}>{up(health?.database)}</Descriptions.Item>
              <Descriptions.Item label={t('op.redis')}>{up(health?.redis)}</Descriptions.Item>
            </Descriptions>
          </Card>
        </Col>
      </Row>
      <Card size="small" title={t('op.gatewayHosts')} style={{ marginBottom: 16 }}>
        {hostsError && <Alert type="error" showIcon message={t('op.hostsUnavailable', { error: hostsError })} style={{ marginBottom: 16 }} />}
        <Table<Host>
          data-testid="host-table"
          rowKey="id"
          size="small"
          loading={loading}
          columns={columns}
          dataSource={hosts}
          pagination={false}
          locale={{ emptyText: t('op.noHosts') }}
          // The drill-down: what is in error on the host and the jobs that failed there, with the worker's words.
          expandable={{ rowExpandable: (h) => h.problems.length > 0 || (h.queue?.failed ?? 0) > 0, expandedRowRender: (h) => <HostDrillDown host={h} /> }}
        />
      </Card>
      <Card size="small" title={t('op.routeAgents')}>
        <Table data-testid="agent-table" rowKey="id" size="small" columns={agentColumns} dataSource={agents} pagination={{ pageSize: 20 }} />
      </Card>
    </>
  );
}

/** A host's gateways and tunnels in error (from the list) and its queue's failed jobs (asked when opened). */
function HostDrillDown({ host }: { host: Host }) {
  const { t } = useTranslation();
  const [failed, setFailed] = useState<FailedJobs | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call(api.GET('/api/v1/gateway-hosts/{id}/failed-jobs', { params: { path: { id: host.id } } }))
      .then(setFailed)
      .catch((e) => setError(errorText(e)));
  }, [host.id, host.queue?.failed]);
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="host-drill-down">
      <Typography.Text strong>{t('op.drill.problems')}</Typography.Text>
      <Table
        data-testid="host-problems"
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={host.problems}
        locale={{ emptyText: t('op.drill.noProblems') }}
        columns={[
          { title: t('op.drill.kind'), dataIndex: 'kind', width: 90, render: (v: string) => t(`op.resourceKinds.${v}`, { defaultValue: v }) },
          { title: t('op.drill.resource'), dataIndex: 'id', width: 200 },
          { title: t('op.drill.tenant'), dataIndex: 'tenantId', width: 200 },
          { title: t('op.drill.reason'), dataIndex: 'reason' },
        ]}
      />
      <Typography.Text strong>{t('op.drill.failedJobs')}</Typography.Text>
      {error && <Alert type="error" showIcon message={error} />}
      {failed && !failed.available && <Alert type="warning" showIcon message={t('op.drill.queueUnavailable')} />}
      <Table
        data-testid="host-failed-jobs"
        rowKey="id"
        size="small"
        pagination={false}
        loading={!failed && !error}
        dataSource={failed?.jobs ?? []}
        locale={{ emptyText: t('op.drill.noFailedJobs') }}
        columns={[
          { title: t('op.drill.job'), dataIndex: 'name', width: 120 },
          { title: t('op.drill.resource'), dataIndex: 'resourceId', width: 200, render: (v: string | null) => v ?? '-' },
          { title: t('op.drill.attempts'), dataIndex: 'attemptsMade', width: 90 },
          { title: t('op.drill.failedAt'), dataIndex: 'failedAt', width: 170, render: (v: string | null) => fmtTime(v) },
          { title: t('op.drill.error'), dataIndex: 'failedReason', render: (v: string | null) => v ?? '-' },
        ]}
      />
    </Space>
  );
}
