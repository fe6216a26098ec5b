import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { MONEY, UpdatedAt } from '../database/columns';
import { MachineType } from '../inventory/machine-type.entity';
import { ChargeType } from '../common/states';

/** The operator's price list: one unit (hour, month, year) of a machine type under a charge type. */
@Entity('prices')
export class Price {
  @PrimaryColumn({ type: 'varchar', length: 32 }) machineTypeId: string;
  @ManyToOne(() => MachineType, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'machine_type_id' }) machineType?: MachineType;
  @PrimaryColumn({ type: 'varchar', length: 16 }) chargeType: ChargeType;
  @Column(MONEY) unitPrice: number;
  @Column({ type: 'varchar', length: 3 }) currency: string;
  @UpdatedAt() updatedAt: Date;
}
