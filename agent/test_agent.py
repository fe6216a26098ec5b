# Unit tests of the agent loop (against an in-memory table and API), the state file, and the API
# client against a real HTTP server on 127.0.0.1.
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import unittest
from urllib.parse import parse_qs, urlsplit

from route_agent import (
    AgentApiClient,
    ApiError,
    AuthError,
    Backoff,
    KernelRoute,
    RouteAgent,
    Stop,
    load_state_file,
    parse_desired_state,
    save_state_file,
)


def r(destination, via='10.1.1.254'):
    return {'destination': destination, 'via': via}


class FakeTable:
    """An in-memory routing table: `owned` are ours, foreign routes are listed apart."""

    def __init__(self):
        self.owned = {}
        self.foreign = []
        self.fail_via = set()
        self.calls = []
        self.batches = 0

    def list(self):
        return [KernelRoute(d, v, 0, 201) for d, v in self.owned.items()], list(self.foreign)

    def apply(self, changes):
        self.batches += 1
        out = []
        for op, route in changes:
            if op == 'replace':
                self.calls.append('replace ' + route['destination'])
                if route['via'] in self.fail_via:
                    out.append('ip route replace %s: Error: Nexthop has invalid gateway.' % route['destination'])
                    continue
                self.owned[route['destination']] = route['via']
            else:
                self.calls.append('del ' + route[0])
                self.owned.pop(route[0], None)
            out.append(None)
        return out


class FakeApi:
    def __init__(self):
        self.state = {'version': 'v1', 'routes': [], 'pollAfterSeconds': 0}
        self.reports = []
        self.fail = None
        self.asked = []

    def fetch_routes(self, version, wait, report=None, sent=None):
        self.asked.append(version)
        if self.fail:
            raise self.fail
        if sent is not None:
            sent()
        if report is not None:
            self.reports.append(report)
        return dict(self.state)


class Harness:
    def __init__(self, state_file=None):
        self.table = FakeTable()
        self.api = FakeApi()
        self.lines = []
        self.steps = []  # called on every sleep: the test's script of what happens next
        self.agent = RouteAgent(
            api=self.api,
            table=self.table,
            agent_version='1.0.0',
            wait_seconds=0,
            state_file=state_file,
            log=self.lines.append,
            backoff=Backoff(initial=0.001, maximum=0.002),
            auth_retry_s=0.001,
            min_poll_interval_s=1,  # an unchanged answer sleeps: the script goes on
            sleep=self.sleep,
        )

    def sleep(self, _seconds):
        if self.steps:
            self.steps.pop(0)()
        else:
            self.agent.stop()


