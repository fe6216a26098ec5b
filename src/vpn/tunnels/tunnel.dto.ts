import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, IsBooleanString, IsIn, IsInt, IsObject, IsString, Length, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { ListQueryDto, MAX_OFFSET } from '../../common/list-query';
import {
  DH_GROUPS,
  ENCRYPTION_ALGORITHMS,
  IKE_AUTH_ALGORITHMS,
  IKE_EXCHANGE_MODES,
  IKE_VERSIONS,
  IPSEC_AUTH_ALGORITHMS,
  IPSEC_PROTOCOLS,
  PFS_GROUPS,
} from '../../policy/policy';
import { TUNNEL_EVENT_KINDS, TunnelEventKind } from './tunnel-event.entity';
import { CONNECTION_STATES, ConnectionState, RESOURCE_STATES, ResourceState } from '../../common/states';
import { AddressRefDto, CidrRefDto } from '../gateways/gateway.dto';
import { RoutePushStatusDto } from '../../routes/routes.dto';
import { DEFAULT_VENDOR, VENDOR_IDS, VendorId } from '../../remote-config/vendors';
import { IsIsoDateTime, Optional } from '../../common/validators';
import { INITIATOR_MODES } from '../../strongswan/tunnel-model';
import { DEFAULT_TUNNEL_OPTIONS, DPD_ACTIONS, DPD_DELAY_RANGE, DPD_TIMEOUT_RANGE, TCP_MSS_RANGE } from '../../policy/tunnel-options';

// Policy fields are checked by the pure validators in policy.ts (one place for the spec's rules);
// the DTOs only let them through and document them.

/** PFS: a DH group number, or "disable" (a union: one `enum` cannot mix the two types). */
const PFS_GROUP_SCHEMA = {
  oneOf: [
    { type: 'integer', enum: PFS_GROUPS.filter((g) => typeof g === 'number') },
    { type: 'string', enum: PFS_GROUPS.filter((g) => typeof g === 'string') },
  ],
};

class IkeProposalDto {
  @ApiProperty({ enum: ENCRYPTION_ALGORITHMS }) encryptionAlgorithm: string;
  @ApiProperty({ enum: IKE_AUTH_ALGORITHMS, description: 'The PRF with an AES-GCM encryption' }) authAlgorithm: string;
  @ApiProperty({ type: 'integer', enum: DH_GROUPS }) dhGroup: number;
}

class IpsecProposalDto {
  @ApiProperty({ enum: ENCRYPTION_ALGORITHMS, nullable: true, description: 'ESP only; null or left out for AH' }) encryptionAlgorithm: string | null;
  @ApiProperty({ enum: IPSEC_AUTH_ALGORITHMS, nullable: true, description: 'null or left out with ESP AES-GCM' }) authAlgorithm: string | null;
  @ApiProperty({ ...PFS_GROUP_SCHEMA }) pfsGroup: number | string;
}

const ADDITIONAL =
  "Further proposals, offered and accepted after the first (this policy's own algorithm fields) in order; at most 4, each spelled out in full, no repeats. " +
  'Left out on an edit: kept; null or []: none.';

export class IkePolicyDto {
  @ApiPropertyOptional({ enum: IKE_VERSIONS, default: 'v2' }) @Allow() version?: unknown;
  @ApiPropertyOptional({ enum: IKE_AUTH_ALGORITHMS, default: 'sha1' }) @Allow() authAlgorithm?: unknown;
  @ApiPropertyOptional({
    enum: ENCRYPTION_ALGORITHMS,
    default: 'aes128',
    description: 'aes128gcm16 / aes256gcm16 (AES-GCM): IKEv2 only; authAlgorithm is then the PRF',
  })
  @Allow()
  encryptionAlgorithm?: unknown;
  @ApiPropertyOptional({ enum: IKE_EXCHANGE_MODES, default: 'main', description: 'IKEv1 only; must be left out for IKEv2' }) @Allow() exchangeMode?: unknown;
  @ApiPropertyOptional({ enum: DH_GROUPS, default: 2 }) @Allow() dhGroup?: unknown;
  @ApiPropertyOptional({ type: String, description: "IP or FQDN; default: the gateway's external IP" }) @Allow() localId?: unknown;
  @ApiPropertyOptional({ type: String, description: "IP or FQDN; default: the peer's IP; required when the peer is 0.0.0.0" }) @Allow() remoteId?: unknown;
  @ApiPropertyOptional({ type: 'integer', minimum: 3600, maximum: 86400, default: 86400 }) @Allow() lifetimeSeconds?: unknown;
  @ApiPropertyOptional({ type: [IkeProposalDto], description: `${ADDITIONAL} Not with IKEv1 aggressive mode.` }) @Allow() additionalProposals?: unknown;
}

