import { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditEvents1796426601597 implements MigrationInterface {
  name = 'AuditEvents1796426601597';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "audit_events" ("id" character varying(32) NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "key_id" character varying(32) NOT NULL, "role" character varying(16) NOT NULL, "tenant_id" character varying(32), "client_address" character varying(64) NOT NULL, "method" character varying(8) NOT NULL, "route" character varying(128) NOT NULL, "resource" character varying(48) NOT NULL, "resource_id" character varying(64), "resource_ids" jsonb, "status_code" integer NOT NULL, "result" character varying(16) NOT NULL, "error_code" character varying(48), CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_3648e11676f1929b9875ee272b" ON "audit_events"  ("at") ');
    await q.query('CREATE INDEX "IDX_bf934fc4bc4ab87dc57ee0ab55" ON "audit_events"  ("tenant_id", "at") ');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "public"."IDX_bf934fc4bc4ab87dc57ee0ab55"');
    await q.query('DROP INDEX "public"."IDX_3648e11676f1929b9875ee272b"');
    await q.query('DROP TABLE "audit_events"');
  }
}
