import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles, tenantOf } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { ListQueryDto, resolveListQuery } from '../common/list-query';
import { AlertTemplateDto, AlertTemplatePageDto, CreateAlertTemplateDto, UpdateAlertTemplateDto } from './alert-template.dto';
import { AlertTemplatesService, templateView } from './alert-templates.service';
import { TEMPLATE_SORT } from './alerts.queries';

@ApiTags('alert-templates')
@ApiBearerAuth()
@Roles('tenant')
@Controller('api/v1/alert-templates')
export class AlertTemplatesController {
  constructor(private readonly templates: AlertTemplatesService) {}

  @Get()
  @ApiOperation({
    summary: 'List alert templates',
    description: `The tenant's default template ("tunnel_health lt 1 for 3 periods", console channel) is created on first use. Sort by ${Object.keys(TEMPLATE_SORT).join(', ')}; q searches name, ID and description.`,
  })
  @ApiOkResponse({ type: AlertTemplatePageDto })
  @ApiErrors(400)
  async list(@CurrentPrincipal() p: Principal, @Query() query: ListQueryDto): Promise<AlertTemplatePageDto> {
    const page = await this.templates.list(tenantOf(p), resolveListQuery(query, TEMPLATE_SORT));
    return { ...page, items: page.items.map(templateView) };
  }

  @Post()
  @ApiOperation({ summary: 'Create an alert template: rules (metric, comparator, threshold, periods) and channels (webhook, console)' })
  @ApiCreatedResponse({ type: AlertTemplateDto })
  @ApiErrors(400, 409)
  async create(@CurrentPrincipal() p: Principal, @Body() body: CreateAlertTemplateDto): Promise<AlertTemplateDto> {
    return templateView(await this.templates.create(tenantOf(p), body));
  }

  @Get(':id')
  @ApiOkResponse({ type: AlertTemplateDto })
  @ApiErrors(404)
  async get(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<AlertTemplateDto> {
    return templateView(await this.templates.get(tenantOf(p), id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change name, description, rules or channels (each given list replaces the stored one), or make it the default' })
  @ApiOkResponse({ type: AlertTemplateDto })
  @ApiErrors(400, 404, 409)
  async update(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: UpdateAlertTemplateDto): Promise<AlertTemplateDto> {
    return templateView(await this.templates.update(tenantOf(p), id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a template: not the default, and not while gateways or tunnels are bound to it (409 names them)' })
  @ApiNoContentResponse()
  @ApiErrors(404, 409)
  async remove(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<void> {
    await this.templates.remove(tenantOf(p), id);
  }
}
