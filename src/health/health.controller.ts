import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/principal';
import { HealthQueries } from './health.queries';
import { JobDispatcher } from '../jobs/job-dispatcher';
import { MIGRATIONS } from '../../migrations';

class HealthDto {
  @ApiProperty({ enum: ['ok', 'degraded'] }) status: 'ok' | 'degraded';
  @ApiProperty({ enum: ['up', 'down'] }) database: 'up' | 'down';
  @ApiProperty({ enum: ['up', 'down'] }) redis: 'up' | 'down';
}

class ReadyDto extends HealthDto {
  @ApiProperty({ enum: ['up', 'down'], description: 'every migration this build knows is applied (down: an older schema, or the database is away)' })
  migrations: 'up' | 'down';
}

class LiveDto {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
}

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))]);

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly jobs: JobDispatcher,
  ) {}

  /** Liveness: the process answers (the event loop runs). Never looks at dependencies: a PostgreSQL outage must not restart every API. */
  @Public()
  @Get('livez')
  @ApiOkResponse({ type: LiveDto })
  live(): LiveDto {
    return { status: 'ok' };
  }

  /** Readiness: PostgreSQL and Redis answer and the schema is at this build's head; 503 otherwise (no traffic). */
  @Public()
  @Get('readyz')
  @ApiOkResponse({ type: ReadyDto })
  @ApiServiceUnavailableResponse({ type: ReadyDto })
  async ready(@Res({ passthrough: true }) res: Response): Promise<ReadyDto> {
    const [health, migrations] = await Promise.all([
      this.dependencies(),
      within(this.migrationsAtHead(), 2000).then(
        (ok) => (ok ? ('up' as const) : ('down' as const)),
        () => 'down' as const,
      ),
    ]);
    const status = health.status === 'ok' && migrations === 'up' ? 'ok' : 'degraded';
    res.status(status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { ...health, status, migrations };
  }

  @Public()
  @Get('healthz')
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ type: HealthDto })
  async health(@Res({ passthrough: true }) res: Response): Promise<HealthDto> {
    const health = await this.dependencies();
    res.status(health.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return health;
  }

  private async dependencies(): Promise<HealthDto> {
    const [database, redis] = await Promise.all([
      within(new HealthQueries(this.db).ping(), 2000).then(
        () => 'up' as const,
        () => 'down' as const,
      ),
      within(this.jobs.ping(), 2000).then(
        (ok) => (ok ? ('up' as const) : ('down' as const)),
        () => 'down' as const,
      ),
    ]);
    const status = database === 'up' && redis === 'up' ? 'ok' : 'degraded';
    return { status, database, redis };
  }

  private async migrationsAtHead(): Promise<boolean> {
    const applied = await new HealthQueries(this.db).appliedMigrations();
    return MIGRATIONS.every((m) => applied.has(m.name));
  }
}
