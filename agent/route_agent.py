#!/usr/bin/python3
# The route agent: runs on every instance (and on each VPC router), long-polls its desired routes
# from the console API and makes the kernel's routes that carry its routing protocol number (201
# by default) exactly those. One file, Python 3 standard library only (python3 is on every Linux
# cloud image; nothing to install with pip or npm), one rtnetlink socket for the kernel (no `ip`
# process per change). See README.md beside it; `python3 route_agent.py --help`.
#
# Sections: configuration, logging, pure route logic, netlink (encoding/decoding, then the socket),
# the API client, back-off, state file, the agent loop, main.
import errno
import json
import os
import random
import signal
import socket
import struct
import sys
import time
from urllib.parse import quote, urlsplit, urlunsplit

AGENT_VERSION = '0.3.0'  # sent as X-Agent-Version and in reports; bump with the agent's behaviour

# --- configuration --------------------------------------------------------------------------

DEFAULT_PROTO = 201  # our routing protocol number; no name in /etc/iproute2/rt_protos ("vpc-route-agent")
DEFAULT_WAIT_SECONDS = 25
MAX_WAIT_SECONDS = 30  # the API holds a long poll at most this long
DEFAULT_AUTH_RETRY_SECONDS = 30
# 0-4 are unspec, redirect, kernel, boot, static: routes the agent must never claim.
RESERVED_PROTOS = frozenset([0, 1, 2, 3, 4])
NETNS_DIR = '/var/run/netns'  # where `ip netns add` names namespaces
VALUE_FLAGS = ('api-url', 'token-file', 'state-file', 'proto', 'wait', 'netns', 'auth-retry')

AGENT_USAGE = """usage: python3 route_agent.py --api-url URL (--token-file FILE | env AGENT_TOKEN) [options]

  --api-url URL        the console API (env AGENT_API_URL), e.g. http://10.0.0.2:8080
  --token-file FILE    file holding the agent token (env AGENT_TOKEN_FILE); re-read on every request
  --state-file FILE    last applied version and routes, JSON (env AGENT_STATE_FILE)
  --proto N            routing protocol number marking the agent's routes (default %d)
  --wait S             long-poll wait, 0-%d s (default %d)
  --auth-retry S       retry interval after 401 (default %d)
  --netns NAME         act on network namespace NAME (env AGENT_NETNS; entered for the netlink
                       socket only); default: our own
  --once               fetch and apply once, then exit (status 0 when applied)
""" % (DEFAULT_PROTO, MAX_WAIT_SECONDS, DEFAULT_WAIT_SECONDS, DEFAULT_AUTH_RETRY_SECONDS)


class ConfigError(Exception):
    pass


class AgentConfig:
    def __init__(self, api_url, token_file, token, state_file, proto, wait_seconds, auth_retry_seconds, netns, once):
        self.api_url = api_url
        self.token_file = token_file
        self.token = token  # from AGENT_TOKEN only (never argv, so `ps` does not show it)
        self.state_file = state_file
        self.proto = proto
        self.wait_seconds = wait_seconds
        self.auth_retry_seconds = auth_retry_seconds
        self.netns = netns  # None: the agent's own namespace (a real VM); set: that namespace (the lab)
        self.once = once

    def __eq__(self, other):
        return isinstance(other, AgentConfig) and vars(self) == vars(other)

    def __repr__(self):
        return 'AgentConfig(%r)' % vars(self)


def _is_netns_name(name):
    if not 1 <= len(name) <= 63 or not name[0].isascii() or not name[0].isalnum():
        return False
    return all(c.isascii() and (c.isalnum() or c in '_.-') for c in name)


def _integer(name, raw, fallback, lo, hi):
    if raw is None:
        return fallback
    if not (raw.isascii() and raw.isdigit()) or not lo <= int(raw) <= hi:
        raise ConfigError("--%s must be an integer %d-%d, not '%s'" % (name, lo, hi, raw))
    return int(raw)


def parse_agent_args(argv, env):
    """The configuration from flags and environment (pure): an AgentConfig, or 'help'."""
    values = {}
    once = False
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg in ('--help', '-h'):
            return 'help'
        if arg == '--once':
            once = True
            continue
        if not arg.startswith('--'):
            raise ConfigError("unexpected argument '%s'" % arg)
        name, eq, inline = arg[2:].partition('=')
        if name == 'token':
            raise ConfigError('the token is never passed on the command line (ps shows it): use --token-file or AGENT_TOKEN')
        if name not in VALUE_FLAGS:
            raise ConfigError('unknown option --%s' % name)
        if eq:
            value = inline
        else:
            value = argv[i] if i < len(argv) else None
            i += 1
        if value is None or value == '' or (not eq and value.startswith('--')):
            raise ConfigError('--%s needs a value' % name)
        values[name] = value
    api_url = values.get('api-url') or env.get('AGENT_API_URL')
    if not api_url:
        raise ConfigError('--api-url (or AGENT_API_URL) is required')
    try:
        url = urlsplit(api_url)
        url.port  # raises on a bad port
    except ValueError:
        raise ConfigError("--api-url '%s' is not a URL" % api_url)
    if not url.scheme:
        raise ConfigError("--api-url '%s' is not a URL" % api_url)
    if url.scheme not in ('http', 'https'):
        raise ConfigError('--api-url must be http(s), not %s:' % url.scheme)
    if not url.hostname:
        raise ConfigError("--api-url '%s' is not a URL" % api_url)
    token_file = values.get('token-file') or env.get('AGENT_TOKEN_FILE') or None
    token = None if token_file else (env.get('AGENT_TOKEN') or '').strip() or None
    if not token_file and not token:
        raise ConfigError('no token: pass --token-file (or AGENT_TOKEN_FILE), or set AGENT_TOKEN')
    netns = values.get('netns', env.get('AGENT_NETNS'))
    if netns is not None and not _is_netns_name(netns):
        raise ConfigError("invalid network namespace name '%s'" % netns)
    proto = _integer('proto', values.get('proto'), DEFAULT_PROTO, 0, 255)
    if proto in RESERVED_PROTOS:
        raise ConfigError('--proto %d is reserved (kernel/boot/static...): pick 5-255, default %d' % (proto, DEFAULT_PROTO))
    return AgentConfig(
        api_url=api_url.rstrip('/'),
        token_file=token_file,
        token=token,
        state_file=values.get('state-file') or env.get('AGENT_STATE_FILE') or None,
        proto=proto,
        wait_seconds=_integer('wait', values.get('wait'), DEFAULT_WAIT_SECONDS, 0, MAX_WAIT_SECONDS),
        auth_retry_seconds=_integer('auth-retry', values.get('auth-retry'), DEFAULT_AUTH_RETRY_SECONDS, 1, 3600),
        netns=netns,
        once=once,
    )


