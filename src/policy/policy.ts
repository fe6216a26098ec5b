// IKE (phase 1) and IPsec (phase 2) policy: the spec's algorithm tables, defaults, validation and
// the proposal strings strongSwan understands. Pure: no framework, no I/O.
import { isFqdn, isIpv4 } from '../common/cidr';
import { Checked, Violation, violation } from '../common/violations';

export const IKE_VERSIONS = ['v1', 'v2'] as const;
// The spec's tables, extended (issue 16) with SHA-2 384/512, AES-GCM (16-byte ICV), the elliptic
// curve groups 19/20/21 and curve25519 (31): the gateways' openssl plugin provides all of them
// (e2e charon-algorithms asks a gateway charon for each).
export const IKE_AUTH_ALGORITHMS = ['md5', 'sha1', 'sha2-256', 'sha2-384', 'sha2-512'] as const;
export const ENCRYPTION_ALGORITHMS = ['3des', 'aes128', 'aes192', 'aes256', 'aes128gcm16', 'aes256gcm16'] as const;
export const IKE_EXCHANGE_MODES = ['main', 'aggressive'] as const;
export const DH_GROUPS = [1, 2, 5, 14, 24, 19, 20, 21, 31] as const;
export const IPSEC_PROTOCOLS = ['esp', 'ah'] as const;
export const IPSEC_AUTH_ALGORITHMS = ['md5', 'sha1', 'sha2-256', 'sha2-384', 'sha2-512'] as const;
export const PFS_GROUPS = [1, 2, 5, 14, 24, 19, 20, 21, 31, 'disable'] as const;
/** AEAD ciphers: they authenticate themselves, so ESP carries no integrity algorithm with them. */
export const AEAD_ALGORITHMS = ['aes128gcm16', 'aes256gcm16'] as const;
export const LIFETIME_MIN_SECONDS = 3600;
export const LIFETIME_MAX_SECONDS = 86400;

export type IkeVersion = (typeof IKE_VERSIONS)[number];
export type IkeAuthAlgorithm = (typeof IKE_AUTH_ALGORITHMS)[number];
export type EncryptionAlgorithm = (typeof ENCRYPTION_ALGORITHMS)[number];
export type IkeExchangeMode = (typeof IKE_EXCHANGE_MODES)[number];
export type DhGroup = (typeof DH_GROUPS)[number];
export type IpsecProtocol = (typeof IPSEC_PROTOCOLS)[number];
export type IpsecAuthAlgorithm = (typeof IPSEC_AUTH_ALGORITHMS)[number];
export type PfsGroup = (typeof PFS_GROUPS)[number];

export function isAead(alg: EncryptionAlgorithm | null | undefined): boolean {
  return !!alg && (AEAD_ALGORITHMS as readonly string[]).includes(alg);
}

/**
 * Phase 1 as stored: ids are resolved (defaults filled in), exchangeMode is null for IKEv2. With an
 * AES-GCM encryption (IKEv2 only) authAlgorithm is the PRF alone: GCM is its own integrity.
 */
export interface IkePolicy {
  version: IkeVersion;
  authAlgorithm: IkeAuthAlgorithm;
  encryptionAlgorithm: EncryptionAlgorithm;
  exchangeMode: IkeExchangeMode | null;
  dhGroup: DhGroup;
  localId: string;
  remoteId: string;
  lifetimeSeconds: number;
  /**
   * Further proposals, offered and accepted after the first (the three fields above), in order.
   * Absent (not stored) when there are none: tunnels stored before issue 16 keep their exact shape.
   */
  additionalProposals?: IkeProposal[];
}

/** One IKE proposal: the first is the policy's own three fields. */
export type IkeProposal = Pick<IkePolicy, 'encryptionAlgorithm' | 'authAlgorithm' | 'dhGroup'>;

/**
 * Phase 2 as stored: encryptionAlgorithm is null for AH, which only authenticates; authAlgorithm is
 * null for ESP with AES-GCM, which authenticates itself.
 */
export interface IpsecPolicy {
  protocol: IpsecProtocol;
  authAlgorithm: IpsecAuthAlgorithm | null;
  encryptionAlgorithm: EncryptionAlgorithm | null;
  pfsGroup: PfsGroup;
  lifetimeSeconds: number;
  /** Further proposals of the same protocol, after the first; absent when there are none. */
  additionalProposals?: IpsecProposal[];
}

