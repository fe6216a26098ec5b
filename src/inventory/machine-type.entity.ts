import { Column, Entity } from 'typeorm';
import { CreatedAt, IdColumn } from '../database/columns';

@Entity('machine_types')
export class MachineType {
  @IdColumn() id: string;
  @Column({ type: 'varchar', length: 64, unique: true }) name: string;
  @Column({ type: 'varchar', length: 32 }) architecture: string;
  @CreatedAt() createdAt: Date;
}
