// Seeds a benchmark tenant straight into PostgreSQL (set-based SQL, a few seconds for 10,000
// tunnels): the API is only used for what is measured. Rows obey the API's own rules: 20 tunnels
// per gateway and per peer, counts that match the rows, (local subnet, remote CIDR) pairs unique in
// the VPC, a PSK sealed with the API's SECRETS_KEY, the default IKE/IPsec policies.
import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { createBenchDatabase } from './bench-env';
import { hashApiKey } from '../../src/config/config';
import { SecretBox } from '../../src/common/secret-box';
import { checkIkePolicy, checkIpsecPolicy } from '../../src/policy/policy';

export const TUNNELS_PER_GATEWAY = 20; // the spec's limit, also per peer
export const SUBNETS = 50;

/** Site names: a tunnel name starts with one, so `q=<site>` matches about tunnels/SITES.length rows. */
export const SITES = [
  'frankfurt',
  'amsterdam',
  'london',
  'paris',
  'madrid',
  'milan',
  'zurich',
  'vienna',
  'warsaw',
  'prague',
  'stockholm',
  'oslo',
  'helsinki',
  'dublin',
  'lisbon',
  'brussels',
  'munich',
  'hamburg',
  'berlin',
  'lyon',
  'barcelona',
  'rome',
  'athens',
  'istanbul',
  'dubai',
  'mumbai',
  'singapore',
  'tokyo',
  'osaka',
  'seoul',
  'sydney',
  'melbourne',
  'toronto',
  'montreal',
  'chicago',
  'dallas',
  'denver',
  'seattle',
  'boston',
  'atlanta',
];
const PURPOSES = ['erp', 'backup', 'voip', 'sap', 'office', 'pos', 'dr', 'cctv'];
const REGIONS = ['eu-central', 'eu-west', 'eu-north', 'us-east', 'us-west', 'ap-south', 'ap-east', 'sa-east'];
export const PARTNERS = [
  'acme',
  'globex',
  'initech',
  'umbrella',
  'hooli',
  'vandelay',
  'wayne',
  'stark',
  'wonka',
  'tyrell',
  'cyberdyne',
  'soylent',
  'gringotts',
  'oscorp',
  'aperture',
  'monarch',
  'dunder',
  'sterling',
  'pied',
  'massive',
  'nakatomi',
  'weyland',
  'zorg',
  'virtucon',
  'krusty',
];
const DEVICES = ['asa', 'fortigate', 'paloalto', 'srx', 'mikrotik'];

export interface Seeded {
  tenantId: string;
  hostId: string;
  vpcId: string;
  tunnels: number;
  /** Ids of seeded tunnels, for the detail requests. */
  tunnelIds: string[];
  /** Gateways and peers without tunnels, for the create measurement. */
  spareGateways: string[];
  sparePeers: string[];
  /** A subnet of the VPC no seeded pair uses with 192.168.0.0/16 remotes. */
  createSubnetId: string;
  seedMs: number;
}

// Deterministic, unique, id-shaped values: a bijective hash of the index (odd multiplier mod 2^32).
const HELPERS = `
CREATE FUNCTION pg_temp.bid(prefix text, i int) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT prefix || '-' || lpad(to_hex((i::bigint * 2654435761) % 4294967296), 8, '0') $$;
CREATE FUNCTION pg_temp.pick(seed text) RETURNS int LANGUAGE sql IMMUTABLE
  AS $$ SELECT ('x' || substr(md5(seed), 1, 7))::bit(28)::int $$;`;

