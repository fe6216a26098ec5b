// The gateway host runtime's public surface, for the worker and the lab (whose driver and names are in lab/).
export { GatewayHostRuntime, GATEWAY_ID_PATTERN } from './gateway-host';
export type { GatewayHostRuntimeOptions, CharonRestartListener } from './gateway-host';
export { assertPlacement } from './gateway-network';
export type { GatewayPlacement, GatewayNetworkDriver } from './gateway-network';
export { CharonProcess, defaultHostLogger } from './charon-process';
export type { CharonProcessOptions, HostLogger } from './charon-process';
export { renderCharonConf, charonPaths, DEFAULT_RETRANSMIT, retransmitGiveUpSeconds, DEFAULT_CHARON_PATH, DEFAULT_GATEWAYS_DIR } from './charon-config';
export type { CharonPaths, DataPlane, RetransmitSettings } from './charon-config';
export { viciVersion } from './vici-probe';
export { run, ExecError } from './exec';
export type { ExecOptions, ExecResult } from './exec';
