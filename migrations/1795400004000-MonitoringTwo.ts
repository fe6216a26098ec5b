import { MigrationInterface, QueryRunner } from 'typeorm';

// The chart query reads one resource's samples over a day or more. Rows are written a round at a
// time (every tunnel every 10 s), so one tunnel's 8,640 samples of a day sit on ~8,640 different
// heap pages. The primary keys become covering (INCLUDE the columns the charts aggregate): the
// same uniqueness, and the query is an index-only scan over ~100 adjacent index pages.
// Index-only scans need the visibility map: vacuum these insert-only tables every 200,000
// inserted rows instead of every 20 % of the table (days of samples at 30-day retention).
// TypeORM cannot express INCLUDE; the entities keep describing the same primary key columns.
const TUNNEL_PK = 'PK_b2df0038748f8f7e4e7d8f28105';
const GATEWAY_PK = 'PK_d854229528251643cc29299094f';
const TUNNEL_COLS = 'health, bytes_in, bytes_out, packets_in, packets_out, bps_in, bps_out, pps_in, pps_out';
const GATEWAY_COLS = 'rx_bytes, tx_bytes, rx_packets, tx_packets, rx_bps, tx_bps, rx_pps, tx_pps, tx_utilization';
const AUTOVACUUM = 'autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 200000';

export class MonitoringTwo1795400004000 implements MigrationInterface {
  name = 'MonitoringTwo1795400004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "tunnel_samples" DROP CONSTRAINT "${TUNNEL_PK}"`);
    await q.query(`ALTER TABLE "tunnel_samples" ADD CONSTRAINT "${TUNNEL_PK}" PRIMARY KEY ("tunnel_id", "at") INCLUDE (${TUNNEL_COLS})`);
    await q.query(`ALTER TABLE "gateway_samples" DROP CONSTRAINT "${GATEWAY_PK}"`);
    await q.query(`ALTER TABLE "gateway_samples" ADD CONSTRAINT "${GATEWAY_PK}" PRIMARY KEY ("gateway_id", "at") INCLUDE (${GATEWAY_COLS})`);
    await q.query(`ALTER TABLE "tunnel_samples" SET (${AUTOVACUUM})`);
    await q.query(`ALTER TABLE "gateway_samples" SET (${AUTOVACUUM})`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "gateway_samples" RESET (autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_insert_threshold)');
    await q.query('ALTER TABLE "tunnel_samples" RESET (autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_insert_threshold)');
    await q.query(`ALTER TABLE "gateway_samples" DROP CONSTRAINT "${GATEWAY_PK}"`);
    await q.query(`ALTER TABLE "gateway_samples" ADD CONSTRAINT "${GATEWAY_PK}" PRIMARY KEY ("gateway_id", "at")`);
    await q.query(`ALTER TABLE "tunnel_samples" DROP CONSTRAINT "${TUNNEL_PK}"`);
    await q.query(`ALTER TABLE "tunnel_samples" ADD CONSTRAINT "${TUNNEL_PK}" PRIMARY KEY ("tunnel_id", "at")`);
  }
}
