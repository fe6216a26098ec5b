// What every bench script reads from its environment, and the one admin connection they use to
// create and drop their throwaway databases.
import { randomBytes } from 'crypto';
import { cpus, loadavg } from 'os';
import { Client as Pg } from 'pg';
import { intToIp, ipToInt } from '../../src/common/cidr';
import { runMigrations } from '../../src/database/data-source';

const env = process.env;

/** The address `n` after `base`. */
export const ipPlus = (base: string, n: number): string => intToIp(ipToInt(base) + n);

/**
 * Gateway g's external IP: 198.51.100.10-254, then 192.0.2.10-129 (the lab internet routes the
 * three TEST-NETs; 250 gateways do not fit one /24). The demo tenant owns 198.51.100.10-49.
 */
export function gatewayAddress(g: number): string {
  if (g < 245) return ipPlus('198.51.100.10', g);
  if (g < 365) return ipPlus('192.0.2.10', g - 245);
  throw new Error(`gateway ${g}: the bench has addresses for 365 gateways`);
}

/** A numeric setting from the environment, or the fallback. */
export const num = (name: string, fallback: number): number => (env[name] ? Number(env[name]) : fallback);

/** A database to connect to for CREATE/DROP DATABASE. */
export const ADMIN_URL = env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';

/** Runs one statement on the admin database (CREATE/DROP DATABASE). */
export async function admin(sql: string): Promise<void> {
  const c = new Pg({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * A private, freshly migrated database `<prefix><random>`, with the statement that drops it. Not a
 * clone of the tests' template: rebuilding that one (prepareTemplate drops it) would break a
 * concurrent test run that is cloning it.
 */
export async function createBenchDatabase(prefix: string): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const drop = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  try {
    await runMigrations(url);
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  return { name, url, drop };
}

/**
 * Undo steps run last-in first-out, once, at the end of main() or on Ctrl-C/SIGTERM (the throwaway
 * database, the API process, queues...): `cleanups.push(f)` as each thing is made.
 */
export function cleanupOnExit(log: (msg: string) => void): { cleanups: (() => Promise<void>)[]; cleanup: () => Promise<void> } {
  const cleanups: (() => Promise<void>)[] = [];
  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const f of cleanups.reverse()) await f().catch((err) => log(`cleanup: ${err}`));
    })());
  const onSignal = (sig: NodeJS.Signals) => {
    log(`${sig}: cleaning up`);
    void cleanup().then(() => process.exit(sig === 'SIGTERM' ? 143 : 130));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  return { cleanups, cleanup };
}

/** Runs a bench's main(): exits with its code, or 1 with the error on stderr. */
export function runBench(main: () => Promise<number>, log: (msg: string) => void): void {
  main().then(
    (code) => process.exit(code),
    (err) => {
      log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exit(1);
    },
  );
}

/** The machine a figure was measured on, with its load when the bench started. */
export function machineInfo() {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', node: process.version, loadAvg1mAtStart: Math.round(loadavg()[0] * 100) / 100 };
}
