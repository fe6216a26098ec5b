import { MigrationInterface, QueryRunner } from 'typeorm';

export class SubnetVni1796508873278 implements MigrationInterface {
  name = 'SubnetVni1796508873278';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "subnets" ADD "vni" integer');
    await q.query('ALTER TABLE "subnets" ADD CONSTRAINT "UQ_005ed3860286ed75beaf45af3f0" UNIQUE ("vni")');
    await q.query('ALTER TABLE "subnets" ADD CONSTRAINT "CHK_subnets_vni_range" CHECK ("vni" BETWEEN 1 AND 16777215)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "subnets" DROP CONSTRAINT "CHK_subnets_vni_range"');
    await q.query('ALTER TABLE "subnets" DROP CONSTRAINT "UQ_005ed3860286ed75beaf45af3f0"');
    await q.query('ALTER TABLE "subnets" DROP COLUMN "vni"');
  }
}
