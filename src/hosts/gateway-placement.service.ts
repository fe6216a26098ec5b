import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HostQueries } from './hosts.queries';

@Injectable()
export class GatewayPlacementService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The host with the most spare capacity among those holding a valid lease (by the database's
   * clock) and not cordoned or draining, or null (the gateway then waits for one).
   */
  pickHost(): Promise<string | null> {
    return new HostQueries(this.db).mostSpareHost();
  }
}
