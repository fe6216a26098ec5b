import { describeError, unavailableDependency } from './dependency-errors';

describe('unavailableDependency', () => {
  it('names PostgreSQL for pg connection errors, also wrapped by TypeORM', () => {
    expect(unavailableDependency(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe('PostgreSQL');
    expect(unavailableDependency(new Error('Connection terminated unexpectedly'))).toBe('PostgreSQL');
    expect(unavailableDependency(new Error('timeout exceeded when trying to connect'))).toBe('PostgreSQL');
    expect(
      unavailableDependency({ name: 'QueryFailedError', message: 'terminating connection due to administrator command', driverError: { code: '57P01' } }),
    ).toBe('PostgreSQL');
    expect(unavailableDependency({ message: 'the database system is starting up', code: '57P03' })).toBe('PostgreSQL');
    expect(unavailableDependency(Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], ''), {}))).toBe('PostgreSQL');
  });

  it('names Redis for ioredis errors and for a socket error the caller says is Redis', () => {
    expect(unavailableDependency(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe('Redis');
    expect(
      unavailableDependency(Object.assign(new Error('Reached the max retries per request limit (which is 1).'), { name: 'MaxRetriesPerRequestError' })),
    ).toBe('Redis');
    expect(unavailableDependency(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' }), 'Redis')).toBe('Redis');
  });

  it('is null for errors that are not an outage', () => {
    expect(unavailableDependency(new Error('boom'))).toBeNull();
    expect(unavailableDependency({ message: 'duplicate key value violates unique constraint', code: '23505' })).toBeNull();
    expect(unavailableDependency({ message: 'database "x" does not exist', code: '3D000' })).toBeNull();
    expect(unavailableDependency(null)).toBeNull();
  });

  it('describes an outage with the dependency named', () => {
    expect(describeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(
      'PostgreSQL unavailable (connect ECONNREFUSED 127.0.0.1:5432)',
    );
    expect(describeError(new Error('boom'))).toBe('boom');
  });
});
