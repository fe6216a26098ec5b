import { MigrationInterface, QueryRunner } from 'typeorm';

// Issue 20: a gateway is sold with what one charon really carries with the default ESP proposal
// (aes128-sha1 through kernel-libipsec: ~300 Mbit/s, docs/operations.md "Sizing a gateway"), not
// the 100 Mbit/s placeholder. Only the column default changes: existing gateways keep the
// bandwidth they were sold with, and so their utilisation and the alerts built on it.
export class GatewayBandwidth1796520000000 implements MigrationInterface {
  name = 'GatewayBandwidth1796520000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "vpn_gateways" ALTER COLUMN "bandwidth_mbps" SET DEFAULT 300');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "vpn_gateways" ALTER COLUMN "bandwidth_mbps" SET DEFAULT 100');
  }
}
