import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Forbidden } from '../common/errors';
import { Role } from './api-key.entity';

/** Who is calling: an operator (admin) or a tenant. Every tenant query is scoped by tenantId. */
export interface Principal {
  keyId: string;
  role: Role;
  tenantId: string | null;
}

export const IS_PUBLIC = 'auth:public';
export const ROLES = 'auth:roles';

/** No API key needed (health, API docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
/** Only these roles may call the route (default: any authenticated key). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest().principal;
});

/** The tenant a tenant-scoped operation acts for; operators manage inventory, not tenants' VPNs. */
export function tenantOf(principal: Principal): string {
  if (!principal.tenantId) throw new Forbidden('this operation belongs to a tenant: call it with a tenant API key');
  return principal.tenantId;
}
