import { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795310251105 implements MigrationInterface {
  name = 'Initial1795310251105';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "tenants" ("id" character varying(32) NOT NULL, "name" character varying(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_32731f181236a46182a38c992a8" UNIQUE ("name"), CONSTRAINT "PK_53be67a04681c66b87ee27c9321" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "api_keys" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32), "role" character varying(16) NOT NULL, "name" character varying(64) NOT NULL, "key_hash" character(64) NOT NULL, "key_prefix" character varying(16) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE UNIQUE INDEX "IDX_57384430aa1959f4578046c9b8" ON "api_keys"  ("key_hash") ');
    await q.query(
      'CREATE TABLE "data_centers" ("id" character varying(32) NOT NULL, "name" character varying(64) NOT NULL, "region" character varying(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_0700704eb56d1e43b9f7c850f5c" UNIQUE ("name"), CONSTRAINT "PK_9101bfd0a5974012153301b1d7e" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "machine_types" ("id" character varying(32) NOT NULL, "name" character varying(64) NOT NULL, "architecture" character varying(32) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_b190c8967cfae779ab448838c18" UNIQUE ("name"), CONSTRAINT "PK_619f25685fdfcd545089e70d5c3" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "vpcs" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "data_center_id" character varying(32) NOT NULL, "name" character varying(64) NOT NULL, "cidr" character varying(18) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_542f2070b17a54929ac4ba19a9c" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_409ef82a4a313cbb4ffc1b9ab9" ON "vpcs"  ("tenant_id", "name") ');
    await q.query(
      'CREATE TABLE "subnets" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "vpc_id" character varying(32) NOT NULL, "name" character varying(64) NOT NULL, "cidr" character varying(18) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e8cfb9718c7de1fb9413293f16e" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE UNIQUE INDEX "IDX_3afdcbf959d3a429b6d0382da5" ON "subnets"  ("vpc_id", "cidr") ');
    await q.query(
      'CREATE TABLE "external_ips" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "data_center_id" character varying(32) NOT NULL, "address" character varying(15) NOT NULL, "prefix_length" smallint NOT NULL DEFAULT \'24\', "router_ip" character varying(15), "bound_to" character varying(32), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_bb37b2345cf26347b295bea2199" UNIQUE ("address"), CONSTRAINT "UQ_899b7df270709884f8480022617" UNIQUE ("bound_to"), CONSTRAINT "PK_a249acb06341e8883c67f618c06" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_fab0c4451d59c9fa644a656340" ON "external_ips"  ("tenant_id") ');
    await q.query(
      'CREATE TABLE "instances" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "subnet_id" character varying(32) NOT NULL, "name" character varying(64) NOT NULL, "private_ip" character varying(15) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_11862209053330b4765f7f54178" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_3948fd665b9b0ef116763292c0" ON "instances"  ("tenant_id") ');
    await q.query('CREATE UNIQUE INDEX "IDX_14d1922953c7fc543749369bca" ON "instances"  ("subnet_id", "private_ip") ');
    await q.query(
      'CREATE TABLE "gateway_hosts" ("id" character varying(64) NOT NULL, "hostname" character varying(128) NOT NULL, "capacity" integer NOT NULL DEFAULT \'50\', "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_20e7683d407039d048401ef8029" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "vpn_gateways" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "name" character varying(64) NOT NULL, "remark" character varying(256) NOT NULL DEFAULT \'\', "machine_type_id" character varying(32) NOT NULL, "vpc_id" character varying(32) NOT NULL, "subnet_id" character varying(32) NOT NULL, "external_ip_id" character varying(32) NOT NULL, "private_ip" character varying(15) NOT NULL, "charge_type" character varying(16) NOT NULL, "resource_state" character varying(16) NOT NULL DEFAULT \'creating\', "state_reason" character varying(512), "host_id" character varying(64), "alert_template_id" character varying(32), "tunnel_count" integer NOT NULL DEFAULT \'0\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_061de5fe6f98c824f7a0edaee78" UNIQUE ("external_ip_id"), CONSTRAINT "PK_376060d708766b0a32133332bc2" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_7ed415a2a148b7e406f89c0e2f" ON "vpn_gateways"  ("vpc_id") ');
    await q.query('CREATE UNIQUE INDEX "IDX_45456de2ae69887d073abdfc45" ON "vpn_gateways"  ("subnet_id", "private_ip") ');
    await q.query('CREATE INDEX "IDX_36e2815b1f469c440c77ff3df5" ON "vpn_gateways"  ("tenant_id", "created_at") ');
    await q.query(
      'CREATE TABLE "peer_gateways" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "name" character varying(64) NOT NULL, "remark" character varying(256) NOT NULL DEFAULT \'\', "ip_address" character varying(15) NOT NULL, "tunnel_count" integer NOT NULL DEFAULT \'0\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1f055c287c00a52b50fc2d2665b" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_41a210eb2f456ba632f89f0f08" ON "peer_gateways"  ("tenant_id", "created_at") ');
    await q.query(
      'CREATE TABLE "vpn_tunnels" ("id" character varying(32) NOT NULL, "tenant_id" character varying(32) NOT NULL, "name" character varying(64) NOT NULL, "remark" character varying(256) NOT NULL DEFAULT \'\', "gateway_id" character varying(32) NOT NULL, "peer_id" character varying(32) NOT NULL, "local_subnet_ids" character varying array NOT NULL, "remote_cidrs" character varying array NOT NULL, "psk_sealed" text NOT NULL, "ike_policy" jsonb NOT NULL, "ipsec_policy" jsonb NOT NULL, "resource_state" character varying(16) NOT NULL DEFAULT \'creating\', "connection_state" character varying(16) NOT NULL DEFAULT \'connecting\', "failure_code" character varying(64), "failure_message" character varying(1024), "config_version" integer NOT NULL DEFAULT \'1\', "applied_version" integer, "alert_template_id" character varying(32), "connected_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a28dbe41a1a571e5b0a2e16afe6" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_dc7a1c7dcb846cb192df8e8f96" ON "vpn_tunnels"  ("gateway_id") ');
    await q.query('CREATE INDEX "IDX_c8ff7a434d41a01b5c96dcf02e" ON "vpn_tunnels"  ("peer_id") ');
    await q.query('CREATE INDEX "IDX_a1025fd8dbf305834217f03e12" ON "vpn_tunnels"  ("tenant_id", "created_at") ');
    await q.query(
      'CREATE TABLE "vpn_tunnel_pairs" ("vpc_id" character varying(32) NOT NULL, "local_subnet_id" character varying(32) NOT NULL, "remote_cidr" character varying(18) NOT NULL, "tunnel_id" character varying(32) NOT NULL, CONSTRAINT "PK_ae6e0aef58f830033d41b6e680f" PRIMARY KEY ("vpc_id", "local_subnet_id", "remote_cidr"))',
    );
    await q.query('CREATE INDEX "IDX_a85b2d97114ba1b952fe4fdc62" ON "vpn_tunnel_pairs"  ("tunnel_id") ');
    await q.query(
      'ALTER TABLE "api_keys" ADD CONSTRAINT "FK_3ac18429c8d27858d79432e0dda" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "vpcs" ADD CONSTRAINT "FK_80581df2ab4249e792399047cb8" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "vpcs" ADD CONSTRAINT "FK_610b4ff92c610846e7f350f55a2" FOREIGN KEY ("data_center_id") REFERENCES "data_centers"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "subnets" ADD CONSTRAINT "FK_7718b9fe82cd1e3bb9baf160ca3" FOREIGN KEY ("vpc_id") REFERENCES "vpcs"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "external_ips" ADD CONSTRAINT "FK_fab0c4451d59c9fa644a656340e" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "external_ips" ADD CONSTRAINT "FK_555c7b75149efe6f2852493076b" FOREIGN KEY ("data_center_id") REFERENCES "data_centers"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "instances" ADD CONSTRAINT "FK_65c44314f8c2561f4bd9a187581" FOREIGN KEY ("subnet_id") REFERENCES "subnets"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "vpn_gateways" ADD CONSTRAINT "FK_14c1cc1539d52e3297aa34101f1" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "vpn_gateways" ADD CONSTRAINT "FK_95824e80fa9580f40a2055849b6" FOREIGN KEY ("machine_type_id") REFERENCES "machine_types"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "vpn_gateways" ADD CONSTRAINT "FK_7ed415a2a148b7e406f89c0e2f9" FOREIGN KEY ("vpc_id") REFERENCES "vpcs"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "vpn_gateways" ADD CONSTRAINT "FK_33478fa1463d653bf0e2c261ba5" FOREIGN KEY ("subnet_id") REFERENCES "subnets"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "vpn_gateways" ADD CONSTRAINT "FK_061de5fe6f98c824f7a0edaee78" FOREIGN KEY ("external_ip_id") REFERENCES "external_ips"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "vpn_gateways" ADD CONSTRAINT "FK_4614992c6c9f1b0c10180e3288b" FOREIGN KEY ("host_id") REFERENCES "gateway_hosts"("id") ON DELETE SET NULL ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "peer_gateways" ADD CONSTRAINT "FK_2e5abb6915ec95d667caa63f7ad" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "vpn_tunnels" ADD CONSTRAINT "FK_29715f680a3d373a7ab1603a890" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "vpn_tunnels" ADD CONSTRAINT "FK_dc7a1c7dcb846cb192df8e8f96f" FOREIGN KEY ("gateway_id") REFERENCES "vpn_gateways"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "vpn_tunnels" ADD CONSTRAINT "FK_c8ff7a434d41a01b5c96dcf02e1" FOREIGN KEY ("peer_id") REFERENCES "peer_gateways"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "vpn_tunnel_pairs" ADD CONSTRAINT "FK_fb86bcb8c34d41626ce7b0ea287" FOREIGN KEY ("vpc_id") REFERENCES "vpcs"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "vpn_tunnel_pairs" ADD CONSTRAINT "FK_630cd9059ac48b46c7a5a77ae6a" FOREIGN KEY ("local_subnet_id") REFERENCES "subnets"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "vpn_tunnel_pairs" ADD CONSTRAINT "FK_a85b2d97114ba1b952fe4fdc620" FOREIGN KEY ("tunnel_id") REFERENCES "vpn_tunnels"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "vpn_tunnel_pairs" DROP CONSTRAINT "FK_a85b2d97114ba1b952fe4fdc620"');
    await q.query('ALTER TABLE "vpn_tunnel_pairs" DROP CONSTRAINT "FK_630cd9059ac48b46c7a5a77ae6a"');
    await q.query('ALTER TABLE "vpn_tunnel_pairs" DROP CONSTRAINT "FK_fb86bcb8c34d41626ce7b0ea287"');
    await q.query('ALTER TABLE "vpn_tunnels" DROP CONSTRAINT "FK_c8ff7a434d41a01b5c96dcf02e1"');
    await q.query('ALTER TABLE "vpn_tunnels" DROP CONSTRAINT "FK_dc7a1c7dcb846cb192df8e8f96f"');
    await q.query('ALTER TABLE "vpn_tunnels" DROP CONSTRAINT "FK_29715f680a3d373a7ab1603a890"');
    await q.query('ALTER TABLE "peer_gateways" DROP CONSTRAINT "FK_2e5abb6915ec95d667caa63f7ad"');
    await q.query('ALTER TABLE "vpn_gateways" DROP CONSTRAINT "FK_4614992c6c9f1b0c10180e3288b"');
    await q.query('ALTER TABLE "vpn_gateways" DROP CONSTRAINT "FK_061de5fe6f98c824f7a0edaee78"');
    await q.query('ALTER TABLE "vpn_gateways" DROP CONSTRAINT "FK_33478fa1463d653bf0e2c261ba5"');
    await q.query('ALTER TABLE "vpn_gateways" DROP CONSTRAINT "FK_7ed415a2a148b7e406f89c0e2f9"');
    await q.query('ALTER TABLE "vpn_gateways" DROP CONSTRAINT "FK_95824e80fa9580f40a2055849b6"');
    await q.query('ALTER TABLE "vpn_gateways" DROP CONSTRAINT "FK_14c1cc1539d52e3297aa34101f1"');
    await q.query('ALTER TABLE "instances" DROP CONSTRAINT "FK_65c44314f8c2561f4bd9a187581"');
    await q.query('ALTER TABLE "external_ips" DROP CONSTRAINT "FK_555c7b75149efe6f2852493076b"');
    await q.query('ALTER TABLE "external_ips" DROP CONSTRAINT "FK_fab0c4451d59c9fa644a656340e"');
    await q.query('ALTER TABLE "subnets" DROP CONSTRAINT "FK_7718b9fe82cd1e3bb9baf160ca3"');
    await q.query('ALTER TABLE "vpcs" DROP CONSTRAINT "FK_610b4ff92c610846e7f350f55a2"');
    await q.query('ALTER TABLE "vpcs" DROP CONSTRAINT "FK_80581df2ab4249e792399047cb8"');
    await q.query('ALTER TABLE "api_keys" DROP CONSTRAINT "FK_3ac18429c8d27858d79432e0dda"');
    await q.query('DROP INDEX "public"."IDX_a85b2d97114ba1b952fe4fdc62"');
    await q.query('DROP TABLE "vpn_tunnel_pairs"');
    await q.query('DROP INDEX "public"."IDX_a1025fd8dbf305834217f03e12"');
    await q.query('DROP INDEX "public"."IDX_c8ff7a434d41a01b5c96dcf02e"');
    await q.query('DROP INDEX "public"."IDX_dc7a1c7dcb846cb192df8e8f96"');
    await q.query('DROP TABLE "vpn_tunnels"');
    await q.query('DROP INDEX "public"."IDX_41a210eb2f456ba632f89f0f08"');
    await q.query('DROP TABLE "peer_gateways"');
    await q.query('DROP INDEX "public"."IDX_36e2815b1f469c440c77ff3df5"');
    await q.query('DROP INDEX "public"."IDX_45456de2ae69887d073abdfc45"');
    await q.query('DROP INDEX "public"."IDX_7ed415a2a148b7e406f89c0e2f"');
    await q.query('DROP TABLE "vpn_gateways"');
    await q.query('DROP TABLE "gateway_hosts"');
    await q.query('DROP INDEX "public"."IDX_14d1922953c7fc543749369bca"');
    await q.query('DROP INDEX "public"."IDX_3948fd665b9b0ef116763292c0"');
    await q.query('DROP TABLE "instances"');
    await q.query('DROP INDEX "public"."IDX_fab0c4451d59c9fa644a656340"');
    await q.query('DROP TABLE "external_ips"');
    await q.query('DROP INDEX "public"."IDX_3afdcbf959d3a429b6d0382da5"');
    await q.query('DROP TABLE "subnets"');
    await q.query('DROP INDEX "public"."IDX_409ef82a4a313cbb4ffc1b9ab9"');
    await q.query('DROP TABLE "vpcs"');
    await q.query('DROP TABLE "machine_types"');
    await q.query('DROP TABLE "data_centers"');
    await q.query('DROP INDEX "public"."IDX_57384430aa1959f4578046c9b8"');
    await q.query('DROP TABLE "api_keys"');
    await q.query('DROP TABLE "tenants"');
  }
}
