import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Observable, catchError, concatMap, from, throwError } from 'rxjs';
import { Principal } from '../auth/principal';
import { clientAddress } from '../auth/rate-limiter';
import { toErrorBody } from '../common/http-error.filter';
import { AuditService } from './audit.service';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// POSTs that change nothing: not audited.
const READ_ONLY_POSTS = new Set(['/api/v1/vpn-gateways/quote', '/api/v1/vpn-tunnels/:id/check-remote-config', '/api/v1/vpn-tunnels/:id/diagnose']);
const MAX_IDS = 100;

const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s);

/**
 * Writes an audit event for every state-changing call made with an API key, whether it succeeded
 * or failed, after the handler (or its error) and before the answer is sent. Only ids, the route
 * and the outcome are kept: never bodies, queries or headers.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest();
    const principal: Principal | undefined = req.principal;
    const route: string = req.route?.path ?? '';
    if (!principal || !WRITES.has(req.method) || READ_ONLY_POSTS.has(route)) return next.handle();
    const params = Object.values((req.params ?? {}) as Record<string, unknown>).filter((v): v is string => typeof v === 'string');
    const base = {
      keyId: principal.keyId,
      role: principal.role,
      tenantId: principal.tenantId,
      clientAddress: cut(clientAddress(req), 64),
      method: req.method as string,
      route: cut(route, 128),
      resource: cut(/^\/api\/v1\/([^/]+)/.exec(route)?.[1] ?? route, 48),
      resourceIds: Array.isArray(req.body?.ids)
        ? (req.body.ids as unknown[])
            .filter((i): i is string => typeof i === 'string')
            .slice(0, MAX_IDS)
            .map((i) => cut(i, 64))
        : null,
    };
    const fromParams = params.length ? cut(params[params.length - 1], 64) : null;
    const status = Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) ?? (req.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
    return next.handle().pipe(
      concatMap(async (body: unknown) => {
        const created = body && typeof body === 'object' && typeof (body as { id?: unknown }).id === 'string' ? cut((body as { id: string }).id, 64) : null;
        await this.audit.record({ ...base, resourceId: fromParams ?? created, statusCode: status, result: 'success', errorCode: null });
        return body;
      }),
      catchError((err: unknown) => {
        const e = toErrorBody(err);
        return from(this.audit.record({ ...base, resourceId: fromParams, statusCode: e.statusCode, result: 'failure', errorCode: cut(e.code, 48) })).pipe(
          concatMap(() => throwError(() => err)),
        );
      }),
    );
  }
}
