import { Column, Entity } from 'typeorm';
import { CreatedAt, IdColumn } from '../database/columns';

// What the cloud already has. Operators register it; tenants read their own part of it.

@Entity('data_centers')
export class DataCenter {
  @IdColumn() id: string;
  @Column({ type: 'varchar', length: 64, unique: true }) name: string;
  @Column({ type: 'varchar', length: 64 }) region: string;
  @CreatedAt() createdAt: Date;
}