class Converge(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='agent-test-')
        self.addCleanup(shutil.rmtree, self.dir)

    def test_applies_the_diff_leaves_foreign_routes_reports_and_saves_the_state(self):
        state_file = os.path.join(self.dir, 'sub', 's1.json')
        h = Harness(state_file)
        h.table.owned['172.16.9.0/24'] = '10.1.1.254'
        h.table.foreign = [KernelRoute('192.0.2.0/24', '10.1.1.1', 0, 4)]
        h.api.state = {'version': 'v1', 'routes': [r('172.16.2.0/24'), r('172.16.1.0/24')], 'pollAfterSeconds': 0}
        res = h.agent.run_once()
        self.assertTrue(res.ok)
        self.assertEqual(res.added, ['172.16.2.0/24 via 10.1.1.254', '172.16.1.0/24 via 10.1.1.254'])
        self.assertEqual(res.removed, ['172.16.9.0/24'])
        self.assertEqual(sorted(h.table.owned), ['172.16.1.0/24', '172.16.2.0/24'])
        self.assertEqual(h.api.reports, [{'appliedVersion': 'v1', 'error': None}])
        with open(state_file) as f:
            saved = json.load(f)
        self.assertEqual((saved['version'], saved['routes']), ('v1', [r('172.16.1.0/24'), r('172.16.2.0/24')]))
        self.assertRegex(saved['appliedAt'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
        # Two additions and a removal in one batch, additions first (no gap on a changed set).
        self.assertEqual(h.table.batches, 1)
        self.assertEqual(h.table.calls, ['replace 172.16.2.0/24', 'replace 172.16.1.0/24', 'del 172.16.9.0/24'])
        self.assertEqual(h.lines[-1], 'applied version v1 (2 routes): +172.16.2.0/24 via 10.1.1.254, +172.16.1.0/24 via 10.1.1.254, -172.16.9.0/24')
        # Unchanged: no kernel change, no second report.
        h.table.calls = []
        h.agent.run_once()
        self.assertEqual((h.table.calls, h.table.batches, len(h.api.reports)), ([], 1, 1))
        # A changed next hop is a change, not an addition.
        h.api.state = {'version': 'v2', 'routes': [r('172.16.2.0/24', '10.1.1.253'), r('172.16.1.0/24')], 'pollAfterSeconds': 0}
        self.assertEqual(h.agent.run_once().changed, ['172.16.2.0/24 via 10.1.1.253'])

    def test_reports_the_previous_version_and_what_failed_and_refuses_a_foreign_destination(self):
        h = Harness()
        h.api.state = {'version': 'v1', 'routes': [r('172.16.1.0/24')], 'pollAfterSeconds': 0}
        h.agent.run_once()
        h.table.fail_via.add('10.9.9.9')
        h.table.foreign = [KernelRoute('172.16.3.0/24', '10.1.1.1', 0, 4)]
        h.api.state = {'version': 'v2', 'routes': [r('172.16.1.0/24'), r('172.16.2.0/24', '10.9.9.9'), r('172.16.3.0/24')], 'pollAfterSeconds': 0}
        res = h.agent.run_once()
        self.assertFalse(res.ok)
        self.assertNotIn('replace 172.16.3.0/24', h.table.calls)
        last = h.api.reports[-1]
        self.assertEqual(last['appliedVersion'], 'v1')
        self.assertIn('Nexthop has invalid gateway', last['error'])
        self.assertIn('172.16.3.0/24: a route with protocol 4 already holds this destination; not replaced', last['error'])
        self.assertRegex(h.lines[-1], r'^version v2 not fully applied \(nothing changed\): ')

    def test_a_kernel_failure_is_reported_not_raised(self):
        h = Harness()

        def broken():
            raise OSError('netlink: no answer from the kernel within 10 s')

        h.table.list = broken
        h.api.state = {'version': 'v3', 'routes': [r('172.16.1.0/24')], 'pollAfterSeconds': 0}
        self.assertFalse(h.agent.run_once().ok)
        self.assertEqual(h.api.reports[-1], {'appliedVersion': '', 'error': 'netlink: no answer from the kernel within 10 s'})


class Start(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='agent-test-')
        self.addCleanup(shutil.rmtree, self.dir)

    def test_keeps_routes_on_network_errors_and_401_then_converges_once_the_api_answers(self):
        h = Harness()
        h.table.owned['172.16.1.0/24'] = '10.1.1.254'
        h.api.fail = ApiError('GET /api/v1/agent/routes: ECONNREFUSED')

        def refuse():
            h.api.fail = AuthError(401, 'unauthorized: revoked')

        def answer():
            self.assertEqual(list(h.table.owned), ['172.16.1.0/24'])
            h.api.fail = None
            h.api.state = {'version': 'v5', 'routes': [r('172.16.5.0/24')], 'pollAfterSeconds': 0}

        h.steps = [lambda: None, refuse, answer]
        h.agent.start()
        self.assertEqual(h.table.owned, {'172.16.5.0/24': '10.1.1.254'})
        text = '\n'.join(h.lines)
        self.assertIn('API unreachable (GET /api/v1/agent/routes: ECONNREFUSED); keeping routes, retry 1 in 0.0 s', text)
        self.assertIn('API refused the agent token (HTTP 401: unauthorized: revoked): token unknown or revoked', text)
        self.assertIn('API reachable again after 2 failed tries', text)
        self.assertEqual(h.lines[-1], 'stopped; routes left in place')
        # The long poll asks for the version it has: first none, then v5.
        self.assertEqual(h.api.asked[-2:], [None, 'v5'])

    def test_the_report_rides_on_the_next_long_poll_and_one_that_did_not_go_goes_with_the_next(self):
        state_file = os.path.join(self.dir, 'ride.json')
        h = Harness(state_file)
        h.api.state = {'version': 'v1', 'routes': [r('172.16.1.0/24')], 'pollAfterSeconds': 0}
        polls = []
        fetch = h.api.fetch_routes
        saved = []  # the state file's version before each request went, and once it was sent

        def saved_version():
            return (load_state_file(state_file) or {}).get('version')

        def recording(version, wait, report=None, sent=None):
            polls.append((version, report))
            before = saved_version()
            if report == {'appliedVersion': 'v2', 'error': None} and polls.count((version, report)) == 1:
                raise ApiError('GET /api/v1/agent/routes: ECONNRESET')  # the first poll carrying v2's report

            def then():
                sent()
                saved.append((before, saved_version()))

            return fetch(version, wait, report, then)

        h.api.fetch_routes = recording

        def change():
            h.api.state = {'version': 'v2', 'routes': [r('172.16.2.0/24')], 'pollAfterSeconds': 0}

        # v1 applied -> its report goes with the poll for v1 -> unchanged answer (sleep: change) ->
        # v2 applied -> the poll carrying its report fails (back-off sleep) -> it goes with the next.
        h.steps = [change, lambda: None]
        h.agent.start()
        self.assertEqual(
            polls,
            [
                (None, None),
                ('v1', {'appliedVersion': 'v1', 'error': None}),
                ('v1', None),
                ('v2', {'appliedVersion': 'v2', 'error': None}),
                ('v2', {'appliedVersion': 'v2', 'error': None}),
            ],
        )
        self.assertEqual(h.api.reports, [{'appliedVersion': 'v1', 'error': None}, {'appliedVersion': 'v2', 'error': None}])
        # Written while the request carrying the report was on its way, not before it left; the
        # request that failed wrote it when it ended.
        self.assertEqual(saved[:2], [(None, None), (None, 'v1')])
        self.assertEqual(saved[-1], ('v2', 'v2'))
        self.assertEqual(h.table.owned, {'172.16.2.0/24': '10.1.1.254'})

    def test_restores_the_last_applied_routes_from_the_state_file_while_the_api_is_unreachable_at_start(self):
        state_file = os.path.join(self.dir, 's2.json')
        save_state_file(state_file, {'version': 'v7', 'routes': [r('172.16.7.0/24')], 'appliedAt': ''})
        h = Harness(state_file)
        h.table.owned['172.16.8.0/24'] = '10.1.1.254'  # unknown to the state file: kept, not deleted
        h.api.fail = ApiError('down')
        h.steps = [lambda: None]
        h.agent.start()
        self.assertEqual(h.table.owned, {'172.16.7.0/24': '10.1.1.254', '172.16.8.0/24': '10.1.1.254'})
        self.assertEqual(h.agent.applied_version, 'v7')
        self.assertIn('restored 1 route(s) of version v7 from the state file', '\n'.join(h.lines))
        self.assertEqual(h.lines[0], 'started: last applied version v7 (1 routes)')
        self.assertEqual(h.table.batches, 1)  # once per run, not on every failed try

    def test_a_signal_ends_a_wait_at_once(self):
        h = Harness()

        def parked(version, wait, report=None, sent=None):
            h.agent.interrupt()  # as the SIGTERM handler does while the long poll waits
            raise AssertionError('not reached')

        h.api.fetch_routes = parked
        h.agent.start()
        self.assertEqual(h.lines[-1], 'stopped; routes left in place')
        h.agent.waiting = False
        h.agent.interrupt()  # outside a wait it only marks the agent stopped
        with self.assertRaises(Stop):
            h.agent.sleep(1)


class StateFile(unittest.TestCase):
    def test_round_trips_and_refuses_what_is_not_a_state_file(self):
        d = tempfile.mkdtemp(prefix='agent-test-')
        self.addCleanup(shutil.rmtree, d)
        path = os.path.join(d, 'a', 'b.json')
        self.assertIsNone(load_state_file(path))
        save_state_file(path, {'version': 'v1', 'routes': [r('172.16.1.0/24')], 'appliedAt': 'x'})
        self.assertEqual(load_state_file(path), {'version': 'v1', 'routes': [r('172.16.1.0/24')], 'appliedAt': 'x'})
        self.assertEqual(os.listdir(os.path.dirname(path)), ['b.json'])
        with open(path, 'w') as f:
            f.write('{"routes": []}')
        with self.assertRaisesRegex(ValueError, 'not an agent state file'):
            load_state_file(path)


class ParseDesiredState(unittest.TestCase):
    def test_accepts_the_contract_and_clamps_pollAfterSeconds(self):
        self.assertEqual(
            parse_desired_state({'version': 'v1', 'routes': [r('172.16.1.0/24')], 'pollAfterSeconds': -3}),
            {'version': 'v1', 'routes': [r('172.16.1.0/24')], 'pollAfterSeconds': 0},
        )
        self.assertEqual(parse_desired_state({'version': 'v2', 'routes': []})['pollAfterSeconds'], 0)
        self.assertEqual(parse_desired_state({'version': 'v2', 'routes': [], 'pollAfterSeconds': 9999})['pollAfterSeconds'], 3600)

    def test_refuses_malformed_answers(self):
        for body, message in [(None, 'not a JSON object'), ({'routes': []}, 'no version'), ({'version': 'v', 'routes': {}}, 'no routes array'), ({'version': 'v', 'routes': [{'destination': 1}]}, 'malformed route')]:
            with self.assertRaisesRegex(ApiError, message):
                parse_desired_state(body)


class Server(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'  # keep-alive, as the API
    seen = []
    answers = {}

    def handle_one(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length).decode('utf-8') if length else ''
        Server.seen.append({'method': self.command, 'path': self.path, 'auth': self.headers.get('Authorization'), 'version': self.headers.get('X-Agent-Version'), 'body': body, 'peer': self.client_address[1]})
        status, text = Server.answers.get(self.command, (200, '{}'))
        data = text.encode('utf-8')
        self.send_response(status)
        if status != 204:
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if status != 204:
            self.wfile.write(data)

    do_GET = do_POST = handle_one

    def log_message(self, *args):
        pass


class Footprint(unittest.TestCase):
    def test_a_plain_http_api_does_not_load_ssl_and_https_does(self):
        here = os.path.dirname(os.path.abspath(__file__))
        code = (
            'import sys; sys.path.insert(0, %r); import route_agent as a; c = a.import_http_client(%s); '
            'print("ssl" in sys.modules and sys.modules["ssl"] is not None, hasattr(c, "HTTPSConnection"), "ssl" in sys.modules)'
        )
        plain = subprocess.run([sys.executable, '-c', code % (here, 'False')], capture_output=True, text=True, check=True).stdout.split()
        self.assertEqual(plain, ['False', 'False', 'False'])  # and the blocking entry is gone again
        tls = subprocess.run([sys.executable, '-c', code % (here, 'True')], capture_output=True, text=True, check=True).stdout.split()
        self.assertEqual(tls, ['True', 'True', 'True'])


class ApiClientOverHttp(unittest.TestCase):
    def setUp(self):
        Server.seen = []
        Server.answers = {}
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Server)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # a kept-alive connection would hold server_close
        threading.Thread(target=self.server.serve_forever, kwargs={'poll_interval': 0.02}, daemon=True).start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]

    def test_long_polls_with_the_report_riding_on_them_over_one_kept_alive_connection(self):
        Server.answers = {'GET': (200, json.dumps({'version': 'v7', 'routes': [r('172.16.0.0/24', '10.0.0.1')], 'pollAfterSeconds': 2}))}
        tokens = iter(['tok-1', 'tok-2', 'tok-3'])
        c = AgentApiClient(self.url + '/', lambda: next(tokens), '1.2.3')
        self.addCleanup(c.transport.close)
        self.assertEqual(c.fetch_routes('v 6', 1), {'version': 'v7', 'routes': [r('172.16.0.0/24', '10.0.0.1')], 'pollAfterSeconds': 2})
        c.fetch_routes('v7', 25, {'appliedVersion': 'v7', 'error': 'ip: ü&x=1'})
        c.fetch_routes(None, 25, {'appliedVersion': '', 'error': None})
        first, reporting, plain = Server.seen
        self.assertEqual((first['method'], first['path'], first['auth'], first['version']), ('GET', '/api/v1/agent/routes?version=v%206&wait=1', 'Bearer tok-1', '1.2.3'))
        self.assertEqual((reporting['method'], reporting['auth'], reporting['body']), ('GET', 'Bearer tok-2', ''))
        self.assertEqual(reporting['path'], '/api/v1/agent/routes?version=v7&wait=25&appliedVersion=v7&error=ip%3A%20%C3%BC%26x%3D1')
        self.assertEqual(parse_qs(urlsplit(reporting['path']).query), {'version': ['v7'], 'wait': ['25'], 'appliedVersion': ['v7'], 'error': ['ip: ü&x=1']})
        # Nothing applied yet and no error: an empty appliedVersion, no error parameter.
        self.assertEqual((plain['path'], plain['auth']), ('/api/v1/agent/routes?appliedVersion=', 'Bearer tok-3'))  # the token file re-read each time
        self.assertEqual(len({s['peer'] for s in Server.seen}), 1)  # one connection

    def test_tells_a_refused_token_from_other_failures_without_the_token_in_the_message(self):
        Server.answers = {'GET': (401, json.dumps({'code': 'unauthorized', 'message': 'token revoked'}))}
        c = AgentApiClient(self.url, lambda: 'tok-secret', '1')
        self.addCleanup(c.transport.close)
        with self.assertRaisesRegex(AuthError, '^HTTP 401: unauthorized: token revoked$'):
            c.fetch_routes(None, 0)
        Server.answers = {'GET': (503, 'busy')}
        with self.assertRaisesRegex(ApiError, '^GET /api/v1/agent/routes: HTTP 503 busy$'):
            c.fetch_routes(None, 0)
        Server.answers = {'GET': (200, '<html>')}
        with self.assertRaisesRegex(ApiError, 'not JSON'):
            c.fetch_routes(None, 0)

    def test_a_closed_port_is_ECONNREFUSED(self):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        s.close()
        c = AgentApiClient('http://127.0.0.1:%d' % port, lambda: 'tok-secret', '1')
        with self.assertRaises(ApiError) as ctx:
            c.fetch_routes('v1', 1)
        self.assertEqual(str(ctx.exception), 'GET /api/v1/agent/routes: ECONNREFUSED')

    def test_an_unanswered_long_poll_times_out_after_its_wait_and_the_grace(self):
        listener = socket.socket()
        listener.bind(('127.0.0.1', 0))
        listener.listen(1)
        self.addCleanup(listener.close)
        c = AgentApiClient('http://127.0.0.1:%d' % listener.getsockname()[1], lambda: 't', '1', grace_s=0.2)
        with self.assertRaisesRegex(ApiError, '^GET /api/v1/agent/routes: no answer within 0 s$'):
            c.fetch_routes(None, 0)


if __name__ == '__main__':
    unittest.main()
