import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Response } from 'express';
import { Public } from '../auth/principal';
import { ErrorBodyDto } from '../common/http-error.filter';
import { PrometheusService } from './prometheus.service';

@ApiTags('monitoring')
@ApiBearerAuth()
@Controller()
export class PrometheusController {
  constructor(private readonly prometheus: PrometheusService) {}

  @Public()
  @Get('metrics')
  @ApiOperation({
    summary: 'Prometheus exposition: per-tunnel and per-gateway traffic and health, queue depths, process metrics',
    description:
      'Operators only: `Authorization: Bearer <operator API key>`, or the scrape-only METRICS_TOKEN when the operator sets one. Metric names: docs/monitoring.md.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text format 0.0.4' })
  @ApiUnauthorizedResponse({ description: 'Neither an operator key nor METRICS_TOKEN was sent', type: ErrorBodyDto })
  async metrics(@Headers('authorization') authorization: string | undefined, @Res() res: Response): Promise<void> {
    await this.prometheus.authorize(authorization);
    const text = await this.prometheus.scrape();
    res.setHeader('Content-Type', this.prometheus.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(text);
  }
}
