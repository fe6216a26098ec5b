import { MigrationInterface, QueryRunner } from 'typeorm';

// Issue 11: a failure says when it was last seen, after how many tries and in which phase; a
// tunnel with one CHILD_SA per subnet pair (IKEv1) records which pairs are up, so routes follow
// pairs and the API can say "2 of 3 subnet pairs up".
export class NegotiationDetail1795400020000 implements MigrationInterface {
  name = 'NegotiationDetail1795400020000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "vpn_tunnels" ADD "failure_phase" smallint');
    await q.query('ALTER TABLE "vpn_tunnels" ADD "failure_tries" integer');
    await q.query('ALTER TABLE "vpn_tunnels" ADD "failure_at" TIMESTAMP WITH TIME ZONE');
    await q.query('ALTER TABLE "vpn_tunnels" ADD "pair_states" jsonb');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "vpn_tunnels" DROP COLUMN "pair_states"');
    await q.query('ALTER TABLE "vpn_tunnels" DROP COLUMN "failure_at"');
    await q.query('ALTER TABLE "vpn_tunnels" DROP COLUMN "failure_tries"');
    await q.query('ALTER TABLE "vpn_tunnels" DROP COLUMN "failure_phase"');
  }
}
