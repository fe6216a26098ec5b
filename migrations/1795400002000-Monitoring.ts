import { MigrationInterface, QueryRunner } from 'typeorm';

export class Monitoring1795400002000 implements MigrationInterface {
  name = 'Monitoring1795400002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "tunnel_samples" ("tunnel_id" character varying(32) NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "tenant_id" character varying(32) NOT NULL, "gateway_id" character varying(32) NOT NULL, "health" smallint NOT NULL, "bytes_in" bigint NOT NULL, "bytes_out" bigint NOT NULL, "packets_in" bigint NOT NULL, "packets_out" bigint NOT NULL, "bps_in" double precision NOT NULL, "bps_out" double precision NOT NULL, "pps_in" double precision NOT NULL, "pps_out" double precision NOT NULL, "ike_state" character varying(16), "child_state" character varying(16), CONSTRAINT "PK_b2df0038748f8f7e4e7d8f28105" PRIMARY KEY ("tunnel_id", "at"))',
    );
    await q.query('CREATE INDEX "IDX_68cea6ff3ded296825ed6af69b" ON "tunnel_samples"  ("tenant_id", "at") ');
    await q.query(
      'CREATE TABLE "gateway_samples" ("gateway_id" character varying(32) NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "tenant_id" character varying(32) NOT NULL, "rx_bytes" bigint NOT NULL, "tx_bytes" bigint NOT NULL, "rx_packets" bigint NOT NULL, "tx_packets" bigint NOT NULL, "rx_bps" double precision NOT NULL, "tx_bps" double precision NOT NULL, "rx_pps" double precision NOT NULL, "tx_pps" double precision NOT NULL, "tx_utilization" double precision NOT NULL, CONSTRAINT "PK_d854229528251643cc29299094f" PRIMARY KEY ("gateway_id", "at"))',
    );
    await q.query('CREATE INDEX "IDX_c2d113b7a4933783d9f7e2da85" ON "gateway_samples"  ("tenant_id", "at") ');
    await q.query('ALTER TABLE "vpn_gateways" ADD "bandwidth_mbps" integer NOT NULL DEFAULT \'100\'');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "vpn_gateways" DROP COLUMN "bandwidth_mbps"');
    await q.query('DROP INDEX "public"."IDX_c2d113b7a4933783d9f7e2da85"');
    await q.query('DROP TABLE "gateway_samples"');
    await q.query('DROP INDEX "public"."IDX_68cea6ff3ded296825ed6af69b"');
    await q.query('DROP TABLE "tunnel_samples"');
  }
}
