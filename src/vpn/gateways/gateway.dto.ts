import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsString, Length, MaxLength } from 'class-validator';
import { ListQueryDto } from '../../common/list-query';
import { CHARGE_TYPES, ChargeType, GATEWAY_STATES, GatewayState } from '../../common/states';
import { NullClears, Optional } from '../../common/validators';

export class CreateGatewayDto {
  @ApiProperty({ example: 'gw-prod' }) @IsString() @Length(1, 64) name: string;
  @ApiPropertyOptional({ example: 'to the Shanghai IDC', maxLength: 256 }) @Optional() @IsString() @MaxLength(256) remark?: string;
  @ApiProperty({ example: 'mt-k3j9x2ab' }) @IsString() machineTypeId: string;
  @ApiProperty({ example: 'vpc-k3j9x2ab' }) @IsString() vpcId: string;
  @ApiProperty({ example: 'subnet-k3j9x2ab', description: 'The subnet of the VPC the gateway sits in' }) @IsString() subnetId: string;
  @ApiProperty({ example: 'eip-k3j9x2ab', description: "An unbound external IP of the VPC's data center" }) @IsString() externalIpId: string;
  @ApiProperty({ enum: CHARGE_TYPES, example: 'monthly' }) @IsIn(CHARGE_TYPES) chargeType: ChargeType;
  @ApiPropertyOptional({ example: 1, default: 1, description: 'hourly 1-24, monthly 1-11, yearly 1-5' }) @Optional() @IsInt() period?: number;
}

export class UpdateNameRemarkDto {
  @ApiPropertyOptional({ example: 'gw-prod' }) @Optional() @IsString() @Length(1, 64) name?: string;
  @ApiPropertyOptional({ maxLength: 256, nullable: true, description: 'null clears it' }) @NullClears() @Optional() @IsString() @MaxLength(256) remark?: string;
}

export class UpdateGatewayDto extends UpdateNameRemarkDto {
  @ApiPropertyOptional({ description: 'Renew automatically (1 unit of the charge type) shortly before expiry, when the balance allows' })
  @Optional()
  @IsBoolean()
  autoRenew?: boolean;
}

export class BatchDeleteDto {
  @ApiProperty({ type: [String], example: ['vpngw-k3j9x2ab'], minItems: 1, maxItems: 1000 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  ids: string[];
}

export class BatchDeleteResultDto {
  @ApiProperty({ type: [String] }) deleted: string[];
  @ApiProperty({ type: [String], description: 'Accepted and being torn down by their gateway host' }) deleting: string[];
}

export class GatewayListQueryDto extends ListQueryDto {
  @ApiPropertyOptional() @Optional() @IsString() vpcId?: string;
  @ApiPropertyOptional({ enum: GATEWAY_STATES }) @Optional() @IsIn(GATEWAY_STATES) resourceState?: GatewayState;
}

export class RefDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
}
export class CidrRefDto extends RefDto {
  @ApiProperty() cidr: string;
}
export class AddressRefDto {
  @ApiProperty() id: string;
  @ApiProperty() address: string;
}

export class GatewayDto {
  @ApiProperty({ example: 'vpngw-k3j9x2ab' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() remark: string;
  @ApiProperty() machineTypeId: string;
  @ApiProperty({ type: CidrRefDto }) vpc: CidrRefDto;
  @ApiProperty({ type: CidrRefDto }) subnet: CidrRefDto;
  @ApiProperty({ type: AddressRefDto }) externalIp: AddressRefDto;
  @ApiProperty({ description: "The gateway's address in its subnet: the next hop of pushed routes" }) privateIp: string;
  @ApiProperty({ enum: CHARGE_TYPES }) chargeType: ChargeType;
  @ApiProperty({ enum: GATEWAY_STATES, description: 'expired: stopped for non-payment (tunnels down, routes withdrawn) until renewed or released' })
  resourceState: GatewayState;
  @ApiProperty({ type: String, nullable: true }) stateReason: string | null;
  @ApiProperty() tunnelCount: number;
  @ApiProperty({ type: String, nullable: true }) alertTemplateId: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ type: Date, nullable: true }) expiresAt: Date | null;
  @ApiProperty({ description: 'Renewed automatically before expiry when the balance allows' }) autoRenew: boolean;
  @ApiProperty({ type: Date, nullable: true, description: 'When it expired (state expired); released at the end of the retention period' })
  expiredAt: Date | null;
}

export class GatewayPageDto {
  @ApiProperty({ type: [GatewayDto] }) @Type(() => GatewayDto) items: GatewayDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}
