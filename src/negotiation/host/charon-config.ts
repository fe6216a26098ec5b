// Pure rendering of a gateway charon's strongswan.conf and the paths of its private directory.
import { join } from 'node:path';

export const DEFAULT_GATEWAYS_DIR = '/var/lib/vpn-console/gateways';
export const DEFAULT_CHARON_PATH = '/usr/lib/ipsec/charon';
// Longest path a unix socket address can hold (sun_path is 108 bytes with the NUL).
export const MAX_UNIX_SOCKET_PATH = 107;

// IKE retransmission. charon waits timeout * base^n seconds after the n-th send and gives up
// after `tries` retransmissions. The worker makes the spec's "3 tries" by calling `initiate` with
// charon keyingtries=1 per call, so ONE try against a silent peer must fail fast:
//   2 + 2*1.5 + 2*1.5^2 = 2 + 3 + 4.5 = 9.5 s per try (packets at t=0, 2, 5; give up at 9.5),
//   3 tries ≈ 28.5 s to phase1_failed, then the 12 s retry cycle.
// Three packets per try still rides out ordinary loss; IKEv2 DPD uses the same schedule, so a
// dead peer is declared dpd_delay + 9.5 s after it went quiet (the default 5/4/1.8 takes ~165 s).
export interface RetransmitSettings {
  tries: number;
  timeoutSeconds: number;
  base: number;
}
export const DEFAULT_RETRANSMIT: RetransmitSettings = { tries: 2, timeoutSeconds: 2, base: 1.5 };

export function retransmitGiveUpSeconds(r: RetransmitSettings): number {
  let total = 0;
  for (let n = 0; n <= r.tries; n++) total += r.timeoutSeconds * Math.pow(r.base, n);
  return total;
}

// 'libipsec': ESP in charon through a TUN device (this lab's kernels have no ESP);
// 'kernel': the kernel's XFRM (production hosts).
export type DataPlane = 'libipsec' | 'kernel';

export interface CharonPaths {
  dir: string;
  conf: string;
  viciSocket: string;
  log: string;
  output: string;
  pidFile: string;
}

export function charonPaths(baseDir: string, gatewayId: string): CharonPaths {
  const dir = join(baseDir, gatewayId);
  return {
    dir,
    conf: join(dir, 'strongswan.conf'),
    viciSocket: join(dir, 'charon.vici'),
    log: join(dir, 'charon.log'),
    output: join(dir, 'charon.out'),
    pidFile: join(dir, 'charon.pid'),
  };
}

