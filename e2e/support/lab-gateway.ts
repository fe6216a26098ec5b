// Fixtures for the gateway host e2e test: a swanctl.conf for the gateway side (the worker will
// load connections over VICI; swanctl is the stand-in here), the site's ipsec.conf, and a charon
// started the way a previous worker process would have, pid file included.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function gatewaySwanctlConf(o: { local: string; remote: string; localTs: string; remoteTs: string; psk: string }): string {
  return `connections {
  e2e {
    version = 2
    local_addrs = ${o.local}
    remote_addrs = ${o.remote}
    proposals = aes128-sha1-modp1024
    local {
      auth = psk
      id = ${o.local}
    }
    remote {
      auth = psk
      id = ${o.remote}
    }
    children {
      e2e {
        local_ts = ${o.localTs}
        remote_ts = ${o.remoteTs}
        esp_proposals = aes128-sha1-modp1024
      }
    }
  }
}
secrets {
  ike-e2e {
    id-1 = ${o.local}
    id-2 = ${o.remote}
    secret = "${o.psk}"
  }
}
`;
}

export function siteIpsecConf(o: { left: string; leftSubnet: string; right: string; rightSubnet: string }): string {
  return `config setup

conn to-cloud
    keyexchange=ikev2
    authby=psk
    left=${o.left}
    leftid=${o.left}
    leftsubnet=${o.leftSubnet}
    right=${o.right}
    rightid=${o.right}
    rightsubnet=${o.rightSubnet}
    ike=aes128-sha1-modp1024!
    esp=aes128-sha1-modp1024!
    keyingtries=%forever
    auto=start
`;
}

// Same command line as CharonProcess, detached, pid file written: what a SIGKILLed worker leaves.
export async function spawnStaleCharon(namespace: string, dir: string): Promise<number> {
  const conf = join(dir, 'strongswan.conf');
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      namespace,
      'unshare',
      '-m',
      'sh',
      '-c',
      'mount -t tmpfs none /var/run && STRONGSWAN_CONF="$1" exec "$2"',
      'sh',
      conf,
      '/usr/lib/ipsec/charon',
    ],
    { detached: true, stdio: 'ignore' },
  );
  child.unref();
  if (!child.pid) throw new Error('could not spawn the stale charon');
  writeFileSync(join(dir, 'charon.pid'), `${child.pid}\n`);
  return child.pid;
}
