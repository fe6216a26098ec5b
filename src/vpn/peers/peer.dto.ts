import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsString, Length, MaxLength } from 'class-validator';
import { Optional } from '../../common/validators';

export class CreatePeerDto {
  @ApiProperty({ example: 'idc-shanghai' }) @IsString() @Length(1, 64) name: string;
  @ApiPropertyOptional({ maxLength: 256 }) @Optional() @IsString() @MaxLength(256) remark?: string;
  @ApiProperty({
    example: '203.0.113.7',
    description: 'Public IPv4 of the remote VPN device (or its fixed SNAT address); 0.0.0.0 = any address, the remote must initiate',
  })
  @IsString()
  ipAddress: string;
}

export class PeerDto {
  @ApiProperty({ example: 'rgw-k3j9x2ab' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() remark: string;
  @ApiProperty() ipAddress: string;
  @ApiProperty() tunnelCount: number;
  @ApiProperty() createdAt: Date;
}

export class PeerPageDto {
  @ApiProperty({ type: [PeerDto] }) @Type(() => PeerDto) items: PeerDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}
