// A PostgreSQL outage is answered 503 with Retry-After (issue 12), not 500 with a stack trace.
import { ArgumentsHost, Logger } from '@nestjs/common';
import { HttpErrorFilter, RETRY_AFTER_SECONDS } from './http-error.filter';

function respond(exception: unknown) {
  const out = { status: 0, headers: {} as Record<string, string>, body: null as any };
  const res = {
    status(code: number) {
      out.status = code;
      return this;
    },
    setHeader(k: string, v: string) {
      out.headers[k.toLowerCase()] = v;
    },
    json(b: unknown) {
      out.body = b;
    },
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => res, getRequest: () => ({ method: 'GET', url: '/api/v1/vpn-tunnels' }) }),
  } as unknown as ArgumentsHost;
  new HttpErrorFilter().catch(exception, host);
  return out;
}

describe('HttpErrorFilter and dependency outages', () => {
  const errors: string[] = [];
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation((m: unknown) => void errors.push(String(m)));
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());

  it.each([
    ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['terminated', new Error('Connection terminated unexpectedly')],
    [
      'admin shutdown (TypeORM QueryFailedError)',
      Object.assign(new Error('terminating connection due to administrator command'), { name: 'QueryFailedError', driverError: { code: '57P01' } }),
    ],
    ['pool connect timeout', new Error('timeout exceeded when trying to connect')],
  ])('%s -> 503 service_unavailable with Retry-After, no stack logged', (_name, err) => {
    errors.length = 0;
    const r = respond(err);
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
    expect(r.body).toMatchObject({ statusCode: 503, code: 'service_unavailable', message: expect.stringMatching(/PostgreSQL is unavailable/) });
    expect(errors).toEqual([]);
  });

  it('any other error stays a 500 internal_error', () => {
    const r = respond(new Error('boom'));
    expect(r.status).toBe(500);
    expect(r.body.code).toBe('internal_error');
  });
});
