import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger, ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Response } from 'express';
import { EntityNotFoundError, QueryFailedError } from 'typeorm';
import { describeError, unavailableDependency } from './dependency-errors';
import { DomainError, ServiceUnavailable, TooManyRequests, ValidationFailed } from './errors';
import { Violation } from './violations';

export class ViolationDto implements Violation {
  @ApiProperty({ example: 'ikePolicy.dhGroup', description: 'The request field (dotted path) that broke a rule' })
  field: string;
  @ApiProperty({ example: 'one_of', description: 'Stable name of the rule' })
  rule: string;
  // Any JSON value: the schema names the types instead of leaving a bare `object`.
  @ApiProperty({
    oneOf: [
      { type: 'string', nullable: true },
      { type: 'number' },
      { type: 'boolean' },
      { type: 'array', items: {} },
      { type: 'object', additionalProperties: true },
    ],
    required: false,
    example: 3,
    description: 'The offending value (secrets are never echoed; absent when there is none)',
  })
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

// `config`: a remote device's configuration text, which holds its pre-shared key.
const SECRET_FIELDS = /(^|\.)(psk|key|password|secret|config)$/i;
const SECRET_KEY = /^(psk|key|password|secret|token|authorization)$/i;
/** Echoed values are cut to this much: an error explains a field, it does not return the input. */
const MAX_ECHO_CHARS = 200;
const MAX_ECHO_ITEMS = 10;
const MAX_VIOLATIONS = 50;
const MAX_MESSAGE_CHARS = 2000;

const truncate = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}…(${s.length} characters)` : s);

/** A bounded copy of an offending value: secrets inside it redacted, long strings and arrays cut. */
export function echoValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return truncate(value, MAX_ECHO_CHARS);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 3) return Array.isArray(value) ? '[…]' : '{…}';
  if (Array.isArray(value)) {
    const head = value.slice(0, MAX_ECHO_ITEMS).map((v) => echoValue(v, depth + 1));
    return value.length > MAX_ECHO_ITEMS ? [...head, `…(${value.length} items)`] : head;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value).slice(0, MAX_ECHO_ITEMS)) out[truncate(k, 64)] = SECRET_KEY.test(k) ? '<redacted>' : echoValue(v, depth + 1);
  return out;
}

function redact(v: Violation): Violation {
  return {
    field: truncate(v.field, MAX_ECHO_CHARS),
    rule: v.rule,
    value: SECRET_FIELDS.test(v.field) ? '<redacted>' : echoValue(v.value),
    message: truncate(v.message, MAX_ECHO_CHARS * 2),
  };
}

/** Database refusals a request can provoke by racing another one, as the 4xx they mean. */
function fromDatabase(exception: unknown): ErrorBodyDto | null {
  if (exception instanceof EntityNotFoundError) {
    return { statusCode: 404, code: 'not_found', message: 'the resource was removed while this request ran', violations: [] };
  }
  if (!(exception instanceof QueryFailedError)) return null;
  const err = exception.driverError as { code?: string; detail?: string };
  if (err.code === '23505') {
    // "Key (subnet_id, private_ip)=(…) already exists.": the last column is the one the caller chose.
    const columns =
      /^Key \(([^)]*)\)=/
        .exec(err.detail ?? '')?.[1]
        ?.split(',')
        .map((c) => c.trim()) ?? [];
    const field = (columns[columns.length - 1] ?? 'id').replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    const message = `${field} is already used by another resource`;
    return { statusCode: 409, code: 'duplicate', message, violations: [{ field, rule: 'unique', value: undefined, message }] };
  }
  if (err.code === '23503') {
    return {
      statusCode: 409,
      code: 'reference_changed',
      message: 'a resource this request refers to was removed, or is still referenced, by a concurrent change: reload and try again',
      violations: [],
    };
  }
  if (err.code === '40P01' || err.code === '40001') {
    return { statusCode: 409, code: 'concurrent_update', message: 'a concurrent change to the same resources won: reload and try again', violations: [] };
  }
  return null;
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

/** The error body (and status) an exception answers with: the one mapping, used by the filter and the audit log. */
export function toErrorBody(exception: unknown): ErrorBodyDto {
  let dbBody: ErrorBodyDto | null;
  let dependency: string | null;
  if (exception instanceof DomainError) {
    return {
      statusCode: exception.status,
      code: exception.code,
      message: truncate(exception.message, MAX_MESSAGE_CHARS),
      violations: exception.violations.slice(0, MAX_VIOLATIONS).map(redact),
    };
  } else if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = status === HttpStatus.NOT_FOUND ? 'not_found' : status === HttpStatus.PAYLOAD_TOO_LARGE ? 'payload_too_large' : 'http_error';
    return { statusCode: status, code, message: truncate(exception.message, MAX_MESSAGE_CHARS), violations: [] };
  } else if ((dependency = unavailableDependency(exception))) {
    // A dependency outage is not a bug: 503 with a retry hint (the filter sets Retry-After).
    return { statusCode: 503, code: 'service_unavailable', message: `${dependency} is unavailable; retry in a few seconds`, violations: [] };
  } else if ((dbBody = fromDatabase(exception))) {
    return dbBody;
  }
  return { statusCode: 500, code: 'internal_error', message: 'internal error', violations: [] };
}

const errorLogger = new Logger('HttpError');

/** Renders an error as the API answers every error: the filter's body, headers and log line. */
export function sendError(req: { method?: string; url?: string }, res: Response, exception: unknown): void {
  const body = toErrorBody(exception);
  if (body.statusCode === 503) {
    // One warning line, no stack: the dependency's name and what failed.
    const cause = exception instanceof ServiceUnavailable && exception.cause ? exception.cause : exception;
    errorLogger.warn(`${req.method} ${req.url}: ${describeError(cause)}`);
    res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  }
  // Never echo internals (they may hold SQL or secrets); log the stack server-side.
  if (body.statusCode === 500) errorLogger.error(exception instanceof Error ? exception.stack : String(exception));
  if (exception instanceof TooManyRequests) res.setHeader('Retry-After', String(exception.retryAfterSeconds));
  res.status(body.statusCode).json(body);
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(http.getRequest<{ method?: string; url?: string }>(), http.getResponse<Response>(), exception);
  }
}
