import { NestStructuredLogger } from './nest-log';
import { createLogger, readLogSettings } from './structured-log';

const capture = (options: Parameters<typeof createLogger>[0] = {}) => {
  const lines: { line: string; level: string }[] = [];
  const logger = createLogger({ now: () => new Date('2026-01-02T03:04:05.000Z'), write: (line, level) => lines.push({ line, level }), ...options });
  return { logger, lines };
};

it('writes one JSON object a line with time, level, context, message and fields', () => {
  const { logger, lines } = capture({ format: 'json', context: 'worker' });
  logger.log('gateway vpngw-1 attached', { gatewayId: 'vpngw-1' });
  expect(lines).toEqual([
    { level: 'log', line: '{"time":"2026-01-02T03:04:05.000Z","level":"log","context":"worker","message":"gateway vpngw-1 attached","gatewayId":"vpngw-1"}' },
  ]);
});

it('keeps a message with quotes and newlines one parseable line', () => {
  const { logger, lines } = capture({ format: 'json' });
  logger.error('charon said "no"\nand stopped');
  expect(lines[0].line.split('\n')).toHaveLength(1);
  expect(JSON.parse(lines[0].line).message).toBe('charon said "no"\nand stopped');
});

it('drops entries below the level and says which levels are on', () => {
  const { logger, lines } = capture({ level: 'warn' });
  logger.debug('d');
  logger.log('l');
  logger.warn('w');
  logger.error('e');
  expect(lines.map((l) => l.level)).toEqual(['warn', 'error']);
  expect(logger.enabled('log')).toBe(false);
  expect(logger.enabled('error')).toBe(true);
});

it('text lines carry the time, level and context; a child names its own context', () => {
  const { logger, lines } = capture({ context: 'api' });
  logger.child('Migrations').log('applied migrations: A', { migrations: ['A'] });
  expect(lines[0].line).toBe('2026-01-02T03:04:05.000Z LOG   [Migrations] applied migrations: A {"migrations":["A"]}');
});

it('reads LOG_LEVEL and LOG_FORMAT, naming a bad value', () => {
  const problems: string[] = [];
  expect(readLogSettings({}, problems)).toEqual({ logLevel: 'log', logFormat: 'text' });
  readLogSettings({ LOG_LEVEL: 'verbose', LOG_FORMAT: 'xml' }, problems);
  expect(problems).toEqual(['LOG_LEVEL must be one of error, warn, log, debug', 'LOG_FORMAT must be json or text']);
});

it("Nest's lines go through it: the context from Nest's last argument, an error's stack as a field", () => {
  const { logger, lines } = capture({ format: 'json' });
  const nest = new NestStructuredLogger(logger);
  nest.log('Mapped {/api/v1/vpcs, GET} route', 'RouterExplorer');
  nest.error('boom', 'Error: boom\n    at x', 'ExceptionsHandler');
  expect(JSON.parse(lines[0].line)).toMatchObject({ level: 'log', context: 'RouterExplorer', message: 'Mapped {/api/v1/vpcs, GET} route' });
  expect(JSON.parse(lines[1].line)).toMatchObject({ level: 'error', context: 'ExceptionsHandler', message: 'boom', stack: 'Error: boom\n    at x' });
});
