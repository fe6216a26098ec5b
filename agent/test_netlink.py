# Unit tests of the agent's rtnetlink messages: what it sends (byte for byte, as `ip` would) and
# how it reads the kernel's answers (route dumps, acks, errors with and without extended acks).
import socket
import struct
import unittest

from route_agent import (
    NLM_F_ACK_TLVS,
    NLM_F_CAPPED,
    NLMSG_DONE,
    NLMSG_ERROR,
    RTM_NEWROUTE,
    KernelRoute,
    NetlinkError,
    NetlinkRouteTable,
    decode_error,
    decode_route,
    describe_error,
    encode_delete,
    encode_dump,
    encode_replace,
    nlmsg,
    rtattr,
    split_messages,
)


def header(length, kind, flags, seq):
    return struct.pack('=IHHII', length, kind, flags, seq, 0)


def rtmsg(dst_len, table, protocol, scope=0, kind=1):
    return struct.pack('=BBBBBBBBI', socket.AF_INET, dst_len, 0, 0, table, protocol, scope, kind, 0)


class Encoding(unittest.TestCase):
    def test_replace_is_a_newroute_with_replace_create_ack_dst_and_gateway(self):
        msg = encode_replace(7, 201, '172.16.1.0/24', '10.1.1.254')
        body = rtmsg(24, 254, 201) + struct.pack('=HH', 8, 1) + bytes([172, 16, 1, 0]) + struct.pack('=HH', 8, 5) + bytes([10, 1, 1, 254])
        self.assertEqual(msg, header(16 + len(body), 24, 0x1 | 0x4 | 0x100 | 0x400, 7) + body)

    def test_a_default_route_carries_no_destination_attribute(self):
        msg = encode_replace(1, 201, '0.0.0.0/0', '10.1.1.1')
        self.assertEqual(len(msg), 16 + 12 + 8)
        self.assertEqual(msg[16 + 12 + 2 : 16 + 12 + 4], struct.pack('=H', 5))  # RTA_GATEWAY only

    def test_delete_matches_our_protocol_any_scope_and_the_metric_only_when_set(self):
        msg = encode_delete(9, 201, '172.16.9.0/24')
        body = rtmsg(24, 254, 201, scope=255, kind=0) + struct.pack('=HH', 8, 1) + bytes([172, 16, 9, 0])
        self.assertEqual(msg, header(16 + len(body), 25, 0x1 | 0x4, 9) + body)
        with_metric = encode_delete(9, 201, '172.16.9.0/24', 7)
        self.assertEqual(with_metric[len(msg) :], struct.pack('=HHI', 8, 6, 7))
        self.assertEqual(struct.unpack_from('=I', with_metric)[0], len(with_metric))

    def test_dump_asks_for_the_main_table(self):
        self.assertEqual(encode_dump(3), header(28, 26, 0x1 | 0x300, 3) + rtmsg(0, 254, 0, kind=0))

    def test_attributes_are_padded_to_four_bytes(self):
        self.assertEqual(rtattr(1, b'abcde'), struct.pack('=HH', 9, 1) + b'abcde\0\0\0')


def route_message(seq, dst, dst_len, protocol, gateway=None, metric=None, table=254, family=socket.AF_INET, table_attr=None):
    body = struct.pack('=BBBBBBBBI', family, dst_len, 0, 0, table, protocol, 0, 1, 0)
    if table_attr is not None:
        body += rtattr(15, struct.pack('=I', table_attr))
    if dst is not None:
        body += rtattr(1, socket.inet_aton(dst))
    body += rtattr(4, struct.pack('=I', 2))  # RTA_OIF: ignored
    if gateway:
        body += rtattr(5, socket.inet_aton(gateway))
    if metric is not None:
        body += rtattr(6, struct.pack('=I', metric))
    return nlmsg(RTM_NEWROUTE, 0x2, seq, body)


