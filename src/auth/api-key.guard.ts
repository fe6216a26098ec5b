import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { hashApiKey } from '../config/config';
import { Forbidden, Unauthorized } from '../common/errors';
import { ApiKey, Role } from './api-key.entity';
import { IS_PUBLIC, Principal, ROLES } from './principal';

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest();
    const header: string | undefined = request.headers['authorization'];
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new Unauthorized();

    const key = await this.keys.findOne({ where: { keyHash: hashApiKey(match[1]), revokedAt: IsNull() } });
    if (!key) throw new Unauthorized('the API key is unknown or revoked');

    const principal: Principal = { keyId: key.id, role: key.role, tenantId: key.tenantId };
    request.principal = principal;

    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(key.role)) {
      throw new Forbidden(`this operation needs a ${roles.join(' or ')} key`);
    }
    return true;
  }
}
