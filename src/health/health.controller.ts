import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/principal';
import { JobDispatcher } from '../jobs/job-dispatcher';

class HealthDto {
  @ApiProperty({ enum: ['ok', 'degraded'] }) status: 'ok' | 'degraded';
  @ApiProperty({ enum: ['up', 'down'] }) database: 'up' | 'down';
  @ApiProperty({ enum: ['up', 'down'] }) redis: 'up' | 'down';
}

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))]);

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly jobs: JobDispatcher) {}

  @Public()
  @Get('healthz')
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ type: HealthDto })
  async health(@Res({ passthrough: true }) res: Response): Promise<HealthDto> {
    const [database, redis] = await Promise.all([
      within(this.db.query('SELECT 1'), 2000).then(() => 'up' as const, () => 'down' as const),
      within(this.jobs.ping(), 2000).then((ok) => (ok ? ('up' as const) : ('down' as const)), () => 'down' as const),
    ]);
    const status = database === 'up' && redis === 'up' ? 'ok' : 'degraded';
    res.status(status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status, database, redis };
  }
}
