import { Column, Entity } from 'typeorm';
import { CreatedAt, IdColumn } from '../database/columns';

@Entity('tenants')
export class Tenant {
  @IdColumn() id: string;
  @Column({ type: 'varchar', length: 64, unique: true }) name: string;
  @CreatedAt() createdAt: Date;
}
