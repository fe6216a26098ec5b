import { MigrationInterface, QueryRunner } from 'typeorm';

// Issue 17: each tunnel row shows when its connection state last changed. Existing rows get the
// best time known: the last connect or disconnect, else their last update.
export class StateChangedAt1795400030000 implements MigrationInterface {
  name = 'StateChangedAt1795400030000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "vpn_tunnels" ADD "state_changed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()');
    await q.query(`UPDATE "vpn_tunnels" SET "state_changed_at" = CASE
        WHEN "connection_state" = 'connected' AND "connected_at" IS NOT NULL THEN "connected_at"
        ELSE GREATEST("disconnected_at", "created_at") END`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "vpn_tunnels" DROP COLUMN "state_changed_at"');
  }
}
