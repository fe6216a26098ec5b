import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PLACEABLE } from './host-lease';

@Injectable()
export class GatewayPlacementService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The host with the most spare capacity among those holding a valid lease (by the database's
   * clock) and not cordoned or draining, or null (the gateway then waits for one).
   */
  async pickHost(): Promise<string | null> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT h.id FROM gateway_hosts h
         LEFT JOIN vpn_gateways g ON g.host_id = h.id
        WHERE ${PLACEABLE}
        GROUP BY h.id, h.capacity
       HAVING count(g.id) < h.capacity
        ORDER BY h.capacity - count(g.id) DESC, h.id
        LIMIT 1`,
    );
    return rows[0]?.id ?? null;
  }
}
