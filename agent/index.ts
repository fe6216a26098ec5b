// The route agent as a library (tests, or embedding): main.ts is the command-line entry.
export { AgentApiClient, ApiError, AuthError, parseDesiredState } from './api-client';
export type { DesiredState, Report, RouteEntry } from './api-client';
export { Backoff } from './backoff';
export { AGENT_USAGE, ConfigError, DEFAULT_PROTO, parseAgentArgs } from './config';
export type { AgentConfig } from './config';
export { IpError, IpRouteTable } from './ip-route';
export type { RouteTable } from './ip-route';
export { RouteAgent } from './route-agent';
export type { ApplyResult, RouteAgentApi, RouteAgentOptions } from './route-agent';
export { diffRoutes, normalizeDesired, normalizeDestination, parseIpRoutes } from './routes';
export type { DesiredRoute, KernelRoute } from './routes';
export { loadStateFile, saveStateFile } from './state-file';
export type { AgentStateFile } from './state-file';
export { AGENT_VERSION } from './version';
