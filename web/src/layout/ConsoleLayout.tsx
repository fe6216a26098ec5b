import { useMemo, useState } from 'react';
import {
  AlertOutlined,
  ApiOutlined,
  AppstoreOutlined,
  BellOutlined,
  ClusterOutlined,
  CloudServerOutlined,
  DashboardOutlined,
  DollarOutlined,
  GlobalOutlined,
  LogoutOutlined,
  NodeIndexOutlined,
  TeamOutlined,
  WalletOutlined,
} from '@ant-design/icons';
import { Breadcrumb, Button, Layout, Menu, Segmented, Space, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { clearSession, getRole } from '../auth';
import { setLang, type Lang } from '../i18n';
import { NotificationBell } from './NotificationBell';

const { Header, Sider, Content } = Layout;

export function LangSwitch() {
  const { i18n } = useTranslation();
  return (
    <Segmented<Lang>
      data-testid="lang-switch"
      size="small"
      value={i18n.language === 'zh' ? 'zh' : 'en'}
      options={[
        { label: '中文', value: 'zh' },
        { label: 'EN', value: 'en' },
      ]}
      onChange={(v) => setLang(v)}
    />
  );
}

const SECTION: Record<string, string> = {
  overview: 'menu.overview',
  'vpn-gateways': 'menu.gateways',
  'peer-gateways': 'menu.peers',
  'vpn-tunnels': 'menu.tunnels',
  'alert-templates': 'menu.alertTemplates',
  alerts: 'menu.alerts',
  billing: 'menu.billing',
  tenants: 'menu.tenants',
  inventory: 'menu.inventory',
  prices: 'menu.prices',
  hosts: 'menu.hosts',
};

export function ConsoleLayout() {
  const { t } = useTranslation();
  const role = getRole();
  const location = useLocation();
  const navigate = useNavigate();
  const [collapsed, setCollapsed] = useState(false);

  const groups = useMemo(() => {
    const tenant = [
      {
        key: 'vpn',
        label: t('menu.vpn'),
        type: 'group' as const,
        children: [
          { key: '/overview', icon: <DashboardOutlined />, label: t('menu.overview') },
          { key: '/vpn-gateways', icon: <CloudServerOutlined />, label: t('menu.gateways') },
          { key: '/peer-gateways', icon: <GlobalOutlined />, label: t('menu.peers') },
          { key: '/vpn-tunnels', icon: <NodeIndexOutlined />, label: t('menu.tunnels') },
        ],
      },
      {
        key: 'mon',
        label: t('menu.monitoring'),
        type: 'group' as const,
        children: [
          { key: '/alert-templates', icon: <AlertOutlined />, label: t('menu.alertTemplates') },
          { key: '/alerts', icon: <BellOutlined />, label: t('menu.alerts') },
        ],
      },
      {
        key: 'fin',
        label: t('menu.finance'),
        type: 'group' as const,
        children: [{ key: '/billing', icon: <WalletOutlined />, label: t('menu.billing') }],
      },
    ];
    const operator = [
      {
        key: 'op',
        label: t('menu.operator'),
        type: 'group' as const,
        children: [
          { key: '/operator/tenants', icon: <TeamOutlined />, label: t('menu.tenants') },
          { key: '/operator/inventory', icon: <AppstoreOutlined />, label: t('menu.inventory') },
          { key: '/operator/prices', icon: <DollarOutlined />, label: t('menu.prices') },
          { key: '/operator/hosts', icon: <ClusterOutlined />, label: t('menu.hosts') },
          { key: '/billing', icon: <WalletOutlined />, label: t('menu.billing') },
        ],
      },
    ];
    return role === 'operator' ? operator : tenant;
  }, [role, t]);
  // Collapsed to icons, the group titles would be clipped: the items alone, with their names as tooltips.
  const items = collapsed ? groups.flatMap((g) => g.children) : groups;

  const parts = location.pathname.split('/').filter(Boolean);
  const sectionPart = parts[0] === 'operator' ? parts[1] : parts[0];
  const sectionPath = parts[0] === 'operator' ? `/operator/${parts[1] ?? ''}` : `/${parts[0] ?? ''}`;
  const rest = parts[0] === 'operator' ? parts.slice(2) : parts.slice(1);
  const crumbs = [
    { title: role === 'operator' ? t('menu.operator') : t('menu.console') },
    { title: rest.length ? <Link to={sectionPath}>{t(SECTION[sectionPart ?? ''] ?? 'menu.console')}</Link> : t(SECTION[sectionPart ?? ''] ?? 'menu.console') },
    ...(rest.length ? [{ title: rest[0] === 'new' ? t('common.create') : rest[0] }] : []),
  ];
  const selected = sectionPath;

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Header style={{ display: 'flex', alignItems: 'center', gap: 16, padding: '0 24px', background: '#001529' }}>
        <Space>
          <ApiOutlined style={{ color: '#fff', fontSize: 20 }} />
          <Typography.Text strong style={{ color: '#fff', fontSize: 16 }} data-testid="app-title">
            {t('app.title')}
          </Typography.Text>
        </Space>
        <div style={{ flex: 1 }} />
        {role === 'tenant' && <NotificationBell />}
        <Tag color={role === 'operator' ? 'gold' : 'blue'} data-testid="role-tag">
          {role === 'operator' ? t('auth.roleOperator') : t('auth.roleTenant')}
        </Tag>
        <LangSwitch />
        <Button
          data-testid="logout"
          size="small"
          icon={<LogoutOutlined />}
          onClick={() => {
            clearSession();
            navigate('/login', { replace: true });
          }}
        >
          {t('auth.logout')}
        </Button>
      </Header>
      <Layout>
        {/* Below 1200 px the menu collapses to its icons (the tables keep their width); the trigger opens it. */}
        <Sider
          width={208}
          theme="light"
          breakpoint="xl"
          collapsible
          collapsed={collapsed}
          onCollapse={setCollapsed}
          collapsedWidth={64}
          style={{ borderRight: '1px solid #f0f0f0' }}
          data-testid="side-sider"
        >
          <Menu data-testid="side-menu" mode="inline" selectedKeys={[selected]} items={items} onClick={(e) => navigate(e.key)} style={{ borderRight: 0 }} />
        </Sider>
        <Layout style={{ padding: '0 24px 24px' }}>
          <Breadcrumb style={{ margin: '16px 0' }} items={crumbs} data-testid="breadcrumb" />
          <Content style={{ background: '#fff', padding: 24, borderRadius: 4, minHeight: 280 }}>
            <Outlet />
          </Content>
        </Layout>
      </Layout>
    </Layout>
  );
}
