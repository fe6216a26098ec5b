import { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AuthThrottle } from '../auth/rate-limiter';
import { createValidationPipe, sendError } from '../common/http-error.filter';
import { InputGuardPipe } from '../common/input-guard.pipe';
import { securityHeaderValues } from '../web/security-headers';
import { agentTargetOf } from './agent-token.guard';
import { AgentRoutesQueryDto } from './routes.dto';
import { RoutesService } from './routes.service';

export const AGENT_ROUTES_PATH = '/api/v1/agent/routes';
const VALID_QUERIES_KEPT = 1000;
/** Longer queries (a report's error text) are validated each time. */
const MAX_KEPT_QUERY_CHARS = 200;

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
  const headers = securityHeaderValues();
  /**
   * Queries that validated, by their raw text: after a change all the agents of a subnet send the
   * same one (version, wait, appliedVersion), and validation (class-transformer, class-validator)
   * was a tenth of the API's CPU per poll. The result depends on the text alone; only valid
   * queries of at most MAX_KEPT_QUERY_CHARS are kept, at most VALID_QUERIES_KEPT (then the map
   * starts over).
   */
  const validQueries = new Map<string, AgentRoutesQueryDto>();

  async function validQuery(req: Request): Promise<AgentRoutesQueryDto> {
    const at = req.url.indexOf('?');
    const raw = at < 0 ? '' : req.url.slice(at + 1);
    const known = validQueries.get(raw);
    if (known) return Object.assign(new AgentRoutesQueryDto(), known);
    const q = (await validation.transform(inputGuard.transform(req.query, query), query)) as AgentRoutesQueryDto;
    if (raw.length <= MAX_KEPT_QUERY_CHARS) {
      if (validQueries.size >= VALID_QUERIES_KEPT) validQueries.clear();
      validQueries.set(raw, Object.freeze(Object.assign(new AgentRoutesQueryDto(), q)));
    }
    return q;
  }

  async function answer(req: Request, res: Response): Promise<void> {
    const agentVersion = req.headers['x-agent-version'] as string | undefined;
    let q: AgentRoutesQueryDto | undefined;
    let invalid: unknown;
    try {
      q = await validQuery(req);
    } catch (err) {
      invalid = err;
    }
    const report = q ? RoutesService.pollReport(q, agentVersion) : undefined;
    const target = await agentTargetOf(routes, throttle, req, report ?? null);
    if (!q) throw invalid;
    res.status(200).json(await routes.agentPoll(target, q, agentVersion, !!report));
  }

  // Mounted before the security headers' middleware (api-app.ts): sets the same headers itself.
  return (req, res, next) => {
    if (req.method !== 'GET' || req.path !== AGENT_ROUTES_PATH) return next();
    for (const [name, value] of headers) res.setHeader(name, value);
    answer(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(req, res, err);
    });
  };
}