class Decoding(unittest.TestCase):
    def test_splits_a_buffer_into_its_messages(self):
        buf = route_message(5, '172.16.1.0', 24, 201, '10.1.1.254') + nlmsg(NLMSG_DONE, 0x2, 5, struct.pack('=i', 0))
        got = split_messages(buf)
        self.assertEqual([(k, s) for k, _f, s, _p in got], [(RTM_NEWROUTE, 5), (NLMSG_DONE, 5)])
        with self.assertRaises(NetlinkError):
            split_messages(buf[:-2])

    def test_reads_routes_destination_gateway_metric_and_protocol(self):
        cases = [
            (route_message(1, '172.16.1.0', 24, 201, '10.1.1.254', 5), KernelRoute('172.16.1.0/24', '10.1.1.254', 5, 201)),
            (route_message(1, None, 0, 4, '10.1.1.1'), KernelRoute('0.0.0.0/0', '10.1.1.1', 0, 4)),
            (route_message(1, '10.1.1.0', 24, 2), KernelRoute('10.1.1.0/24', None, 0, 2)),
            (route_message(1, '10.5.5.5', 32, 3, '10.1.1.1', table=252, table_attr=254), KernelRoute('10.5.5.5/32', '10.1.1.1', 0, 3)),
        ]
        for msg, want in cases:
            with self.subTest(want=want):
                (_k, _f, _s, payload), = split_messages(msg)
                self.assertEqual(decode_route(payload), want)

    def test_skips_other_tables_and_families(self):
        for msg in [route_message(1, '10.1.1.1', 32, 2, table=255), route_message(1, '10.1.1.0', 24, 201, table=252, table_attr=1000), route_message(1, '10.1.1.0', 24, 201, family=socket.AF_INET6)]:
            (_k, _f, _s, payload), = split_messages(msg)
            self.assertIsNone(decode_route(payload))

    def test_reads_an_ack_and_errors_with_and_without_the_kernel_message(self):
        request = encode_replace(4, 201, '172.16.4.0/24', '10.98.0.9')
        self.assertEqual(decode_error(0, struct.pack('=i', 0) + request[:16]), (0, None))
        # Capped (NETLINK_CAP_ACK): the request's header only, then the TLVs.
        capped = struct.pack('=i', -101) + request[:16] + rtattr(1, b'Nexthop has invalid gateway\0')
        self.assertEqual(decode_error(NLM_F_CAPPED | NLM_F_ACK_TLVS, capped), (101, 'Nexthop has invalid gateway'))
        # Not capped: the whole request comes back before the TLVs.
        full = struct.pack('=i', -101) + request + rtattr(1, b'Nexthop has invalid gateway\0')
        self.assertEqual(decode_error(NLM_F_ACK_TLVS, full), (101, 'Nexthop has invalid gateway'))
        self.assertEqual(decode_error(NLM_F_CAPPED, struct.pack('=i', -3) + request[:16]), (3, None))

    def test_words_errors_as_ip_does(self):
        self.assertEqual(describe_error(101, 'Nexthop has invalid gateway'), 'Error: Nexthop has invalid gateway.')
        self.assertEqual(describe_error(17, 'Route exists.'), 'Error: Route exists.')
        self.assertEqual(describe_error(3, None), 'RTNETLINK answers: No such process')
        self.assertEqual(describe_error(101, None), 'RTNETLINK answers: Network is unreachable')


class Commands(unittest.TestCase):
    def test_a_failure_reads_as_the_ip_command_that_does_the_same(self):
        lab = NetlinkRouteTable(201, 'vl-vm-a1')
        self.assertEqual(lab.command(('replace', {'destination': '172.16.1.0/24', 'via': '10.1.1.254'})), 'ip -n vl-vm-a1 route replace 172.16.1.0/24 via 10.1.1.254 proto 201')
        vm = NetlinkRouteTable(250)
        self.assertEqual(vm.command(('remove', ('172.16.1.0/24', 0))), 'ip route del 172.16.1.0/24 proto 250')
        self.assertEqual(vm.command(('remove', ('172.16.1.0/24', 7))), 'ip route del 172.16.1.0/24 proto 250 metric 7')


class FakeSocket:
    """Answers each sent message as scripted: per request, a list of (type, flags, payload)."""

    def __init__(self, answer):
        self.answer = answer
        self.inbox = []
        self.sent = []

    def send(self, data):
        self.sent.append(data)
        for kind, flags, seq, payload in split_messages(data):
            self.inbox.extend(self.answer(kind, flags, seq, payload))
        return len(data)

    def recv(self, _size):
        # Two messages a read: answers come in several reads.
        out, self.inbox = self.inbox[:2], self.inbox[2:]
        return b''.join(out)

    def close(self):
        pass


