import { HttpStatus } from '@nestjs/common';
import { Violation } from './violations';

// Domain errors carry an HTTP status, a stable code and the violated rules; one filter
// (http-error.filter.ts) turns them into the error body every endpoint documents.
export class DomainError extends Error {
  constructor(
    readonly status: HttpStatus,
    readonly code: string,
    message: string,
    readonly violations: Violation[] = [],
  ) {
    super(message);
  }
}

export class ValidationFailed extends DomainError {
  constructor(violations: Violation[]) {
    super(HttpStatus.BAD_REQUEST, 'validation_failed', violations.map((v) => v.message).join('; '), violations);
  }
}

export class Conflict extends DomainError {
  constructor(code: string, message: string, violations: Violation[] = []) {
    super(HttpStatus.CONFLICT, code, message, violations);
  }
}

export class NotFound extends DomainError {
  constructor(resource: string, id: string, field = 'id') {
    super(HttpStatus.NOT_FOUND, 'not_found', `${resource} ${id} does not exist`, [
      { field, rule: 'exists', value: id, message: `${resource} ${id} does not exist` },
    ]);
  }
}

export class Forbidden extends DomainError {
  constructor(message: string) {
    super(HttpStatus.FORBIDDEN, 'forbidden', message);
  }
}

export class Unauthorized extends DomainError {
  constructor(message = 'a valid API key is required: Authorization: Bearer <key>') {
    super(HttpStatus.UNAUTHORIZED, 'unauthorized', message);
  }
}

/** Throws a 400 when any rule was broken. */
export function assertValid(violations: Violation[]): void {
  if (violations.length) throw new ValidationFailed(violations);
}

/** 429: the caller sent too much; `retryAfterSeconds` becomes the Retry-After header. */
export class TooManyRequests extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(HttpStatus.TOO_MANY_REQUESTS, 'too_many_requests', message);
  }
}

/**
 * 503: a dependency failed while answering; the filter adds Retry-After. `cause` (logged, never
 * sent) is what failed: the body says only which dependency.
 */
export class ServiceUnavailable extends DomainError {
  constructor(
    dependency: 'PostgreSQL' | 'Redis',
    readonly cause?: unknown,
  ) {
    super(HttpStatus.SERVICE_UNAVAILABLE, 'service_unavailable', `${dependency} is unavailable; retry in a few seconds`);
  }
}
