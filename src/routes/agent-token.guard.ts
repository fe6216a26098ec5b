import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import { AgentTarget } from './agent-target.entity';
import { RoutesService } from './routes.service';

const bearer = (header?: string) => (header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined);

/**
 * Agents authenticate with their own token. As a guard it runs before any pipe, so a caller
 * without a valid token never gets its query or body parsed into DTOs and validated.
 */
@Injectable()
export class AgentTokenGuard implements CanActivate {
  constructor(private readonly routes: RoutesService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest();
    request.agentTarget = await this.routes.authenticate(bearer(request.headers['authorization']));
    return true;
  }
}

/** The agent target the AgentTokenGuard authenticated. */
export const CurrentAgentTarget = createParamDecorator((_: unknown, ctx: ExecutionContext): AgentTarget => ctx.switchToHttp().getRequest().agentTarget);
