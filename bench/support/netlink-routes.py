#!/usr/bin/python3
# The bare baseline of bench/routes.ts: one process installs (or deletes) one route in every given
# network namespace through its own netlink socket per namespace (RTM_NEWROUTE / RTM_DELROUTE), no
# `ip` process, no HTTP. Debian's python3 only (ctypes for setns).
# usage: netlink-routes.py add|del DST/LEN VIA PROTO NS...   -> prints {"namespaces", "ms"} as JSON
import ctypes, json, os, socket, struct, sys, time

CLONE_NEWNET = 0x40000000
RTM_NEWROUTE, RTM_DELROUTE = 24, 25
NLM_F_REQUEST, NLM_F_ACK, NLM_F_REPLACE, NLM_F_CREATE = 0x1, 0x4, 0x100, 0x400
RTA_DST, RTA_GATEWAY = 1, 5
RT_TABLE_MAIN, RT_SCOPE_UNIVERSE, RTN_UNICAST = 254, 0, 1
NLMSG_ERROR = 2

libc = ctypes.CDLL(None, use_errno=True)


def setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f'setns {path}')
    finally:
        os.close(fd)


def rta(kind, data):
    length = 4 + len(data)
    return struct.pack('HH', length, kind) + data + b'\0' * ((4 - length % 4) % 4)


def message(op, dst, prefix, via, proto, seq):
    flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_REPLACE | NLM_F_CREATE if op == 'add' else 0)
    body = struct.pack('BBBBBBBBI', socket.AF_INET, prefix, 0, 0, RT_TABLE_MAIN, proto, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0)
    body += rta(RTA_DST, socket.inet_aton(dst))
    if op == 'add':
        body += rta(RTA_GATEWAY, socket.inet_aton(via))
    return struct.pack('IHHII', 16 + len(body), RTM_NEWROUTE if op == 'add' else RTM_DELROUTE, flags, seq, 0) + body


def main():
    op, cidr, via, proto, names = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
    dst, prefix = cidr.split('/')
    own = os.open('/proc/self/ns/net', os.O_RDONLY)
    sockets = []
    for name in names:  # one socket per namespace, opened inside it (not timed: an agent keeps its socket)
        setns(f'/run/netns/{name}')
        sockets.append(socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE))
    libc.setns(own, CLONE_NEWNET)
    t0 = time.perf_counter()
    for seq, s in enumerate(sockets, 1):
        s.send(message(op, dst, int(prefix), via, proto, seq))
    errors = []
    for name, s in zip(names, sockets):
        reply = s.recv(65536)
        kind = struct.unpack_from('H', reply, 4)[0]
        code = struct.unpack_from('i', reply, 16)[0] if kind == NLMSG_ERROR else 0
        if code != 0:
            errors.append(f'{name}: {os.strerror(-code)}')
    ms = (time.perf_counter() - t0) * 1000
    print(json.dumps({'namespaces': len(names), 'ms': round(ms, 2), 'errors': errors}))
    return 1 if errors else 0


sys.exit(main())
