import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Response } from 'express';
import { Public } from '../auth/principal';
import { ErrorBodyDto } from '../common/http-error.filter';
import { PrometheusService } from './prometheus.service';

@ApiTags('monitoring')
@Controller()
export class PrometheusController {
  constructor(private readonly prometheus: PrometheusService) {}

  @Public()
  @Get('metrics')
  @ApiOperation({
    summary: 'Prometheus exposition: per-tunnel and per-gateway traffic and health, queue depths, process metrics',
    description: 'No API key. When the operator sets METRICS_TOKEN, send it as `Authorization: Bearer <token>`. Metric names: docs/monitoring.md.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text format 0.0.4' })
  @ApiUnauthorizedResponse({ description: 'METRICS_TOKEN is set and was not sent', type: ErrorBodyDto })
  async metrics(@Headers('authorization') authorization: string | undefined, @Res() res: Response): Promise<void> {
    this.prometheus.authorize(authorization);
    const text = await this.prometheus.scrape();
    res.setHeader('Content-Type', this.prometheus.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(text);
  }
}
