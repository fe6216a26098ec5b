import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Conflict, NotFound, ValidationFailed } from '../common/errors';
import { violation } from '../common/violations';
import { JobDispatcher } from '../jobs/job-dispatcher';
import { Order } from './order.entity';
import { RenewDto } from './billing.dto';
import { checkRenewalPeriod } from './billing-rules';
import { lockGateway, renewGateway } from './gateway-lifecycle.queries';
import { lockAccount } from './ledger.queries';

export interface RenewResult {
  order: Order;
  expiresAt: Date;
  resourceState: string;
  balance: number;
}

/** A tenant renews one gateway (the gateway only: its tunnels and address are not charged). */
@Injectable()
export class RenewalsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly jobs: JobDispatcher,
  ) {}

  async renew(tenantId: string, gatewayId: string, dto: RenewDto, now = new Date()): Promise<RenewResult> {
    let hostId: string | null = null;
    let restarted = false;
    const result = await this.db.transaction(async (m) => {
      const g = await lockGateway(m, gatewayId, { tenantId });
      if (!g) throw new NotFound('VPN gateway', gatewayId);
      const problems = checkRenewalPeriod(g.chargeType, dto.period);
      if (problems.length) throw new ValidationFailed(problems);
      if (g.resourceState === 'deleting') {
        const message = `VPN gateway ${gatewayId} is being deleted and cannot be renewed`;
        throw new Conflict('gateway_deleting', message, [violation('id', 'not_deleting', gatewayId, message)]);
      }
      restarted = g.resourceState === 'expired';
      hostId = g.hostId;
      const order = (await renewGateway(m, g, 'renewal', dto.period, now))!;
      const account = await lockAccount(m, tenantId);
      return { order, expiresAt: order.periodEnd, resourceState: restarted ? 'creating' : g.resourceState, balance: account.balance };
    });
    // The worker starts the gateway again and reconnects its tunnels.
    if (restarted) await this.jobs.dispatch(hostId, 'gateway.sync', { gatewayId });
    return result;
  }
}
