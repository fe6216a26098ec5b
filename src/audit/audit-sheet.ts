// The audit log's Excel sheet (exports/workbook-stream.ts writes it).
import { SheetDef } from '../exports/sheet';
import { AuditEvent } from './audit-event.entity';

export const AUDIT_SHEET: SheetDef<AuditEvent> = {
  title: { zh: '操作审计', en: 'Audit log' },
  fileName: 'audit-events',
  columns: [
    { key: 'at', type: 'date', header: { zh: '时间', en: 'Time' } },
    { key: 'tenantId', type: 'text', header: { zh: '租户', en: 'Tenant' }, width: 18 },
    { key: 'keyId', type: 'text', header: { zh: 'API 密钥', en: 'API key' }, width: 16 },
    { key: 'role', type: 'text', header: { zh: '角色', en: 'Role' }, width: 8 },
    { key: 'clientAddress', type: 'text', header: { zh: '来源地址', en: 'Client address' }, width: 16 },
    { key: 'method', type: 'text', header: { zh: '方法', en: 'Method' }, width: 8 },
    { key: 'route', type: 'text', header: { zh: '接口', en: 'Route' }, width: 40 },
    { key: 'resourceId', type: 'text', header: { zh: '资源 ID', en: 'Resource ID' }, width: 18 },
    { key: 'statusCode', type: 'number', header: { zh: '状态码', en: 'Status' }, width: 8 },
    { key: 'result', type: 'text', header: { zh: '结果', en: 'Result' }, width: 10 },
    { key: 'errorCode', type: 'text', header: { zh: '错误码', en: 'Error code' }, width: 18 },
  ],
};
