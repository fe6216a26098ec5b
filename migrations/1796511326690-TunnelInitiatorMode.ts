import { MigrationInterface, QueryRunner } from 'typeorm';

// Issue 16: a tunnel to a known peer may be response-only (the platform never initiates). Tunnels
// to a 0.0.0.0 peer always were: they are stored as response-only, the others as bidirectional.
export class TunnelInitiatorMode1796511326690 implements MigrationInterface {
  name = 'TunnelInitiatorMode1796511326690';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "vpn_tunnels" ADD "initiator_mode" character varying(16) NOT NULL DEFAULT 'bidirectional'`);
    await q.query(
      `UPDATE "vpn_tunnels" t SET "initiator_mode" = 'response-only' FROM "peer_gateways" p WHERE p."id" = t."peer_id" AND p."ip_address" = '0.0.0.0'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "vpn_tunnels" DROP COLUMN "initiator_mode"');
  }
}
