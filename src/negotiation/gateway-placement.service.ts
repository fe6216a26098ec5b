import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** A host is live when its worker's heartbeat is recent. */
export const HOST_LIVENESS_SECONDS = 30;

@Injectable()
export class GatewayPlacementService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The live host with the most spare capacity, or null (the gateway then waits for one). */
  async pickHost(): Promise<string | null> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT h.id FROM gateway_hosts h
         LEFT JOIN vpn_gateways g ON g.host_id = h.id
        WHERE h.last_seen_at > now() - make_interval(secs => $1)
        GROUP BY h.id, h.capacity
       HAVING count(g.id) < h.capacity
        ORDER BY h.capacity - count(g.id) DESC, h.id
        LIMIT 1`,
      [HOST_LIVENESS_SECONDS],
    );
    return rows[0]?.id ?? null;
  }
}
