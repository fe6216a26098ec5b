import { MigrationInterface, QueryRunner } from 'typeorm';

export class Alerts1795400003000 implements MigrationInterface {
  name = 'Alerts1795400003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "alert_templates" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "name" character varying(64) NOT NULL, "description" character varying(256) NOT NULL DEFAULT \'\', "is_default" boolean NOT NULL DEFAULT false, "rules" jsonb NOT NULL, "channels" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_846084b258440b88f0b70e0924d" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE UNIQUE INDEX "IDX_588164eb49f74d5e72ee25c08a" ON "alert_templates"  ("tenant_id") WHERE "is_default"');
    await q.query('CREATE UNIQUE INDEX "IDX_f8f6e4bc0b14b1f1b7609aed3c" ON "alert_templates"  ("tenant_id", "name") ');
    await q.query(
      'CREATE TABLE "alert_states" ("resource_id" character varying(32) NOT NULL, "template_id" character varying(32) NOT NULL, "rule_key" character varying(128) NOT NULL, "tenant_id" character varying(32) NOT NULL, "resource_type" character varying(16) NOT NULL, "status" character varying(16) NOT NULL DEFAULT \'ok\', "breaches" integer NOT NULL DEFAULT \'0\', "last_value" double precision, "last_period" bigint NOT NULL, "alert_id" character varying(32), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_83c2f5dcb8328819d3d7bd56649" PRIMARY KEY ("resource_id", "template_id", "rule_key"))',
    );
    await q.query(
      'CREATE TABLE "alerts" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "template_id" character varying(32) NOT NULL, "template_name" character varying(64) NOT NULL, "rule" jsonb NOT NULL, "resource_type" character varying(16) NOT NULL, "resource_id" character varying(32) NOT NULL, "resource_name" character varying(64) NOT NULL, "state" character varying(16) NOT NULL, "resolution" character varying(16), "value" double precision NOT NULL, "resolved_value" double precision, "fired_at" TIMESTAMP WITH TIME ZONE NOT NULL, "resolved_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_60f895662df096bfcdfab7f4b96" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_b76b7fa20126a80b9c63703164" ON "alerts"  ("resource_id", "fired_at") ');
    await q.query('CREATE INDEX "IDX_051a65689ead537afafc076ae8" ON "alerts"  ("tenant_id", "fired_at") ');
    await q.query(
      'CREATE TABLE "notifications" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "alert_id" character varying(32) NOT NULL, "event" character varying(16) NOT NULL, "resource_type" character varying(16) NOT NULL, "resource_id" character varying(32) NOT NULL, "message" character varying(512) NOT NULL, "read" boolean NOT NULL DEFAULT false, "read_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6a72c3c0f683f6462415e653c3a" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_519d212c491ea2aff5ad82ac3d" ON "notifications"  ("tenant_id", "created_at") ');
    await q.query(
      'CREATE TABLE "webhook_deliveries" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "alert_id" character varying(32) NOT NULL, "template_id" character varying(32) NOT NULL, "channel_id" character varying(32) NOT NULL, "event" character varying(16) NOT NULL, "url" character varying(2048) NOT NULL, "body" text NOT NULL, "secret_sealed" text NOT NULL, "status" character varying(16) NOT NULL DEFAULT \'pending\', "attempts" integer NOT NULL DEFAULT \'0\', "max_attempts" integer NOT NULL, "next_attempt_at" TIMESTAMP WITH TIME ZONE, "last_status_code" integer, "last_error" character varying(512), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "delivered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_535dd409947fb6d8fc6dfc0112a" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_b9dce7ee955ee08740a8d48e8e" ON "webhook_deliveries"  ("tenant_id", "created_at") ');
    await q.query('CREATE INDEX "IDX_284017efc3cbfe592288749a9c" ON "webhook_deliveries"  ("status", "next_attempt_at") ');
    await q.query(
      'CREATE TABLE "alert_evaluator" ("id" character varying(16) NOT NULL, "period" bigint NOT NULL, "claimed_by" character varying(64) NOT NULL, "claimed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_a173ba97677ef70b1e4f2df2814" PRIMARY KEY ("id"))',
    );
    await q.query(
      'ALTER TABLE "alert_templates" ADD CONSTRAINT "FK_43999c0b966aacce1535d862f47" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    // Resources created before alerting existed get their tenant's default template, as new ones do.
    await q.query(`INSERT INTO alert_templates (id, tenant_id, name, description, is_default, rules, channels)
      SELECT 'alt-' || substr(md5(random()::text || t.id), 1, 8), t.id, 'Default',
             'Created for every tenant: a tunnel down for 3 periods notifies in the console', true,
             '[{"metric":"tunnel_health","comparator":"lt","threshold":1,"periods":3}]'::jsonb,
             jsonb_build_array(jsonb_build_object('id', 'chn-' || substr(md5(random()::text || t.id || 'console'), 1, 8), 'type', 'console'))
        FROM tenants t
       WHERE EXISTS (SELECT 1 FROM vpn_gateways g WHERE g.tenant_id = t.id) OR EXISTS (SELECT 1 FROM vpn_tunnels x WHERE x.tenant_id = t.id)`);
    await q.query(
      'UPDATE vpn_gateways g SET alert_template_id = a.id FROM alert_templates a WHERE a.tenant_id = g.tenant_id AND a.is_default AND g.alert_template_id IS NULL',
    );
    await q.query(
      'UPDATE vpn_tunnels t SET alert_template_id = a.id FROM alert_templates a WHERE a.tenant_id = t.tenant_id AND a.is_default AND t.alert_template_id IS NULL',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('UPDATE vpn_tunnels SET alert_template_id = NULL');
    await q.query('UPDATE vpn_gateways SET alert_template_id = NULL');
    await q.query('ALTER TABLE "alert_templates" DROP CONSTRAINT "FK_43999c0b966aacce1535d862f47"');
    await q.query('DROP TABLE "alert_evaluator"');
    await q.query('DROP INDEX "public"."IDX_284017efc3cbfe592288749a9c"');
    await q.query('DROP INDEX "public"."IDX_b9dce7ee955ee08740a8d48e8e"');
    await q.query('DROP TABLE "webhook_deliveries"');
    await q.query('DROP INDEX "public"."IDX_519d212c491ea2aff5ad82ac3d"');
    await q.query('DROP TABLE "notifications"');
    await q.query('DROP INDEX "public"."IDX_051a65689ead537afafc076ae8"');
    await q.query('DROP INDEX "public"."IDX_b76b7fa20126a80b9c63703164"');
    await q.query('DROP TABLE "alerts"');
    await q.query('DROP TABLE "alert_states"');
    await q.query('DROP INDEX "public"."IDX_f8f6e4bc0b14b1f1b7609aed3c"');
    await q.query('DROP INDEX "public"."IDX_588164eb49f74d5e72ee25c08a"');
    await q.query('DROP TABLE "alert_templates"');
  }
}
