import { Column, Entity } from 'typeorm';
import { CreatedAt } from '../database/columns';

/** A machine running a worker: gateways are placed on live hosts (recent heartbeat). */
@Entity('gateway_hosts')
export class GatewayHost {
  @Column({ type: 'varchar', length: 64, primary: true }) id: string;
  @Column({ type: 'varchar', length: 128 }) hostname: string;
  @Column({ type: 'integer', default: 50 }) capacity: number;
  @Column({ type: 'timestamptz' }) lastSeenAt: Date;
  @CreatedAt() createdAt: Date;
}
