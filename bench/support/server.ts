// Starts the real, compiled API (dist/src/main.js) as a child process for the benchmark.
import { API_NODE_FLAGS } from '../../src/config/api-node-flags';
import { ChildProcess, spawn } from 'child_process';
import { existsSync, readdirSync, statSync } from 'fs';
import { join } from 'path';
import { apiProfileFlags, freePort, REPO_ROOT } from '../../test/support/product-processes';

export { freePort };
export const ROOT = REPO_ROOT;
/** The API to run: this build's, or BENCH_API_MAIN (another build, e.g. to compare a candidate change). */
export const MAIN_JS = process.env.BENCH_API_MAIN ?? join(ROOT, 'dist', 'src', 'main.js');

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/** The bench runs the compiled API: say so plainly when it is missing, warn when it looks stale. */
export function checkBuild(): void {
  if (!existsSync(MAIN_JS)) {
    throw new Error(`${MAIN_JS} is missing: compile first with \`npx tsc -p tsconfig.build.json\``);
  }
  const built = statSync(MAIN_JS).mtimeMs;
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
      const p = join(dir, e.name);
      return Math.max(max, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
    }, 0);
  if (!process.env.BENCH_API_MAIN && newest(join(ROOT, 'src')) > built) log('warning: src/ has changed since dist/ was built; figures are for the old build');
}

export interface RunningApi {
  base: string;
  /** The API process, for /proc figures (VmHWM ...). */
  pid: number;
  stop: () => Promise<void>;
}

/** Spawns the API with the given environment and waits until /healthz answers 200 (under V8's CPU profiler with BENCH_API_CPU_PROF=<dir>). */
export async function startApi(env: Record<string, string>, timeoutMs = 60_000): Promise<RunningApi> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [...API_NODE_FLAGS, ...apiProfileFlags(), MAIN_JS], {
    cwd: ROOT,
    // Benches measure speed, not throttling: the per-tenant rate limit is lifted unless a bench sets it.
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      TENANT_RATE_LIMIT_PER_MINUTE: '100000000',
      AUTH_FAILURE_LIMIT: '1000000',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The API's own output goes to our stderr: stdout is reserved for the JSON result.
  child.stdout!.on('data', (d) => process.stderr.write(`[api] ${d}`));
  child.stderr!.on('data', (d) => process.stderr.write(`[api] ${d}`));
  let exited: number | null = null;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code ?? (signal ? 128 : 1);
      resolve();
    }),
  );

  const stop = async () => {
    if (exited !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  };

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`the API exited with ${exited} before becoming healthy (see [api] lines above)`);
    try {
      const res = await fetch(`${base}/healthz`);
      await res.text();
      if (res.status === 200) return { base, pid: child.pid!, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`the API did not become healthy within ${timeoutMs} ms`);
}
