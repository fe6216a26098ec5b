import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsIP, IsString, Length, Max, Min, ValidateBy, ValidateIf } from 'class-validator';
import { ListQueryDto } from '../common/list-query';
import { Optional } from '../common/validators';

export class CreateDataCenterDto {
  @ApiProperty({ example: 'lab-dc1' }) @IsString() @Length(1, 64) name: string;
  @ApiProperty({ example: 'lab' }) @IsString() @Length(1, 64) region: string;
}
export class CreateMachineTypeDto {
  @ApiProperty({ example: 'x86' }) @IsString() @Length(1, 64) name: string;
  @ApiProperty({ example: 'x86_64' }) @IsString() @Length(1, 32) architecture: string;
}
export class CreateVpcDto {
  @ApiProperty({ example: 'tenant-k3j9x2ab' }) @IsString() tenantId: string;
  @ApiProperty({ example: 'dc-k3j9x2ab' }) @IsString() dataCenterId: string;
  @ApiProperty({ example: 'prod' }) @IsString() @Length(1, 64) name: string;
  @ApiProperty({ example: '10.1.0.0/16' }) @IsString() cidr: string;
}
/** A VXLAN network identifier is 24 bits; 0 is reserved. */
export const VNI_MIN = 1;
export const VNI_MAX = 16_777_215;
/** One rule and one message (IsInt+Min+Max gave three contradictory ones for "7"). */
function IsVni(): PropertyDecorator {
  return ValidateBy({
    name: 'vni_range',
    validator: {
      validate: (v: unknown) => Number.isInteger(v) && (v as number) >= VNI_MIN && (v as number) <= VNI_MAX,
      defaultMessage: (a) => `${a?.property ?? 'vni'} must be an integer from ${VNI_MIN} to ${VNI_MAX}`,
    },
  });
}
const VNI_PROPERTY = {
  example: 10101,
  minimum: VNI_MIN,
  maximum: VNI_MAX,
  type: Number,
  description: 'VXLAN network identifier of the segment carrying the subnet on the gateway hosts (the vxlan network driver); unique',
};

export class CreateSubnetDto {
  @ApiProperty({ example: 'vpc-k3j9x2ab' }) @IsString() vpcId: string;
  @ApiProperty({ example: 'web' }) @IsString() @Length(1, 64) name: string;
  @ApiProperty({ example: '10.1.1.0/24' }) @IsString() cidr: string;
  @ApiPropertyOptional({ ...VNI_PROPERTY }) @Optional() @IsVni() vni?: number;
}
export class UpdateSubnetDto {
  @ApiProperty({
    ...VNI_PROPERTY,
    nullable: true,
    description: `${VNI_PROPERTY.description}; null clears it. Refused while a VPN gateway sits in the subnet (its host would keep the old segment).`,
  })
  @ValidateIf((_o, v) => v !== null)
  @IsVni()
  vni: number | null;
}
export class CreateExternalIpDto {
  @ApiProperty({ example: 'tenant-k3j9x2ab' }) @IsString() tenantId: string;
  @ApiProperty({ example: 'dc-k3j9x2ab' }) @IsString() dataCenterId: string;
  @ApiProperty({ example: '198.51.100.10' }) @IsIP(4) address: string;
  @ApiPropertyOptional({ example: 24, default: 24 }) @Optional() @IsInt() @Min(8) @Max(32) prefixLength?: number;
  @ApiPropertyOptional({ example: '198.51.100.1', description: 'Upstream router; defaults to the first address of the segment' })
  @Optional()
  @IsIP(4)
  routerIp?: string;
}
export class CreateInstanceDto {
  @ApiProperty({ example: 'subnet-k3j9x2ab' }) @IsString() subnetId: string;
  @ApiProperty({ example: 'web-1' }) @IsString() @Length(1, 64) name: string;
  @ApiProperty({ example: '10.1.1.10' }) @IsIP(4) privateIp: string;
}

export class InventoryListQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ description: 'Operators only: one tenant' }) @Optional() @IsString() tenantId?: string;
  @ApiPropertyOptional() @Optional() @IsString() vpcId?: string;
  @ApiPropertyOptional() @Optional() @IsString() subnetId?: string;
  @ApiPropertyOptional() @Optional() @IsString() dataCenterId?: string;
}

export class DataCenterDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() region: string;
  @ApiProperty() createdAt: Date;
}
export class MachineTypeDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() architecture: string;
  @ApiProperty() createdAt: Date;
}
export class VpcDto {
  @ApiProperty() id: string;
  @ApiProperty() tenantId: string;
  @ApiProperty() dataCenterId: string;
  @ApiProperty() name: string;
  @ApiProperty() cidr: string;
  @ApiProperty() createdAt: Date;
}
export class SubnetDto {
  @ApiProperty() id: string;
  @ApiProperty() tenantId: string;
  @ApiProperty() vpcId: string;
  @ApiProperty() name: string;
  @ApiProperty() cidr: string;
  @ApiProperty({ type: Number, nullable: true, description: 'VXLAN network identifier (null: not on a VXLAN fabric)' }) vni: number | null;
  @ApiProperty() createdAt: Date;
}
export class ExternalIpDto {
  @ApiProperty() id: string;
  @ApiProperty() tenantId: string;
  @ApiProperty() dataCenterId: string;
  @ApiProperty() address: string;
  @ApiProperty() prefixLength: number;
  @ApiProperty({ type: String, nullable: true }) routerIp: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The VPN gateway holding the address' }) boundTo: string | null;
  @ApiProperty() createdAt: Date;
}
export class InstanceDto {
  @ApiProperty() id: string;
  @ApiProperty() tenantId: string;
  @ApiProperty() subnetId: string;
  @ApiProperty() name: string;
  @ApiProperty() privateIp: string;
  @ApiProperty() createdAt: Date;
}

function pageOf<T>(item: new () => T, name: string) {
  class PageDto {
    @ApiProperty({ type: [item] }) @Type(() => item) items: T[];
    @ApiProperty() total: number;
    @ApiProperty() offset: number;
    @ApiProperty() limit: number;
  }
  Object.defineProperty(PageDto, 'name', { value: name });
  return PageDto;
}
export const DataCenterPageDto = pageOf(DataCenterDto, 'DataCenterPageDto');
export const MachineTypePageDto = pageOf(MachineTypeDto, 'MachineTypePageDto');
export const VpcPageDto = pageOf(VpcDto, 'VpcPageDto');
export const SubnetPageDto = pageOf(SubnetDto, 'SubnetPageDto');
export const ExternalIpPageDto = pageOf(ExternalIpDto, 'ExternalIpPageDto');
export const InstancePageDto = pageOf(InstanceDto, 'InstancePageDto');
export { pageOf };
