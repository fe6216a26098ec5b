# Unit tests of the agent's pure route logic: destinations, desired sets, the diff.
import unittest

from route_agent import KernelRoute, diff_routes, normalize_desired, normalize_destination


def own(destination, via=None, metric=0, protocol=201):
    return KernelRoute(destination, via, metric, protocol)


def r(destination, via='10.1.1.254'):
    return {'destination': destination, 'via': via}


class NormalizeDestination(unittest.TestCase):
    def test_canonicalises_what_the_kernel_and_the_api_may_give(self):
        self.assertEqual(normalize_destination('default'), '0.0.0.0/0')
        self.assertEqual(normalize_destination('10.5.5.5'), '10.5.5.5/32')
        self.assertEqual(normalize_destination('172.16.1.7/24'), '172.16.1.0/24')
        self.assertEqual(normalize_destination('172.16.1.0/24'), '172.16.1.0/24')
        self.assertEqual(normalize_destination('0.0.0.0/0'), '0.0.0.0/0')

    def test_rejects_what_is_not_an_ipv4_destination(self):
        for bad in ['', 'fd00::/8', '1.2.3/24', '1.2.3.256/32', '1.2.3.4/33', '1.2.3.4/x', '1.2.3.4/24/1', '01.2.3.4/32', '1.2.3.4/', '١.2.3.4', None, 5]:
            with self.subTest(bad=bad):
                self.assertIsNone(normalize_destination(bad))


class NormalizeDesired(unittest.TestCase):
    def test_normalises_drops_invalid_entries_and_keeps_the_first_of_duplicate_destinations(self):
        routes, errors = normalize_desired(
            [r('172.16.1.0/24'), r('172.16.1.9/24', '10.1.1.253'), r('fd00::/8'), r('172.16.2.0/24', 'gw'), r('172.16.3.3'), 'junk']
        )
        self.assertEqual(routes, [r('172.16.1.0/24'), r('172.16.3.3/32')])
        self.assertEqual(len(errors), 4)
        self.assertEqual(errors[0], 'duplicate destination 172.16.1.0/24: kept via 10.1.1.254, ignored via 10.1.1.253')
        self.assertEqual(errors[1], 'invalid route {"destination":"fd00::/8","via":"10.1.1.254"} (IPv4 destination and via expected)')


class DiffRoutes(unittest.TestCase):
    desired = [r('172.16.1.0/24'), r('172.16.2.0/24')]

    def test_adds_what_is_missing_and_changes_what_points_elsewhere(self):
        d = diff_routes(self.desired, [own('172.16.2.0/24', '10.1.1.1')])
        self.assertEqual(d.replace, self.desired)
        self.assertEqual(d.remove, [])

    def test_is_empty_when_the_owned_routes_already_match(self):
        d = diff_routes(self.desired, [own('172.16.1.0/24', '10.1.1.254'), own('172.16.2.0/24', '10.1.1.254')])
        self.assertTrue(d.empty())
        self.assertEqual(d.conflicts, [])

    def test_removes_owned_routes_no_longer_desired_and_leftovers_at_another_metric(self):
        d = diff_routes(self.desired[:1], [own('172.16.1.0/24', '10.1.1.254'), own('172.16.1.0/24', '10.1.1.9', 7), own('172.16.9.0/24', '10.1.1.254')])
        self.assertEqual(d.replace, [])
        self.assertEqual(d.remove, [('172.16.1.0/24', 7), ('172.16.9.0/24', 0)])

    def test_never_takes_over_a_destination_another_protocol_holds_at_metric_0_nor_removes_foreign_routes(self):
        foreign = [
            KernelRoute('172.16.2.0/24', '10.1.1.7', 0, 4),
            KernelRoute('172.16.1.0/24', '10.1.1.8', 100, 4),  # another metric: no clash
            KernelRoute('0.0.0.0/0', '10.1.1.1', 0, 4),
        ]
        d = diff_routes(self.desired, [], foreign)
        self.assertEqual(d.replace, [self.desired[0]])
        self.assertEqual(d.conflicts, [(self.desired[1], '4')])
        self.assertEqual(d.remove, [])

    def test_a_foreign_route_without_a_gateway_holds_the_destination_too(self):
        d = diff_routes(self.desired, [], [KernelRoute('172.16.1.0/24', None, 0, 3)])
        self.assertEqual(d.conflicts, [(self.desired[0], '3')])

    def test_accepts_a_foreign_route_that_already_points_where_we_would(self):
        d = diff_routes(self.desired, [], [KernelRoute('172.16.2.0/24', '10.1.1.254', 0, 3)])
        self.assertEqual((d.replace, d.remove, d.conflicts), ([self.desired[0]], [], []))

    def test_gives_up_a_route_of_ours_once_another_protocol_holds_its_destination(self):
        d = diff_routes(self.desired, [own('172.16.2.0/24', '10.1.1.254')], [KernelRoute('172.16.2.0/24', '10.1.1.254', 0, 4)])
        self.assertEqual(d.remove, [('172.16.2.0/24', 0)])

    def test_empties_everything_it_owns_when_nothing_is_desired(self):
        d = diff_routes([], [own('172.16.1.0/24', '10.1.1.254'), own('0.0.0.0/0', '10.1.1.254')])
        self.assertEqual([x[0] for x in d.remove], ['172.16.1.0/24', '0.0.0.0/0'])


if __name__ == '__main__':
    unittest.main()