/** One IPsec proposal (protocol is the policy's, for all of them). */
export type IpsecProposal = Pick<IpsecPolicy, 'encryptionAlgorithm' | 'authAlgorithm' | 'pfsGroup'>;

/** At most this many proposals after the first (strongSwan takes more; the vendors' files do not). */
export const MAX_ADDITIONAL_PROPOSALS = 4;

/** Every IKE proposal of the policy, the first first. */
export function ikeProposals(ike: IkePolicy): IkeProposal[] {
  return [{ encryptionAlgorithm: ike.encryptionAlgorithm, authAlgorithm: ike.authAlgorithm, dhGroup: ike.dhGroup }, ...(ike.additionalProposals ?? [])];
}

/** Every IPsec proposal of the policy, the first first. */
export function ipsecProposals(ipsec: IpsecPolicy): IpsecProposal[] {
  return [
    { encryptionAlgorithm: ipsec.encryptionAlgorithm, authAlgorithm: ipsec.authAlgorithm, pfsGroup: ipsec.pfsGroup },
    ...(ipsec.additionalProposals ?? []),
  ];
}

export type IkePolicyInput = Partial<Record<keyof IkePolicy, unknown>>;
export type IpsecPolicyInput = Partial<Record<keyof IpsecPolicy, unknown>>;

/** The spec's defaults: IKEv2, sha1, aes128, main (v1 only), DH 2, 86400 s; ESP sha1 aes128 PFS 2. */
export const IKE_DEFAULTS = {
  version: 'v2',
  authAlgorithm: 'sha1',
  encryptionAlgorithm: 'aes128',
  exchangeMode: 'main',
  dhGroup: 2,
  lifetimeSeconds: 86400,
} as const;

export const IPSEC_DEFAULTS = {
  protocol: 'esp',
  authAlgorithm: 'sha1',
  encryptionAlgorithm: 'aes128',
  pfsGroup: 2,
  lifetimeSeconds: 86400,
} as const;

/** What the ids default to, and whether the peer is "any" (0.0.0.0). */
export interface IdContext {
  gatewayIp: string;
  peerIp: string;
}

function oneOf<T extends string | number>(field: string, value: unknown, allowed: readonly T[], fallback: T, problems: Violation[]): T {
  if (value === undefined || value === null) return fallback;
  if (!(allowed as readonly unknown[]).includes(value)) {
    problems.push(violation(field, 'one_of', value, `${field} must be one of ${allowed.join(', ')}`));
    return fallback;
  }
  return value as T;
}

function lifetime(field: string, value: unknown, problems: Violation[]): number {
  if (value === undefined || value === null) return LIFETIME_MAX_SECONDS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < LIFETIME_MIN_SECONDS || value > LIFETIME_MAX_SECONDS) {
    problems.push(violation(field, 'lifetime_range', value, `${field} must be an integer from ${LIFETIME_MIN_SECONDS} to ${LIFETIME_MAX_SECONDS} seconds`));
  }
  return value as number;
}

function identity(field: string, value: unknown, fallback: string, problems: Violation[]): string {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value !== 'string' || !(isIpv4(value) || isFqdn(value))) {
    problems.push(violation(field, 'ip_or_fqdn', value, `${field} must be an IPv4 address or a fully qualified domain name`));
    return fallback;
  }
  return value;
}

/** A field every additional proposal must carry (no defaults: each proposal is spelled out). */
function required<T extends string | number>(field: string, value: unknown, allowed: readonly T[], problems: Violation[]): T {
  if (value === undefined || value === null) {
    problems.push(violation(field, 'required', value ?? null, `${field} is required (one of ${allowed.join(', ')})`));
    return allowed[0];
  }
  return oneOf(field, value, allowed, allowed[0], problems);
}

/**
 * `additionalProposals`: null or [] means none; else an array of at most MAX_ADDITIONAL_PROPOSALS
 * objects, each checked by `item`, none equal to the first proposal or to an earlier one.
 */
function checkAdditional<P extends object>(
  field: string,
  value: unknown,
  problems: Violation[],
  item: (raw: Record<string, unknown>, field: string) => P,
  first: P,
): P[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_ADDITIONAL_PROPOSALS) {
    problems.push(
      violation(
        field,
        'proposal_list',
        value,
        `${field} must be a list of at most ${MAX_ADDITIONAL_PROPOSALS} proposals (objects), offered after the first in order`,
      ),
    );
    return [];
  }
  const seen = [JSON.stringify(first)];
  const out: P[] = [];
  value.forEach((raw, i) => {
    const at = `${field}.${i}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(violation(at, 'proposal_object', raw, `${at} must be an object with the proposal's algorithms`));
      return;
    }
    const before = problems.length;
    const p = item(raw as Record<string, unknown>, at);
    const key = JSON.stringify(p);
    // (A proposal with a broken field is reported for that field, not compared.)
    if (problems.length === before && seen.includes(key))
      problems.push(violation(at, 'duplicate_proposal', raw, `${at} repeats an earlier proposal of this phase`));
    seen.push(key);
    out.push(p);
  });
  return out;
}

