import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import { AgentTarget } from './agent-target.entity';
import { RoutesService } from './routes.service';
import { AuthThrottle, clientAddress } from '../auth/rate-limiter';

export const bearer = (header?: string) => (header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined);

/**
 * Agents authenticate with their own token. As a guard it runs before any pipe, so a caller
 * without a valid token never gets its query or body parsed into DTOs and validated.
 */
@Injectable()
export class AgentTokenGuard implements CanActivate {
  constructor(
    private readonly routes: RoutesService,
    private readonly throttle: AuthThrottle,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest();
    const token = bearer(request.headers['authorization']);
    const client = clientAddress(request);
    if (token) await this.throttle.assertNotBlocked(client);
    try {
      request.agentTarget = await this.routes.authenticate(token);
    } catch (err) {
      if (token) await this.throttle.failed(client, token, 'agent token');
      throw err;
    }
    return true;
  }
}

/** The agent target the AgentTokenGuard authenticated. */
export const CurrentAgentTarget = createParamDecorator((_: unknown, ctx: ExecutionContext): AgentTarget => ctx.switchToHttp().getRequest().agentTarget);
