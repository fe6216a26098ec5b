import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ApiError } from '../sdk/errors';
import { completionScript } from './completion';
import { loadCredentials, normalizeApiUrl, saveCredentials } from './config';
import { parseDuration } from './durations';
import { describeError, EXIT, UsageError } from './errors';
import { buildProgram } from './main';
import { progressPrinter } from './progress';
import { formatPlan, type Plan } from './site/plan';

describe('config', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vpnctl-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('saves with mode 600 (also over an existing file) and the environment overrides it', () => {
    const env = { VPNCTL_CONFIG: join(dir, 'c', 'config.json') };
    writeFileSync(join(dir, 'x'), '');
    saveCredentials({ apiUrl: 'http://a:1', apiKey: 'k1' }, env);
    saveCredentials({ apiUrl: 'http://a:1', apiKey: 'k2' }, env);
    expect(statSync(env.VPNCTL_CONFIG).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(env.VPNCTL_CONFIG, 'utf8')).apiKey).toBe('k2');
    expect(loadCredentials(env)).toEqual({ apiUrl: 'http://a:1', apiKey: 'k2' });
    expect(loadCredentials({ ...env, VPNCTL_API_URL: 'http://b:2/api/v1/', VPNCTL_API_KEY: 'k3' })).toEqual({ apiUrl: 'http://b:2', apiKey: 'k3' });
  });

  it('without a login or the environment, says how to log in', () => {
    expect(() => loadCredentials({ VPNCTL_CONFIG: join(dir, 'none.json') })).toThrow(/vpnctl login/);
  });

  it('normalizes the API URL', () => {
    expect(normalizeApiUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(normalizeApiUrl('https://vpn.example.com/prefix/api/v1')).toBe('https://vpn.example.com/prefix');
  });
});

it('durations', () => {
  expect(parseDuration('60s', '--timeout')).toBe(60_000);
  expect(parseDuration('5m', '--timeout')).toBe(300_000);
  expect(parseDuration('90', '--timeout')).toBe(90_000);
  expect(parseDuration('250ms', '--interval')).toBe(250);
  expect(() => parseDuration('soon', '--timeout')).toThrow(UsageError);
});

it("errors: the API's violations with field and rule, exit 1; usage exit 2", () => {
  const e = new ApiError(400, {
    code: 'validation_failed',
    message: 'bad',
    violations: [{ field: 'ipsecPolicy.pfsGroup', rule: 'one_of', message: 'must be one of …' }],
  });
  expect(describeError(e)).toEqual({
    exitCode: EXIT.error,
    lines: ['error: bad (HTTP 400, validation_failed)', '  ipsecPolicy.pfsGroup: must be one of … [rule: one_of]'],
  });
  expect(describeError(new UsageError('x')).exitCode).toBe(EXIT.usage);
});

it('plan text: changes field by field, PSKs masked, and says when nothing changes', () => {
  const plan: Plan = {
    steps: [
      {
        op: 'change',
        kind: 'tunnel',
        name: 't',
        id: 'vpntnl-1',
        spec: {} as never,
        fields: [
          { field: 'ipsecPolicy.pfsGroup', from: 2, to: 14 },
          { field: 'psk', from: '(secret)', to: '(changed)', secret: true },
        ],
      },
      { op: 'delete', kind: 'peer', name: 'old', id: 'rgw-1', fields: [] },
    ],
    blocked: [],
    unmanaged: [],
  };
  expect(formatPlan(plan, 'site.yaml')).toBe(
    '~ tunnel t (vpntnl-1)\n    ipsecPolicy.pfsGroup: 2 -> 14\n    psk: (secret) -> (changed)\n- peer old (rgw-1)\nPlan: 0 to create, 1 to change, 1 to delete.\n',
  );
  expect(formatPlan({ steps: [], blocked: [], unmanaged: [] }, 'site.yaml')).toBe('No changes: the tenant matches site.yaml.\n');
});

it('completion scripts list every command (bash and zsh), and refuse another shell', () => {
  const program = buildProgram();
  const bash = completionScript(program, 'bash');
  for (const c of program.commands) expect(bash).toContain(c.name());
  expect(bash).toContain('"tunnel wait") words="--for --timeout --interval"');
  expect(bash).toContain('complete -o default -F _vpnctl_complete vpnctl');
  expect(completionScript(program, 'zsh')).toContain('compdef _vpnctl_zsh vpnctl');
  expect(() => completionScript(program, 'fish')).toThrow(UsageError);
});

describe('wait progress', () => {
  const tunnel = (connectionState: string, failure: object | null = null) =>
    ({ id: 'vpntnl-1', name: 't', resourceState: 'running', connectionState, failure }) as never;
  const stream = (isTTY: boolean) => {
    const out: string[] = [];
    return { out, s: { isTTY, write: (t: string) => out.push(t) } as unknown as NodeJS.WriteStream };
  };

  it('on a terminal rewrites one line in place (state, attempt, reason) and ends it', () => {
    const { out, s } = stream(true);
    const p = progressPrinter(s);
    p.update(tunnel('phase1_failed', { code: 'peer_unreachable', tries: 2 }));
    p.done();
    expect(out[0]).toMatch(/^\r\x1b\[2Kt: running\/phase1_failed, attempt 2, reason peer_unreachable \(\d+ s\)$/);
    expect(out[1]).toBe('\n');
  });

  it('piped prints a plain line per change, none for a repeat', () => {
    const { out, s } = stream(false);
    const p = progressPrinter(s);
    p.update(tunnel('connecting'));
    p.update(tunnel('connecting'));
    p.update(tunnel('connected'));
    p.done();
    expect(out).toEqual(['t: running/connecting\n', 't: running/connected\n']);
  });
});