export function assertCharonPaths(paths: CharonPaths): void {
  if (paths.viciSocket.length > MAX_UNIX_SOCKET_PATH) {
    throw new Error(`VICI socket path too long for a unix socket (${paths.viciSocket.length} > ${MAX_UNIX_SOCKET_PATH}): ${paths.viciSocket}`);
  }
  // charon runs with a private tmpfs on /var/run (= /run): a directory there would be invisible to it.
  if (/^\/(var\/)?run(\/|$)/.test(paths.dir)) {
    throw new Error(`gateway directory ${paths.dir} must not be under /run: charon mounts a private /run`);
  }
  if (/["\n{}]/.test(paths.dir)) throw new Error(`gateway directory ${paths.dir} contains characters strongswan.conf cannot hold`);
}

export interface CharonConfOptions {
  gatewayId: string;
  paths: CharonPaths;
  dataPlane?: DataPlane;
  retransmit?: RetransmitSettings;
}

/**
 * The plugins a PSK gateway needs, instead of the stock ~74 (test vectors run at every start, LDAP,
 * PKCS#11, TPM, EAP, forecast, farp...): 9 MiB a charon instead of 17. No certificate or key
 * parsers (x509, pem, pkcs1, pubkey): every tunnel authenticates with a PSK loaded over VICI, and
 * each mapped plugin is ~50 KiB of every charon's RSS.
 * Order is priority: charon's crypto factory hands out the first registered implementation.
 * aesni comes first: it keeps each SA's expanded AES key and GHASH tables, where openssl's crypter
 * (OpenSSL 3) fetches the cipher and expands the key again for every packet; libipsec's ESP uses
 * this factory, and with aesni first a charon spends ~5 % less CPU per byte on AES-CBC and ~15 %
 * less on AES-GCM (docs/operations.md, data plane). aesni loads nothing on a CPU without AES-NI.
 * openssl (OpenSSL 3's default provider, legacy provider off) then registers every algorithm the
 * spec offers and is the first (for AES the second) implementation of each: 3DES and AES-CBC,
 * AES-GCM, HMAC-MD5/SHA-1/SHA-2 as integrity and as PRFs, the hashers, MODP 768 to 2048/256,
 * ECP 256/384/521 and curve25519. kdf stays: openssl's KDF_PRF (IKEv2's SKEYSEED) refuses every
 * HMAC PRF at creation under OpenSSL 3 ("KDF_PRF with PRF_HMAC_SHA1 not supported"), charon then
 * takes the next registered one, kdf's, and without it no IKEv2 SA comes up.
 * Left out (issue 20): strongSwan's portable aes sha1 sha2 md5 hmac gmp curve25519, which would
 * only serve what openssl refuses, and for the offered algorithms it refuses nothing else
 * (`swanctl --list-algs` names the same provider for every algorithm with and without them), and
 * drbg, whose DRBGs only post-quantum key exchanges use. e2e/charon-algorithms.test.ts negotiates
 * every offered algorithm, both IKE versions, and carries traffic through this list, with and
 * without aesni (a CPU without AES-NI); the eight were ~0.5 MiB of every charon's RSS
 * (docs/operations.md, Benchmarks).
 */
export function charonPlugins(dataPlane: DataPlane): string[] {
  return ['random', 'nonce', 'aesni', 'openssl', 'kdf', ...(dataPlane === 'libipsec' ? ['kernel-libipsec'] : []), 'kernel-netlink', 'socket-default', 'vici'];
}

/**
 * charon's thread pool. Every VICI request is served by a pool thread, and a blocking `initiate`
 * holds its thread until the try ends (up to the 9.5 s give-up above for a silent peer). The
 * worker runs at most one initiate per tunnel at a time and a gateway has at most 20 tunnels
 * (docs/spec.md), so 20 threads may be parked in initiates; 10 more are held for good by the
 * receiver, the sender, the scheduler, the watcher, netlink and libipsec's ESP/TUN loops
 * (`swanctl --stats` with 20 tunnels up: 10 working); the other 10 serve VICI (list-sas, events,
 * the liveness probe), DPD and IKE messages. The stock 16 starved with 8 silent peers (10 + 8 > 16):
 * VICI stopped answering and the worker restarted a charon that was only busy. Each thread costs
 * ~30 KiB of RSS (its stack's touched pages and its share of malloc's arenas): 48 were 0.25 MiB more.
 */
export const CHARON_THREADS = 40;

export function renderCharonConf(o: CharonConfOptions): string {
  const r = o.retransmit ?? DEFAULT_RETRANSMIT;
  const dataPlane = o.dataPlane ?? 'libipsec';
  const giveUp = retransmitGiveUpSeconds(r);
  return `# strongswan.conf of VPN gateway ${o.gatewayId}, written by the gateway host worker: edits are overwritten.
charon {
  # An explicit list; a plugin in it is still skipped if its own 'load' says no (below).
  load = ${charonPlugins(dataPlane).join(' ')}
  # 20 tunnels parked in blocking initiates + 10 long-lived jobs + VICI, DPD and IKE (charon-config.ts).
  threads = ${CHARON_THREADS}
  # The worker routes remote subnets into libipsec's TUN device itself (gateway-routes.ts): charon
  # would refuse a CHILD_SA whose local subnet holds no address of the gateway (a VPC subnet other
  # than the gateway's own), because it sources its route from the local traffic selector.
  install_routes = no
  # The spec offers IKEv1 aggressive mode with PSK; as a responder charon refuses it without this.
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  # One try gives up after ${formatSeconds(giveUp)} s on a silent peer; the worker counts the tries.
  retransmit_tries = ${r.tries}
  retransmit_timeout = ${r.timeoutSeconds}
  retransmit_base = ${r.base}
  filelog {
    gateway {
      path = ${o.paths.log}
      time_format = %Y-%m-%d %H:%M:%S
      ike_name = yes
      append = yes
      flush_line = yes
      default = 1
      ike = 1
      cfg = 1
      knl = 0
      net = 0
      enc = 0
    }
  }
  plugins {
    include /etc/strongswan.d/charon/*.conf
    # After the include, or the stock 'load = no' would win.
    kernel-libipsec {
      load = ${dataPlane === 'libipsec' ? 'yes' : 'no'}
    }
    # OpenSSL 3's legacy provider (single DES, Blowfish, MD4...) serves no algorithm of ours: ~0.25 MiB per charon.
    openssl {
      load_legacy = no
    }
    vici {
      load = yes
      socket = unix://${o.paths.viciSocket}
    }
  }
}
`;
}

function formatSeconds(s: number): string {
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}