/**
 * Validates a phase 1 policy and fills the spec's defaults. `current` is the stored policy when
 * editing (fields left out keep their value); ids default to the gateway and peer addresses.
 */
export function checkIkePolicy(input: IkePolicyInput, ids: IdContext, current?: IkePolicy, prefix = 'ikePolicy'): Checked<IkePolicy> {
  const problems: Violation[] = [];
  const base = current ?? { ...IKE_DEFAULTS, localId: ids.gatewayIp, remoteId: ids.peerIp };
  const pick = (key: keyof IkePolicy) => (input[key] === undefined ? base[key] : input[key]);
  const f = (name: string) => (prefix ? `${prefix}.${name}` : name);

  const version = oneOf(f('version'), pick('version'), IKE_VERSIONS, IKE_DEFAULTS.version, problems);
  const authAlgorithm = oneOf(f('authAlgorithm'), pick('authAlgorithm'), IKE_AUTH_ALGORITHMS, IKE_DEFAULTS.authAlgorithm, problems);
  const encryptionAlgorithm = oneOf(f('encryptionAlgorithm'), pick('encryptionAlgorithm'), ENCRYPTION_ALGORITHMS, IKE_DEFAULTS.encryptionAlgorithm, problems);
  const dhGroup = oneOf(f('dhGroup'), pick('dhGroup'), DH_GROUPS, IKE_DEFAULTS.dhGroup, problems);
  const lifetimeSeconds = lifetime(f('lifetimeSeconds'), pick('lifetimeSeconds'), problems);

  if (version === 'v1' && isAead(encryptionAlgorithm)) {
    // RFC 5282 defines AES-GCM for IKEv2's SK payload only; IKEv1 (and charon's IKEv1) has no AEAD.
    problems.push(
      violation(
        f('encryptionAlgorithm'),
        'aead_only_for_ikev2',
        encryptionAlgorithm,
        `${f('encryptionAlgorithm')} ${encryptionAlgorithm} (AES-GCM) exists for IKEv2 only: choose version v2, or a CBC cipher (aes128, aes192, aes256) for IKEv1`,
      ),
    );
  }

  let exchangeMode: IkeExchangeMode | null = null;
  if (version === 'v1') {
    exchangeMode = oneOf(f('exchangeMode'), pick('exchangeMode') ?? IKE_DEFAULTS.exchangeMode, IKE_EXCHANGE_MODES, IKE_DEFAULTS.exchangeMode, problems);
  } else if (input.exchangeMode !== undefined && input.exchangeMode !== null) {
    // IKEv2 has no main/aggressive distinction: a mode sent with v2 is a misunderstanding, say so.
    problems.push(violation(f('exchangeMode'), 'mode_only_for_ikev1', input.exchangeMode, 'exchangeMode applies to IKEv1 only; leave it out for IKEv2'));
  }

  const additionalProposals = checkAdditional<IkeProposal>(
    f('additionalProposals'),
    input.additionalProposals === undefined ? current?.additionalProposals : input.additionalProposals,
    problems,
    (item, field) => {
      const p: IkeProposal = {
        encryptionAlgorithm: required(`${field}.encryptionAlgorithm`, item.encryptionAlgorithm, ENCRYPTION_ALGORITHMS, problems),
        authAlgorithm: required(`${field}.authAlgorithm`, item.authAlgorithm, IKE_AUTH_ALGORITHMS, problems),
        dhGroup: required(`${field}.dhGroup`, item.dhGroup, DH_GROUPS, problems),
      };
      if (version === 'v1' && isAead(p.encryptionAlgorithm)) {
        problems.push(
          violation(
            `${field}.encryptionAlgorithm`,
            'aead_only_for_ikev2',
            p.encryptionAlgorithm,
            `${field}.encryptionAlgorithm ${p.encryptionAlgorithm} (AES-GCM) exists for IKEv2 only`,
          ),
        );
      }
      return p;
    },
    { encryptionAlgorithm, authAlgorithm, dhGroup },
  );
  if (additionalProposals.length && exchangeMode === 'aggressive') {
    // The first message of Aggressive Mode carries the KE payload: one proposal (libreswan insists on it).
    problems.push(
      violation(
        f('additionalProposals'),
        'one_proposal_in_aggressive_mode',
        input.additionalProposals ?? additionalProposals,
        'IKEv1 aggressive mode negotiates exactly one proposal: leave additionalProposals out (or empty), or use main mode',
      ),
    );
  }

  const localId = identity(f('localId'), input.localId === undefined ? (current ? current.localId : undefined) : input.localId, ids.gatewayIp, problems);
  const remoteDefault = ids.peerIp;
  const remoteId = identity(f('remoteId'), input.remoteId === undefined ? (current ? current.remoteId : undefined) : input.remoteId, remoteDefault, problems);
  if (ids.peerIp === '0.0.0.0' && (remoteId === '0.0.0.0' || !remoteId)) {
    problems.push(
      violation(
        f('remoteId'),
        'remote_id_required_for_any_peer',
        input.remoteId ?? null,
        'the peer gateway is 0.0.0.0 (any address): set remoteId to the real address or FQDN the remote device uses as its local id',
      ),
    );
  }

  if (problems.length) return { ok: false, violations: problems };
  return {
    ok: true,
    value: {
      version,
      authAlgorithm,
      encryptionAlgorithm,
      exchangeMode,
      dhGroup,
      localId,
      remoteId,
      lifetimeSeconds,
      ...(additionalProposals.length ? { additionalProposals } : {}),
    },
  };
}

