import { MigrationInterface, QueryRunner } from 'typeorm';

// Billing (issue 6): prices, accounts, the append-only ledger, orders, settings, notices, and the
// gateway's auto-renew flag and expiry time. Beyond what TypeORM generates: the one settings row,
// and a trigger that makes ledger_entries append-only (UPDATE and DELETE are refused), so no code
// path, present or future, can rewrite money history.

export class Billing1795400010000 implements MigrationInterface {
  name = 'Billing1795400010000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "prices" ("machine_type_id" character varying(32) NOT NULL, "charge_type" character varying(16) NOT NULL, "unit_price" bigint NOT NULL, "currency" character varying(3) NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_de5862530d3f5d968e4756cef1c" PRIMARY KEY ("machine_type_id", "charge_type"))',
    );
    await q.query(
      'CREATE TABLE "accounts" ("tenant_id" character varying(32) NOT NULL, "balance" bigint NOT NULL, "currency" character varying(3) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c1cce1e0d9cc2557038a7f639d7" PRIMARY KEY ("tenant_id"))',
    );
    await q.query(
      'CREATE TABLE "ledger_entries" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "kind" character varying(16) NOT NULL, "amount" bigint NOT NULL, "balance_after" bigint NOT NULL, "currency" character varying(3) NOT NULL, "order_id" character varying(32), "gateway_id" character varying(32), "description" character varying(256) NOT NULL DEFAULT \'\', "idempotency_key" character varying(128), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_87365c6d1bdfe31d9aca7a2d1c0" UNIQUE ("idempotency_key"), CONSTRAINT "PK_6efcb84411d3f08b08450ae75d5" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_de68441298e888f805912501fc" ON "ledger_entries"  ("tenant_id", "created_at") ');
    await q.query(
      'CREATE TABLE "orders" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "kind" character varying(16) NOT NULL, "gateway_id" character varying(32) NOT NULL, "gateway_name" character varying(64) NOT NULL, "machine_type_id" character varying(32) NOT NULL, "charge_type" character varying(16) NOT NULL, "quantity" integer NOT NULL DEFAULT \'1\', "period" integer NOT NULL, "unit_price" bigint NOT NULL, "amount" bigint NOT NULL, "currency" character varying(3) NOT NULL, "refunded_amount" bigint NOT NULL DEFAULT \'0\', "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "period_end" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_710e2d4957aa5878dfe94e4ac2f" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_e62d6866cb42f21f4629d2ec31" ON "orders"  ("gateway_id") ');
    await q.query('CREATE INDEX "IDX_cd5e019c76a79a59e9188d2aae" ON "orders"  ("tenant_id", "created_at") ');
    await q.query(
      'CREATE TABLE "billing_settings" ("id" character varying(16) NOT NULL, "retention_hours" integer NOT NULL DEFAULT \'168\', "notice_lead_hours" integer NOT NULL DEFAULT \'24\', "auto_renew_lead_minutes" integer NOT NULL DEFAULT \'10\', "sweep_interval_seconds" integer NOT NULL DEFAULT \'60\', "currency" character varying(3) NOT NULL DEFAULT \'CNY\', "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_50de306c9059fe5297a3483516a" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "billing_notices" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "gateway_id" character varying(32) NOT NULL, "kind" character varying(16) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "message" character varying(512) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c0f67630ec47ebf7af915d9cc29" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE UNIQUE INDEX "IDX_8af92d3957584aa04453aa8945" ON "billing_notices"  ("gateway_id", "kind", "expires_at") ');
    await q.query('ALTER TABLE "vpn_gateways" ADD "auto_renew" boolean NOT NULL DEFAULT false');
    await q.query('ALTER TABLE "vpn_gateways" ADD "expired_at" TIMESTAMP WITH TIME ZONE');
    await q.query('CREATE INDEX "IDX_f293c7989254cb53456bb1a336" ON "vpn_gateways"  ("expires_at") ');
    await q.query(
      'ALTER TABLE "prices" ADD CONSTRAINT "FK_e583f1712cf56d7ae7903bed446" FOREIGN KEY ("machine_type_id") REFERENCES "machine_types"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "accounts" ADD CONSTRAINT "FK_c1cce1e0d9cc2557038a7f639d7" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "ledger_entries" ADD CONSTRAINT "FK_100a4dde20ac61937a6a4e58b59" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "orders" ADD CONSTRAINT "FK_527dd6efd5f3402f729c6b3e826" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query('INSERT INTO "billing_settings" ("id") VALUES (\'main\') ON CONFLICT DO NOTHING');
    await q.query(`CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'ledger_entries is append-only: % refused', TG_OP; END $$`);
    await q.query(
      'CREATE TRIGGER "ledger_entries_append_only" BEFORE UPDATE OR DELETE ON "ledger_entries" FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER "ledger_entries_append_only" ON "ledger_entries"');
    await q.query('DROP FUNCTION ledger_entries_append_only()');
    await q.query('ALTER TABLE "orders" DROP CONSTRAINT "FK_527dd6efd5f3402f729c6b3e826"');
    await q.query('ALTER TABLE "ledger_entries" DROP CONSTRAINT "FK_100a4dde20ac61937a6a4e58b59"');
    await q.query('ALTER TABLE "accounts" DROP CONSTRAINT "FK_c1cce1e0d9cc2557038a7f639d7"');
    await q.query('ALTER TABLE "prices" DROP CONSTRAINT "FK_e583f1712cf56d7ae7903bed446"');
    await q.query('DROP INDEX "public"."IDX_f293c7989254cb53456bb1a336"');
    await q.query('ALTER TABLE "vpn_gateways" DROP COLUMN "expired_at"');
    await q.query('ALTER TABLE "vpn_gateways" DROP COLUMN "auto_renew"');
    await q.query('DROP INDEX "public"."IDX_8af92d3957584aa04453aa8945"');
    await q.query('DROP TABLE "billing_notices"');
    await q.query('DROP TABLE "billing_settings"');
    await q.query('DROP INDEX "public"."IDX_cd5e019c76a79a59e9188d2aae"');
    await q.query('DROP INDEX "public"."IDX_e62d6866cb42f21f4629d2ec31"');
    await q.query('DROP TABLE "orders"');
    await q.query('DROP INDEX "public"."IDX_de68441298e888f805912501fc"');
    await q.query('DROP TABLE "ledger_entries"');
    await q.query('DROP TABLE "accounts"');
    await q.query('DROP TABLE "prices"');
  }
}
