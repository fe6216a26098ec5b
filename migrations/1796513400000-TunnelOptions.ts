import { MigrationInterface, QueryRunner } from 'typeorm';

// Issue 16: tunnel options. Existing tunnels keep what they did: DPD 8 s / 13 s / restart (dpd
// null reads as the defaults), IKE fragmentation on (charon's own default), no TCP MSS clamp.
export class TunnelOptions1796513400000 implements MigrationInterface {
  name = 'TunnelOptions1796513400000';

  async up(q: QueryRunner): Promise<void> {
    // dpd null = the defaults (tunnelOptionsOf); every tunnel created from now on stores its own.
    await q.query('ALTER TABLE "vpn_tunnels" ADD "dpd" jsonb');
    await q.query('ALTER TABLE "vpn_tunnels" ADD "ike_fragmentation" boolean NOT NULL DEFAULT true');
    await q.query('ALTER TABLE "vpn_tunnels" ADD "tcp_mss_clamp" smallint');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "vpn_tunnels" DROP COLUMN "tcp_mss_clamp"');
    await q.query('ALTER TABLE "vpn_tunnels" DROP COLUMN "ike_fragmentation"');
    await q.query('ALTER TABLE "vpn_tunnels" DROP COLUMN "dpd"');
  }
}
