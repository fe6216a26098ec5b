import { Tag, Tooltip } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Schemas } from '../api/client';

export type ResourceState = Schemas['GatewayDto']['resourceState'];
export type ConnectionState = Schemas['TunnelDto']['connectionState'];
export type ChargeType = Schemas['GatewayDto']['chargeType'];

export const RESOURCE_STATES: ResourceState[] = ['creating', 'running', 'deleting', 'error', 'expired'];
export const CONNECTION_STATES: ConnectionState[] = ['connecting', 'connected', 'phase1_failed', 'phase2_failed'];
export const CHARGE_TYPES: ChargeType[] = ['hourly', 'monthly', 'yearly'];

const RESOURCE_COLOR: Record<ResourceState, string> = { creating: 'processing', running: 'success', deleting: 'warning', error: 'error', expired: 'default' };
const CONN_COLOR: Record<ConnectionState, string> = { connecting: 'processing', connected: 'success', phase1_failed: 'error', phase2_failed: 'error' };

export function ResourceStateTag({ state, reason }: { state: ResourceState; reason?: string | null }) {
  const { t } = useTranslation();
  const tag = (
    <Tag color={RESOURCE_COLOR[state]} data-testid="resource-state" data-state={state}>
      {t(`state.resource.${state}`)}
    </Tag>
  );
  return reason ? <Tooltip title={reason}>{tag}</Tooltip> : tag;
}

export function ConnStateTag({ state, reason }: { state: ConnectionState; reason?: string | null }) {
  const { t } = useTranslation();
  const tag = (
    <Tag color={CONN_COLOR[state]} data-testid="conn-state" data-state={state}>
      {t(`state.connection.${state}`)}
    </Tag>
  );
  return reason ? <Tooltip title={reason}>{tag}</Tooltip> : tag;
}
