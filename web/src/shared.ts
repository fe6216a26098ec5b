// The server's pure modules, run by the console as they are (docs/decisions.md "One source for the
// console's tables"): the policy tables, defaults, limits, weak set and recommended preset
// (src/policy/policy.ts), the IPv4/CIDR rules (src/common/cidr.ts), the initiator modes
// (src/strongswan/tunnel-model.ts), the tunnel options' ranges and defaults
// (src/policy/tunnel-options.ts) and the failure codes (src/strongswan/failure-reasons.ts).
// This file is the console's one door into ../src: nothing in web/src declares those tables again
// (shared.test.ts fails if one returns).
import type { Schemas } from './api/client';
import type {
  DhGroup,
  EncryptionAlgorithm,
  IkeAuthAlgorithm,
  IkeExchangeMode,
  IkeVersion,
  IpsecAuthAlgorithm,
  IpsecProtocol,
  PfsGroup,
} from '../../src/policy/policy';
import type { InitiatorMode } from '../../src/strongswan/tunnel-model';
import type { DpdAction } from '../../src/policy/tunnel-options';

export {
  AEAD_ALGORITHMS,
  DH_GROUPS,
  DH_KEYWORD,
  ENCRYPTION_ALGORITHMS,
  IKE_AUTH_ALGORITHMS,
  IKE_DEFAULTS,
  IKE_EXCHANGE_MODES,
  IKE_VERSIONS,
  IPSEC_AUTH_ALGORITHMS,
  IPSEC_DEFAULTS,
  IPSEC_PROTOCOLS,
  isAead,
  LIFETIME_MAX_SECONDS,
  LIFETIME_MIN_SECONDS,
  MAX_ADDITIONAL_PROPOSALS,
  PFS_GROUPS,
  RECOMMENDED,
  WEAK_CIPHER,
  WEAK_GROUP,
  WEAK_HASH,
} from '../../src/policy/policy';
export type { DhGroup, EncryptionAlgorithm, IkeAuthAlgorithm, IkeVersion, IpsecAuthAlgorithm, PfsGroup } from '../../src/policy/policy';
export { cidrsOverlap, isFqdn, isIpv4, normalizeCidr, parseCidr, peerAddressProblem, remoteCidrProblem, type Cidr } from '../../src/common/cidr';
export { ANY_PEER, INITIATOR_MODES, type InitiatorMode } from '../../src/strongswan/tunnel-model';
export { DEFAULT_TUNNEL_OPTIONS, DPD_ACTIONS, DPD_DELAY_RANGE, DPD_TIMEOUT_RANGE, TCP_MSS_RANGE, type DpdAction } from '../../src/policy/tunnel-options';
export { FAILURE_CODES, WAITING_FOR_REMOTE, type FailureCode } from '../../src/strongswan/failure-reasons';

// The generated client (sdk/schema.d.ts, from the OpenAPI document the server writes from the same
// module) must name the same values: a drift on either side fails the console's type-check here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Ike = Schemas['IkePolicyViewDto'];
type Ipsec = Schemas['IpsecPolicyViewDto'];
export const GENERATED_CLIENT_AGREES: [
  Same<Ike['version'], IkeVersion>,
  Same<Ike['authAlgorithm'], IkeAuthAlgorithm>,
  Same<Ike['encryptionAlgorithm'], EncryptionAlgorithm>,
  Same<NonNullable<Ike['exchangeMode']>, IkeExchangeMode>,
  Same<Ike['dhGroup'], DhGroup>,
  Same<Ipsec['protocol'], IpsecProtocol>,
  Same<NonNullable<Ipsec['authAlgorithm']>, IpsecAuthAlgorithm>,
  Same<NonNullable<Ipsec['encryptionAlgorithm']>, EncryptionAlgorithm>,
  Same<Ipsec['pfsGroup'], PfsGroup>,
  Same<Schemas['IkeProposalDto']['dhGroup'], DhGroup>,
  Same<Schemas['IpsecProposalDto']['pfsGroup'], PfsGroup>,
  Same<Schemas['TunnelDto']['initiatorMode'], InitiatorMode>,
  Same<NonNullable<Schemas['UpdateTunnelOptionsDto']['initiatorMode']>, InitiatorMode>,
  Same<Schemas['DpdOptionsViewDto']['action'], DpdAction>,
  Same<NonNullable<Schemas['DpdOptionsDto']['action']>, DpdAction>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];
