// Where the tests find the real services (the README's test command starts them if needed).
export const PG_ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
// Overridable so that two checkouts can run the API tests at once without dropping each other's template.
export const TEMPLATE_DB = process.env.TEST_TEMPLATE_DB ?? 'vpn_test_template';

export function databaseUrl(name: string): string {
  return PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
}
