// The TypeScript SDK of the VPN API (docs/cli.md "SDK"): generated types, a client, typed errors,
// paging and waiting helpers. The console and vpnctl use it.
export type { paths, components, operations } from './schema';
export { ApiError, call, type ErrorBody, type Schemas, type Violation } from './errors';
export { listAll, pages, MAX_PAGE_SIZE, type Page, type PageRequest } from './paging';
export {
  createVpnClient,
  waitForTunnel,
  WaitTimeout,
  type ConnectionState,
  type Tunnel,
  type VpnClient,
  type VpnClientOptions,
  type WaitOptions,
} from './client';
