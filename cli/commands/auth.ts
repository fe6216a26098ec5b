import type { Command } from 'commander';
import { readFileSync } from 'fs';
import { createVpnClient } from '../../sdk/client';
import { configPath, loadCredentials, normalizeApiUrl, saveCredentials } from '../config';
import { client, print } from '../context';
import { UsageError } from '../errors';
import { outputFormat, render } from '../output';

export function authCommands(program: Command): void {
  program
    .command('login')
    .description('Check an API key against the API and save both in the config file (mode 600)')
    .requiredOption('--api-url <url>', 'The API, e.g. http://127.0.0.1:8080')
    .option('--api-key <key>', 'The API key (visible to other users in the process list: prefer --api-key-stdin)')
    .option('--api-key-stdin', 'Read the API key from standard input')
    .action(async (o: { apiUrl: string; apiKey?: string; apiKeyStdin?: boolean }) => {
      let apiUrl: string;
      try {
        apiUrl = normalizeApiUrl(o.apiUrl);
      } catch {
        throw new UsageError(`--api-url must be a URL such as http://127.0.0.1:8080 (got ${o.apiUrl})`);
      }
      const apiKey = o.apiKeyStdin ? readFileSync(0, 'utf8').trim() : o.apiKey;
      if (!apiKey) throw new UsageError('give --api-key KEY or --api-key-stdin');
      const vpn = createVpnClient({ baseUrl: apiUrl, apiKey });
      const me = await vpn.call(vpn.api.GET('/api/v1/me'));
      const path = saveCredentials({ apiUrl, apiKey });
      print(
        `Logged in to ${apiUrl} as ${me.role === 'admin' ? 'the operator' : `tenant ${me.tenantName} (${me.tenantId})`} with key ${me.keyName}; saved in ${path}`,
      );
    });

  program
    .command('whoami')
    .description('The API and the key in use: role, tenant, key')
    .option('-o, --output <format>', 'table|json|yaml', 'table')
    .action(async (o: { output: string }) => {
      const format = outputFormat(o.output, 'table');
      const creds = loadCredentials();
      const me = await client().call(client().api.GET('/api/v1/me'));
      const row = { apiUrl: creds.apiUrl, ...me, config: process.env.VPNCTL_API_KEY ? 'environment' : configPath() };
      print(
        render(row, format, [
          { header: 'API', value: (r) => r.apiUrl },
          { header: 'ROLE', value: (r) => r.role },
          { header: 'TENANT', value: (r) => r.tenantName },
          { header: 'TENANT ID', value: (r) => r.tenantId },
          { header: 'KEY', value: (r) => r.keyName },
          { header: 'FROM', value: (r) => r.config },
        ]),
      );
    });
}
