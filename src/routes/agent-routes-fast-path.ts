import { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AuthThrottle } from '../auth/rate-limiter';
import { createValidationPipe, sendError } from '../common/http-error.filter';
import { InputGuardPipe } from '../common/input-guard.pipe';
import { agentTargetOf } from './agent-token.guard';
import { AgentRoutesQueryDto } from './routes.dto';
import { RoutesService } from './routes.service';

export const AGENT_ROUTES_PATH = '/api/v1/agent/routes';

/**
 * `GET /api/v1/agent/routes` answered beside Nest's request pipeline: every agent makes this
 * request on every route change, and the pipeline (global guard, interceptor, pipes, the
 * observable around the handler) was a third of its CPU. It takes the steps RouteAgentController
 * takes, in the same order as far as the caller can tell: authentication (agentTargetOf, as
 * AgentTokenGuard: 401, 429, 503), then the query's validation (the same pipes: 400), then
 * RoutesService.agentPoll; and answers every error itself, with the API's error body
 * (sendError). The query is validated before the token's look-up only so that the look-up can
 * record the poll's report in its own statement; a query that does not validate is answered only
 * once the caller authenticated, and records nothing. The contract and its OpenAPI description
 * stay the controller's.
 */
export function agentRoutesFastPath(app: INestApplication): (req: Request, res: Response, next: NextFunction) => void {
  const routes = app.get(RoutesService);
  const throttle = app.get(AuthThrottle);
  const inputGuard = new InputGuardPipe();
  const validation = createValidationPipe();
  const query = { type: 'query' as const, metatype: AgentRoutesQueryDto, data: undefined };

  async function answer(req: Request, res: Response): Promise<void> {
    const agentVersion = req.headers['x-agent-version'] as string | undefined;
    let q: AgentRoutesQueryDto | undefined;
    let invalid: unknown;
    try {
      q = (await validation.transform(inputGuard.transform(req.query, query), query)) as AgentRoutesQueryDto;
    } catch (err) {
      invalid = err;
    }
    const report = q ? RoutesService.pollReport(q, agentVersion) : undefined;
    const target = await agentTargetOf(routes, throttle, req, report ?? null);
    if (!q) throw invalid;
    res.status(200).json(await routes.agentPoll(target, q, agentVersion, !!report));
  }

  return (req, res, next) => {
    if (req.method !== 'GET' || req.path !== AGENT_ROUTES_PATH) return next();
    answer(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(req, res, err);
    });
  };
}
