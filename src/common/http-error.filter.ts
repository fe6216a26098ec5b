import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger, ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Response } from 'express';
import { describeError, unavailableDependency } from './dependency-errors';
import { DomainError, ValidationFailed } from './errors';
import { Violation } from './violations';

export class ViolationDto implements Violation {
  @ApiProperty({ example: 'ikePolicy.dhGroup', description: 'The request field (dotted path) that broke a rule' })
  field: string;
  @ApiProperty({ example: 'one_of', description: 'Stable name of the rule' })
  rule: string;
  @ApiProperty({ example: 3, description: 'The offending value (secrets are never echoed)' })
  value: unknown;
  @ApiProperty({ example: 'ikePolicy.dhGroup must be one of 1, 2, 5, 14, 24' })
  message: string;
}

export class ErrorBodyDto {
  @ApiProperty({ example: 400 })
  statusCode: number;
  @ApiProperty({ example: 'validation_failed', description: 'Stable error code' })
  code: string;
  @ApiProperty({ example: 'ikePolicy.dhGroup must be one of 1, 2, 5, 14, 24' })
  message: string;
  @ApiProperty({ type: [ViolationDto] })
  violations: ViolationDto[];
}

const SECRET_FIELDS = /(^|\.)(psk|key|password|secret)$/i;

function redact(v: Violation): Violation {
  return SECRET_FIELDS.test(v.field) ? { ...v, value: '<redacted>' } : v;
}

/** class-validator errors -> our violations, with dotted paths for nested objects. */
export function violationsFromValidation(errors: ValidationError[], parent = ''): Violation[] {
  const out: Violation[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    for (const [rule, message] of Object.entries(e.constraints ?? {})) {
      out.push(redact({ field, rule, value: e.value, message }));
    }
    if (e.children?.length) out.push(...violationsFromValidation(e.children, field));
  }
  return out;
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new ValidationFailed(violationsFromValidation(errors)),
  });
}

/** What a 503 during a dependency outage tells the client to wait. */
export const RETRY_AFTER_SECONDS = 5;

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let body: ErrorBodyDto;
    if (exception instanceof DomainError) {
      body = { statusCode: exception.status, code: exception.code, message: exception.message, violations: exception.violations.map(redact) };
    } else if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = status === HttpStatus.NOT_FOUND ? 'not_found' : status === HttpStatus.PAYLOAD_TOO_LARGE ? 'payload_too_large' : 'http_error';
      body = { statusCode: status, code, message: exception.message, violations: [] };
    } else if (unavailableDependency(exception)) {
      // A dependency outage is not a bug: 503 with a retry hint, one log line, no stack.
      this.logger.warn(`${host.switchToHttp().getRequest<{ method?: string; url?: string }>().method} ${host.switchToHttp().getRequest<{ url?: string }>().url}: ${describeError(exception)}`);
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      body = { statusCode: 503, code: 'service_unavailable', message: `${unavailableDependency(exception)} is unavailable; retry in a few seconds`, violations: [] };
    } else {
      // Never echo internals (they may hold SQL or secrets); log the stack server-side.
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
      body = { statusCode: 500, code: 'internal_error', message: 'internal error', violations: [] };
    }
    res.status(body.statusCode).json(body);
  }
}
