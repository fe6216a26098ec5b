// Runs a command with an argument vector (never through a shell, so ids and paths cannot inject
// anything), with a timeout, and fails with a typed error that carries stderr.
import { execFile } from 'node:child_process';

export interface ExecOptions {
  timeoutMs?: number;
  // Text written to the child's stdin (e.g. `ip -batch -`).
  input?: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

export class ExecError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderr: string,
    readonly stdout: string,
    readonly timedOut: boolean,
  ) {
    const what = timedOut ? `timed out` : signal ? `killed by ${signal}` : `exited with ${exitCode}`;
    const detail = stderr.trim() || stdout.trim();
    super(`${[command, ...args].join(' ')} ${what}${detail ? `: ${detail.slice(-2000)}` : ''}`);
    this.name = 'ExecError';
  }
}

export const DEFAULT_EXEC_TIMEOUT_MS = 15_000;

export function run(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const timeout = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args as string[],
      { timeout, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const e = error as NodeJS.ErrnoException & { code?: number | string; signal?: string; killed?: boolean };
        // A missing binary surfaces as ENOENT with no exit code.
        const exitCode = typeof e.code === 'number' ? e.code : null;
        const timedOut = Boolean(e.killed) && e.signal === 'SIGKILL';
        // Spawn failures (ENOENT...) have no stderr: the error message says what happened.
        const why = stderr || (exitCode === null && !e.signal ? e.message : '');
        const err = new ExecError(command, args, exitCode, e.signal ?? null, why, stdout, timedOut);
        reject(err);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

// Runs and reports success as a boolean: for probes where failure is an expected answer.
export async function succeeds(command: string, args: readonly string[], options: ExecOptions = {}): Promise<boolean> {
  try {
    await run(command, args, options);
    return true;
  } catch (e) {
    if (e instanceof ExecError) return false;
    throw e;
  }
}
