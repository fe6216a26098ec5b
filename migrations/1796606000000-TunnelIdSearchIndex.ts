import { MigrationInterface, QueryRunner } from 'typeorm';

// The tunnel list's search by id fragment reads a trigram index on lower(id) instead of on id.
// pg_trgm's GIN operator class also serves `=` (PostgreSQL 14+), so the index on id itself was a
// second index for every lookup by id: on a table never analysed (a fresh database, a host's first
// start after an import) the planner chose it for the worker's 250 ids (`id = ANY`), 97,000
// buffers and 13 s a statement against 2-3 ms by primary key, and could for the API's locks of
// several tunnels (`id IN (...)`) too. Equality on id cannot use an index on lower(id); the search
// says `lower(t.id) ILIKE` (ids are lowercase ASCII: the same matches). docs/decisions.md, "Tunnel
// state writes in batches".
export class TunnelIdSearchIndex1796606000000 implements MigrationInterface {
  name = 'TunnelIdSearchIndex1796606000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "public"."IDX_vpn_tunnels_id_trgm"');
    await q.query('CREATE INDEX "IDX_vpn_tunnels_id_lower_trgm" ON "vpn_tunnels" USING gin (lower("id") gin_trgm_ops)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "public"."IDX_vpn_tunnels_id_lower_trgm"');
    await q.query('CREATE INDEX "IDX_vpn_tunnels_id_trgm" ON "vpn_tunnels" USING gin ("id" gin_trgm_ops)');
  }
}
