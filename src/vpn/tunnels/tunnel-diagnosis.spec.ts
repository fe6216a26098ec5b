import { DiagnosisInput, diagnosisChecklist } from './tunnel-diagnosis';

const healthy: DiagnosisInput = {
  gatewayState: 'running',
  gatewayReason: null,
  gatewayIp: '198.51.100.10',
  peerIp: '203.0.113.9',
  connectionState: 'connected',
  failure: null,
  hostProblem: null,
  probe: {
    hostId: 'h1',
    gatewayServed: true,
    peer: { address: '203.0.113.9', udp500: 'answered', udp4500: 'answered' },
    sas: { ikeState: 'ESTABLISHED', childrenInstalled: 1, bytesBefore: 100, bytesAfter: 900, windowMs: 2000 },
  },
  routes: { routing: 'routed', targets: 2, applied: 2, failed: [], pending: [] },
};
const statuses = (i: DiagnosisInput) => Object.fromEntries(diagnosisChecklist(i).map((c) => [c.id, c.status]));

describe('diagnosisChecklist', () => {
  it('passes every check of a connected tunnel carrying traffic, in the order to look at them', () => {
    expect(diagnosisChecklist(healthy).map((c) => [c.id, c.status])).toEqual([
      ['gateway_running', 'pass'],
      ['host_answers', 'pass'],
      ['peer_answers_ike', 'pass'],
      ['last_attempt', 'pass'],
      ['sa_established', 'pass'],
      ['traffic', 'pass'],
      ['routes_applied', 'pass'],
    ]);
  });

  it('a silent peer: fails "peer answers" with the firewall advice and the last attempt with its reason', () => {
    const checks = diagnosisChecklist({
      ...healthy,
      connectionState: 'phase1_failed',
      failure: { code: 'peer_unreachable', message: 'no answer from 203.0.113.9' },
      probe: {
        hostId: 'h1',
        gatewayServed: true,
        peer: { address: '203.0.113.9', udp500: 'silent', udp4500: 'silent' },
        sas: { ikeState: null, childrenInstalled: 0, bytesBefore: 0, bytesAfter: 0, windowMs: 2000 },
      },
      routes: { routing: 'not_connected', targets: 2, applied: 0, failed: [], pending: [] },
    });
    const peer = checks.find((c) => c.id === 'peer_answers_ike')!;
    expect(peer).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('nothing answered IKE from 203.0.113.9'),
      advice: expect.stringContaining('UDP 500 and 4500'),
    });
    expect(checks.find((c) => c.id === 'last_attempt')).toMatchObject({ status: 'fail', detail: 'peer_unreachable: no answer from 203.0.113.9' });
    expect(Object.fromEntries(checks.map((c) => [c.id, c.status]))).toMatchObject({ sa_established: 'fail', traffic: 'skip', routes_applied: 'skip' });
  });

  it('a closed port, a 0.0.0.0 peer, an idle tunnel, a failing instance, an expired gateway, a host that did not answer', () => {
    expect(
      statuses({ ...healthy, probe: { ...healthy.probe!, peer: { address: '203.0.113.9', udp500: 'unreachable', udp4500: 'unreachable' } } }).peer_answers_ike,
    ).toBe('fail');
    expect(statuses({ ...healthy, peerIp: '0.0.0.0' }).peer_answers_ike).toBe('skip');
    expect(statuses({ ...healthy, probe: { ...healthy.probe!, sas: { ...healthy.probe!.sas!, bytesAfter: 100 } } }).traffic).toBe('warn');
    expect(
      statuses({ ...healthy, routes: { ...healthy.routes, applied: 1, failed: [{ name: 'vm-1', error: 'Nexthop has invalid gateway' }] } }).routes_applied,
    ).toBe('fail');
    expect(statuses({ ...healthy, gatewayState: 'expired' }).gateway_running).toBe('fail');
    expect(statuses({ ...healthy, probe: null, hostProblem: 'gateway host h1 did not answer within 15 s' })).toMatchObject({
      host_answers: 'fail',
      peer_answers_ike: 'skip',
      sa_established: 'skip',
    });
  });
});