export class IpsecPolicyDto {
  @ApiPropertyOptional({ enum: IPSEC_PROTOCOLS, default: 'esp' }) @Allow() protocol?: unknown;
  @ApiPropertyOptional({
    enum: IPSEC_AUTH_ALGORITHMS,
    default: 'sha1',
    description: 'Must be left out with an AES-GCM encryptionAlgorithm (GCM authenticates itself)',
  })
  @Allow()
  authAlgorithm?: unknown;
  @ApiPropertyOptional({ enum: ENCRYPTION_ALGORITHMS, default: 'aes128', description: 'ESP only; must be left out for AH' })
  @Allow()
  encryptionAlgorithm?: unknown;
  @ApiPropertyOptional({ ...PFS_GROUP_SCHEMA, default: 2 }) @Allow() pfsGroup?: unknown;
  @ApiPropertyOptional({ type: 'integer', minimum: 3600, maximum: 86400, default: 86400 }) @Allow() lifetimeSeconds?: unknown;
  @ApiPropertyOptional({ type: [IpsecProposalDto], description: `${ADDITIONAL} The protocol is the policy's for all of them.` })
  @Allow()
  additionalProposals?: unknown;
}

const DPD_HELP =
  'Dead peer detection: after delaySeconds without traffic from the peer the platform checks that it is alive; ' +
  'with no answer within timeoutSeconds (IKEv1; IKEv2 declares it dead after its retransmissions, about 9.5 s after the check) it is dead, and action says what the platform does: ' +
  'clear (drop the SAs and wait for the remote), hold (drop them; traffic to the remote subnets brings the tunnel back) or restart (initiate again at once).';

export class DpdOptionsDto {
  @ApiPropertyOptional({ type: 'integer', minimum: DPD_DELAY_RANGE.min, maximum: DPD_DELAY_RANGE.max, default: DEFAULT_TUNNEL_OPTIONS.dpd.delaySeconds })
  @Allow()
  delaySeconds?: unknown;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: DPD_TIMEOUT_RANGE.min,
    maximum: DPD_TIMEOUT_RANGE.max,
    default: DEFAULT_TUNNEL_OPTIONS.dpd.timeoutSeconds,
    description: 'Greater than delaySeconds',
  })
  @Allow()
  timeoutSeconds?: unknown;
  @ApiPropertyOptional({ enum: DPD_ACTIONS, default: DEFAULT_TUNNEL_OPTIONS.dpd.action }) @Allow() action?: unknown;
}

class DpdOptionsViewDto {
  @ApiProperty({ type: 'integer' }) delaySeconds: number;
  @ApiProperty({ type: 'integer' }) timeoutSeconds: number;
  @ApiProperty({ enum: DPD_ACTIONS }) action: string;
}

const FRAGMENTATION_HELP =
  'IKE fragmentation (RFC 7383 for IKEv2): offered to the peer and used when it supports it, so large IKE messages survive paths that drop IP fragments.';
const MSS_HELP = `Clamp the MSS of TCP connections through the tunnel to this many bytes (${TCP_MSS_RANGE.min}-${TCP_MSS_RANGE.max}) in the gateway, so they never send packets too large for the tunnel; null: off.`;