export async function seed(url: string, opts: { secretsKey: Buffer; apiKey: string; gateways: number; spare: number }): Promise<Seeded> {
  const started = Date.now();
  const { gateways, spare } = opts;
  const peers = gateways; // i % peers spreads exactly 20 tunnels on each peer
  const tunnels = gateways * TUNNELS_PER_GATEWAY;
  const allGw = gateways + spare;
  const tenantId = 'tenant-bench0001';
  const hostId = `bench-host-${Date.now()}`;
  const vpcId = 'vpc-bench0001';
  const psk = new SecretBox(opts.secretsKey).seal('Bench.Pre-Shared-Key.0001');
  const ike = checkIkePolicy({}, { gatewayIp: '0.0.0.1', peerIp: '0.0.0.2' });
  const ipsec = checkIpsecPolicy({});
  if (!ike.ok || !ipsec.ok) throw new Error('the default IKE/IPsec policies do not validate');

  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(HELPERS);
    await c.query(`INSERT INTO tenants (id, name) VALUES ($1, 'bench')`, [tenantId]);
    await c.query(`INSERT INTO api_keys (id, tenant_id, role, name, key_hash, key_prefix) VALUES ('key-bench0001', $1, 'tenant', 'bench', $2, $3)`, [
      tenantId,
      hashApiKey(opts.apiKey),
      opts.apiKey.slice(0, 8),
    ]);
    await c.query(`INSERT INTO data_centers (id, name, region) VALUES ('dc-bench0001', 'fra1', 'eu-central')`);
    await c.query(`INSERT INTO machine_types (id, name, architecture) VALUES ('mt-bench0001', 'vpn.large', 'x86_64')`);
    await c.query(`INSERT INTO vpcs (id, tenant_id, data_center_id, name, cidr) VALUES ($1, $2, 'dc-bench0001', 'prod', '10.0.0.0/8')`, [vpcId, tenantId]);
    await c.query(
      `INSERT INTO subnets (id, tenant_id, vpc_id, name, cidr)
      SELECT pg_temp.bid('subnet', s), $1, $2, 'app-' || lpad(s::text, 2, '0'), '10.0.' || s || '.0/24' FROM generate_series(1, ${SUBNETS}) s
      UNION ALL SELECT 'subnet-benchgw01', $1, $2, 'vpn-gateways', '10.255.0.0/16'`,
      [tenantId, vpcId],
    );
    await c.query(`INSERT INTO gateway_hosts (id, hostname, capacity, last_seen_at) VALUES ($1, 'bench-host', 10000, now())`, [hostId]);
    // Gateway addresses: 198.51.100.x .. 198.51.110.x, 50 per /24 (q=198.51.100. hits 50 gateways),
    // plus 20 unbound addresses.
    await c.query(
      `INSERT INTO external_ips (id, tenant_id, data_center_id, address, prefix_length, router_ip, bound_to)
      SELECT pg_temp.bid('eip', j), $1, 'dc-bench0001', '198.51.' || (100 + j / 50) || '.' || (10 + j % 50), 24,
             '198.51.' || (100 + j / 50) || '.1', CASE WHEN j < $2 THEN pg_temp.bid('vpngw', j) END
      FROM generate_series(0, $2 + 19) j`,
      [tenantId, allGw],
    );
    await c.query(
      `INSERT INTO vpn_gateways (id, tenant_id, name, remark, machine_type_id, vpc_id, subnet_id, external_ip_id, private_ip,
        charge_type, resource_state, host_id, tunnel_count, created_at, expires_at, updated_at)
      SELECT pg_temp.bid('vpngw', j), $1, ($3::text[])[1 + j % 8] || '-vpngw-' || lpad(j::text, 3, '0'), '', 'mt-bench0001', $2,
             'subnet-benchgw01', pg_temp.bid('eip', j), '10.255.' || (j / 250) || '.' || (j % 250 + 2), 'monthly', 'running', $4, 0,
             now() - (j || ' hours')::interval, now() + interval '30 days', now()
      FROM generate_series(0, $5 - 1) j`,
      [tenantId, vpcId, REGIONS, hostId, allGw],
    );
    await c.query(
      `INSERT INTO peer_gateways (id, tenant_id, name, remark, ip_address, tunnel_count, created_at, updated_at)
      SELECT pg_temp.bid('rgw', p), $1, ($2::text[])[1 + p % 25] || '-' || ($3::text[])[1 + (p / 25) % 5] || '-' || lpad(p::text, 3, '0'), '',
             '203.0.' || (113 + p / 200) || '.' || (p % 200 + 20), 0, now() - (p || ' hours')::interval, now()
      FROM generate_series(0, $4 - 1) p`,
      [tenantId, PARTNERS, DEVICES, peers + spare],
    );
    // Tunnel i: gateway i/20, peer i%peers; one or two local subnets; a unique 172.16-31 /26 remote
    // (and a 100.64/10 one for every 5th); ~85% connected, some connecting, some failed.
    await c.query(
      `INSERT INTO vpn_tunnels (id, tenant_id, name, remark, gateway_id, peer_id, local_subnet_ids, remote_cidrs, psk_sealed,
        ike_policy, ipsec_policy, resource_state, connection_state, failure_code, failure_message, config_version, applied_version,
        connected_at, created_at, updated_at)
      SELECT pg_temp.bid('vpntnl', s.i), $1,
             ($2::text[])[1 + s.h % 40] || '-' || ($3::text[])[1 + (s.h / 40) % 8] || '-' || lpad(((s.h / 320) % 1000)::text, 3, '0'),
             CASE WHEN s.i % 4 = 0 THEN 'change NET-' || (1000 + s.h % 9000) ELSE '' END,
             g.id, p.id,
             (CASE WHEN s.i % 3 = 0 THEN ARRAY[pg_temp.bid('subnet', 1 + s.i % ${SUBNETS}), pg_temp.bid('subnet', 1 + (s.i + 7) % ${SUBNETS})]
                   ELSE ARRAY[pg_temp.bid('subnet', 1 + s.i % ${SUBNETS})] END)::varchar[],
             (CASE WHEN s.i % 5 = 0 THEN ARRAY[r.a, r.b] ELSE ARRAY[r.a] END)::varchar[],
             $4, $5::jsonb || jsonb_build_object('localId', e.address, 'remoteId', p.ip_address), $6::jsonb,
             'running', st.cs, st.code, st.msg, 1, 1, CASE WHEN st.cs = 'connected' THEN s.created + interval '40 seconds' END, s.created, s.created
      FROM (SELECT i, pg_temp.pick('t' || i) AS h, now() - ($7 - i) * interval '1 minute' AS created FROM generate_series(0, $7 - 1) i) s
      JOIN vpn_gateways g ON g.id = pg_temp.bid('vpngw', s.i / ${TUNNELS_PER_GATEWAY})
      JOIN external_ips e ON e.id = g.external_ip_id
      JOIN peer_gateways p ON p.id = pg_temp.bid('rgw', s.i % $8)
      CROSS JOIN LATERAL (SELECT '172.' || (16 + s.i / 1024) || '.' || ((s.i / 4) % 256) || '.' || ((s.i % 4) * 64) || '/26' AS a,
                                 '100.' || (64 + s.i / 1024) || '.' || ((s.i / 4) % 256) || '.' || ((s.i % 4) * 64) || '/26' AS b) r
      CROSS JOIN LATERAL (SELECT * FROM (VALUES
          (s.h % 100 < 85, 'connected', NULL, NULL),
          (s.h % 100 BETWEEN 85 AND 91, 'connecting', NULL, NULL),
          (s.h % 100 BETWEEN 92 AND 96, 'phase1_failed', 'psk_mismatch_or_id_mismatch', 'The peer rejected the pre-shared key or the IDs'),
          (s.h % 100 >= 97, 'phase2_failed', 'ipsec_proposal_mismatch', 'The peer accepted no IPsec proposal')) v(hit, cs, code, msg) WHERE v.hit) st`,
      [tenantId, SITES, PURPOSES, psk, JSON.stringify({ ...ike.value, localId: '', remoteId: '' }), JSON.stringify(ipsec.value), tunnels, peers],
    );
    await c.query(
      `INSERT INTO vpn_tunnel_pairs (vpc_id, local_subnet_id, remote_cidr, tunnel_id)
      SELECT $1, l, r, t.id FROM vpn_tunnels t, unnest(t.local_subnet_ids) l, unnest(t.remote_cidrs) r`,
      [vpcId],
    );
    // Counts from the rows themselves, then checked against the spec's limits.
    await c.query(`UPDATE vpn_gateways g SET tunnel_count = n FROM (SELECT gateway_id, count(*) n FROM vpn_tunnels GROUP BY 1) x WHERE x.gateway_id = g.id`);
    await c.query(`UPDATE peer_gateways p SET tunnel_count = n FROM (SELECT peer_id, count(*) n FROM vpn_tunnels GROUP BY 1) x WHERE x.peer_id = p.id`);
    const check = await c.query(`SELECT (SELECT count(*) FROM vpn_tunnels)::int AS tunnels,
        (SELECT max(tunnel_count) FROM vpn_gateways)::int AS gmax, (SELECT max(tunnel_count) FROM peer_gateways)::int AS pmax`);
    const { tunnels: stored, gmax, pmax } = check.rows[0];
    if (stored !== tunnels || gmax !== TUNNELS_PER_GATEWAY || pmax !== TUNNELS_PER_GATEWAY) {
      throw new Error(`seed inconsistent: ${stored} tunnels, max ${gmax} per gateway, ${pmax} per peer`);
    }
    const ids = async (sql: string) => (await c.query(sql)).rows.map((r) => r.id as string);
    const seeded: Seeded = {
      tenantId,
      hostId,
      vpcId,
      tunnels,
      tunnelIds: await ids(`SELECT id FROM vpn_tunnels ORDER BY md5(id) LIMIT 500`),
      spareGateways: await ids(`SELECT id FROM vpn_gateways WHERE tunnel_count = 0 ORDER BY id`),
      sparePeers: await ids(`SELECT id FROM peer_gateways WHERE tunnel_count = 0 ORDER BY id`),
      createSubnetId: (await ids(`SELECT id FROM subnets WHERE name = 'app-01'`))[0],
      seedMs: 0,
    };
    await c.query('COMMIT');
    await c.query('VACUUM ANALYZE');
    return { ...seeded, seedMs: Date.now() - started };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await c.end();
  }
}

/**
 * A throwaway database named `<prefix><timestamp>` (its DROP is pushed on `cleanups`), migrated and
 * seeded, with the secrets key and the tenant key the API under test must be started with.
 */
export async function seededDatabase(
  prefix: string,
  opts: { gateways: number; spare: number },
  cleanups: (() => Promise<void>)[],
  log: (msg: string) => void,
): Promise<{ url: string; secretsKey: Buffer; tenantKey: string; seeded: Seeded }> {
  const { name, url, drop } = await createBenchDatabase(prefix);
  log(`created database ${name}`);
  cleanups.push(async () => {
    await drop();
    log(`dropped ${name}`);
  });
  const secretsKey = randomBytes(32);
  const tenantKey = `bench_${randomBytes(24).toString('base64url')}`;
  log(`seeding ${opts.gateways * TUNNELS_PER_GATEWAY} tunnels`);
  const seeded = await seed(url, { secretsKey, apiKey: tenantKey, gateways: opts.gateways, spare: opts.spare });
  return { url, secretsKey, tenantKey, seeded };
}
