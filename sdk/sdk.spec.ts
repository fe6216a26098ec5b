import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { ApiError, call } from './errors';
import { listAll, type Page } from './paging';

const ROOT = join(__dirname, '..');

// The same flags as package.json's gen:sdk (a field with a default stays optional in a request).
it('sdk/schema.d.ts is the one generated from docs/openapi.json (regenerate: npm run gen:sdk)', () => {
  const generated = execFileSync(
    join(ROOT, 'node_modules', '.bin', 'openapi-typescript'),
    [join(ROOT, 'docs', 'openapi.json'), '--default-non-nullable', 'false'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  expect(readFileSync(join(__dirname, 'schema.d.ts'), 'utf8')).toBe(generated);
});

describe('call', () => {
  const response = (status: number) => ({ ok: status < 400, status }) as Response;

  it('returns the data of a success', async () => {
    await expect(call(Promise.resolve({ data: { id: 'x' }, response: response(200) }))).resolves.toEqual({ id: 'x' });
  });

  it('throws ApiError carrying the error body, its code and violations', async () => {
    const body = {
      statusCode: 400,
      code: 'validation_failed',
      message: 'psk is too long',
      violations: [{ field: 'psk', rule: 'length', message: 'psk is too long' }],
    };
    const err = await call(Promise.resolve({ error: body, response: response(400) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'validation_failed', message: 'psk is too long' });
    expect((err as ApiError).violations[0]).toMatchObject({ field: 'psk', rule: 'length' });
  });

  it('turns a network failure into ApiError status 0, code network', async () => {
    const err = await call(Promise.reject(new Error('ECONNREFUSED'))).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, code: 'network', message: 'ECONNREFUSED' });
  });
});

describe('listAll', () => {
  it('walks every page until total, asking from the next offset', async () => {
    const all = Array.from({ length: 7 }, (_, i) => i);
    const asked: number[] = [];
    const got = await listAll<number>(async ({ offset, limit }): Promise<Page<number>> => {
      asked.push(offset);
      return { items: all.slice(offset, offset + limit), total: all.length, offset, limit };
    }, 3);
    expect(got).toEqual(all);
    expect(asked).toEqual([0, 3, 6]);
  });

  it('stops on an empty page even when total says more (a row deleted meanwhile)', async () => {
    const got = await listAll<number>(async ({ offset, limit }) => ({ items: offset === 0 ? [1, 2] : [], total: 5, offset, limit }), 2);
    expect(got).toEqual([1, 2]);
  });
});
