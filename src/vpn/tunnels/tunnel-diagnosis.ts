// POST /vpn-tunnels/{id}/diagnose: a checklist of what can stop a tunnel, in the order a network
// engineer would look, each pass/fail/warn/skip with what was seen and what to do. The host-side
// facts (does the peer answer IKE from the gateway's namespace, the SAs and their counters) come
// from the gateway host's worker (negotiation/tunnel-probe.ts); the rest from the database. Pure.
import type { TunnelProbe } from '../../jobs/job-catalogue';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';
export const DIAGNOSIS_CHECKS = ['gateway_running', 'host_answers', 'peer_answers_ike', 'last_attempt', 'sa_established', 'traffic', 'routes_applied'] as const;
export type DiagnosisCheckId = (typeof DIAGNOSIS_CHECKS)[number];

export interface DiagnosisCheck {
  id: DiagnosisCheckId;
  status: CheckStatus;
  detail: string;
  advice: string | null;
}

export interface DiagnosisInput {
  gatewayState: string;
  gatewayReason: string | null;
  gatewayIp: string;
  peerIp: string;
  connectionState: string;
  failure: { code: string; message: string } | null;
  /** The host's answer; null with hostProblem when it did not come. */
  probe: TunnelProbe | null;
  hostProblem: string | null;
  routes: {
    routing: 'routed' | 'hold_down' | 'not_connected';
    targets: number;
    applied: number;
    failed: { name: string; error: string }[];
    pending: { name: string }[];
  };
}

const check = (id: DiagnosisCheckId, status: CheckStatus, detail: string, advice: string | null = null): DiagnosisCheck => ({ id, status, detail, advice });

export function diagnosisChecklist(i: DiagnosisInput): DiagnosisCheck[] {
  const out: DiagnosisCheck[] = [];
  out.push(
    i.gatewayState === 'running'
      ? check('gateway_running', 'pass', 'the VPN gateway is running')
      : check(
          'gateway_running',
          'fail',
          `the VPN gateway is ${i.gatewayState}${i.gatewayReason ? `: ${i.gatewayReason}` : ''}`,
          i.gatewayState === 'expired' ? 'renew the gateway' : 'wait for the gateway to be running, or see its state reason',
        ),
  );

  const p = i.probe;
  out.push(
    p
      ? p.gatewayServed
        ? check('host_answers', 'pass', `gateway host ${p.hostId} runs the gateway and answered`)
        : check(
            'host_answers',
            'fail',
            `gateway host ${p.hostId} answered, but the gateway's IKE daemon is not running there`,
            'the host restarts it by itself; if this stays, tell the operator (host list)',
          )
      : check(
          'host_answers',
          'fail',
          i.hostProblem ?? 'the gateway host did not answer',
          'the operator sees the host in the host list; the tunnel itself may still work',
        ),
  );

  if (i.peerIp === '0.0.0.0') {
    out.push(check('peer_answers_ike', 'skip', 'the peer gateway is 0.0.0.0: there is no address to ask, the remote device starts the tunnel'));
  } else if (!p?.peer) {
    out.push(check('peer_answers_ike', 'skip', 'not checked: the gateway host did not run the probe'));
  } else if (p.peer.udp500 === 'answered' || p.peer.udp4500 === 'answered') {
    out.push(check('peer_answers_ike', 'pass', `${p.peer.address} answers IKE (UDP 500: ${p.peer.udp500}, UDP 4500: ${p.peer.udp4500})`));
  } else if (p.peer.udp500 === 'unreachable') {
    out.push(
      check(
        'peer_answers_ike',
        'fail',
        `${p.peer.address} refuses UDP 500 (ICMP port unreachable): no IKE daemon listens there`,
        `start the IKE service on the remote device, or check that ${p.peer.address} is its address`,
      ),
    );
  } else {
    out.push(
      check(
        'peer_answers_ike',
        'fail',
        `nothing answered IKE from ${p.peer.address} on UDP 500 or 4500 within 3 s`,
        `check that the remote device is up and its IKE service runs, and that UDP 500 and 4500 between it and ${i.gatewayIp} are open on every firewall and security group in between`,
      ),
    );
  }

  out.push(
    i.connectionState === 'connected' && !i.failure
      ? check('last_attempt', 'pass', 'the tunnel is connected')
      : i.failure
        ? check(
            'last_attempt',
            'fail',
            `${i.failure.code}: ${i.failure.message}`,
            'the message names the side and setting to change; "Check remote config" compares the remote device\'s configuration line by line',
          )
        : check(
            'last_attempt',
            i.connectionState === 'connecting' ? 'warn' : 'fail',
            `the tunnel is ${i.connectionState}, with no failure recorded yet`,
            'wait for the current attempt to end',
          ),
  );

  const sas = p?.sas;
  if (!sas) {
    out.push(check('sa_established', 'skip', 'not checked: the gateway host did not list the SAs'));
    out.push(check('traffic', 'skip', 'not checked: no SA list'));
  } else {
    out.push(
      sas.ikeState === 'ESTABLISHED' && sas.childrenInstalled > 0
        ? check('sa_established', 'pass', `IKE SA established, ${sas.childrenInstalled} IPsec SA(s) installed`)
        : check(
            'sa_established',
            'fail',
            sas.ikeState ? `IKE SA ${sas.ikeState}, ${sas.childrenInstalled} IPsec SA(s) installed` : 'no IKE SA for this tunnel',
            'see the last attempt above and the connection log',
          ),
    );
    const moved = sas.bytesAfter - sas.bytesBefore;
    out.push(
      sas.childrenInstalled === 0
        ? check('traffic', 'skip', 'no IPsec SA to count traffic on')
        : moved > 0
          ? check('traffic', 'pass', `${moved} bytes crossed the tunnel in ${sas.windowMs / 1000} s`)
          : check(
              'traffic',
              'warn',
              `no traffic in ${sas.windowMs / 1000} s`,
              'normal when nothing sends; ping a host across the tunnel to check, and check the remote side routes the VPC subnets to its device',
            ),
    );
  }

  const r = i.routes;
  if (r.routing === 'not_connected') out.push(check('routes_applied', 'skip', 'no routes: the tunnel is not connected'));
  else if (r.failed.length)
    out.push(
      check(
        'routes_applied',
        'fail',
        `${r.failed.length} of ${r.targets} instances failed to apply the routes: ${r.failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`,
        "the instance's route agent reports why; a route of another protocol may hold the destination",
      ),
    );
  else if (r.pending.length)
    out.push(
      check(
        'routes_applied',
        'warn',
        `${r.applied} of ${r.targets} instances applied the routes; pending: ${r.pending.map((x) => x.name).join(', ')}`,
        'an instance whose route agent is not running never applies them',
      ),
    );
  else
    out.push(
      check(
        'routes_applied',
        'pass',
        r.routing === 'hold_down'
          ? `routes kept on ${r.applied} of ${r.targets} instances during the hold-down`
          : `${r.applied} of ${r.targets} instances applied the routes`,
      ),
    );
  return out;
}
