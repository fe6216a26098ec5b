// "Check the remote config": a remote device's configuration text, in one of the formats we export,
// against a tunnel. The method: render what we would export for this tunnel in the same format,
// read both texts into the same settings (field, canonical value, line), and compare field by
// field. Because the expected side is our own export, every finding can quote the exact line to
// put in its place. A text we cannot read is said so, never guessed. Pure: no framework, no I/O.
import { intToIp, maskOf, parseCidr } from '../common/cidr';
import { RenderableTunnel } from '../strongswan/tunnel-model';
import { renderRemoteConfig, VendorId } from './vendors';

export const CHECK_FIELDS = {
  ikeVersion: 'IKE version',
  exchangeMode: 'IKEv1 exchange mode',
  ikeEncryption: 'IKE encryption',
  ikeIntegrity: 'IKE integrity / PRF',
  dhGroup: 'IKE DH group',
  ikeLifetime: 'IKE SA lifetime',
  ipsecProtocol: 'IPsec protocol',
  ipsecEncryption: 'IPsec encryption',
  ipsecIntegrity: 'IPsec integrity',
  pfsGroup: 'PFS group',
  ipsecLifetime: 'IPsec SA lifetime',
  myAddress: "this device's public address",
  myId: "this device's IKE identity",
  mySubnets: "this device's subnets",
  platformAddress: "the platform gateway's address",
  platformId: "the platform gateway's IKE identity",
  platformSubnets: "the platform's (VPC) subnets",
  psk: 'pre-shared key',
  dpd: 'dead peer detection',
  startAction: 'who starts the tunnel',
} as const;
export type CheckField = keyof typeof CHECK_FIELDS;

/** One value a text sets: canonical, so two syntaxes of one choice compare equal. */
export interface Setting {
  field: CheckField;
  value: string;
  line: number; // 1-based
  text: string; // the line, trimmed
}

export type CheckFormat = VendorId;

export interface CheckFinding {
  field: CheckField;
  label: string;
  /** What the text says (null: it says nothing). Never set for the PSK. */
  yours: string | null;
  expected: string | null;
  /** Lines of the checked text that set the field (1-based). */
  lines: number[];
  /** What to write instead: the lines of our own export for this field. */
  fix: string;
}

export interface CheckResult {
  format: CheckFormat;
  /** Whether the format was recognised from the text (false: taken from the request). */
  detected: boolean;
  /** Every field the format's file carries for this tunnel, i.e. what was compared. */
  checked: CheckField[];
  findings: CheckFinding[];
}

export class UnreadableConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableConfigError';
  }
}

// ---------------------------------------------------------------- canonical values

const DH_BY_KEYWORD: Record<string, string> = {
  modp768: '1',
  modp1024: '2',
  modp1536: '5',
  modp2048: '14',
  modp3072: '15',
  modp4096: '16',
  modp2048s256: '24',
  modp1024s160: '22',
  modp2048s224: '23',
  ecp256: '19',
  ecp384: '20',
  ecp521: '21',
  curve25519: '31',
  x25519: '31',
};

/** aes128/aes-128/aes-cbc-128/aes → aes128; sha/sha1/hmac-sha1-96 → sha1; sha256/sha2_256/hmac-sha2-256 → sha2-256. */
export function canonicalAlgorithm(raw: string): string {
  const a = raw
    .toLowerCase()
    .trim()
    .replace(/^hmac-/, '')
    .replace(/^prf(?=[a-z])/, '');
  const cbc = /^aes(?:-cbc)?-?(128|192|256)$/.exec(a);
  if (cbc) return `aes${cbc[1]}`;
  if (a === 'aes' || a === 'aes-cbc') return 'aes128';
  const gcm = /^aes-?(128|192|256)-?gcm-?(8|12|16)?$/.exec(a) ?? /^aes-?gcm-?(?:16-?)?(128|192|256)$/.exec(a);
  if (gcm) return `aes${gcm[1]}gcm${gcm[2] ?? '16'}`;
  if (/^(sha|sha1|sha-1)(-96)?$/.test(a)) return 'sha1';
  if (/^md5(-96)?$/.test(a)) return 'md5';
  const sha2 = /^sha-?2?[-_]?(256|384|512)(?:-\d+)?$/.exec(a);
  if (sha2) return `sha2-${sha2[1]}`;
  if (a === 'des3' || a === 'des-ede3' || a === '3des-cbc') return '3des';
  return a;
}