/** Validates a phase 2 policy and fills defaults; AH carries no encryption algorithm. */
export function checkIpsecPolicy(input: IpsecPolicyInput, current?: IpsecPolicy, prefix = 'ipsecPolicy'): Checked<IpsecPolicy> {
  const problems: Violation[] = [];
  const base: IpsecPolicy = current ?? { ...IPSEC_DEFAULTS };
  const f = (name: string) => (prefix ? `${prefix}.${name}` : name);
  const pick = (key: keyof IpsecPolicy) => (input[key] === undefined ? base[key] : input[key]);

  const protocol = oneOf(f('protocol'), pick('protocol'), IPSEC_PROTOCOLS, IPSEC_DEFAULTS.protocol, problems);
  const pfsGroup = oneOf(f('pfsGroup'), pick('pfsGroup'), PFS_GROUPS, IPSEC_DEFAULTS.pfsGroup, problems);
  const lifetimeSeconds = lifetime(f('lifetimeSeconds'), pick('lifetimeSeconds'), problems);

  let encryptionAlgorithm: EncryptionAlgorithm | null = null;
  if (protocol === 'esp') {
    encryptionAlgorithm = oneOf(
      f('encryptionAlgorithm'),
      pick('encryptionAlgorithm') ?? IPSEC_DEFAULTS.encryptionAlgorithm,
      ENCRYPTION_ALGORITHMS,
      IPSEC_DEFAULTS.encryptionAlgorithm,
      problems,
    );
  } else if (input.encryptionAlgorithm !== undefined && input.encryptionAlgorithm !== null) {
    problems.push(
      violation(
        f('encryptionAlgorithm'),
        'no_encryption_with_ah',
        input.encryptionAlgorithm,
        'AH only authenticates: leave encryptionAlgorithm out, or choose protocol esp',
      ),
    );
  }

  let authAlgorithm: IpsecAuthAlgorithm | null = null;
  if (!isAead(encryptionAlgorithm)) {
    authAlgorithm = oneOf(
      f('authAlgorithm'),
      pick('authAlgorithm') ?? IPSEC_DEFAULTS.authAlgorithm,
      IPSEC_AUTH_ALGORITHMS,
      IPSEC_DEFAULTS.authAlgorithm,
      problems,
    );
  } else if (input.authAlgorithm !== undefined && input.authAlgorithm !== null) {
    // A stored integrity algorithm is dropped silently when the cipher becomes GCM; one sent with it is a misunderstanding.
    problems.push(
      violation(
        f('authAlgorithm'),
        'no_integrity_with_aead',
        input.authAlgorithm,
        `${encryptionAlgorithm} (AES-GCM) authenticates the packets itself: leave authAlgorithm out, or choose a CBC cipher`,
      ),
    );
  }

  const additionalProposals = checkAdditional<IpsecProposal>(
    f('additionalProposals'),
    input.additionalProposals === undefined ? current?.additionalProposals : input.additionalProposals,
    problems,
    (item, field) => {
      let enc: EncryptionAlgorithm | null = null;
      if (protocol === 'esp') enc = required(`${field}.encryptionAlgorithm`, item.encryptionAlgorithm, ENCRYPTION_ALGORITHMS, problems);
      else if (item.encryptionAlgorithm !== undefined && item.encryptionAlgorithm !== null) {
        problems.push(
          violation(`${field}.encryptionAlgorithm`, 'no_encryption_with_ah', item.encryptionAlgorithm, 'AH only authenticates: leave encryptionAlgorithm out'),
        );
      }
      let auth: IpsecAuthAlgorithm | null = null;
      if (!isAead(enc)) auth = required(`${field}.authAlgorithm`, item.authAlgorithm, IPSEC_AUTH_ALGORITHMS, problems);
      else if (item.authAlgorithm !== undefined && item.authAlgorithm !== null) {
        problems.push(
          violation(
            `${field}.authAlgorithm`,
            'no_integrity_with_aead',
            item.authAlgorithm,
            `${enc} (AES-GCM) authenticates the packets itself: leave authAlgorithm out`,
          ),
        );
      }
      return { encryptionAlgorithm: enc, authAlgorithm: auth, pfsGroup: required(`${field}.pfsGroup`, item.pfsGroup, PFS_GROUPS, problems) };
    },
    { encryptionAlgorithm, authAlgorithm, pfsGroup },
  );

  if (problems.length) return { ok: false, violations: problems };
  return {
    ok: true,
    value: { protocol, authAlgorithm, encryptionAlgorithm, pfsGroup, lifetimeSeconds, ...(additionalProposals.length ? { additionalProposals } : {}) },
  };
}

