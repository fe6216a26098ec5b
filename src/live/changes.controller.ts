import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { ChangesService } from './changes.service';

export class ChangeVersionsDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { tunnels: '1000.1796312345678901', gateways: '50.1796312345600000', peers: '50.1796312300000000', alerts: '3.1796312000000000.0' },
    description: 'Tenants: tunnels, gateways, peers, alerts. Operators: gateways, hosts, tenants. Opaque: compare for equality only.',
  })
  versions: Record<string, string>;
}

@ApiTags('live')
@ApiBearerAuth()
@Controller('api/v1/changes')
export class ChangesController {
  constructor(private readonly changes: ChangesService) {}

  @Get()
  @ApiOperation({
    summary: 'A version per topic, for the console\'s "changed since" poll',
    description: "Poll it (the console: every 3 s while visible) and fetch a list or detail again only when its topic's version changed.",
  })
  @ApiOkResponse({ type: ChangeVersionsDto })
  async get(@CurrentPrincipal() p: Principal): Promise<ChangeVersionsDto> {
    return { versions: p.tenantId ? await this.changes.forTenant(p.tenantId) : await this.changes.forOperator() };
  }
}
