import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChangeQueries, ChangeVersions } from './live.queries';

export type { ChangeVersions };

/**
 * The console's "changed since" poll (docs/decisions.md, web/README.md): a few aggregates that say
 * whether a list or detail page needs to fetch again, instead of every page polling its data.
 */
@Injectable()
export class ChangesService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  forTenant(tenantId: string): Promise<ChangeVersions> {
    return new ChangeQueries(this.db).forTenant(tenantId);
  }

  forOperator(): Promise<ChangeVersions> {
    return new ChangeQueries(this.db).forOperator();
  }
}
