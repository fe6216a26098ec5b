import { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { randomBytes } from 'crypto';
import request from 'supertest';
import { createApiApp } from '../../src/api-app';
import { AppConfig, loadConfig } from '../../src/config/config';
import { createTestDatabase } from './database';
import { TEST_REDIS_URL } from './env';

export interface TestApi {
  app: INestApplication;
  config: AppConfig;
  adminKey: string;
  databaseUrl: string;
  http: () => ReturnType<typeof request>;
  close: () => Promise<void>;
}

/** A real API on a private, migrated database; Redis is the real one (database 15). */
export async function startTestApi(overrides: Record<string, string> = {}, logger: LogLevel[] | false | LoggerService = false): Promise<TestApi> {
  const db = await createTestDatabase();
  const adminKey = `admin-${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    SECRETS_KEY: randomBytes(32).toString('hex'),
    ADMIN_API_KEY: adminKey,
    LOG_LEVEL: 'error',
    // The suites send many requests and many wrong keys from 127.0.0.1: the throttling test sets its own.
    AUTH_FAILURE_LIMIT: '1000000',
    TENANT_RATE_LIMIT_PER_MINUTE: '100000000',
    ...overrides,
  });
  const app = await createApiApp(config, { logger });
  await app.init();
  return {
    app,
    config,
    adminKey,
    databaseUrl: db.url,
    http: () => request(app.getHttpServer()),
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}
