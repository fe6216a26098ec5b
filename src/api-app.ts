import { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { TenantsService } from './auth/tenants.service';
import { createValidationPipe } from './common/http-error.filter';
import { InputGuardPipe } from './common/input-guard.pipe';
import { completeOperations, operationId } from './common/operation-ids';
import { AppConfig } from './config/config';
import { agentRoutesFastPath } from './routes/agent-routes-fast-path';
import { consoleMiddleware } from './web/console-static';
import { securityHeaders } from './web/security-headers';

const LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('IPsec VPN console API')
    .setDescription(
      'Site-to-site IPsec VPN as a service: VPN gateways, peer gateways, tunnels, inventory. Errors share one body: `code`, `message` and `violations` (field, rule, value).',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key' })
    .addServer('/', 'This API (paths are absolute)')
    .build();
  return completeOperations(SwaggerModule.createDocument(app, config, { operationIdFactory: operationId }));
}

/** Builds the API application (used by main.ts and by the tests, which listen on port 0). */
export async function createApiApp(config: AppConfig, opts: { logger?: LogLevel[] | false | LoggerService } = {}): Promise<INestApplication> {
  // forceCloseConnections: route agents hold long polls (25 s) on keep-alive connections and poll
  // again at once; without it SIGTERM never got the HTTP server closed. Agents retry and keep their
  // routes while the API is away.
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: opts.logger ?? LEVELS[config.logLevel], forceCloseConnections: true });
  // NUL and depth first: validation would recurse into a 5,000-level body and overflow the stack.
  // Security headers on every answer (API, docs, console); no X-Powered-By.
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  // Behind a load balancer, the client address (throttling, logs) comes from X-Forwarded-For.
  if (config.trustProxy) app.getHttpAdapter().getInstance().set('trust proxy', config.trustProxy);
  // Agents' long polls first, before Nest's router (see agent-routes-fast-path.ts): it sets the
  // same security headers itself.
  app.use(agentRoutesFastPath(app));
  app.use(securityHeaders());
  app.useGlobalPipes(new InputGuardPipe(), createValidationPipe());
  app.enableShutdownHooks();
  SwaggerModule.setup('api/docs', app, openApiDocument(app), { jsonDocumentUrl: 'api/docs-json' });
  // The web console at / (before the routes: it passes /api, /metrics and /health* through).
  app.use(consoleMiddleware(config.webRoot));
  await app.get(TenantsService).bootstrap();
  return app;
}
