// `node dist/agent/main.js --api-url URL --token-file FILE [--state-file FILE] [--netns NS]`:
// the route agent on an instance. Plain Node, no framework: it runs on tenants' VMs.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { AgentApiClient } from './api-client';
import { AGENT_USAGE, AgentConfig, ConfigError, displayUrl, parseAgentArgs } from './config';
import { IpRouteTable } from './ip-route';
import { RouteAgent } from './route-agent';
import { AGENT_VERSION } from './version';
import { createLogger, readLogSettings } from '../src/common/structured-log';

// LOG_LEVEL and LOG_FORMAT (json|text) as for the API and the worker; a bad value falls back to the
// defaults with a warning (an agent on an instance should run rather than stop over its log style).
const logProblems: string[] = [];
const logSettings = readLogSettings(process.env, logProblems);
const logger = createLogger({ ...(logProblems.length ? {} : logSettings), context: 'route-agent' });
for (const p of logProblems) logger.warn(`${p}: using the default`);
const log = (line: string) => logger.log(line);
const warn = (line: string) => logger.warn(line);

// Re-read on every request, so writing a rotated token into the file needs no restart.
function tokenSource(config: AgentConfig): () => string {
  if (!config.tokenFile) return () => config.token!;
  const file = config.tokenFile;
  return () => readFileSync(file, 'utf8').trim();
}

function checkTokenFile(file: string): void {
  const token = readFileSync(file, 'utf8').trim(); // fails early on a missing/unreadable file
  if (!token) throw new ConfigError(`token file ${file} is empty`);
  if (statSync(file).mode & 0o077) logger.warn(`token file ${file} is readable by others (chmod 600 it)`);
}

async function main(): Promise<number> {
  let config: AgentConfig | 'help';
  try {
    config = parseAgentArgs(process.argv.slice(2), process.env);
    if (config !== 'help' && config.tokenFile) checkTokenFile(config.tokenFile);
  } catch (e) {
    console.error(`route-agent: ${(e as Error).message}\n\n${AGENT_USAGE}`);
    return 2;
  }
  if (config === 'help') {
    console.log(AGENT_USAGE);
    return 0;
  }
  const api = new AgentApiClient({ apiUrl: config.apiUrl, token: tokenSource(config), agentVersion: AGENT_VERSION });
  const agent = new RouteAgent({
    api,
    table: new IpRouteTable(config.proto, config.netns),
    agentVersion: AGENT_VERSION,
    waitSeconds: config.waitSeconds,
    authRetryMs: config.authRetrySeconds * 1000,
    stateFile: config.stateFile,
    log,
    warn,
  });
  log(
    `route agent ${AGENT_VERSION}: api ${displayUrl(config.apiUrl)}, proto ${config.proto}, ` +
      `namespace ${config.netns ?? '(own)'}, wait ${config.waitSeconds} s, state ${config.stateFile ?? '(none)'}, pid ${process.pid}`,
  );
  if (config.once) {
    const r = await agent.runOnce();
    return r.ok ? 0 : 1;
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      log(`${signal}: stopping`);
      agent.stop();
    });
  }
  // Beside a namespace (the lab), the agent lives as long as it: a namespace removed without
  // stopping the agent (a killed test run) must not leave it polling forever.
  const netnsFile = config.netns ? `/run/netns/${config.netns}` : null;
  const watch = netnsFile
    ? setInterval(() => {
        if (existsSync(netnsFile)) return;
        log(`namespace ${config.netns} is gone: stopping`);
        agent.stop();
      }, 5000)
    : null;
  await agent.start();
  if (watch) clearInterval(watch);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    logger.error(`fatal: ${e.message}`);
    process.exit(1);
  },
);
