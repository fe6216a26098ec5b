import { ConfigError, DEFAULT_PROTO, displayUrl, parseAgentArgs } from './config';

const base = ['--api-url', 'http://10.0.0.2:8080/', '--token-file', '/etc/agent/token'];

describe('parseAgentArgs', () => {
  it('reads flags in both spellings with defaults', () => {
    expect(parseAgentArgs([...base, '--state-file=/var/lib/agent.json'], {})).toEqual({
      apiUrl: 'http://10.0.0.2:8080',
      tokenFile: '/etc/agent/token',
      token: undefined,
      stateFile: '/var/lib/agent.json',
      proto: DEFAULT_PROTO,
      waitSeconds: 25,
      authRetrySeconds: 30,
      netns: undefined,
      once: false,
    });
  });

  it('falls back to the environment; the token itself only from AGENT_TOKEN', () => {
    const c = parseAgentArgs([], { AGENT_API_URL: 'https://api.example', AGENT_TOKEN: ' t0k3n \n', AGENT_NETNS: 'vl-vm-a1', AGENT_STATE_FILE: '/s.json' });
    expect(c).toMatchObject({ apiUrl: 'https://api.example', token: 't0k3n', tokenFile: undefined, netns: 'vl-vm-a1', stateFile: '/s.json' });
    expect(parseAgentArgs([...base], { AGENT_TOKEN: 'x' })).toMatchObject({ tokenFile: '/etc/agent/token', token: undefined });
  });

  it('parses proto, wait, netns and once', () => {
    expect(parseAgentArgs([...base, '--proto', '250', '--wait', '0', '--netns', 'ns-1', '--once', '--auth-retry', '2'], {})).toMatchObject({
      proto: 250,
      waitSeconds: 0,
      netns: 'ns-1',
      once: true,
      authRetrySeconds: 2,
    });
  });

  it('refuses a token on the command line and bad values, naming the option', () => {
    expect(() => parseAgentArgs([...base, '--token', 'secret'], {})).toThrow(/never passed on the command line/);
    expect(() => parseAgentArgs(['--token-file', 'f'], {})).toThrow('--api-url (or AGENT_API_URL) is required');
    expect(() => parseAgentArgs(['--api-url', 'http://x'], {})).toThrow(/no token/);
    expect(() => parseAgentArgs(['--api-url', 'ftp://x', '--token-file', 'f'], {})).toThrow(/http\(s\)/);
    expect(() => parseAgentArgs(['--api-url', 'nope', '--token-file', 'f'], {})).toThrow(/not a URL/);
    expect(() => parseAgentArgs([...base, '--proto', '4'], {})).toThrow(/reserved/);
    expect(() => parseAgentArgs([...base, '--proto', '256'], {})).toThrow('--proto must be an integer 0-255');
    expect(() => parseAgentArgs([...base, '--wait', '31'], {})).toThrow('--wait must be an integer 0-30');
    expect(() => parseAgentArgs([...base, '--netns', 'a b'], {})).toThrow(/invalid network namespace/);
    expect(() => parseAgentArgs([...base, '--wait'], {})).toThrow('--wait needs a value');
    expect(() => parseAgentArgs([...base, '--bogus', '1'], {})).toThrow('unknown option --bogus');
    expect(() => parseAgentArgs([...base, 'extra'], {})).toThrow(ConfigError);
  });

  it('answers help', () => {
    expect(parseAgentArgs(['--help'], {})).toBe('help');
  });
});

describe('displayUrl', () => {
  it('drops credentials from the URL it logs', () => {
    expect(displayUrl('http://user:pass@10.0.0.2:8080/')).toBe('http://10.0.0.2:8080');
  });
});