def display_url(api_url):
    """The API URL for logs: without any user:password part."""
    try:
        u = urlsplit(api_url)
        netloc = u.netloc.rpartition('@')[2]
        return urlunsplit((u.scheme, netloc, u.path, u.query, u.fragment)).rstrip('/')
    except ValueError:
        return '<invalid url>'


# --- logging --------------------------------------------------------------------------------
# As the API and the worker log (src/common/structured-log.ts): LOG_LEVEL error|warn|log|debug,
# LOG_FORMAT text (`<ISO time> LEVEL [context] message`) or json (one object a line).

LOG_LEVELS = ('error', 'warn', 'log', 'debug')
LOG_FORMATS = ('json', 'text')


def iso_now(now=None):
    t = time.time() if now is None else now
    ms = int(t * 1000) % 1000
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t)) + '.%03dZ' % ms


class Logger:
    def __init__(self, level='log', fmt='text', context='route-agent', write=None, now=None):
        self.rank = LOG_LEVELS.index(level)
        self.fmt = fmt
        self.context = context
        self.write = write or self._write
        self.now = now or time.time

    @staticmethod
    def _write(line, level):
        # Unbuffered, one write per line: the lab and the benches read the log as it grows, and a
        # signal handler may log while the loop is logging (a buffered stream refuses re-entry).
        data = (line + '\n').encode('utf-8', 'replace')
        fd = 2 if level in ('error', 'warn') else 1
        while data:
            data = data[os.write(fd, data):]

    def emit(self, level, message):
        if LOG_LEVELS.index(level) > self.rank:
            return
        at = iso_now(self.now())
        if self.fmt == 'json':
            line = json.dumps({'time': at, 'level': level, 'context': self.context, 'message': message}, ensure_ascii=False, separators=(',', ':'))
        else:
            line = '%s %s [%s] %s' % (at, level.upper().ljust(5), self.context, message)
        self.write(line, level)

    def error(self, message):
        self.emit('error', message)

    def warn(self, message):
        self.emit('warn', message)

    def log(self, message):
        self.emit('log', message)


def read_log_settings(env, problems):
    level = env.get('LOG_LEVEL', 'log')
    if level not in LOG_LEVELS:
        problems.append('LOG_LEVEL must be one of error, warn, log, debug')
        level = 'log'
    fmt = env.get('LOG_FORMAT', 'text')
    if fmt not in LOG_FORMATS:
        problems.append('LOG_FORMAT must be json or text')
        fmt = 'text'
    return level, fmt


# --- pure route logic -----------------------------------------------------------------------
# Routes are (destination, via) with a canonical IPv4 CIDR destination; the kernel's are
# KernelRoute. No I/O here.


class KernelRoute:
    __slots__ = ('destination', 'via', 'metric', 'protocol')

    def __init__(self, destination, via=None, metric=0, protocol=None):
        self.destination = destination  # canonical CIDR ('0.0.0.0/0' for the default route)
        self.via = via  # None: no gateway (on-link, unreachable, multipath)
        self.metric = metric
        self.protocol = protocol  # the rtm_protocol number

    def __eq__(self, other):
        return isinstance(other, KernelRoute) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __repr__(self):
        return 'KernelRoute(%r, %r, %r, %r)' % (self.destination, self.via, self.metric, self.protocol)


class RouteDiff:
    def __init__(self):
        self.replace = []  # desired routes (dicts) to install or point elsewhere
        self.remove = []  # (destination, metric) of ours no longer desired
        # Desired destinations we refuse to install: another protocol's route holds that slot with
        # another next hop, and a replace would overwrite it. (Held with the desired next hop, e.g.
        # added by hand, it already does the job: neither installed nor reported.)
        self.conflicts = []  # (route, protocol)

    def empty(self):
        return not self.replace and not self.remove


def ipv4_to_int(ip):
    if not isinstance(ip, str):
        return None
    parts = ip.split('.')
    if len(parts) != 4:
        return None
    n = 0
    for p in parts:
        if not (1 <= len(p) <= 3 and p.isascii() and p.isdigit()) or (len(p) > 1 and p[0] == '0') or int(p) > 255:
            return None
        n = (n << 8) | int(p)
    return n


