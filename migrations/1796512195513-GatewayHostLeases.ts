import { MigrationInterface, QueryRunner } from 'typeorm';

export class GatewayHostLeases1796512195513 implements MigrationInterface {
  name = 'GatewayHostLeases1796512195513';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "gateway_moves" ("id" BIGSERIAL NOT NULL, "gateway_id" character varying(32) NOT NULL, "from_host_id" character varying(64), "to_host_id" character varying(64) NOT NULL, "reason" character varying(16) NOT NULL, "epoch" integer NOT NULL, "moved_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "reconnected_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_c15b6e7121915daf7ec8acb223e" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_cb51921628174ad4f9e13e7cc6" ON "gateway_moves"  ("gateway_id", "moved_at") ');
    await q.query('ALTER TABLE "gateway_hosts" ADD "lease_expires_at" TIMESTAMP WITH TIME ZONE');
    await q.query('ALTER TABLE "gateway_hosts" ADD "lease_ttl_ms" integer');
    await q.query('ALTER TABLE "gateway_hosts" ADD "cordoned" boolean NOT NULL DEFAULT false');
    await q.query('ALTER TABLE "gateway_hosts" ADD "drain_started_at" TIMESTAMP WITH TIME ZONE');
    await q.query('ALTER TABLE "vpn_gateways" ADD "host_epoch" integer NOT NULL DEFAULT \'0\'');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "vpn_gateways" DROP COLUMN "host_epoch"');
    await q.query('ALTER TABLE "gateway_hosts" DROP COLUMN "drain_started_at"');
    await q.query('ALTER TABLE "gateway_hosts" DROP COLUMN "cordoned"');
    await q.query('ALTER TABLE "gateway_hosts" DROP COLUMN "lease_ttl_ms"');
    await q.query('ALTER TABLE "gateway_hosts" DROP COLUMN "lease_expires_at"');
    await q.query('DROP INDEX "public"."IDX_cb51921628174ad4f9e13e7cc6"');
    await q.query('DROP TABLE "gateway_moves"');
  }
}
