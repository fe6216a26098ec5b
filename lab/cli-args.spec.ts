import { parseArgs, requireFlag } from './cli-args';

describe('lab CLI arguments', () => {
  it('parses verbs, value flags (both spellings) and booleans', () => {
    const a = parseArgs(['site', 'add', 'hq', '--public-ip', '203.0.113.10', '--subnet=172.16.1.0/24', '--no-register']);
    expect(a.positionals).toEqual(['site', 'add', 'hq']);
    expect(a.flags).toEqual({ 'public-ip': '203.0.113.10', subnet: '172.16.1.0/24', 'no-register': true });
    expect(requireFlag(a, 'subnet')).toBe('172.16.1.0/24');
    expect(() => requireFlag(a, 'conf')).toThrow('--conf is required');
  });

  it('passes everything after -- untouched', () => {
    const a = parseArgs(['site', 'exec', 'hq', '--router', '--', 'ping', '-c', '1', '--', 'x']);
    expect(a.flags.router).toBe(true);
    expect(a.command).toEqual(['ping', '-c', '1', '--', 'x']);
  });

  it('rejects unknown options and missing values', () => {
    expect(() => parseArgs(['up', '--bogus'])).toThrow('unknown option --bogus');
    expect(() => parseArgs(['site', 'add', 'x', '--public-ip'])).toThrow('--public-ip needs a value');
    expect(() => parseArgs(['site', 'add', 'x', '--public-ip', '--subnet', '1'])).toThrow('--public-ip needs a value');
    expect(() => parseArgs(['up', '--router=yes'])).toThrow('--router takes no value');
  });
});
