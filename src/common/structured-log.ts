// One logger for the API and the worker: levels (LOG_LEVEL: error, warn, log, debug) and one line
// per entry, as JSON (LOG_FORMAT=json: {"time","level","context","message", ...fields}, for a log
// pipeline) or as text (LOG_FORMAT=text, the default: for a terminal). The route agent (Python,
// agent/route_agent.py) writes the same lines with the same two variables.

export type LogLevelName = 'error' | 'warn' | 'log' | 'debug';
export type LogFormat = 'json' | 'text';
export const LOG_LEVELS: readonly LogLevelName[] = ['error', 'warn', 'log', 'debug'];
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'text'];

export interface StructuredLogger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  log(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Whether entries of this level are written. */
  enabled(level: LogLevelName): boolean;
  /** The same logger naming another component. */
  child(context: string): StructuredLogger;
}

export interface LoggerOptions {
  level?: LogLevelName;
  format?: LogFormat;
  context?: string;
  /** Where lines go (default: stdout for log/debug, stderr for warn/error). */
  write?: (line: string, level: LogLevelName) => void;
  now?: () => Date;
}

const RANK: Record<LogLevelName, number> = { error: 0, warn: 1, log: 2, debug: 3 };

function defaultWrite(line: string, level: LogLevelName): void {
  (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
}

export function createLogger(options: LoggerOptions = {}): StructuredLogger {
  const level = options.level ?? 'log';
  const format = options.format ?? 'text';
  const write = options.write ?? defaultWrite;
  const now = options.now ?? (() => new Date());
  const context = options.context ?? '';
  const emit = (at: LogLevelName, message: string, fields?: Record<string, unknown>) => {
    if (RANK[at] > RANK[level]) return;
    const time = now().toISOString();
    if (format === 'json') {
      write(JSON.stringify({ time, level: at, ...(context ? { context } : {}), message, ...(fields ?? {}) }), at);
    } else {
      const extra = fields && Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
      write(`${time} ${at.toUpperCase().padEnd(5)} ${context ? `[${context}] ` : ''}${message}${extra}`, at);
    }
  };
  return {
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    log: (m, f) => emit('log', m, f),
    debug: (m, f) => emit('debug', m, f),
    enabled: (at) => RANK[at] <= RANK[level],
    child: (c) => createLogger({ ...options, context: c }),
  };
}

/** LOG_LEVEL and LOG_FORMAT from the environment; problems are appended (the caller refuses to start). */
export function readLogSettings(env: Record<string, string | undefined>, problems: string[]): { logLevel: LogLevelName; logFormat: LogFormat } {
  const logLevel = (env.LOG_LEVEL ?? 'log') as LogLevelName;
  if (!LOG_LEVELS.includes(logLevel)) problems.push('LOG_LEVEL must be one of error, warn, log, debug');
  const logFormat = (env.LOG_FORMAT ?? 'text') as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) problems.push('LOG_FORMAT must be json or text');
  return { logLevel, logFormat };
}
