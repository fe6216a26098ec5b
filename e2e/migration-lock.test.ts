// Several API replicas starting at once on an empty database (a Helm install with replicas > 1, a
// rolling restart racing the migration Job): the advisory lock lets one of them migrate, the others
// wait for it, and all of them become ready on the same schema.
import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { join } from 'path';
import { Client } from 'pg';
import { MIGRATIONS } from '../migrations';
import { MIGRATION_LOCK_KEY } from '../src/database/data-source';
import { API_NODE_FLAGS } from '../src/config/api-node-flags';
import { createEmptyDatabase } from '../test/support/database';
import { freePort, REPO_ROOT } from '../test/support/product-processes';

interface ApiProcess {
  child: ChildProcess;
  port: number;
  output: string[];
  stdout: string[];
}

async function waitReady(p: ApiProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null) throw new Error(`API on port ${p.port} exited ${p.child.exitCode}:\n${p.output.join('')}`);
    const res = await fetch(`http://127.0.0.1:${p.port}/readyz`).catch(() => null);
    if (res?.ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`API on port ${p.port} not ready within ${timeoutMs} ms:\n${p.output.join('')}`);
}

it('three APIs started together on an empty database all become ready, and each migration ran once', async () => {
  const db = await createEmptyDatabase();
  const apis: ApiProcess[] = [];
  const shared = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    DATABASE_URL: db.url,
    REDIS_URL: 'redis://127.0.0.1:6379/13',
    SECRETS_KEY: randomBytes(32).toString('hex'),
    ADMIN_API_KEY: `admin-${randomBytes(16).toString('hex')}`,
    DEMO_API_KEY: `demo-${randomBytes(16).toString('hex')}`,
    LOG_LEVEL: 'log',
    LOG_FORMAT: 'json',
  };
  // The test holds the migration lock first (as a running migration Job would), so that the three
  // APIs provably queue on it, then race for it once it is released.
  const holder = new Client({ connectionString: db.url });
  await holder.connect();
  await holder.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`);
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const child = spawn(process.execPath, [...API_NODE_FLAGS, join(REPO_ROOT, 'dist/src/main.js')], {
        env: { ...shared, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output: string[] = [];
      const stdout: string[] = [];
      child.stdout!.on('data', (d) => (output.push(String(d)), stdout.push(String(d))));
      child.stderr!.on('data', (d) => output.push(String(d)));
      apis.push({ child, port, output, stdout });
    }
    const waiting = async () =>
      Number(
        (
          await holder.query(
            `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          )
        ).rows[0].n,
      );
    const deadline = Date.now() + 60_000;
    while ((await waiting()) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await waiting()).toBe(3);
    for (const p of apis) expect((await fetch(`http://127.0.0.1:${p.port}/readyz`).catch(() => null))?.ok ?? false).toBe(false);
    await holder.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`);
    await Promise.all(apis.map((p) => waitReady(p, 60_000)));

    const c = new Client({ connectionString: db.url });
    await c.connect();
    const rows = (await c.query('SELECT name, count(*)::int AS runs FROM migrations GROUP BY name ORDER BY name')).rows;
    await c.end();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ name: m.name, runs: 1 })).sort((a, b) => a.name.localeCompare(b.name)));
    // Exactly one process applied them; none logged an error.
    const appliers = apis.filter((p) => p.output.join('').includes('applied migrations'));
    expect(appliers).toHaveLength(1);
    for (const p of apis) expect(p.output.join('')).not.toMatch(/\berror\b|ERROR|unhandled/i);
    // LOG_FORMAT=json: every line the API wrote is one JSON object with time, level and message.
    const lines = apis.flatMap((p) => p.stdout.join('').split('\n').filter(Boolean));
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines)
      expect(JSON.parse(line)).toEqual(
        expect.objectContaining({ time: expect.any(String), level: expect.stringMatching(/^(log|warn|error|debug)$/), message: expect.any(String) }),
      );
    expect(lines.map((l) => JSON.parse(l)).filter((e) => e.context === 'Migrations')).toEqual([
      expect.objectContaining({ migrations: MIGRATIONS.map((m) => m.name) }),
    ]);
  } finally {
    for (const p of apis) p.child.kill('SIGKILL');
    await holder.end().catch(() => undefined);
    await db.drop();
  }
}, 120_000);
