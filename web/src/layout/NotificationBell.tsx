// In-console alert notifications (the templates' console channel): a badge with the unread count,
// the latest ten in a popover, each linking to its resource.
import { useCallback, useEffect, useState } from 'react';
import { BellOutlined } from '@ant-design/icons';
import { Badge, Button, Empty, List, Popover, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, call, type Schemas } from '../api/client';
import { fmtTime } from '../components/format';
import { ruleText } from '../components/ruleText';
import { templateName } from '../components/systemText';

type Notification = Schemas['NotificationDto'];

export function NotificationBell() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [items, setItems] = useState<Notification[]>([]);
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState(false);

  const load = useCallback(() => {
    void call(api.GET('/api/v1/notifications', { params: { query: { limit: 10 } } }))
      .then((p) => {
        setItems(p.items);
        setUnread(p.unreadCount);
      })
      .catch(() => undefined);
  }, []);
  useEffect(() => {
    load();
    const timer = setInterval(load, 30_000);
    return () => clearInterval(timer);
  }, [load]);

  const openItem = async (n: Notification) => {
    setOpen(false);
    if (!n.read) await call(api.POST('/api/v1/notifications/{id}/read', { params: { path: { id: n.id } } })).catch(() => undefined);
    load();
    navigate(n.resourceType === 'gateway' ? `/vpn-gateways/${n.resourceId}` : `/vpn-tunnels/${n.resourceId}`);
  };

  const content = (
    <div style={{ width: 380 }} data-testid="notifications">
      {items.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('notify.empty')} />
      ) : (
        <List
          size="small"
          dataSource={items}
          renderItem={(n) => (
            <List.Item style={{ cursor: 'pointer', opacity: n.read ? 0.6 : 1 }} onClick={() => void openItem(n)}>
              <List.Item.Meta
                title={
                  <span>
                    <Tag color={n.event === 'firing' ? 'error' : 'success'}>{t(`alert.states.${n.event}`)}</Tag>
                    {t(`alert.resourceTypes.${n.resourceType}`)} {n.resourceName ?? <span className="sub">{n.resourceId}</span>}
                  </span>
                }
                description={
                  <span data-testid="notification-rule">
                    {n.templateName && n.rule ? `${templateName(n.templateName, t)}: ${ruleText(n.rule, t)} · ` : ''}
                    {fmtTime(n.createdAt)}
                  </span>
                }
              />
            </List.Item>
          )}
        />
      )}
      <div style={{ display: 'flex', justifyContent: 'space-between', marginTop: 8 }}>
        <Typography.Link
          onClick={() => {
            setOpen(false);
            navigate('/alerts');
          }}
        >
          {t('notify.history')}
        </Typography.Link>
        <Button
          size="small"
          disabled={!unread}
          onClick={async () => {
            await call(api.POST('/api/v1/notifications/read-all')).catch(() => undefined);
            load();
          }}
        >
          {t('notify.readAll')}
        </Button>
      </div>
    </div>
  );

  return (
    <Popover open={open} onOpenChange={setOpen} trigger="click" placement="bottomRight" content={content} title={t('notify.title')}>
      <Badge count={unread} size="small" data-testid="notification-badge">
        <Button type="text" icon={<BellOutlined style={{ color: '#fff', fontSize: 18 }} />} data-testid="notification-bell" aria-label={t('notify.title')} />
      </Badge>
    </Popover>
  );
}
