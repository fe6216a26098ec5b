import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG, AppConfig, hashApiKey } from '../config/config';
import { AuthThrottle, clientAddress, Hit } from './rate-limiter';
import { Forbidden, TooManyRequests, Unauthorized } from '../common/errors';
import { Role } from './api-key.entity';
import { GenericPlans } from '../database/generic-plans';
import { liveKeyWithHash } from './tenants.queries';
import { IS_PUBLIC, Principal, ROLES } from './principal';

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly plans: GenericPlans,
    private readonly throttle: AuthThrottle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest();
    const header: string | undefined = request.headers['authorization'];
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new Unauthorized();

    const client = clientAddress(request);
    const key = await liveKeyWithHash(this.plans, hashApiKey(match[1]));
    if (!key) {
      // A blocked client gets its 429 whatever the key (no validity oracle), and is not counted again.
      await this.throttle.assertNotBlocked(client);
      await this.throttle.failed(client, match[1], 'API key');
      throw new Unauthorized('the API key is unknown or revoked');
    }

    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    const allowed = !roles || roles.includes(key.role);
    // The per-tenant budget (all the tenant's keys together) counts the requests a key may make;
    // operators are the platform's own. A blocked client is refused first in either case, and the
    // block check and the count go to Redis as one script (one round trip a request).
    let hit: Hit | null = null;
    if (allowed && key.tenantId) hit = await this.throttle.admit(client, `tenant:${key.tenantId}`, 60);
    else await this.throttle.assertNotBlocked(client);

    const principal: Principal = { keyId: key.id, role: key.role, tenantId: key.tenantId };
    request.principal = principal;
    if (!allowed) throw new Forbidden(`this operation needs a ${roles.join(' or ')} key`);
    if (hit && hit.count > this.config.rateLimits.tenantPerMinute) {
      throw new TooManyRequests(
        `this tenant sent more than ${this.config.rateLimits.tenantPerMinute} requests in a minute: retry in ${hit.retryAfterSeconds} s`,
        hit.retryAfterSeconds,
      );
    }
    return true;
  }
}
