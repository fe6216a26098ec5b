// The Excel sheets of the VPN lists: the spec's list columns (docs/spec.md), headers and state words in
// the console's words (the UCloudStack guide's, for Chinese). No PSK column, ever.
import { CHARGE_TYPES, CONNECTION_STATES, ChargeType, ConnectionState, GATEWAY_STATES, GatewayState, RESOURCE_STATES, ResourceState } from '../common/states';
import { assertWordsForEveryCode, Localized } from '../exports/locale';
import type { TunnelEventKind } from './tunnels/tunnel-event.entity';
import { SheetDef } from '../exports/sheet';

export const RESOURCE_STATE_WORDS: Record<ResourceState, Localized> = {
  creating: { zh: '创建中', en: 'Creating' },
  running: { zh: '运行', en: 'Running' },
  deleting: { zh: '删除中', en: 'Deleting' },
  error: { zh: '异常', en: 'Error' },
};

/** Gateways also expire (billing). */
export const GATEWAY_STATE_WORDS: Record<GatewayState, Localized> = {
  ...RESOURCE_STATE_WORDS,
  expired: { zh: '已过期', en: 'Expired' },
};

export const CONNECTION_STATE_WORDS: Record<ConnectionState, Localized> = {
  connecting: { zh: '连接中', en: 'Connecting' },
  connected: { zh: '已连接', en: 'Connected' },
  phase1_failed: { zh: '阶段 1 失败', en: 'Phase 1 failed' },
  phase2_failed: { zh: '阶段 2 失败', en: 'Phase 2 failed' },
};

export const CHARGE_TYPE_WORDS: Record<ChargeType, Localized> = {
  hourly: { zh: '按时', en: 'Hourly' },
  monthly: { zh: '按月', en: 'Monthly' },
  yearly: { zh: '按年', en: 'Yearly' },
};

assertWordsForEveryCode(
  [RESOURCE_STATES, RESOURCE_STATE_WORDS],
  [GATEWAY_STATES, GATEWAY_STATE_WORDS],
  [CONNECTION_STATES, CONNECTION_STATE_WORDS],
  [CHARGE_TYPES, CHARGE_TYPE_WORDS],
);

const NAME = { zh: '名称', en: 'Name' };
const RESOURCE_ID = { zh: '资源 ID', en: 'ID' };
const CREATED = { zh: '创建时间', en: 'Created' };
const TUNNEL_COUNT = { zh: '隧道数量', en: 'Tunnels' };
const withCidr = (name: string | null, cidr: string | null) => (cidr ? `${name ?? ''} (${cidr})` : name);

// The rows the services select for an export (flat, only these columns: keysetRawRows).
export interface GatewayExportRow {
  id: string;
  name: string;
  vpcName: string | null;
  vpcCidr: string | null;
  subnetName: string | null;
  subnetCidr: string | null;
  externalIp: string | null;
  tunnelCount: number;
  createdAt: Date;
  expiresAt: Date | null;
  chargeType: string;
  resourceState: string;
}
export interface PeerExportRow {
  id: string;
  name: string;
  ipAddress: string;
  tunnelCount: number;
  createdAt: Date;
}
export interface TunnelExportRow {
  id: string;
  name: string;
  gatewayName: string;
  gatewayIp: string;
  peerName: string;
  peerIp: string;
  createdAt: Date;
  resourceState: string;
  connectionState: string;
}

export const GATEWAY_SHEET: SheetDef<GatewayExportRow> = {
  title: { zh: 'VPN网关', en: 'VPN gateways' },
  fileName: 'vpn-gateways',
  columns: [
    { key: 'name', type: 'text', header: NAME },
    { key: 'id', type: 'text', header: RESOURCE_ID, width: 18 },
    { key: 'vpc', type: 'text', header: { zh: 'VPC', en: 'VPC' }, value: (g) => withCidr(g.vpcName, g.vpcCidr) },
    { key: 'subnet', type: 'text', header: { zh: '子网', en: 'Subnet' }, value: (g) => withCidr(g.subnetName, g.subnetCidr) },
    { key: 'externalIp', type: 'text', header: { zh: '外网 IP', en: 'External IP' }, width: 16 },
    { key: 'tunnelCount', type: 'number', header: TUNNEL_COUNT },
    { key: 'createdAt', type: 'date', header: CREATED },
    { key: 'expiresAt', type: 'date', header: { zh: '过期时间', en: 'Expires' } },
    { key: 'chargeType', type: 'enum', header: { zh: '计费方式', en: 'Charge type' }, words: CHARGE_TYPE_WORDS },
    { key: 'resourceState', type: 'enum', header: { zh: '状态', en: 'State' }, words: GATEWAY_STATE_WORDS },
  ],
};