def int_to_ipv4(n):
    return '%d.%d.%d.%d' % ((n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255)


def is_ipv4(ip):
    return ipv4_to_int(ip) is not None


def normalize_destination(dst):
    """'172.16.1.7/24' -> '172.16.1.0/24' (the kernel refuses host bits), '10.0.0.5' -> '10.0.0.5/32',
    'default' -> '0.0.0.0/0'; None when it is not an IPv4 destination."""
    if dst == 'default':
        return '0.0.0.0/0'
    if not isinstance(dst, str):
        return None
    parts = dst.split('/')
    if len(parts) > 2:
        return None
    ip = ipv4_to_int(parts[0])
    if ip is None:
        return None
    if len(parts) == 1:
        prefix = 32
    elif 1 <= len(parts[1]) <= 2 and parts[1].isascii() and parts[1].isdigit():
        prefix = int(parts[1])
    else:
        return None
    if prefix > 32:
        return None
    mask = 0 if prefix == 0 else (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
    return '%s/%d' % (int_to_ipv4(ip & mask), prefix)


def _json(value):
    return json.dumps(value, ensure_ascii=False, separators=(',', ':'))


def normalize_desired(routes):
    """Validates and normalises what the API sent: (routes, errors). Bad entries are reported, not
    applied; the first entry wins when a destination repeats."""
    by_dst = {}
    errors = []
    for r in routes:
        r = r if isinstance(r, dict) else {}
        destination = normalize_destination(str(r.get('destination')))
        via = str(r.get('via'))
        if not destination or not is_ipv4(via):
            errors.append('invalid route %s (IPv4 destination and via expected)' % _json(r))
            continue
        if destination in by_dst:
            errors.append('duplicate destination %s: kept via %s, ignored via %s' % (destination, by_dst[destination]['via'], via))
            continue
        by_dst[destination] = {'destination': destination, 'via': via}
    return list(by_dst.values()), errors


def diff_routes(desired, owned, foreign=()):
    """owned: routes carrying our protocol; foreign: every other route of the table. Only owned routes
    are ever replaced or deleted; a desired destination whose metric-0 slot another protocol holds is
    left to it (a conflict unless it already points at the desired next hop)."""
    diff = RouteDiff()
    taken = {}
    for r in foreign:
        if r.metric == 0:
            taken.setdefault(r.destination, r)
    wanted = set(r['destination'] for r in desired)
    mine = {}
    for o in owned:
        if o.metric == 0:
            mine.setdefault(o.destination, o)
    for r in desired:
        held = taken.get(r['destination'])
        if held is not None:
            if held.via != r['via']:
                diff.conflicts.append((r, 'unknown' if held.protocol is None else str(held.protocol)))
            continue
        o = mine.get(r['destination'])
        if o is None or o.via != r['via']:
            diff.replace.append(r)
    for o in owned:
        # We only ever install metric 0: any other metric of ours is a leftover.
        keep = o.metric == 0 and o.destination in wanted and o.destination not in taken
        if not keep:
            diff.remove.append((o.destination, o.metric))
    return diff


def sort_routes(routes):
    """The same routes in a stable order (state file, logs, comparisons)."""
    return sorted(routes, key=lambda r: r['destination'])


# --- netlink: messages ----------------------------------------------------------------------
# rtnetlink (linux/netlink.h, linux/rtnetlink.h). Pure encoding and decoding, tested alone.

NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE = 24, 25, 26
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP_INTR = 0x1, 0x2, 0x4, 0x10
NLM_F_DUMP = 0x300
NLM_F_REPLACE, NLM_F_CREATE = 0x100, 0x400
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200  # flags of an error/ack message
NLMSGERR_ATTR_MSG = 1
SOL_NETLINK = 270
NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK = 10, 11, 12
RTA_DST, RTA_GATEWAY, RTA_PRIORITY, RTA_TABLE = 1, 5, 6, 15
RT_TABLE_MAIN = 254
RT_SCOPE_UNIVERSE, RT_SCOPE_NOWHERE = 0, 255
RTN_UNICAST = 1

_NLMSGHDR = struct.Struct('=IHHII')  # length, type, flags, seq, port id
_RTMSG = struct.Struct('=BBBBBBBBI')  # family, dst_len, src_len, tos, table, protocol, scope, type, flags
_RTATTR = struct.Struct('=HH')  # length, type


def _align(n):
    return (n + 3) & ~3


def rtattr(kind, data):
    length = _RTATTR.size + len(data)
    return _RTATTR.pack(length, kind) + data + b'\0' * (_align(length) - length)


def nlmsg(kind, flags, seq, body):
    return _NLMSGHDR.pack(_NLMSGHDR.size + len(body), kind, flags, seq, 0) + body


def _cidr(destination):
    addr, _, prefix = destination.partition('/')
    return socket.inet_aton(addr), int(prefix)


def encode_replace(seq, proto, destination, via):
    """RTM_NEWROUTE with NLM_F_REPLACE|NLM_F_CREATE: `ip route replace <dst> via <via> proto <proto>`."""
    dst, prefix = _cidr(destination)
    body = _RTMSG.pack(socket.AF_INET, prefix, 0, 0, RT_TABLE_MAIN, proto, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0)
    if prefix:
        body += rtattr(RTA_DST, dst)
    body += rtattr(RTA_GATEWAY, socket.inet_aton(via))
    return nlmsg(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_REPLACE | NLM_F_CREATE, seq, body)


def encode_delete(seq, proto, destination, metric=0):
    """RTM_DELROUTE as `ip route del <dst> proto <proto> [metric <m>]`: the protocol makes the kernel
    match only our route, never another protocol's at the same prefix."""
    dst, prefix = _cidr(destination)
    body = _RTMSG.pack(socket.AF_INET, prefix, 0, 0, RT_TABLE_MAIN, proto, RT_SCOPE_NOWHERE, 0, 0)
    if prefix:
        body += rtattr(RTA_DST, dst)
    if metric:
        body += rtattr(RTA_PRIORITY, struct.pack('=I', metric))
    return nlmsg(RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK, seq, body)


def encode_dump(seq):
    """RTM_GETROUTE dump of the IPv4 main table (with strict checking the kernel filters by table;
    without, decode_route drops the other tables)."""
    body = _RTMSG.pack(socket.AF_INET, 0, 0, 0, RT_TABLE_MAIN, 0, 0, 0, 0)
    return nlmsg(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq, body)


def split_messages(buf):
    """A received buffer -> [(type, flags, seq, payload)]."""
    out = []
    offset = 0
    while offset + _NLMSGHDR.size <= len(buf):
        length, kind, flags, seq, _pid = _NLMSGHDR.unpack_from(buf, offset)
        if length < _NLMSGHDR.size or offset + length > len(buf):
            raise NetlinkError('netlink: truncated message (length %d at offset %d of %d)' % (length, offset, len(buf)))
        out.append((kind, flags, seq, bytes(buf[offset + _NLMSGHDR.size : offset + length])))
        offset += _align(length)
    return out


def split_attrs(data, offset=0):
    attrs = {}
    while offset + _RTATTR.size <= len(data):
        length, kind = _RTATTR.unpack_from(data, offset)
        if length < _RTATTR.size or offset + length > len(data):
            break
        attrs.setdefault(kind & 0x3FFF, data[offset + _RTATTR.size : offset + length])
        offset += _align(length)
    return attrs


def decode_route(payload):
    """An RTM_NEWROUTE payload -> KernelRoute, or None when it is not an IPv4 route of the main table."""
    if len(payload) < _RTMSG.size:
        return None
    family, dst_len, _src_len, _tos, table, protocol, _scope, _type, _flags = _RTMSG.unpack_from(payload)
    if family != socket.AF_INET:
        return None
    attrs = split_attrs(payload, _RTMSG.size)
    if RTA_TABLE in attrs and len(attrs[RTA_TABLE]) >= 4:
        table = struct.unpack_from('=I', attrs[RTA_TABLE])[0]
    if table != RT_TABLE_MAIN or dst_len > 32:
        return None
    dst = attrs.get(RTA_DST, b'\0\0\0\0')
    if len(dst) != 4:
        return None
    destination = normalize_destination('%s/%d' % (socket.inet_ntoa(dst), dst_len))
    gateway = attrs.get(RTA_GATEWAY)
    priority = attrs.get(RTA_PRIORITY)
    return KernelRoute(
        destination,
        via=socket.inet_ntoa(gateway) if gateway is not None and len(gateway) == 4 else None,
        metric=struct.unpack_from('=I', priority)[0] if priority is not None and len(priority) >= 4 else 0,
        protocol=protocol,
    )


def decode_error(flags, payload):
    """An NLMSG_ERROR payload -> (errno, extended ack message or None); errno 0 is an ACK."""
    if len(payload) < 4:
        raise NetlinkError('netlink: short error message')
    code = -struct.unpack_from('=i', payload)[0]
    message = None
    if code and flags & NLM_F_ACK_TLVS:
        offset = 4 + _NLMSGHDR.size  # the error, then the request's header ...
        if not flags & NLM_F_CAPPED and len(payload) >= offset:
            offset = 4 + _NLMSGHDR.unpack_from(payload, 4)[0]  # ... and its payload when not capped
        raw = split_attrs(payload, _align(offset)).get(NLMSGERR_ATTR_MSG)
        if raw:
            message = raw.split(b'\0', 1)[0].decode('utf-8', 'replace') or None
    return code, message


def describe_error(code, message):
    """The words `ip` prints for a refused request (what operators and the console's error codes know)."""
    if message:
        return 'Error: %s%s' % (message, '' if message.endswith('.') else '.')
    return 'RTNETLINK answers: %s' % os.strerror(code)


# --- netlink: the socket --------------------------------------------------------------------


class NetlinkError(Exception):
    pass


_libc_setns = None


def setns(fd):
    """Moves this thread into the network namespace open at fd (os.setns from 3.12, libc before)."""
    global _libc_setns
    if hasattr(os, 'setns'):
        os.setns(fd, os.CLONE_NEWNET)
        return
    if _libc_setns is None:
        import ctypes  # only on Python < 3.12, only with --netns

        libc = ctypes.CDLL(None, use_errno=True)
        _libc_setns = (libc.setns, ctypes.get_errno)
    if _libc_setns[0](fd, 0x40000000) != 0:  # CLONE_NEWNET
        code = _libc_setns[1]()
        raise OSError(code, os.strerror(code))


class NetlinkRouteTable:
    """The kernel's main routing table over one rtnetlink socket. With a namespace the socket is
    opened inside it (setns there and back: the agent's own HTTP stays in its namespace); a socket
    keeps talking to the namespace it was opened in. A change set is one send of all its messages
    (each acknowledged on its own: a refused route does not stop the others), a listing one dump."""

    BATCH = 64  # messages per send: their acks must fit the socket's receive buffer
    TIMEOUT_S = 10.0

    def __init__(self, proto, netns=None):
        self.proto = proto
        self.netns = netns
        self.sock = None
        self.netns_id = None
        self.seq = int(time.time()) & 0x7FFFFFFF
        self.prefix = 'ip -n %s ' % netns if netns else 'ip '

    def _netns_path(self):
        return os.path.join(NETNS_DIR, self.netns)

    def _open(self):
        if self.sock is not None and self.netns:
            # Removed and added again (the lab): talk to the namespace that now has the name.
            try:
                st = os.stat(self._netns_path())
            except OSError as e:
                raise NetlinkError('%s: cannot open network namespace "%s": %s' % (self.prefix.strip(), self.netns, e.strerror))
            if (st.st_dev, st.st_ino) != self.netns_id:
                self.close()
        if self.sock is not None:
            return self.sock
        if self.netns:
            try:
                own = os.open('/proc/self/ns/net', os.O_RDONLY)
            except OSError as e:
                raise NetlinkError('cannot open our own network namespace: %s' % e.strerror)
            try:
                try:
                    target = os.open(self._netns_path(), os.O_RDONLY)
                except OSError as e:
                    raise NetlinkError('%s: cannot open network namespace "%s": %s' % (self.prefix.strip(), self.netns, e.strerror))
                try:
                    st = os.fstat(target)
                    setns(target)
                    try:
                        sock = self._socket()
                    finally:
                        setns(own)
                    self.netns_id = (st.st_dev, st.st_ino)
                except OSError as e:
                    raise NetlinkError('%s: cannot enter network namespace "%s": %s' % (self.prefix.strip(), self.netns, e.strerror or e))
                finally:
                    os.close(target)
            finally:
                os.close(own)
        else:
            sock = self._socket()
        self.sock = sock
        return sock

    def _socket(self):
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        try:
            sock.bind((0, 0))
            for option in (NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK):
                try:
                    sock.setsockopt(SOL_NETLINK, option, 1)
                except OSError:
                    pass  # older kernels: plain errors, unfiltered dumps
            sock.settimeout(self.TIMEOUT_S)
        except BaseException:
            sock.close()
            raise
        return sock

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _next_seq(self):
        self.seq = self.seq + 1 if self.seq < 0x7FFFFFFF else 1
        return self.seq

    def _recv(self, sock):
        try:
            return sock.recv(65536)
        except socket.timeout:
            self.close()
            raise NetlinkError('netlink: no answer from the kernel within %d s' % self.TIMEOUT_S)
        except OSError as e:
            self.close()  # ENOBUFS: answers were lost; start again on a fresh socket
            raise NetlinkError('netlink: %s' % (e.strerror or e))

    def list(self):
        """(owned, foreign): the main table's IPv4 routes with our protocol, and all the others."""
        for _attempt in range(3):
            routes = self._dump()
            if routes is not None:
                return [r for r in routes if r.protocol == self.proto], [r for r in routes if r.protocol != self.proto]
        raise NetlinkError('netlink: the route dump was interrupted by changes three times')

    def _dump(self):
        sock = self._open()
        seq = self._next_seq()
        try:
            sock.send(encode_dump(seq))
        except OSError as e:
            self.close()
            raise NetlinkError('netlink: %s' % (e.strerror or e))
        routes = []
        interrupted = False
        while True:
            for kind, flags, got, payload in split_messages(self._recv(sock)):
                if got != seq:
                    continue  # a late answer to an earlier request
                if flags & NLM_F_DUMP_INTR:
                    interrupted = True
                if kind == NLMSG_DONE:
                    code = -struct.unpack_from('=i', payload)[0] if len(payload) >= 4 else 0
                    if code:
                        raise NetlinkError('%sroute show: %s' % (self.prefix, describe_error(code, None)))
                    return None if interrupted else routes
                if kind == NLMSG_ERROR:
                    code, message = decode_error(flags, payload)
                    raise NetlinkError('%sroute show: %s' % (self.prefix, describe_error(code, message)))
                if kind == RTM_NEWROUTE:
                    r = decode_route(payload)
                    if r is not None:
                        routes.append(r)

    def command(self, change):
        """The `ip` command that does what the change does: what a failure is reported as."""
        op, route = change
        if op == 'replace':
            return '%sroute replace %s via %s proto %d' % (self.prefix, route['destination'], route['via'], self.proto)
        destination, metric = route
        return '%sroute del %s proto %d%s' % (self.prefix, destination, self.proto, ' metric %d' % metric if metric else '')

    def apply(self, changes):
        """Applies the changes in order, each independently of the others' failures; per change,
        None when it took effect or what failed."""
        results = [None] * len(changes)
        for start in range(0, len(changes), self.BATCH):
            self._apply_batch(changes, start, min(len(changes), start + self.BATCH), results)
        return results

    def _apply_batch(self, changes, start, end, results):
        sock = self._open()
        pending = {}
        messages = []
        for i in range(start, end):
            op, route = changes[i]
            seq = self._next_seq()
            pending[seq] = i
            if op == 'replace':
                messages.append(encode_replace(seq, self.proto, route['destination'], route['via']))
            else:
                messages.append(encode_delete(seq, self.proto, route[0], route[1]))
        try:
            sock.send(b''.join(messages))
        except OSError as e:
            self.close()
            raise NetlinkError('netlink: %s' % (e.strerror or e))
        while pending:
            for kind, flags, seq, payload in split_messages(self._recv(sock)):
                if kind != NLMSG_ERROR or seq not in pending:
                    continue
                i = pending.pop(seq)
                code, message = decode_error(flags, payload)
                if code:
                    results[i] = '%s: %s' % (self.command(changes[i]), describe_error(code, message))


# --- the API client -------------------------------------------------------------------------


class ApiError(Exception):
    """The API could not be reached or answered something unusable: back off and retry."""

    def __init__(self, message, status=None):
        Exception.__init__(self, message)
        self.status = status


class AuthError(Exception):
    """401/403: the token is unknown or revoked. Keep the routes, retry slowly."""

    def __init__(self, status, detail):
        Exception.__init__(self, 'HTTP %d%s' % (status, ': ' + detail if detail else ''))
        self.status = status


def parse_desired_state(body):
    if not isinstance(body, dict):
        raise ApiError('routes answer is not a JSON object')
    version = body.get('version')
    if not isinstance(version, str) or not version:
        raise ApiError('routes answer has no version')
    if not isinstance(body.get('routes'), list):
        raise ApiError('routes answer has no routes array')
    routes = []
    for r in body['routes']:
        if not isinstance(r, dict) or not isinstance(r.get('destination'), str) or not isinstance(r.get('via'), str):
            raise ApiError('routes answer has a malformed route: %s' % _json(r))
        routes.append({'destination': r['destination'], 'via': r['via']})
    after = body.get('pollAfterSeconds')
    after = after if isinstance(after, (int, float)) and not isinstance(after, bool) and after == after and abs(after) != float('inf') else 0
    return {'version': version, 'routes': routes, 'pollAfterSeconds': min(max(after, 0), 3600)}


def detail_of(text):
    """The server's error message, without echoing anything large."""
    try:
        j = json.loads(text)
        if isinstance(j, dict):
            return ': '.join(x for x in (j.get('code'), j.get('message')) if isinstance(x, str))[:200]
    except ValueError:
        pass
    return text.strip()[:200]


MAX_BODY_BYTES = 16 * 1024 * 1024


def import_http_client(tls):
    """http.client, without loading ssl (libssl and libcrypto: ~4 MiB of the agent's 18 MiB RSS) when
    the API is plain http: http.client imports ssl only if it can (`try: import ssl`), and a None
    in sys.modules makes that import fail. The entry is removed again at once."""
    if 'http.client' in sys.modules or tls or 'ssl' in sys.modules:
        import http.client

        return http.client
    sys.modules['ssl'] = None
    try:
        import http.client
    finally:
        del sys.modules['ssl']
    return http.client


class HttpTransport:
    """One kept-alive HTTP(S) connection (every long poll of the agent uses it); http.client is
    imported on first use. A request that fails on a reused connection before any answer is sent
    again once on a new one (the server may have closed it while idle)."""

    def __init__(self, api_url):
        self.url = urlsplit(api_url)
        self.conn = None

    def _connection(self, timeout):
        if self.conn is None:
            http_client = import_http_client(self.url.scheme == 'https')
            port = self.url.port
            if self.url.scheme == 'https':
                self.conn = http_client.HTTPSConnection(self.url.hostname, port, timeout=timeout)
            else:
                self.conn = http_client.HTTPConnection(self.url.hostname, port, timeout=timeout)
            self.reused = False
        else:
            self.reused = True
            self.conn.timeout = timeout
            if self.conn.sock is not None:
                self.conn.sock.settimeout(timeout)
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, headers, body, timeout, sent=None):
        """-> (status, text). Raises OSError/http.client errors, socket.timeout. `sent` is called
        once, as soon as the request is on its way (work that can overlap the server's)."""
        http_client = import_http_client(self.url.scheme == 'https')
        full = self.url.path.rstrip('/') + path
        for attempt in (0, 1):
            conn = self._connection(timeout)
            try:
                conn.request(method, full, body=body, headers=headers)
                if sent is not None:
                    sent, then = None, sent
                    then()
                res = conn.getresponse()
                data = res.read(MAX_BODY_BYTES + 1)
                if len(data) > MAX_BODY_BYTES:
                    raise ApiError('answer larger than %d bytes' % MAX_BODY_BYTES)
                if res.will_close:
                    self.close()
                return res.status, data.decode('utf-8', 'replace')
            except (http_client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
                reused = self.reused
                self.close()
                if attempt or not reused:
                    raise
            except BaseException:
                self.close()
                raise


class AgentApiClient:
    """The agent's side of the API contract: long-poll the desired routes, report what was applied.
    The token comes from a callback so a rotated token file is picked up."""

    def __init__(self, api_url, token, agent_version, transport=None, grace_s=15.0):
        self.api_url = api_url
        self.token = token
        self.agent_version = agent_version
        self.transport = transport or HttpTransport(api_url)
        self.grace_s = grace_s

    def fetch_routes(self, version, wait_seconds, report=None, sent=None):
        """The desired routes; with `report` ({appliedVersion, error}), the outcome of the last apply
        rides on this request (one request per change instead of a report and a poll). `sent`: see
        HttpTransport.request."""
        params = []
        if version is not None:
            params += [('version', version), ('wait', str(wait_seconds))]
        if report is not None:
            params.append(('appliedVersion', report['appliedVersion']))
            if report.get('error') is not None:
                params.append(('error', report['error']))
        query = '&'.join('%s=%s' % (k, quote(v, safe='')) for k, v in params)
        timeout = (wait_seconds if version is not None else 0) + self.grace_s
        text = self._request('GET', '/api/v1/agent/routes' + ('?' + query if query else ''), timeout, sent)
        try:
            body = json.loads(text)
        except ValueError:
            raise ApiError('routes answer is not JSON')
        return parse_desired_state(body)

    def _request(self, method, path, timeout, sent=None):
        where = '%s %s' % (method, path.split('?')[0])
        try:
            headers = {'Authorization': 'Bearer %s' % self.token(), 'X-Agent-Version': self.agent_version}
            status, text = self.transport.request(method, path, headers, None, timeout, sent)
        except ApiError as e:
            raise ApiError('%s: %s' % (where, e))
        except socket.timeout:
            raise ApiError('%s: no answer within %d s' % (where, round(timeout)))
        except OSError as e:
            raise ApiError('%s: %s' % (where, errno.errorcode.get(e.errno, e.strerror or str(e)) if e.errno else (e.strerror or str(e) or type(e).__name__)))
        except Exception as e:  # http.client's protocol errors
            raise ApiError('%s: %s' % (where, str(e) or type(e).__name__))
        if status in (401, 403):
            raise AuthError(status, detail_of(text))
        if status != 200:
            raise ApiError(('%s: HTTP %d %s' % (where, status, detail_of(text))).strip(), status)
        return text


# --- back-off -------------------------------------------------------------------------------


class Backoff:
    """Reconnect delays: exponential (1 s doubling to 30 s) with jitter, so that many agents cut off
    by one API outage do not all come back in the same second. In seconds."""

    def __init__(self, initial=1.0, maximum=30.0, jitter=0.2, rand=random.random):
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
        self.rand = rand
        self.failures = 0

    def next(self):
        """The delay before the next try; each call doubles the base until the cap."""
        base = min(self.maximum, self.initial * 2 ** min(self.failures, 30))
        self.failures += 1
        factor = 1 - self.jitter + 2 * self.jitter * self.rand()
        return round(min(self.maximum, base * factor), 3)

    def reset(self):
        self.failures = 0


# --- state file -----------------------------------------------------------------------------
# The last fully applied version and its routes, so a restarted agent can report what it had and
# put the routes back when the API cannot be reached (the data path must not need the API).


def load_state_file(path):
    try:
        with open(path, 'r', encoding='utf-8') as f:
            text = f.read()
    except OSError:
        return None
    try:
        raw = json.loads(text)
    except ValueError as e:
        raise ValueError('%s: %s' % (path, e))
    if not isinstance(raw, dict) or not isinstance(raw.get('version'), str) or not isinstance(raw.get('routes'), list):
        raise ValueError('%s: not an agent state file' % path)
    applied_at = raw.get('appliedAt')
    return {'version': raw['version'], 'routes': normalize_desired(raw['routes'])[0], 'appliedAt': '' if applied_at is None else str(applied_at)}


def save_state_file(path, state):
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    # Write-then-rename: a crash never leaves half a file.
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(json.dumps(state, indent=2, ensure_ascii=False) + '\n')
    os.rename(tmp, path)


# --- the agent loop -------------------------------------------------------------------------

MAX_ERROR_CHARS = 1000  # the API refuses a longer report error


class Stop(BaseException):
    """Raised by a signal handler inside a wait (long poll, sleep) to end it at once."""


class ApplyResult:
    def __init__(self, version, errors):
        self.version = version
        self.ok = False  # every desired route is in place
        self.added = []
        self.changed = []
        self.removed = []
        self.errors = errors


class RouteAgent:
    """Long-polls the desired routes, converges the routes it owns (its own protocol number) to them
    and reports the outcome. It never deletes a route because the API is unreachable or refuses the
    token: the data path must not depend on the control plane. Single-threaded: a signal handler
    calls interrupt(), which ends the current wait (see Stop)."""

    def __init__(self, api, table, agent_version, wait_seconds, auth_retry_s=30.0, state_file=None, log=None, warn=None,
                 backoff=None, min_poll_interval_s=1.0, sleep=None):
        self.api = api
        self.table = table
        self.agent_version = agent_version
        self.wait_seconds = wait_seconds
        self.auth_retry_s = auth_retry_s
        self.state_file = state_file
        self.log = log or (lambda line: None)
        self.warn = warn or self.log
        self.backoff = backoff or Backoff()
        self.min_poll_interval_s = min_poll_interval_s
        self._sleep = sleep or time.sleep
        self.desired_version = None  # the last version the API sent
        self.applied_version = None  # the last version fully applied
        self.last_state = None
        self.last_report = None  # the last report the API acknowledged (its JSON)
        self.pending_report = None  # (report, its JSON): rides on the next request for the routes
        self.unsaved_state = None  # (version, routes) applied, for the state file once that request is sent
        self.reached_api = False
        self.restored = False
        self.converged_once = False
        self.stopped = False
        self.waiting = False  # inside a wait a signal may cut short
        if state_file:
            try:
                self.last_state = load_state_file(state_file)
            except ValueError as e:
                self.warn('state file ignored: %s' % e)
            if self.last_state:
                self.applied_version = self.last_state['version']

    # Waits: a stop (signal) ends them by raising Stop.
    def _wait(self, fn, *args):
        if self.stopped:
            raise Stop()
        self.waiting = True
        try:
            return fn(*args)
        finally:
            self.waiting = False

    def interrupt(self):
        """stop(), and end the wait in progress: for signal handlers (they run between bytecodes)."""
        self.stop()
        if self.waiting:
            self.waiting = False
            raise Stop()

    def stop(self):
        self.stopped = True

    def sleep(self, seconds):
        self._wait(self._sleep, seconds)

    def run_once(self):
        """Fetches the current desired state at once, converges to it and reports the outcome (on a
        request that does not wait). Raises when the API fails."""
        state = self._fetch(None, 0)
        self.reached_api = True
        self.desired_version = state['version']
        result = self.converge(state)
        if self.pending_report:
            self._fetch(state['version'], 0)
        self._save_unsaved_state()
        return result

    def _fetch(self, version, wait_seconds):
        """The desired routes, carrying the pending report: acknowledged once the API answered. The
        state file is written while the API records the report (the API and the console wait on
        the report; the file matters only at the next start), or at the latest when this ends."""
        pending = self.pending_report
        try:
            state = self._wait(self.api.fetch_routes, version, wait_seconds, pending and pending[0], self._save_unsaved_state)
        finally:
            self._save_unsaved_state()
        if pending is not None and self.pending_report is pending:
            self.last_report = pending[1]
            self.pending_report = None
        return state

    def start(self):
        """Runs until stop(). Routes stay in place when it ends."""
        if self.last_state:
            self.log('started: last applied version %s (%d routes)' % (self.last_state['version'], len(self.last_state['routes'])))
        else:
            self.log('started: no previous state')
        try:
            while not self.stopped:
                try:
                    asked = self.desired_version
                    t0 = time.monotonic()
                    state = self._fetch(asked, self.wait_seconds)
                    if self.backoff.failures > 0:
                        self.log('API reachable again after %d failed tries' % self.backoff.failures)
                    self.backoff.reset()
                    self.reached_api = True
                    self.desired_version = state['version']
                    self.converge(state)
                    delay = state['pollAfterSeconds']
                    if state['version'] == asked:
                        delay = max(delay, self.min_poll_interval_s - (time.monotonic() - t0))
                    if delay > 0:
                        self.sleep(delay)
                except Exception as e:
                    if self.stopped:
                        break
                    self._restore_from_state_file()
                    if isinstance(e, AuthError):
                        self.warn('API refused the agent token (%s): token unknown or revoked; keeping routes, retrying in %d s' % (e, round(self.auth_retry_s)))
                        self.sleep(self.auth_retry_s)
                    else:
                        delay = self.backoff.next()
                        self.warn('API unreachable (%s); keeping routes, retry %d in %.1f s' % (e, self.backoff.failures, delay))
                        self.sleep(delay)
        except Stop:
            pass
        self._save_unsaved_state()
        self.log('stopped; routes left in place')

    def converge(self, state):
        """Makes the routes we own exactly the desired ones; reports when something was attempted,
        the version moved or the outcome changed."""
        routes, errors = normalize_desired(state['routes'])
        result = ApplyResult(state['version'], errors)
        attempted = False
        try:
            owned, foreign = self.table.list()
            diff = diff_routes(routes, owned, foreign)
            for route, protocol in diff.conflicts:
                errors.append('%s: a route with protocol %s already holds this destination; not replaced' % (route['destination'], protocol))
            attempted = not diff.empty()
            # Add before removing: a changed set never leaves a gap it does not have to.
            changes = [('replace', r) for r in diff.replace] + [('remove', r) for r in diff.remove]
            outcomes = self.table.apply(changes) if changes else []
            had = set(o.destination for o in owned if o.metric == 0)
            for (op, route), failed in zip(changes, outcomes):
                if failed:
                    errors.append(failed)
                elif op == 'remove':
                    result.removed.append(route[0])
                else:
                    (result.changed if route['destination'] in had else result.added).append('%s via %s' % (route['destination'], route['via']))
        except Exception as e:
            errors.append(str(e))
        result.ok = not errors
        version_moved = state['version'] != self.applied_version
        if result.ok:
            self.applied_version = state['version']
        if attempted or not result.ok or version_moved or not self.converged_once:
            self.log(describe(result, len(routes)))
        self.converged_once = True
        self._queue_report(result, attempted or version_moved)
        if result.ok and (version_moved or attempted):
            self.unsaved_state = (state['version'], routes)
        return result

    def _queue_report(self, result, attempted):
        """The report goes with the next request for the routes (the long poll that follows at once);
        one that failed to go is replaced by the newer outcome, never lost."""
        error = '; '.join(result.errors)[:MAX_ERROR_CHARS] if result.errors else None
        report = {'appliedVersion': self.applied_version or '', 'error': error}
        key = _json(report)
        self.pending_report = None if not attempted and key == self.last_report else (report, key)

    def _restore_from_state_file(self):
        """Before the API was ever reached in this run (e.g. the instance rebooted during an outage),
        put back missing routes of the last applied version. Add-only: nothing is deleted."""
        if self.reached_api or self.restored or not self.last_state or not self.last_state['routes']:
            return
        self.restored = True
        errors = []
        restored = 0
        try:
            owned, foreign = self.table.list()
            changes = [('replace', r) for r in diff_routes(self.last_state['routes'], owned, foreign).replace]
            for failed in self.table.apply(changes) if changes else []:
                if failed:
                    errors.append(failed)
                else:
                    restored += 1
        except Exception as e:
            errors.append(str(e))
        if restored or errors:
            self.log('API not reached yet: restored %d route(s) of version %s from the state file%s'
                     % (restored, self.last_state['version'], '; errors: ' + '; '.join(errors) if errors else ''))

    def _save_unsaved_state(self):
        if self.unsaved_state is not None:
            self._save_state(*self.unsaved_state)
            self.unsaved_state = None

    def _save_state(self, version, routes):
        if not self.state_file:
            return
        self.last_state = {'version': version, 'routes': sort_routes(routes), 'appliedAt': iso_now()}
        try:
            save_state_file(self.state_file, self.last_state)
        except OSError as e:
            self.warn('cannot write the state file: %s' % e)


def describe(r, total):
    items = ['+' + x for x in r.added] + ['~' + x for x in r.changed] + ['-' + x for x in r.removed]
    shown = items[:20] + ['... %d more' % (len(items) - 20)] if len(items) > 20 else items
    if r.ok:
        return 'applied version %s (%d routes): %s' % (r.version, total, ', '.join(shown) or 'routes already in place')
    what = 'done: ' + ', '.join(shown) if shown else 'nothing changed'
    return 'version %s not fully applied (%s): %s' % (r.version, what, '; '.join(r.errors)[:MAX_ERROR_CHARS])


# --- main -----------------------------------------------------------------------------------


def token_source(config):
    """Re-read on every request, so writing a rotated token into the file needs no restart."""
    if not config.token_file:
        return lambda: config.token

    def read():
        with open(config.token_file, 'r', encoding='utf-8') as f:
            return f.read().strip()

    return read


def check_token_file(path, logger):
    try:
        with open(path, 'r', encoding='utf-8') as f:
            token = f.read().strip()  # fails early on a missing/unreadable file
    except OSError as e:
        raise ConfigError('cannot read the token file %s: %s' % (path, e.strerror or e))
    if not token:
        raise ConfigError('token file %s is empty' % path)
    if os.stat(path).st_mode & 0o077:
        logger.warn('token file %s is readable by others (chmod 600 it)' % path)


NETNS_WATCH_S = 5.0


def main(argv=None, env=None):
    argv = sys.argv[1:] if argv is None else argv
    env = os.environ if env is None else env
    problems = []
    level, fmt = read_log_settings(env, problems)
    # A bad LOG_LEVEL/LOG_FORMAT falls back to the defaults with a warning: an agent on an
    # instance should run rather than stop over its log style.
    logger = Logger(level, fmt)
    for p in problems:
        logger.warn('%s: using the default' % p)
    try:
        config = parse_agent_args(argv, env)
        if config != 'help' and config.token_file:
            check_token_file(config.token_file, logger)
    except ConfigError as e:
        sys.stderr.write('route-agent: %s\n\n%s' % (e, AGENT_USAGE))
        return 2
    if config == 'help':
        sys.stdout.write(AGENT_USAGE)
        return 0
    table = NetlinkRouteTable(config.proto, config.netns)
    agent = RouteAgent(
        api=AgentApiClient(config.api_url, token_source(config), AGENT_VERSION),
        table=table,
        agent_version=AGENT_VERSION,
        wait_seconds=config.wait_seconds,
        auth_retry_s=config.auth_retry_seconds,
        state_file=config.state_file,
        log=logger.log,
        warn=logger.warn,
    )
    logger.log('route agent %s: api %s, proto %d, namespace %s, wait %d s, state %s, pid %d' % (
        AGENT_VERSION, display_url(config.api_url), config.proto, config.netns or '(own)', config.wait_seconds,
        config.state_file or '(none)', os.getpid()))
    try:
        if config.once:
            return 0 if agent.run_once().ok else 1

        def on_signal(signum, _frame):
            logger.log('%s: stopping' % signal.Signals(signum).name)
            agent.interrupt()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        if config.netns:
            # Beside a namespace (the lab), the agent lives as long as it: a namespace removed
            # without stopping the agent (a killed test run) must not leave it polling forever.
            path = os.path.join(NETNS_DIR, config.netns)

            def watch(_signum, _frame):
                if not os.path.exists(path):
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    logger.log('namespace %s is gone: stopping' % config.netns)
                    agent.interrupt()

            signal.signal(signal.SIGALRM, watch)
            signal.setitimer(signal.ITIMER_REAL, NETNS_WATCH_S, NETNS_WATCH_S)
        agent.start()
        return 0
    except Stop:
        return 0
    except Exception as e:
        logger.error('fatal: %s' % e)
        return 1
    finally:
        table.close()


if __name__ == '__main__':
    sys.exit(main())
