import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import { AgentTarget } from './agent-target.entity';
import { RoutesService } from './routes.service';
import { AuthThrottle, clientAddress } from '../auth/rate-limiter';
import { ServiceUnavailable, Unauthorized } from '../common/errors';
import { AgentReport } from './report-batch';

export const bearer = (header?: string) => (header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined);

/**
 * The one way an agent request is authenticated (AgentTokenGuard and the long poll's fast path):
 * 401 without a token; 429 for a client that used up its failed authentications; the token's
 * look-up (recording `report`, a poll's, in the same statement); 401 for an unknown or revoked
 * token, counted as a failed authentication. A database error during the look-up is a 503 and is
 * NOT counted: an agent with a valid token must not get throttled by an outage (decisions.md).
 */
export async function agentTargetOf(
  routes: RoutesService,
  throttle: AuthThrottle,
  request: { headers: Record<string, string | string[] | undefined>; ip?: string; socket?: { remoteAddress?: string } },
  report: AgentReport | null = null,
): Promise<AgentTarget> {
  const header = request.headers['authorization'];
  const token = bearer(typeof header === 'string' ? header : undefined);
  if (!token) throw new Unauthorized('an agent token is required: Authorization: Bearer <token>');
  const client = clientAddress(request);
  await throttle.assertNotBlocked(client);
  let target: AgentTarget | null;
  try {
    target = await routes.targetOfToken(token, report);
  } catch (err) {
    throw new ServiceUnavailable('PostgreSQL', err);
  }
  if (!target) {
    await throttle.failed(client, token, 'agent token');
    throw new Unauthorized('the agent token is unknown or revoked');
  }
  return target;
}

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
    request.agentTarget = await agentTargetOf(this.routes, this.throttle, request);
    return true;
  }
}

/** The agent target the AgentTokenGuard authenticated. */
export const CurrentAgentTarget = createParamDecorator((_: unknown, ctx: ExecutionContext): AgentTarget => ctx.switchToHttp().getRequest().agentTarget);