class TableOverAFakeSocket(unittest.TestCase):
    def table(self, answer):
        t = NetlinkRouteTable(201)
        t.sock = FakeSocket(answer)
        return t

    def test_lists_ours_apart_from_foreign_routes_in_one_dump(self):
        def answer(kind, flags, seq, payload):
            return [
                nlmsg(RTM_NEWROUTE, 0x2, seq - 1, b''),  # a late answer to something else: ignored
                route_message(seq, '172.16.1.0', 24, 201, '10.1.1.254'),
                route_message(seq, '192.0.2.0', 24, 4, '10.1.1.1'),
                route_message(seq, '10.1.1.255', 32, 2, table=255),
                nlmsg(NLMSG_DONE, 0x2, seq, struct.pack('=i', 0)),
            ]

        t = self.table(answer)
        owned, foreign = t.list()
        self.assertEqual(owned, [KernelRoute('172.16.1.0/24', '10.1.1.254', 0, 201)])
        self.assertEqual(foreign, [KernelRoute('192.0.2.0/24', '10.1.1.1', 0, 4)])
        self.assertEqual(len(t.sock.sent), 1)

    def test_dumps_again_when_the_kernel_says_the_dump_was_interrupted(self):
        calls = []

        def answer(kind, flags, seq, payload):
            calls.append(seq)
            flags = 0x10 if len(calls) == 1 else 0
            return [nlmsg(RTM_NEWROUTE, 0x2 | flags, seq, route_message(seq, '172.16.1.0', 24, 201, '10.1.1.254')[16:]), nlmsg(NLMSG_DONE, 0x2, seq, struct.pack('=i', 0))]

        owned, _ = self.table(answer).list()
        self.assertEqual(len(calls), 2)
        self.assertEqual(len(owned), 1)

    def test_applies_a_change_set_in_one_send_and_blames_each_refused_message(self):
        def answer(kind, flags, seq, payload):
            via = payload[-4:]
            code = -101 if kind == 24 and via == bytes([10, 98, 0, 9]) else -3 if kind == 25 else 0
            tlv = rtattr(1, b'Nexthop has invalid gateway\0') if code == -101 else b''
            return [nlmsg(NLMSG_ERROR, (NLM_F_CAPPED | (NLM_F_ACK_TLVS if tlv else 0)) if code else NLM_F_CAPPED, seq, struct.pack('=i', code) + header(16, kind, 0, seq) + tlv)]

        t = self.table(answer)
        changes = [
            ('replace', {'destination': '172.16.1.0/24', 'via': '10.1.1.254'}),
            ('replace', {'destination': '172.16.4.0/24', 'via': '10.98.0.9'}),
            ('remove', ('172.16.9.0/24', 0)),
        ]
        self.assertEqual(
            t.apply(changes),
            [None, 'ip route replace 172.16.4.0/24 via 10.98.0.9 proto 201: Error: Nexthop has invalid gateway.', 'ip route del 172.16.9.0/24 proto 201: RTNETLINK answers: No such process'],
        )
        self.assertEqual(len(t.sock.sent), 1)
        self.assertEqual(len(split_messages(t.sock.sent[0])), 3)

    def test_sends_a_large_change_set_in_batches_whose_acks_fit_the_socket(self):
        def answer(kind, flags, seq, payload):
            return [nlmsg(NLMSG_ERROR, NLM_F_CAPPED, seq, struct.pack('=i', 0) + header(16, kind, 0, seq))]

        t = self.table(answer)
        changes = [('replace', {'destination': '172.16.%d.0/24' % i, 'via': '10.1.1.254'}) for i in range(150)]
        self.assertEqual(t.apply(changes), [None] * 150)
        self.assertEqual([len(split_messages(s)) for s in t.sock.sent], [64, 64, 22])

    def test_a_refused_dump_names_what_the_kernel_said(self):
        def answer(kind, flags, seq, payload):
            return [nlmsg(NLMSG_ERROR, NLM_F_CAPPED, seq, struct.pack('=i', -1) + header(16, kind, 0, seq))]

        with self.assertRaises(NetlinkError) as ctx:
            self.table(answer).list()
        self.assertEqual(str(ctx.exception), 'ip route show: RTNETLINK answers: Operation not permitted')


if __name__ == '__main__':
    unittest.main()
