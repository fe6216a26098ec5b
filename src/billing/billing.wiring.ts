// The billing feature's Nest pieces, spread into AppModule (like alerts): prices, quotes,
// accounts and the ledger, orders, renewals and the sweep that drives expiry.
import {
  AccountController,
  BillingController,
  GatewayBillingController,
  LedgerController,
  OrdersController,
  PricesController,
  TenantAccountsController,
} from './billing.controllers';
import { BillingService } from './billing.service';
import { BillingSweeper } from './billing-sweeper.service';
import { RenewalsService } from './renewals.service';
import { chargeGateway } from './ledger.queries';
import { GATEWAY_CHARGER, GatewayCharger } from '../vpn/gateways/gateway-charger';

export const BILLING_CONTROLLERS = [
  PricesController,
  GatewayBillingController,
  OrdersController,
  LedgerController,
  AccountController,
  TenantAccountsController,
  BillingController,
];
export const BILLING_PROVIDERS = [
  BillingService,
  RenewalsService,
  BillingSweeper,
  // The gateway purchase's charge, injected into vpn/'s GatewaysService (vpn/ does not import billing/).
  { provide: GATEWAY_CHARGER, useValue: chargeGateway satisfies GatewayCharger },
];