export class CreateTunnelDto {
  @ApiProperty({ example: 'to-idc' }) @IsString() @Length(1, 64) name: string;
  @ApiPropertyOptional({ maxLength: 256 }) @Optional() @IsString() @MaxLength(256) remark?: string;
  @ApiProperty({ example: 'vpngw-k3j9x2ab' }) @IsString() gatewayId: string;
  @ApiProperty({ example: 'rgw-k3j9x2ab' }) @IsString() peerId: string;
  @ApiProperty({ type: [String], example: ['subnet-k3j9x2ab'], description: "1-20 subnets of the gateway's VPC" }) @Allow() localSubnetIds: unknown;
  @ApiProperty({ type: [String], example: ['172.16.1.0/24'], description: '1-20 CIDRs; host bits are cleared' }) @Allow() remoteCidrs: unknown;
  @ApiProperty({ type: String, example: 'Sup3r.Secret-Key', description: '1-128 printable characters, no "?" and no space', writeOnly: true })
  @Allow()
  psk: unknown;
  @ApiPropertyOptional({ type: IkePolicyDto }) @Optional() @IsObject() @ValidateNested() @Type(() => IkePolicyDto) ikePolicy?: IkePolicyDto;
  @ApiPropertyOptional({ type: IpsecPolicyDto }) @Optional() @IsObject() @ValidateNested() @Type(() => IpsecPolicyDto) ipsecPolicy?: IpsecPolicyDto;
  @ApiPropertyOptional({
    enum: INITIATOR_MODES,
    description: 'response-only: the platform never initiates, the remote does. Default bidirectional; a 0.0.0.0 peer is always response-only',
  })
  @Allow()
  initiatorMode?: unknown;
  @ApiPropertyOptional({ type: DpdOptionsDto, description: `${DPD_HELP} Fields left out take the defaults.` }) @Allow() dpd?: unknown;
  @ApiPropertyOptional({ type: Boolean, default: DEFAULT_TUNNEL_OPTIONS.ikeFragmentation, description: FRAGMENTATION_HELP })
  @Allow()
  ikeFragmentation?: unknown;
  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: TCP_MSS_RANGE.min, maximum: TCP_MSS_RANGE.max, default: null, description: MSS_HELP })
  @Allow()
  tcpMssClamp?: unknown;
}

/** Every field optional: one left out keeps its value. */
export class UpdateTunnelOptionsDto {
  @ApiPropertyOptional({
    enum: INITIATOR_MODES,
    description: 'response-only: the platform never initiates, the remote does (a 0.0.0.0 peer is always response-only)',
  })
  @Allow()
  initiatorMode?: unknown;
  @ApiPropertyOptional({ type: DpdOptionsDto, description: `${DPD_HELP} Fields left out keep their value.` }) @Allow() dpd?: unknown;
  @ApiPropertyOptional({ type: Boolean, description: FRAGMENTATION_HELP }) @Allow() ikeFragmentation?: unknown;
  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: TCP_MSS_RANGE.min,
    maximum: TCP_MSS_RANGE.max,
    description: `${MSS_HELP} Changing only this applies it in place: no new configVersion, no reconnect.`,
  })
  @Allow()
  tcpMssClamp?: unknown;
}

export class UpdateSubnetsDto {
  @ApiProperty({ type: [String] }) @Allow() localSubnetIds: unknown;
  @ApiProperty({ type: [String] }) @Allow() remoteCidrs: unknown;
}

export class UpdateIkePolicyDto extends IkePolicyDto {
  @ApiPropertyOptional({ type: String, description: 'A new pre-shared key (the IKE policy dialog edits it too)', writeOnly: true }) @Allow() psk?: unknown;
}

export class TunnelListQueryDto extends ListQueryDto {
  @ApiPropertyOptional() @Optional() @IsString() gatewayId?: string;
  @ApiPropertyOptional() @Optional() @IsString() peerId?: string;
  @ApiPropertyOptional({ enum: RESOURCE_STATES }) @Optional() @IsIn(RESOURCE_STATES) resourceState?: ResourceState;
  @ApiPropertyOptional({ enum: CONNECTION_STATES }) @Optional() @IsIn(CONNECTION_STATES) connectionState?: ConnectionState;
}

export class TunnelDetailQueryDto {
  @ApiPropertyOptional({ description: 'Return the pre-shared key (explicit request only)', enum: ['true', 'false'] })
  @Optional()
  @IsBooleanString()
  includePsk?: string;
}

class EndpointRefDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'Public IP' }) ip: string;
}
class FailureDto {
  @ApiProperty({
    example: 'psk_mismatch_or_id_mismatch',
    description:
      "psk_mismatch / remote_id_mismatch where charon's lines tell them apart (the peer's own try, seen as responder), else psk_mismatch_or_id_mismatch. Also waiting_for_remote (a 0.0.0.0 peer that has not initiated) and, beside connected, a failed rekey",
  })
  code: string;
  @ApiProperty() message: string;
  @ApiProperty({ enum: [1, 2], description: 'IKE negotiation phase: 1 (IKE SA) or 2 (IPsec SA)' }) phase: number;
  @ApiProperty({ description: 'Failed tries in a row when it was last written' }) tries: number;
  @ApiProperty({
    type: Date,
    nullable: true,
    description: 'When it was last seen (the latest failed try); for waiting_for_remote, when the remote was last connected',
  })
  at: Date | null;
}
class SubnetPairDto {
  @ApiProperty({ example: '10.1.1.0/24' }) localCidr: string;
  @ApiProperty({ example: '172.16.1.0/24' }) remoteCidr: string;
}
class SubnetPairsDto {
  @ApiProperty({ description: 'Local subnets x remote CIDRs' }) total: number;
  @ApiProperty({ description: 'Pairs whose IPsec SA is installed (routes follow them)' }) up: number;
  @ApiProperty({ type: [SubnetPairDto], description: 'The pairs that are not up' }) down: SubnetPairDto[];
}
class IkePolicyViewDto {
  @ApiProperty({ enum: IKE_VERSIONS }) version: string;
  @ApiProperty({ enum: IKE_AUTH_ALGORITHMS }) authAlgorithm: string;
  @ApiProperty({ enum: ENCRYPTION_ALGORITHMS }) encryptionAlgorithm: string;
  @ApiProperty({ enum: IKE_EXCHANGE_MODES, nullable: true }) exchangeMode: string | null;
  @ApiProperty({ enum: DH_GROUPS }) dhGroup: number;
  @ApiProperty() localId: string;
  @ApiProperty() remoteId: string;
  @ApiProperty() lifetimeSeconds: number;
  @ApiProperty({ type: [IkeProposalDto], description: 'Proposals after the first, in order (empty: one proposal)' }) additionalProposals: IkeProposalDto[];
}
class IpsecPolicyViewDto {
  @ApiProperty({ enum: IPSEC_PROTOCOLS }) protocol: string;
  @ApiProperty({ enum: IPSEC_AUTH_ALGORITHMS, nullable: true, description: 'null with ESP AES-GCM' }) authAlgorithm: string | null;
  @ApiProperty({ enum: ENCRYPTION_ALGORITHMS, nullable: true }) encryptionAlgorithm: string | null;
  @ApiProperty(PFS_GROUP_SCHEMA) pfsGroup: number | string;
  @ApiProperty() lifetimeSeconds: number;
  @ApiProperty({ type: [IpsecProposalDto], description: 'Proposals after the first, in order (empty: one proposal)' }) additionalProposals: IpsecProposalDto[];
}

class WeakChoiceDto {
  @ApiProperty({ example: 'ikePolicy.dhGroup' }) field: string;
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'number' }], example: 2 }) value: string | number;
  @ApiProperty({ example: 'modp1024 (DH 2) is below 112-bit strength; libreswan 4.x no longer has it' }) reason: string;
}

