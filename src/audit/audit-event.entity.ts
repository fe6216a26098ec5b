import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { RefColumn } from '../database/columns';

export const AUDIT_RESULTS = ['success', 'failure'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

/**
 * One state-changing API call: who (key, role, tenant, client address), what (method, route,
 * resource, id), when, and how it ended. Never a body, a query string or a header: no secret
 * can land here.
 */
@Entity('audit_events')
@Index(['tenantId', 'at'])
@Index(['at'])
export class AuditEvent {
  @PrimaryColumn({ type: 'varchar', length: 32 }) id: string;
  @Column({ type: 'timestamptz', default: () => 'now()' }) at: Date;
  @Column(RefColumn()) keyId: string;
  @Column({ type: 'varchar', length: 16 }) role: string;
  /** The calling tenant; null for operators (their events are visible to operators only). */
  @Column(RefColumn({ nullable: true })) tenantId: string | null;
  @Column({ type: 'varchar', length: 64 }) clientAddress: string;
  @Column({ type: 'varchar', length: 8 }) method: string;
  /** The route template, e.g. /api/v1/vpn-tunnels/:id/ike-policy. */
  @Column({ type: 'varchar', length: 128 }) route: string;
  /** The resource collection, e.g. vpn-tunnels. */
  @Column({ type: 'varchar', length: 48 }) resource: string;
  /** The resource acted on: the path's id, or the created resource's id; batch calls list theirs in resourceIds. */
  @Column({ type: 'varchar', length: 64, nullable: true }) resourceId: string | null;
  @Column({ type: 'jsonb', nullable: true }) resourceIds: string[] | null;
  @Column({ type: 'integer' }) statusCode: number;
  @Column({ type: 'varchar', length: 16 }) result: AuditResult;
  /** The error code of a failed call (validation_failed, not_found …). */
  @Column({ type: 'varchar', length: 48, nullable: true }) errorCode: string | null;
}
