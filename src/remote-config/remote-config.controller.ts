import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { DEFAULT_VENDOR, VENDOR_IDS, VENDORS } from './vendors';

export class RemoteConfigVendorDto {
  @ApiProperty({ enum: VENDOR_IDS, description: 'The value of `vendor` in GET /api/v1/vpn-tunnels/{id}/config' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: '{tunnelId}-swanctl.conf', description: "The download's file name; {tunnelId} (and {side}) are filled in" }) fileNamePattern: string;
  @ApiProperty({ example: 'conf' }) extension: string;
  @ApiProperty({ example: 'text/plain; charset=utf-8' }) contentType: string;
  @ApiProperty({ description: 'Device / software versions the file is written for' }) versions: string;
  @ApiProperty({ description: 'What the file assumes and its known limits' }) notes: string;
  @ApiProperty({ type: [String], enum: ['remote', 'platform'], description: 'Values `side` accepts for this vendor' }) sides: string[];
  @ApiProperty({ description: 'The vendor used when `vendor` is left out' }) default: boolean;
}

export class RemoteConfigVendorListDto {
  @ApiProperty({ type: [RemoteConfigVendorDto] }) items: RemoteConfigVendorDto[];
}

// Any authenticated key may read the list: it is static and holds no tenant data.
@ApiTags('remote-config')
@ApiBearerAuth()
@Controller('api/v1/remote-config')
export class RemoteConfigController {
  @Get('vendors')
  @ApiOperation({
    summary: "Remote devices a tunnel's configuration can be downloaded for",
    description: 'See docs/remote-configs.md for what each file assumes.',
  })
  @ApiOkResponse({ type: RemoteConfigVendorListDto })
  @ApiErrors()
  vendors(): RemoteConfigVendorListDto {
    return { items: VENDORS.map((v) => ({ ...v, sides: [...v.sides], default: v.id === DEFAULT_VENDOR })) };
  }
}