export const PEER_SHEET: SheetDef<PeerExportRow> = {
  title: { zh: '对端网关', en: 'Peer gateways' },
  fileName: 'peer-gateways',
  columns: [
    { key: 'name', type: 'text', header: NAME },
    { key: 'id', type: 'text', header: { zh: 'ID', en: 'ID' }, width: 18 },
    { key: 'ipAddress', type: 'text', header: { zh: '公网 IP 地址', en: 'Public IP' }, width: 16 },
    { key: 'tunnelCount', type: 'number', header: TUNNEL_COUNT },
    { key: 'createdAt', type: 'date', header: CREATED },
  ],
};

export const TUNNEL_SHEET: SheetDef<TunnelExportRow> = {
  title: { zh: 'VPN隧道', en: 'VPN tunnels' },
  fileName: 'vpn-tunnels',
  columns: [
    { key: 'name', type: 'text', header: NAME },
    { key: 'id', type: 'text', header: RESOURCE_ID, width: 18 },
    { key: 'gatewayName', type: 'text', header: { zh: 'VPN 网关', en: 'VPN gateway' } },
    { key: 'gatewayIp', type: 'text', header: { zh: 'VPN 网关 IP', en: 'VPN gateway IP' }, width: 16 },
    { key: 'peerName', type: 'text', header: { zh: '对端网关', en: 'Peer gateway' } },
    { key: 'peerIp', type: 'text', header: { zh: '对端网关 IP', en: 'Peer gateway IP' }, width: 16 },
    { key: 'createdAt', type: 'date', header: CREATED },
    { key: 'resourceState', type: 'enum', header: { zh: '资源状态', en: 'Resource state' }, words: RESOURCE_STATE_WORDS },
    { key: 'connectionState', type: 'enum', header: { zh: '连接状态', en: 'Connection state' }, words: CONNECTION_STATE_WORDS },
  ],
};

/** A connection-log entry as the log API answers it (GET /vpn-tunnels/:id/logs). */
export interface TunnelLogExportRow {
  at: Date;
  firstAt: Date;
  repeats: number;
  kind: string;
  result: string | null;
  phase: number | null;
  reasonCode: string | null;
  message: string | null;
  configVersion: number | null;
  lines: string[];
}

export const TUNNEL_EVENT_KIND_WORDS: Record<TunnelEventKind, Localized> = {
  attempt: { zh: '协商', en: 'Attempt' },
  connected: { zh: '已连接', en: 'Connected' },
  down: { zh: '断开', en: 'Down' },
  rekey: { zh: '密钥更新', en: 'Rekey' },
  config: { zh: '配置', en: 'Configuration' },
  deleted: { zh: '已删除', en: 'Deleted' },
  failover: { zh: '主机切换', en: 'Failover' },
};
const RESULT_WORDS: Record<string, Localized> = { success: { zh: '成功', en: 'Success' }, failure: { zh: '失败', en: 'Failure' } };

export const TUNNEL_LOG_SHEET: SheetDef<TunnelLogExportRow> = {
  title: { zh: '连接日志', en: 'Connection log' },
  fileName: 'tunnel-log',
  columns: [
    { key: 'at', type: 'date', header: { zh: '时间', en: 'Time' } },
    { key: 'firstAt', type: 'date', header: { zh: '首次发生', en: 'First at' } },
    { key: 'repeats', type: 'number', header: { zh: '次数', en: 'Repeats' } },
    { key: 'kind', type: 'enum', header: { zh: '类型', en: 'Kind' }, words: TUNNEL_EVENT_KIND_WORDS },
    { key: 'result', type: 'enum', header: { zh: '结果', en: 'Result' }, words: RESULT_WORDS },
    { key: 'phase', type: 'number', header: { zh: '阶段', en: 'Phase' } },
    { key: 'reasonCode', type: 'text', header: { zh: '原因代码', en: 'Reason code' } },
    { key: 'message', type: 'text', header: { zh: '说明', en: 'Message' }, width: 60 },
    { key: 'configVersion', type: 'number', header: { zh: '配置版本', en: 'Configuration version' } },
    { key: 'lines', type: 'text', header: { zh: 'charon 日志', en: 'charon lines' }, width: 80, value: (e) => e.lines.join('\n') },
  ],
};
