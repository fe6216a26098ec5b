import { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AuthThrottle, clientAddress } from '../auth/rate-limiter';
import { createValidationPipe, sendError } from '../common/http-error.filter';
import { InputGuardPipe } from '../common/input-guard.pipe';
import { Unauthorized } from '../common/errors';
import { bearer } from './agent-token.guard';
import { AgentRoutesQueryDto } from './routes.dto';
import { RoutesService } from './routes.service';

export const AGENT_ROUTES_PATH = '/api/v1/agent/routes';

/**
 * `GET /api/v1/agent/routes` answered beside Nest's request pipeline: every agent makes this
 * request on every route change, and the pipeline (global guard, interceptor, pipes, the
 * observable around the handler) was a third of its CPU. Only the plain case is answered here,
 * with the same steps RouteAgentController takes (the agent token guard's throttle check and
 * token look-up, the same validation pipes, RoutesService.poll): anything else (no token, an
 * unknown one, a throttled client, a query that does not validate) is passed on to that
 * controller, which answers it as it always did. So the contract, its errors and its OpenAPI
 * description stay the controller's.
 */
export function agentRoutesFastPath(app: INestApplication): (req: Request, res: Response, next: NextFunction) => void {
  const routes = app.get(RoutesService);
  const throttle = app.get(AuthThrottle);
  const inputGuard = new InputGuardPipe();
  const validation = createValidationPipe();
  const query = { type: 'query' as const, metatype: AgentRoutesQueryDto, data: undefined };

  async function answer(req: Request, res: Response): Promise<boolean> {
    const token = bearer(req.headers['authorization']);
    if (!token) return false;
    try {
      await throttle.assertNotBlocked(clientAddress(req));
    } catch {
      return false;
    }
    const target = await routes.authenticate(token).catch((err: unknown) => {
      if (err instanceof Unauthorized) return null;
      throw err;
    });
    if (!target) return false;
    let q: AgentRoutesQueryDto;
    try {
      q = (await validation.transform(inputGuard.transform(req.query, query), query)) as AgentRoutesQueryDto;
    } catch {
      return false;
    }
    // Past validation the request is this handler's: an error is answered here, as the API's filter
    // answers it, not handed on (the controller would record the report and wait a second time).
    try {
      res.status(200).json(await routes.agentPoll(target, q, req.headers['x-agent-version'] as string | undefined));
    } catch (err) {
      if (!res.headersSent) sendError(req, res, err);
    }
    return true;
  }

  return (req, res, next) => {
    if (req.method !== 'GET' || req.path !== AGENT_ROUTES_PATH) return next();
    answer(req, res).then(
      (answered) => answered || next(),
      () => (res.headersSent ? undefined : next()),
    );
  };
}