function canonicalDh(raw: string): string {
  const a = raw.toLowerCase().trim();
  if (DH_BY_KEYWORD[a]) return DH_BY_KEYWORD[a];
  const n = /^(?:dh-?)?group-?(\d+)$|^dh-?(\d+)$|^(\d+)$/.exec(a);
  return n ? String(Number(n[1] ?? n[2] ?? n[3])) : a;
}

function seconds(raw: string): string {
  const m = /^(\d+)\s*(s|m|h|d)?$/i.exec(raw.trim());
  if (!m) return raw.trim().toLowerCase();
  const n = Number(m[1]) * ({ s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[(m[2] ?? 's').toLowerCase()];
  return String(n);
}

function cidr(raw: string): string {
  const c = parseCidr(raw.trim());
  return c ? `${intToIp(c.network)}/${c.prefix}` : raw.trim();
}

/** `10.23.0.0 0.0.255.255` (Cisco/Huawei wildcard) → 10.23.0.0/16; `host X` → X/32; `any` → 0.0.0.0/0. */
function wildcardCidr(addr: string, wildcard?: string): string {
  if (addr === 'any') return '0.0.0.0/0';
  if (!wildcard) return `${addr}/32`;
  const w = wildcard.split('.').map(Number);
  const mask = (~((w[0] << 24) | (w[1] << 16) | (w[2] << 8) | w[3]) >>> 0) >>> 0;
  let prefix = 0;
  while (prefix < 32 && (mask >>> (31 - prefix)) & 1) prefix++;
  return maskOf(prefix) >>> 0 === mask ? cidr(`${addr}/${prefix}`) : `${addr} ${wildcard}`;
}

function unquote(v: string): string {
  const t = v.trim();
  return /^".*"$/.test(t) ? t.slice(1, -1).replace(/\\(.)/g, '$1') : t;
}

/** One strongSwan/libreswan proposal list (`aes128-sha1-modp1024!,aes256-sha256`, `aes128-sha1;modp1024`). */
function proposalSettings(list: string, fields: { enc: CheckField; integ: CheckField; dh: CheckField }, at: Omit<Setting, 'field' | 'value'>): Setting[] {
  const out: Setting[] = [];
  for (const proposal of list
    .replace(/!$/, '')
    .split(',')
    .map((p) => p.trim().replace(/!$/, ''))
    .filter(Boolean)) {
    for (const token of proposal
      .split(/[-;+]/)
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean)) {
      if (DH_BY_KEYWORD[token] || /^(modp|ecp|curve|x448|x25519|dh\d)/.test(token)) out.push({ ...at, field: fields.dh, value: canonicalDh(token) });
      else if (/^(prf|md5|sha|aesxcbc|aescmac)/.test(token)) out.push({ ...at, field: fields.integ, value: canonicalAlgorithm(token) });
      else if (token === 'null' || token === 'none') continue;
      else out.push({ ...at, field: fields.enc, value: canonicalAlgorithm(token) });
    }
  }
  return out;
}

const IKE_FIELDS = { enc: 'ikeEncryption', integ: 'ikeIntegrity', dh: 'dhGroup' } as const;
const ESP_FIELDS = { enc: 'ipsecEncryption', integ: 'ipsecIntegrity', dh: 'pfsGroup' } as const;

// ---------------------------------------------------------------- readers per format

interface Line {
  n: number;
  text: string; // trimmed
  indent: number;
}

function lines(text: string): Line[] {
  return text.split(/\r?\n/).map((raw, i) => ({ n: i + 1, text: raw.trim(), indent: raw.length - raw.trimStart().length }));
}

/** The `A B : PSK "x"` secrets line, commented or not (our strongSwan and libreswan files carry it commented). */
function secretsLine(l: Line): Setting | null {
  const m = /^#?\s*(\S+)\s+(\S+)\s*:\s*PSK\s+(.+)$/.exec(l.text);
  return m ? { field: 'psk', value: unquote(m[3]), line: l.n, text: '<the secrets line>' } : null;
}

/** ipsec.conf, strongSwan's starter or libreswan: `conn` sections of key=value. */
function readIpsecConf(text: string, flavour: 'strongswan' | 'libreswan'): Setting[] {
  const out: Setting[] = [];
  for (const l of lines(text)) {
    const secret = secretsLine(l);
    if (secret) {
      out.push(secret);
      continue;
    }
    if (!l.text || l.text.startsWith('#')) continue;
    const kv = /^([a-z0-9_-]+)\s*=\s*(.*?)\s*(#.*)?$/i.exec(l.text);
    if (!kv || l.indent === 0) continue;
    const key = kv[1].toLowerCase();
    const value = unquote(kv[2]);
    const at = { line: l.n, text: l.text };
    const set = (field: CheckField, v: string) => out.push({ ...at, field, value: v });
    switch (key) {
      case 'keyexchange':
        set('ikeVersion', value === 'ikev1' ? 'v1' : value === 'ikev2' ? 'v2' : value);
        break;
      case 'ikev2':
        set('ikeVersion', ['no', 'never'].includes(value) ? 'v1' : 'v2');
        break;
      case 'aggressive':
        set('exchangeMode', value === 'yes' ? 'aggressive' : 'main');
        break;
      case 'ike':
        out.push(...proposalSettings(value, IKE_FIELDS, at));
        break;
      case 'esp':
      case 'ah':
        if (flavour === 'strongswan') set('ipsecProtocol', key);
        out.push(...proposalSettings(value, ESP_FIELDS, at));
        break;
      case 'phase2':
        set('ipsecProtocol', value);
        break;
      case 'phase2alg':
        out.push(...proposalSettings(value, ESP_FIELDS, at));
        break;
      case 'pfs':
        set('pfsGroup', `pfs=${value}`);
        break;
      case 'ikelifetime':
        set('ikeLifetime', seconds(value));
        break;
      case 'lifetime':
      case 'keylife':
      case 'salifetime':
        set('ipsecLifetime', seconds(value));
        break;
      case 'left':
        set('myAddress', value);
        break;
      case 'right':
        set('platformAddress', value);
        break;
      case 'leftid':
        set('myId', value.replace(/^@/, ''));
        break;
      case 'rightid':
        set('platformId', value.replace(/^@/, ''));
        break;
      case 'leftsubnet':
      case 'leftsubnets':
        for (const c of value
          .replace(/[{}]/g, ' ')
          .split(/[\s,]+/)
          .filter(Boolean))
          set('mySubnets', cidr(c));
        break;
      case 'rightsubnet':
      case 'rightsubnets':
        for (const c of value
          .replace(/[{}]/g, ' ')
          .split(/[\s,]+/)
          .filter(Boolean))
          set('platformSubnets', cidr(c));
        break;
      case 'dpddelay':
      case 'dpdtimeout':
      case 'dpdaction':
        set('dpd', `${key}=${key === 'dpdaction' ? value : seconds(value)}`);
        break;
      case 'auto':
        set('startAction', value);
        break;
    }
  }
  return out;
}

/** swanctl.conf: nested `name { key = value }` sections. */
function readSwanctl(text: string): Setting[] {
  const out: Setting[] = [];
  const path: string[] = [];
  for (const l of lines(text)) {
    if (!l.text || l.text.startsWith('#')) continue;
    const open = /^([^\s={}]+)\s*\{$/.exec(l.text);
    if (open) {
      path.push(open[1]);
      continue;
    }
    if (l.text === '}') {
      path.pop();
      continue;
    }
    const kv = /^([a-z0-9_-]+)\s*=\s*(.*?)\s*$/i.exec(l.text);
    if (!kv) continue;
    // connections.<conn>[.children.<child>].key, with local*/remote* sections named by role.
    const roles = path.filter((p, i) => !(path[i - 1] === 'connections' || path[i - 1] === 'children' || path[i - 1] === 'secrets'));
    const where = roles.map((p) => (/^local/.test(p) ? 'local' : /^remote/.test(p) ? 'remote' : p)).join('.');
    const key = `${where}.${kv[1]}`;
    const value = unquote(kv[2]);
    const at = { line: l.n, text: l.text };
    const set = (field: CheckField, v: string) => out.push({ ...at, field, value: v });
    const list = (field: CheckField, f: (s: string) => string = (s) => s) =>
      value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .forEach((v) => set(field, f(v)));
    switch (key) {
      case 'connections.version':
        set('ikeVersion', value === '1' ? 'v1' : value === '2' ? 'v2' : value);
        break;
      case 'connections.aggressive':
        set('exchangeMode', value === 'yes' ? 'aggressive' : 'main');
        break;
      case 'connections.proposals':
        out.push(...proposalSettings(value, IKE_FIELDS, at));
        break;
      case 'connections.rekey_time':
      case 'connections.reauth_time':
      case 'connections.over_time':
        set('ikeLifetime', `${kv[1]}=${seconds(value)}`);
        break;
      case 'connections.local_addrs':
        list('myAddress');
        break;
      case 'connections.remote_addrs':
        list('platformAddress');
        break;
      case 'connections.local.id':
        set('myId', value.replace(/^@/, ''));
        break;
      case 'connections.remote.id':
        set('platformId', value.replace(/^@/, ''));
        break;
      case 'connections.dpd_delay':
      case 'connections.dpd_timeout':
        set('dpd', `${kv[1]}=${seconds(value)}`);
        break;
      case 'connections.children.local_ts':
        list('mySubnets', cidr);
        break;
      case 'connections.children.remote_ts':
        list('platformSubnets', cidr);
        break;
      case 'connections.children.esp_proposals':
      case 'connections.children.ah_proposals':
        set('ipsecProtocol', kv[1].slice(0, kv[1].indexOf('_')));
        out.push(...proposalSettings(value, ESP_FIELDS, at));
        break;
      case 'connections.children.life_time':
      case 'connections.children.rekey_time':
        set('ipsecLifetime', `${kv[1]}=${seconds(value)}`);
        break;
      case 'connections.children.dpd_action':
        set('dpd', `dpd_action=${value}`);
        break;
      case 'connections.children.start_action':
        set('startAction', value);
        break;
      case 'secrets.secret':
        set('psk', value);
        break;
    }
  }
  return out;
}

/** Cisco IOS: top-level commands with indented sub-commands. */
function readCiscoIos(text: string): Setting[] {
  const out: Setting[] = [];
  let section = '';
  let versionSeen = false;
  for (const l of lines(text)) {
    if (!l.text || l.text.startsWith('!')) continue;
    if (l.indent === 0) section = l.text;
    const at = { line: l.n, text: l.text };
    const set = (field: CheckField, v: string) => out.push({ ...at, field, value: v });
    const t = l.text;
    let m: RegExpExecArray | null;
    if (!versionSeen && (m = /^crypto (ikev2|isakmp) /.exec(t))) {
      versionSeen = true;
      set('ikeVersion', m[1] === 'ikev2' ? 'v2' : 'v1');
    }
    if (l.indent === 0) {
      if ((m = /^crypto ipsec transform-set \S+ (.+)$/.exec(t))) {
        const transforms = m[1].split(/\s+/);
        set('ipsecProtocol', transforms.some((x) => x.startsWith('esp-')) ? 'esp' : 'ah');
        for (let i = 0; i < transforms.length; i++) {
          const x = transforms[i];
          const bits = /^\d+$/.test(transforms[i + 1] ?? '') ? transforms[++i] : null;
          const hmac = /^(?:esp|ah)-(.+)-hmac$/.exec(x);
          if (hmac) set('ipsecIntegrity', canonicalAlgorithm(hmac[1]));
          else if (/^esp-gcm$/.test(x)) set('ipsecEncryption', `aes${bits ?? '128'}gcm16`);
          else if (/^esp-/.test(x)) set('ipsecEncryption', canonicalAlgorithm(bits ? `${x.slice(4)}-${bits}` : x.slice(4)));
        }
      }
      if ((m = /^crypto isakmp keepalive (\d+) (\d+)/.exec(t))) set('dpd', `${m[1]}/${m[2]}`);
      continue;
    }
    if (/^crypto (ikev2 proposal|isakmp policy)/.test(section)) {
      if ((m = /^encryption (.+)$/.exec(t))) {
        // `aes 256` (ISAKMP) is one algorithm, `aes-cbc-256 aes-cbc-128` (IKEv2) a list.
        const words = m[1].split(/\s+/);
        for (let i = 0; i < words.length; i++) {
          const word = words[i];
          const bits = /^\d+$/.test(words[i + 1] ?? '') ? words[++i] : null;
          set('ikeEncryption', canonicalAlgorithm(bits ? `${word}-${bits}` : word));
        }
      } else if ((m = /^(?:integrity|hash|prf) (.+)$/.exec(t))) for (const a of m[1].split(/\s+/)) set('ikeIntegrity', canonicalAlgorithm(a));
      else if ((m = /^group (.+)$/.exec(t))) for (const g of m[1].split(/\s+/)) set('dhGroup', canonicalDh(g));
      else if ((m = /^lifetime (\d+)$/.exec(t))) set('ikeLifetime', m[1]);
    } else if (/^crypto ikev2 profile|^crypto isakmp profile/.test(section)) {
      if ((m = /^match identity (?:remote )?(?:address|host|fqdn) (\S+)/.exec(t))) set('platformId', m[1]);
      else if ((m = /^(?:identity local|self-identity) (address|fqdn|user-fqdn)(?: (\S+))?/.exec(t))) set('myId', m[2] ?? m[1]);
      else if ((m = /^lifetime (\d+)$/.exec(t))) set('ikeLifetime', m[1]);
      else if ((m = /^(?:dpd (\d+) (\d+)|keepalive (\d+) retry (\d+))/.exec(t))) set('dpd', `${m[1] ?? m[3]}/${m[2] ?? m[4]}`);
      else if ((m = /^initiate mode (aggressive|main)/.exec(t))) set('exchangeMode', m[1]);
    } else if (/^crypto (ikev2 )?keyring/.test(section)) {
      if ((m = /^pre-shared-key address (\S+)(?: \S+)? key (?:\d )?(.+)$/.exec(t))) {
        set('platformAddress', m[1]);
        set('psk', m[2]);
      } else if ((m = /^pre-shared-key (?:local |remote )?(?:\d )?(.+)$/.exec(t))) set('psk', m[1]);
      else if ((m = /^address (\S+)/.exec(t))) set('platformAddress', m[1]);
    } else if (/^ip access-list/.test(section)) {
      if ((m = /^(?:\d+ )?permit ip (host \S+|any|\S+ \S+) (host \S+|any|\S+ \S+)$/.exec(t))) {
        const side = (s: string) =>
          s.startsWith('host ') ? wildcardCidr(s.slice(5)) : s === 'any' ? wildcardCidr('any') : wildcardCidr(s.split(' ')[0], s.split(' ')[1]);
        set('mySubnets', side(m[1]));
        set('platformSubnets', side(m[2]));
      }
    } else if (/^crypto map/.test(section)) {
      if ((m = /^set peer (\S+)/.exec(t))) set('platformAddress', m[1]);
      else if ((m = /^set pfs (\S+)/.exec(t))) set('pfsGroup', canonicalDh(m[1]));
      else if ((m = /^set security-association lifetime seconds (\d+)/.exec(t))) set('ipsecLifetime', m[1]);
    }
  }
  return out;
}

/** Huawei VRP / H3C Comware 5: sections closed by `quit`. */
function readHuaweiVrp(text: string): Setting[] {
  const out: Setting[] = [];
  let section = '';
  for (const l of lines(text)) {
    if (!l.text || l.text.startsWith('#')) continue;
    if (l.indent === 0) {
      section = l.text;
      continue;
    }
    const at = { line: l.n, text: l.text };
    const set = (field: CheckField, v: string) => out.push({ ...at, field, value: v });
    const t = l.text;
    let m: RegExpExecArray | null;
    if (/^ike proposal/.test(section)) {
      if ((m = /^encryption-algorithm (\S+)/.exec(t))) set('ikeEncryption', canonicalAlgorithm(m[1]));
      else if ((m = /^(authentication-algorithm|integrity-algorithm|prf) (\S+)/.exec(t)))
        set('ikeIntegrity', `${m[1].split('-')[0]}:${canonicalAlgorithm(m[2])}`);
      else if ((m = /^dh (\S+)/.exec(t))) set('dhGroup', canonicalDh(m[1]));
      else if ((m = /^sa duration (\d+)/.exec(t))) set('ikeLifetime', m[1]);
    } else if (/^ike peer/.test(section)) {
      if ((m = /^undo version (1|2)$/.exec(t))) set('ikeVersion', m[1] === '1' ? 'v2' : 'v1');
      else if ((m = /^version (1|2)$/.exec(t))) set('ikeVersion', `v${m[1]}`);
      else if ((m = /^exchange-mode (main|aggressive)/.exec(t))) set('exchangeMode', m[1]);
      else if ((m = /^pre-shared-key (?:cipher |simple )?(.+)$/.exec(t))) set('psk', m[1]);
      else if ((m = /^local-address (\S+)/.exec(t))) set('myAddress', m[1]);
      else if ((m = /^remote-address (\S+)/.exec(t))) set('platformAddress', m[1]);
      else if ((m = /^local-id-type (\S+)/.exec(t))) set('myId', `type ${m[1]}`);
      else if ((m = /^local-id (\S+)/.exec(t))) set('myId', m[1]);
      else if ((m = /^remote-id-type (\S+)/.exec(t))) set('platformId', `type ${m[1]}`);
      else if ((m = /^remote-id (\S+)/.exec(t))) set('platformId', m[1]);
      else if ((m = /^dpd (.+)$/.exec(t))) set('dpd', m[1]);
    } else if (/^ipsec proposal/.test(section)) {
      if ((m = /^transform (esp|ah)/.exec(t))) set('ipsecProtocol', m[1]);
      else if ((m = /^(?:esp|ah) authentication-algorithm (\S+)/.exec(t))) set('ipsecIntegrity', canonicalAlgorithm(m[1]));
      else if ((m = /^esp encryption-algorithm (\S+)/.exec(t))) set('ipsecEncryption', canonicalAlgorithm(m[1]));
    } else if (/^ipsec policy/.test(section)) {
      if ((m = /^pfs (\S+)/.exec(t))) set('pfsGroup', canonicalDh(m[1]));
      else if ((m = /^sa duration time-based (\d+)/.exec(t))) set('ipsecLifetime', m[1]);
    } else if (/^acl/.test(section)) {
      if ((m = /^rule \d+ permit ip source (\S+) (\S+) destination (\S+) (\S+)/.exec(t))) {
        set('mySubnets', wildcardCidr(m[1], m[2]));
        set('platformSubnets', wildcardCidr(m[3], m[4]));
      }
    }
  }
  return out;
}

/** Which of our formats a text is in, from its shape; null when none fits. */
export function detectFormat(text: string): CheckFormat | null {
  if (/^\s*connections\s*\{/m.test(text)) return 'strongswan-swanctl';
  if (/^crypto (isakmp|ikev2|ipsec|map) /m.test(text)) return 'cisco-ios';
  if (/^(ike proposal|ike peer|ipsec proposal|ipsec policy) /m.test(text)) return 'huawei';
  if (/^conn\s+\S+/m.test(text)) return /^\s+(ikev2|phase2alg|phase2|salifetime)\s*=/m.test(text) ? 'libreswan' : 'strongswan-ipsec';
  return null;
}

export function readSettings(format: CheckFormat, text: string): Setting[] {
  const settings = readFormat(format, text);
  // IKEv1 without an aggressive-mode setting is main mode: said, so that a file that adds one differs.
  const v1 = settings.find((s) => s.field === 'ikeVersion' && s.value === 'v1');
  if (v1 && !settings.some((s) => s.field === 'exchangeMode'))
    settings.push({ field: 'exchangeMode', value: 'main', line: v1.line, text: 'main mode (no aggressive-mode setting)' });
  return settings;
}

function readFormat(format: CheckFormat, text: string): Setting[] {
  switch (format) {
    case 'strongswan-ipsec':
      return readIpsecConf(text, 'strongswan');
    case 'libreswan':
      return readIpsecConf(text, 'libreswan');
    case 'strongswan-swanctl':
      return readSwanctl(text);
    case 'cisco-ios':
      return readCiscoIos(text);
    case 'huawei':
      return readHuaweiVrp(text);
  }
}

// ---------------------------------------------------------------- the comparison

// Order matters for proposals (the first one is preferred); the rest are sets.
const ORDERED: ReadonlySet<CheckField> = new Set(['ikeEncryption', 'ikeIntegrity', 'dhGroup', 'ipsecEncryption', 'ipsecIntegrity', 'pfsGroup']);

function valuesOf(settings: Setting[], field: CheckField): string[] {
  const mine = settings.filter((s) => s.field === field);
  if (!ORDERED.has(field)) return [...new Set(mine.map((s) => s.value))].sort();
  // A proposal list per line, in order; the same list repeated (one IKEv1 child per subnet pair) counts once.
  const perLine = new Map<number, string[]>();
  for (const s of mine) perLine.set(s.line, [...(perLine.get(s.line) ?? []), s.value]);
  const lists = [...new Set([...perLine.values()].map((l) => JSON.stringify(l)))];
  return lists.flatMap((l) => JSON.parse(l) as string[]);
}

function uniqueLines(settings: Setting[], field: CheckField): Setting[] {
  const seen = new Set<number>();
  return settings.filter((s) => s.field === field && !seen.has(s.line) && seen.add(s.line));
}

/**
 * Compares `text` (the remote device's configuration) with what we export for `tunnel`. `format`
 * is detected from the text when not given. Throws UnreadableConfigError when the text is in no
 * format we know or sets none of the tunnel's fields.
 */
export function checkRemoteConfig(tunnel: RenderableTunnel, text: string, format?: CheckFormat): CheckResult {
  const detected = detectFormat(text);
  const used = format ?? detected;
  if (!used)
    throw new UnreadableConfigError(
      'the text is not in a format this check reads (strongSwan ipsec.conf or swanctl.conf, libreswan ipsec.conf, Cisco IOS, Huawei VRP / H3C Comware 5)',
    );
  const expected = readSettings(used, renderRemoteConfig(used, tunnel, 'remote'));
  const yours = readSettings(used, text);
  if (yours.length === 0) throw new UnreadableConfigError(`no setting of a ${used} configuration was found in the text`);
  const checked = [...new Set(expected.map((s) => s.field))];
  const findings: CheckFinding[] = [];
  for (const field of checked) {
    const want = valuesOf(expected, field);
    const have = valuesOf(yours, field);
    if (JSON.stringify(want) === JSON.stringify(have)) continue;
    const secret = field === 'psk';
    findings.push({
      field,
      label: CHECK_FIELDS[field],
      yours: secret ? null : have.length ? have.join(', ') : null,
      expected: secret ? null : want.join(', '),
      lines: uniqueLines(yours, field).map((s) => s.line),
      fix: secret
        ? have.length
          ? "the pre-shared key differs from this tunnel's: copy it again from the downloaded file"
          : 'no pre-shared key found: add the secrets line of the downloaded file'
        : `${have.length ? 'replace' : 'add'}: ${uniqueLines(expected, field)
            .map((s) => s.text)
            .join(' | ')}`,
    });
  }
  return { format: used, detected: !format || format === detected, checked, findings: settle(findings) };
}

/**
 * Two readings of the findings that say more than their parts: addresses (or identities) exactly
 * swapped become one "left and right swapped" finding; a different IKE version makes every other
 * difference moot (the file's structure differs), so it is reported alone.
 */
function settle(findings: CheckFinding[]): CheckFinding[] {
  const version = findings.find((f) => f.field === 'ikeVersion');
  if (version)
    return [
      { ...version, fix: `${version.fix} (the file is written for another IKE version: download it again for this tunnel; other differences are not listed)` },
    ];
  const swapped = (a: CheckField, b: CheckField) => {
    const fa = findings.find((f) => f.field === a);
    const fb = findings.find((f) => f.field === b);
    return fa && fb && fa.yours !== null && fa.yours === fb.expected && fb.yours === fa.expected ? [fa, fb] : null;
  };
  for (const [a, b] of [
    ['myAddress', 'platformAddress'],
    ['myId', 'platformId'],
    ['mySubnets', 'platformSubnets'],
  ] as const) {
    const pair = swapped(a, b);
    if (pair) {
      const [fa, fb] = pair;
      findings = findings.filter((f) => f !== fa && f !== fb);
      findings.unshift({
        ...fa,
        label: `${fa.label} and ${fb.label} are swapped`,
        lines: [...new Set([...fa.lines, ...fb.lines])].sort((x, y) => x - y),
        fix: `this device is the local (left) side: ${fa.fix}; ${fb.fix}`,
      });
    }
  }
  return findings;
}
