// A PostgreSQL cluster and a Redis of a test's own, on free ports, so the test can kill -9 them and
// start them again (the shared ones are never touched). Each runs in its own process group:
// killing the group is "the server crashed" (postmaster and backends at once).
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Client } from 'pg';
import { freePort } from '../../test/support/product-processes';

/** The newest installed PostgreSQL's binaries (Debian: /usr/lib/postgresql/<major>/bin). */
const PG_BIN = (() => {
  const majors = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((d) => /^\d+$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return `/usr/lib/postgresql/${majors[0] ?? '15'}/bin`;
})();

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function killGroup(child: ChildProcess | null): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

export class OwnPostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'vpn-fault-pg-'));
  port = 0;
  private proc: ChildProcess | null = null;
  private readonly uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  private readonly gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());

  url(db = 'vpn_fault'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${db}`;
  }

  /**
   * initdb (trust), start, create the product's database. fsync is off (a test cluster: only the
   * processes are killed, never the machine); commits stay synchronous, so a kill -9 loses nothing
   * that was committed.
   */
  async init(): Promise<void> {
    chownSync(this.dir, this.uid, this.gid);
    execFileSync(`${PG_BIN}/initdb`, ['-D', join(this.dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
      uid: this.uid,
      gid: this.gid,
      stdio: 'ignore',
      cwd: this.dir,
    });
    this.port = await freePort();
    await this.start();
    const c = new Client({ connectionString: this.url('postgres') });
    await c.connect();
    await c.query('CREATE DATABASE vpn_fault');
    await c.end();
  }

  async start(): Promise<void> {
    const log = openSync(join(this.dir, 'postgres.log'), 'a');
    try {
      this.proc = spawn(
        `${PG_BIN}/postgres`,
        [
          '-D',
          join(this.dir, 'data'),
          '-p',
          String(this.port),
          '-k',
          this.dir,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'fsync=off',
          '-c',
          'full_page_writes=off',
          '-c',
          'shared_buffers=32MB',
        ],
        { uid: this.uid, gid: this.gid, detached: true, stdio: ['ignore', log, log], cwd: this.dir },
      );
    } finally {
      closeSync(log);
    }
    await until(
      'the test PostgreSQL',
      async () => {
        const c = new Client({ connectionString: this.url('postgres'), connectionTimeoutMillis: 1000 });
        await c.connect();
        await c.end();
        return true;
      },
      30_000,
    );
  }

  /** kill -9 of the postmaster and every backend. */
  async kill(): Promise<void> {
    const p = this.proc;
    killGroup(p);
    if (p) await exited(p);
    this.proc = null;
    await new Promise((r) => setTimeout(r, 300)); // backends of the group gone too
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class OwnRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'vpn-fault-redis-'));
  port = 0;
  private proc: ChildProcess | null = null;

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], {
      detached: true,
      stdio: 'ignore',
    });
    await until(
      'the test Redis',
      async () =>
        execFileSync('redis-cli', ['-p', String(this.port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] })
          .toString()
          .includes('PONG'),
      15_000,
    );
  }

  async kill(): Promise<void> {
    const p = this.proc;
    killGroup(p);
    if (p) await exited(p);
    this.proc = null;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