// --- strongSwan proposal keywords -------------------------------------------------------------

const ENCRYPTION_KEYWORD: Record<EncryptionAlgorithm, string> = {
  '3des': '3des',
  aes128: 'aes128',
  aes192: 'aes192',
  aes256: 'aes256',
  aes128gcm16: 'aes128gcm16',
  aes256gcm16: 'aes256gcm16',
};
// strongSwan's sha256/384/512 are HMAC_SHA2_*_128/192/256 (RFC 4868), which every vendor uses too.
const INTEGRITY_KEYWORD: Record<IkeAuthAlgorithm, string> = { md5: 'md5', sha1: 'sha1', 'sha2-256': 'sha256', 'sha2-384': 'sha384', 'sha2-512': 'sha512' };
export const DH_KEYWORD: Record<DhGroup, string> = {
  1: 'modp768',
  2: 'modp1024',
  5: 'modp1536',
  14: 'modp2048',
  24: 'modp2048s256',
  19: 'ecp256',
  20: 'ecp384',
  21: 'ecp521',
  31: 'curve25519',
};

/**
 * e.g. `aes128-sha1-modp1024`; with AES-GCM the hash is the PRF alone: `aes256gcm16-prfsha384-ecp384`.
 * An IKE proposal always carries a DH group.
 */
export function ikeProposal(ike: Pick<IkePolicy, 'encryptionAlgorithm' | 'authAlgorithm' | 'dhGroup'>): string {
  const hash = isAead(ike.encryptionAlgorithm) ? `prf${INTEGRITY_KEYWORD[ike.authAlgorithm]}` : INTEGRITY_KEYWORD[ike.authAlgorithm];
  return `${ENCRYPTION_KEYWORD[ike.encryptionAlgorithm]}-${hash}-${DH_KEYWORD[ike.dhGroup]}`;
}

/** The IKE proposals in strongSwan's syntax, in order (VICI `proposals`, ipsec.conf `ike=` joined by commas). */
export function ikeProposalList(ike: IkePolicy): string[] {
  return ikeProposals(ike).map(ikeProposal);
}

/** The CHILD_SA proposals in strongSwan's syntax, in order. */
export function childProposalList(ipsec: IpsecPolicy): string[] {
  return ipsecProposals(ipsec).map((p) => childProposal({ protocol: ipsec.protocol, ...p }));
}