export class TunnelDto {
  @ApiProperty({ example: 'vpntnl-k3j9x2ab' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() remark: string;
  @ApiProperty({ type: EndpointRefDto }) gateway: EndpointRefDto;
  @ApiProperty({ type: EndpointRefDto }) peer: EndpointRefDto;
  @ApiProperty({ type: [CidrRefDto] }) localSubnets: CidrRefDto[];
  @ApiProperty({ type: [String] }) remoteCidrs: string[];
  @ApiProperty({ type: IkePolicyViewDto }) ikePolicy: IkePolicyViewDto;
  @ApiProperty({ type: IpsecPolicyViewDto }) ipsecPolicy: IpsecPolicyViewDto;
  @ApiProperty({ enum: INITIATOR_MODES, description: 'response-only: the platform never initiates (always so for a 0.0.0.0 peer)' }) initiatorMode: string;
  @ApiProperty({ type: DpdOptionsViewDto, description: DPD_HELP }) dpd: DpdOptionsViewDto;
  @ApiProperty({ description: FRAGMENTATION_HELP }) ikeFragmentation: boolean;
  @ApiProperty({ type: 'integer', nullable: true, description: MSS_HELP }) tcpMssClamp: number | null;
  @ApiProperty({
    type: [WeakChoiceDto],
    description: 'Weak choices the spec makes us accept (md5, sha1, 3des, DH 1/2/5/24): accepted, but flagged with why; empty when none',
  })
  weak: WeakChoiceDto[];
  @ApiProperty({ enum: RESOURCE_STATES }) resourceState: ResourceState;
  @ApiProperty({ enum: CONNECTION_STATES }) connectionState: ConnectionState;
  @ApiProperty({ type: FailureDto, nullable: true }) failure: FailureDto | null;
  @ApiProperty({ description: "Incremented by every edit of subnets, policies or options that changes charon's configuration (not by tcpMssClamp alone)" })
  configVersion: number;
  @ApiProperty({ type: String, nullable: true }) alertTemplateId: string | null;
  @ApiProperty({ type: Date, nullable: true, description: 'Since when it is connected; null while it is not' }) connectedAt: Date | null;
  @ApiProperty({ type: Date, nullable: true, description: 'When it last stopped being connected' }) disconnectedAt: Date | null;
  @ApiProperty({
    type: SubnetPairsDto,
    description: 'Subnet pairs up: IKEv1 tunnels with several pairs negotiate one IPsec SA per pair, so some may be up while another fails',
  })
  subnetPairs: SubnetPairsDto;
  @ApiPropertyOptional({
    description:
      'Edit responses only: true when the remote device must load its new configuration (download it again), false when the edit changed nothing it negotiates',
  })
  remoteMustUpdate?: boolean;
  @ApiProperty({ description: 'When connectionState (or its failure reason) last changed; failure says why' }) stateChangedAt: Date;
  @ApiProperty() createdAt: Date;
  @ApiPropertyOptional({ description: 'Only with ?includePsk=true on the detail endpoint' }) psk?: string;
  @ApiPropertyOptional({ type: RoutePushStatusDto, description: "Detail endpoint only: instances that applied the tunnel's routes" })
  routePush?: RoutePushStatusDto;
}

export class TunnelPageDto {
  @ApiProperty({ type: [TunnelDto] }) @Type(() => TunnelDto) items: TunnelDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}

export { AddressRefDto };

export class ConfigQueryDto {
  @ApiPropertyOptional({
    enum: ['remote', 'platform'],
    default: 'remote',
    description: "remote: for the remote administrator (swapped); platform: the seed's form. Only with vendor strongswan-ipsec.",
  })
  @Optional()
  @IsIn(['remote', 'platform'])
  side?: 'remote' | 'platform';

  @ApiPropertyOptional({ enum: VENDOR_IDS, default: DEFAULT_VENDOR, description: "The remote device's kind: GET /api/v1/remote-config/vendors lists them" })
  @Optional()
  @IsIn(VENDOR_IDS)
  vendor?: VendorId;
}

export class TunnelLogQueryDto {
  @ApiPropertyOptional({ minimum: 0, maximum: MAX_OFFSET, default: 0 }) @Optional() @Type(() => Number) @IsInt() @Min(0) @Max(MAX_OFFSET) offset?: number;
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 20 }) @Optional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @ApiPropertyOptional({ enum: TUNNEL_EVENT_KINDS }) @Optional() @IsIn(TUNNEL_EVENT_KINDS) kind?: TunnelEventKind;
  @ApiPropertyOptional({ enum: ['success', 'failure'] }) @Optional() @IsIn(['success', 'failure']) result?: 'success' | 'failure';
  @ApiPropertyOptional({ description: 'Only entries with this reason code (psk_mismatch_or_id_mismatch, peer_unreachable, …)' })
  @Optional()
  @IsString()
  @Length(1, 64)
  reasonCode?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Entries at or after this time' }) @Optional() @IsIsoDateTime() from?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Entries at or before this time' }) @Optional() @IsIsoDateTime() to?: string;
  @ApiPropertyOptional({ description: "Case-insensitive text in the message or charon's lines" }) @Optional() @IsString() @Length(1, 200) q?: string;
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'false',
    description: 'true: consecutive identical entries (kind, result, phase, reason, configuration version) are one entry with repeats and firstAt',
  })
  @Optional()
  @IsIn(['true', 'false'])
  collapse?: 'true' | 'false';
}

export class TunnelLogEntryDto {
  @ApiProperty() id: string;
  @ApiProperty() at: Date;
  @ApiProperty({ enum: TUNNEL_EVENT_KINDS }) kind: string;
  @ApiProperty({ type: String, nullable: true, enum: ['success', 'failure'] }) result: string | null;
  @ApiProperty({ type: Number, nullable: true }) phase: number | null;
  @ApiProperty({ type: String, nullable: true }) reasonCode: string | null;
  @ApiProperty({ type: String, nullable: true }) message: string | null;
  @ApiProperty({ type: Number, nullable: true }) configVersion: number | null;
  @ApiProperty({ type: [String], description: "charon's log lines for the attempt" }) lines: string[];
  @ApiProperty({ description: "How many consecutive identical entries this one stands for (1 unless collapse=true); the fields are the newest one's" })
  repeats: number;
  @ApiProperty({ description: 'When the first of them happened (= at when repeats is 1)' }) firstAt: Date;
}

export class TunnelLogPageDto {
  @ApiProperty({ type: [TunnelLogEntryDto] }) items: TunnelLogEntryDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}
