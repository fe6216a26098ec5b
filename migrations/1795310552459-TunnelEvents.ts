import { MigrationInterface, QueryRunner } from 'typeorm';

export class TunnelEvents1795310552459 implements MigrationInterface {
  name = 'TunnelEvents1795310552459';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "tunnel_events" ("id" BIGSERIAL NOT NULL, "tunnel_id" character varying(32) NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "kind" character varying(16) NOT NULL, "result" character varying(16), "phase" smallint, "reason_code" character varying(64), "message" character varying(1024), "config_version" integer, "lines" text array NOT NULL DEFAULT \'{}\', CONSTRAINT "PK_e708705b6e5d1f35532f8234c0d" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_231dd8b03fb5962917116b189c" ON "tunnel_events"  ("tunnel_id", "id") ');
    await q.query(
      'ALTER TABLE "tunnel_events" ADD CONSTRAINT "FK_cde4f647fc7db6549c240e34ff5" FOREIGN KEY ("tunnel_id") REFERENCES "vpn_tunnels"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "tunnel_events" DROP CONSTRAINT "FK_cde4f647fc7db6549c240e34ff5"');
    await q.query('DROP INDEX "public"."IDX_231dd8b03fb5962917116b189c"');
    await q.query('DROP TABLE "tunnel_events"');
  }
}
