import { MigrationInterface, QueryRunner } from 'typeorm';

// Issue 20 (lists). The tunnel list's search finds the gateways and peers it names through trigram
// indexes (names and addresses, ILIKE '%q%') instead of reading every gateway and peer of the
// tenant on each request; the gateway and peer lists' own searches use them too. The tunnel list's
// default order (tenant, newest first, then id) becomes one index the page is read from alone,
// however deep (it replaces the (tenant_id, created_at) index, which it covers).
export class ListIndexes1796605000000 implements MigrationInterface {
  name = 'ListIndexes1796605000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await q.query('CREATE INDEX "IDX_vpn_gateways_name_trgm" ON "vpn_gateways" USING gin ("name" gin_trgm_ops)');
    await q.query('CREATE INDEX "IDX_external_ips_address_trgm" ON "external_ips" USING gin ("address" gin_trgm_ops)');
    await q.query('CREATE INDEX "IDX_peer_gateways_name_trgm" ON "peer_gateways" USING gin ("name" gin_trgm_ops)');
    await q.query('CREATE INDEX "IDX_peer_gateways_ip_address_trgm" ON "peer_gateways" USING gin ("ip_address" gin_trgm_ops)');
    await q.query('CREATE INDEX "IDX_8160a2205e1e6e5ae2573a9926" ON "vpn_tunnels" ("tenant_id", "created_at", "id")');
    await q.query('DROP INDEX "public"."IDX_a1025fd8dbf305834217f03e12"');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX "IDX_a1025fd8dbf305834217f03e12" ON "vpn_tunnels" ("tenant_id", "created_at")');
    await q.query('DROP INDEX "public"."IDX_8160a2205e1e6e5ae2573a9926"');
    await q.query('DROP INDEX "public"."IDX_peer_gateways_ip_address_trgm"');
    await q.query('DROP INDEX "public"."IDX_peer_gateways_name_trgm"');
    await q.query('DROP INDEX "public"."IDX_external_ips_address_trgm"');
    await q.query('DROP INDEX "public"."IDX_vpn_gateways_name_trgm"');
  }
}