/** e.g. `aes128-sha1-modp1024`, `aes128-sha1` (PFS off), `sha1-modp1024` (AH), `aes256gcm16-ecp384` (GCM). */
export function childProposal(ipsec: Pick<IpsecPolicy, 'protocol' | 'encryptionAlgorithm' | 'authAlgorithm' | 'pfsGroup'>): string {
  const parts: string[] = [];
  if (ipsec.protocol === 'esp') parts.push(ENCRYPTION_KEYWORD[ipsec.encryptionAlgorithm ?? 'aes128']);
  if (ipsec.authAlgorithm) parts.push(INTEGRITY_KEYWORD[ipsec.authAlgorithm]);
  if (ipsec.pfsGroup !== 'disable') parts.push(DH_KEYWORD[ipsec.pfsGroup]);
  return parts.join('-');
}

// --- weak choices (issue 16) -------------------------------------------------------------------

/** A setting the spec makes us accept but that current peers refuse or that no longer protects. */
export interface WeakChoice {
  field: string; // e.g. 'ikePolicy.dhGroup'
  value: string | number;
  reason: string;
}

export const WEAK_HASH: Partial<Record<IkeAuthAlgorithm, string>> = {
  md5: 'MD5 is broken (collisions); many peers refuse it',
  sha1: 'SHA-1 is deprecated (RFC 8247); libreswan and current firewalls refuse it more and more',
};
export const WEAK_CIPHER: Partial<Record<EncryptionAlgorithm, string>> = { '3des': '3DES has a 64-bit block (Sweet32) and is deprecated (RFC 8221)' };
export const WEAK_GROUP: Partial<Record<DhGroup, string>> = {
  1: 'modp768 (DH 1) is breakable today; libreswan removed it',
  2: 'modp1024 (DH 2) is below 112-bit strength; libreswan 4.x no longer has it',
  5: 'modp1536 (DH 5) is below 128-bit strength (RFC 8247: SHOULD NOT)',
  24: 'modp2048s256 (DH 24) has a 256-bit subgroup of doubtful origin (RFC 8247: SHOULD NOT)',
};

/** Every weak choice of the two policies, in field order; empty when both are sound. */
export function weakChoices(ike: IkePolicy, ipsec: IpsecPolicy): WeakChoice[] {
  const out: WeakChoice[] = [];
  const add = (field: string, value: string | number | null, reason: string | undefined) => {
    if (value !== null && reason) out.push({ field, value, reason });
  };
  ikeProposals(ike).forEach((p, i) => {
    const at = i === 0 ? 'ikePolicy' : `ikePolicy.additionalProposals.${i - 1}`;
    add(`${at}.authAlgorithm`, p.authAlgorithm, WEAK_HASH[p.authAlgorithm]);
    add(`${at}.encryptionAlgorithm`, p.encryptionAlgorithm, WEAK_CIPHER[p.encryptionAlgorithm]);
    add(`${at}.dhGroup`, p.dhGroup, WEAK_GROUP[p.dhGroup]);
  });
  ipsecProposals(ipsec).forEach((p, i) => {
    const at = i === 0 ? 'ipsecPolicy' : `ipsecPolicy.additionalProposals.${i - 1}`;
    add(`${at}.authAlgorithm`, p.authAlgorithm, p.authAlgorithm ? WEAK_HASH[p.authAlgorithm] : undefined);
    add(`${at}.encryptionAlgorithm`, p.encryptionAlgorithm, p.encryptionAlgorithm ? WEAK_CIPHER[p.encryptionAlgorithm] : undefined);
    add(`${at}.pfsGroup`, p.pfsGroup, p.pfsGroup === 'disable' ? undefined : WEAK_GROUP[p.pfsGroup]);
  });
  return out;
}

/**
 * The console's "recommended" preset, per IKE version. IKEv2: AES-256-GCM with a SHA-256 PRF and
 * ECP 256 in both phases (what AWS, Azure and GCP offer). IKEv1: AES-256-CBC / SHA-256 / MODP 2048
 * in both phases, because IKEv1 has no IKE GCM and libreswan's IKEv1 Quick Mode has no ECP PFS.
 */
export const RECOMMENDED = {
  v2: {
    ike: { encryptionAlgorithm: 'aes256gcm16', authAlgorithm: 'sha2-256', dhGroup: 19 },
    ipsec: { protocol: 'esp', encryptionAlgorithm: 'aes256gcm16', authAlgorithm: null, pfsGroup: 19 },
  },
  v1: {
    ike: { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', dhGroup: 14 },
    ipsec: { protocol: 'esp', encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', pfsGroup: 14 },
  },
} as const satisfies Record<IkeVersion, { ike: Partial<IkePolicy>; ipsec: Partial<IpsecPolicy> }>;
