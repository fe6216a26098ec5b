# Unit tests of the agent's configuration, logging and back-off (pure parts). Run from the
# repository: python3 -m unittest discover -s agent
import json
import unittest

from route_agent import (
    DEFAULT_PROTO,
    AgentConfig,
    Backoff,
    ConfigError,
    Logger,
    display_url,
    parse_agent_args,
    read_log_settings,
)

BASE = ['--api-url', 'http://10.0.0.2:8080/', '--token-file', '/etc/agent/token']


class ParseAgentArgs(unittest.TestCase):
    def test_reads_flags_in_both_spellings_with_defaults(self):
        self.assertEqual(
            parse_agent_args(BASE + ['--state-file=/var/lib/agent.json'], {}),
            AgentConfig(
                api_url='http://10.0.0.2:8080',
                token_file='/etc/agent/token',
                token=None,
                state_file='/var/lib/agent.json',
                proto=DEFAULT_PROTO,
                wait_seconds=25,
                auth_retry_seconds=30,
                netns=None,
                once=False,
            ),
        )

    def test_falls_back_to_the_environment_and_takes_the_token_only_from_AGENT_TOKEN(self):
        c = parse_agent_args([], {'AGENT_API_URL': 'https://api.example', 'AGENT_TOKEN': ' t0k3n \n', 'AGENT_NETNS': 'vl-vm-a1', 'AGENT_STATE_FILE': '/s.json'})
        self.assertEqual((c.api_url, c.token, c.token_file, c.netns, c.state_file), ('https://api.example', 't0k3n', None, 'vl-vm-a1', '/s.json'))
        c = parse_agent_args(BASE, {'AGENT_TOKEN': 'x'})
        self.assertEqual((c.token_file, c.token), ('/etc/agent/token', None))

    def test_parses_proto_wait_netns_once_and_auth_retry(self):
        c = parse_agent_args(BASE + ['--proto', '250', '--wait', '0', '--netns', 'ns-1', '--once', '--auth-retry', '2'], {})
        self.assertEqual((c.proto, c.wait_seconds, c.netns, c.once, c.auth_retry_seconds), (250, 0, 'ns-1', True, 2))

    def test_refuses_a_token_on_the_command_line_and_bad_values_naming_the_option(self):
        cases = [
            (BASE + ['--token', 'secret'], 'never passed on the command line'),
            (['--token-file', 'f'], '--api-url (or AGENT_API_URL) is required'),
            (['--api-url', 'http://x'], 'no token'),
            (['--api-url', 'ftp://x', '--token-file', 'f'], 'must be http(s), not ftp:'),
            (['--api-url', 'nope', '--token-file', 'f'], 'not a URL'),
            (['--api-url', 'http://x:99999', '--token-file', 'f'], 'not a URL'),
            (BASE + ['--proto', '4'], 'reserved'),
            (BASE + ['--proto', '256'], '--proto must be an integer 0-255'),
            (BASE + ['--wait', '31'], '--wait must be an integer 0-30'),
            (BASE + ['--wait', '-1'], '--wait must be an integer 0-30'),
            (BASE + ['--netns', 'a b'], 'invalid network namespace'),
            (BASE + ['--netns', '-x'], 'invalid network namespace'),
            (BASE + ['--wait'], '--wait needs a value'),
            (BASE + ['--wait', '--once'], '--wait needs a value'),
            (BASE + ['--bogus', '1'], 'unknown option --bogus'),
            (BASE + ['extra'], "unexpected argument 'extra'"),
        ]
        for argv, message in cases:
            with self.subTest(argv=argv):
                with self.assertRaises(ConfigError) as ctx:
                    parse_agent_args(argv, {})
                self.assertIn(message, str(ctx.exception))

    def test_answers_help(self):
        self.assertEqual(parse_agent_args(['--help'], {}), 'help')
        self.assertEqual(parse_agent_args(['-h'], {}), 'help')


class DisplayUrl(unittest.TestCase):
    def test_drops_credentials_from_the_url_it_logs(self):
        self.assertEqual(display_url('http://user:pass@10.0.0.2:8080/'), 'http://10.0.0.2:8080')


class Logging(unittest.TestCase):
    def test_writes_the_api_text_and_json_lines_and_filters_by_level(self):
        lines = []
        now = lambda: 1733459916.123  # 2024-12-06T04:38:36.123Z
        text = Logger('log', 'text', write=lambda line, level: lines.append((level, line)), now=now)
        text.log('applied version v1')
        text.warn('API unreachable')
        self.assertEqual(
            lines,
            [('log', '2024-12-06T04:38:36.123Z LOG   [route-agent] applied version v1'), ('warn', '2024-12-06T04:38:36.123Z WARN  [route-agent] API unreachable')],
        )
        lines.clear()
        quiet = Logger('warn', 'json', write=lambda line, level: lines.append(line), now=now)
        quiet.log('dropped')
        quiet.error('fatal: ü')
        self.assertEqual(len(lines), 1)
        self.assertEqual(json.loads(lines[0]), {'time': '2024-12-06T04:38:36.123Z', 'level': 'error', 'context': 'route-agent', 'message': 'fatal: ü'})

    def test_reads_LOG_LEVEL_and_LOG_FORMAT_and_names_bad_values(self):
        problems = []
        self.assertEqual(read_log_settings({'LOG_LEVEL': 'debug', 'LOG_FORMAT': 'json'}, problems), ('debug', 'json'))
        self.assertEqual(problems, [])
        self.assertEqual(read_log_settings({'LOG_LEVEL': 'loud', 'LOG_FORMAT': 'xml'}, problems), ('log', 'text'))
        self.assertEqual(problems, ['LOG_LEVEL must be one of error, warn, log, debug', 'LOG_FORMAT must be json or text'])


class BackoffTest(unittest.TestCase):
    def test_doubles_from_1_s_to_a_30_s_cap_without_jitter(self):
        b = Backoff(jitter=0)
        self.assertEqual([b.next() for _ in range(8)], [1, 2, 4, 8, 16, 30, 30, 30])
        self.assertEqual(b.failures, 8)

    def test_resets_to_the_first_delay(self):
        b = Backoff(jitter=0)
        b.next()
        b.next()
        b.reset()
        self.assertEqual(b.failures, 0)
        self.assertEqual(b.next(), 1)

    def test_spreads_delays_by_the_jitter_and_never_exceeds_the_cap(self):
        self.assertEqual(Backoff(rand=lambda: 0).next(), 0.8)
        high = Backoff(rand=lambda: 0.999999)
        self.assertAlmostEqual(high.next(), 1.2, places=3)
        for _ in range(10):
            high.next()
        self.assertEqual(high.next(), 30)
        real = Backoff()
        for _ in range(50):
            d = real.next()
            self.assertTrue(0.8 <= d <= 30, d)


if __name__ == '__main__':
    unittest.main()
