// Nest's logger interface on the structured logger: Nest's own lines (routes mapped, exceptions)
// and every `new Logger(Context)` in the services come out as the same JSON or text lines.
import { LoggerService } from '@nestjs/common';
import { StructuredLogger } from './structured-log';

export class NestStructuredLogger implements LoggerService {
  constructor(private readonly logger: StructuredLogger) {}

  private at(level: 'error' | 'warn' | 'log' | 'debug', message: unknown, params: unknown[]): void {
    // Nest passes the context last; an error's stack comes before it.
    const context = typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const stack = level === 'error' && typeof params[0] === 'string' ? (params[0] as string) : undefined;
    const text = message instanceof Error ? message.message : typeof message === 'string' ? message : JSON.stringify(message);
    const target = context ? this.logger.child(context) : this.logger;
    target[level](text, stack ? { stack } : undefined);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.at('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.at('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.at('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.at('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.at('debug', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.at('error', message, params);
  }
}
