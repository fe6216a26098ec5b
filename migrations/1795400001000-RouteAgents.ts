import { MigrationInterface, QueryRunner } from 'typeorm';

export class RouteAgents1795400001000 implements MigrationInterface {
  name = 'RouteAgents1795400001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "agent_targets" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "kind" character varying(16) NOT NULL, "vpc_id" character varying(32) NOT NULL, "subnet_id" character varying(32), "instance_id" character varying(32), "token_hash" character(64), "token_prefix" character varying(16), "token_issued_at" TIMESTAMP WITH TIME ZONE, "agent_version" character varying(32), "last_check_in_at" TIMESTAMP WITH TIME ZONE, "applied_version" character varying(32), "last_error" character varying(1024), "last_report_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_36700fc1bac58aa70db0adc86dd" UNIQUE ("instance_id"), CONSTRAINT "PK_5cc974bfaadb259009c2166db62" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE UNIQUE INDEX "IDX_cba4b015ca31392a69faf37194" ON "agent_targets"  ("token_hash") ');
    await q.query('CREATE INDEX "IDX_60756018d05f7848b926b7fb9a" ON "agent_targets"  ("vpc_id") ');
    await q.query('ALTER TABLE "vpn_tunnels" ADD "disconnected_at" TIMESTAMP WITH TIME ZONE');
    await q.query(
      'ALTER TABLE "agent_targets" ADD CONSTRAINT "FK_60756018d05f7848b926b7fb9ad" FOREIGN KEY ("vpc_id") REFERENCES "vpcs"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "agent_targets" ADD CONSTRAINT "FK_36700fc1bac58aa70db0adc86dd" FOREIGN KEY ("instance_id") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "agent_targets" DROP CONSTRAINT "FK_36700fc1bac58aa70db0adc86dd"');
    await q.query('ALTER TABLE "agent_targets" DROP CONSTRAINT "FK_60756018d05f7848b926b7fb9ad"');
    await q.query('ALTER TABLE "vpn_tunnels" DROP COLUMN "disconnected_at"');
    await q.query('DROP INDEX "public"."IDX_60756018d05f7848b926b7fb9a"');
    await q.query('DROP INDEX "public"."IDX_cba4b015ca31392a69faf37194"');
    await q.query('DROP TABLE "agent_targets"');
  }
}
