import { MigrationInterface, QueryRunner } from 'typeorm';

export class SearchIndexes1795400000000 implements MigrationInterface {
  name = 'SearchIndexes1795400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await q.query('CREATE INDEX "IDX_vpn_tunnels_name_trgm" ON "vpn_tunnels" USING gin ("name" gin_trgm_ops)');
    await q.query('CREATE INDEX "IDX_vpn_tunnels_id_trgm" ON "vpn_tunnels" USING gin ("id" gin_trgm_ops)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "public"."IDX_vpn_tunnels_id_trgm"');
    await q.query('DROP INDEX "public"."IDX_vpn_tunnels_name_trgm"');
  }
}
