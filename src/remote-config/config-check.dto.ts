import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { Optional } from '../common/validators';
import { CHECK_FIELDS } from './config-check';
import { VENDOR_IDS, VendorId } from './vendors';

/** The longest configuration text the check reads (a router configuration's crypto part fits easily). */
export const MAX_CONFIG_CHARS = 64_000; // under the JSON body limit (100 kB), so a longer text gets a 400 naming the field
const FIELDS = Object.keys(CHECK_FIELDS);

export class CheckRemoteConfigDto {
  @ApiProperty({
    maxLength: MAX_CONFIG_CHARS,
    description:
      "The remote device's configuration as text (pasted or a file's contents). A pre-shared key in it is compared with the tunnel's, never stored, logged or echoed.",
  })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_CONFIG_CHARS)
  config: string;

  @ApiPropertyOptional({ enum: VENDOR_IDS, description: "The text's format; detected from the text when left out" })
  @Optional()
  @IsIn(VENDOR_IDS)
  format?: VendorId;
}

export class RemoteConfigFindingDto {
  @ApiProperty({ enum: FIELDS }) field: string;
  @ApiProperty({ example: 'IKE DH group' }) label: string;
  @ApiProperty({ type: String, nullable: true, example: '14', description: 'What the text says (null: nothing); never the PSK' }) yours: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2', description: 'What this tunnel needs; never the PSK' }) expected: string | null;
  @ApiProperty({ type: [Number], description: 'Lines of the text that set it (1-based); empty when it is missing' }) lines: number[];
  @ApiProperty({ example: 'replace: proposals = aes128-sha1-modp1024', description: "The line(s) of the tunnel's own export to write instead" }) fix: string;
}

export class RemoteConfigCheckDto {
  @ApiProperty({ enum: VENDOR_IDS, description: 'The format the text was read as' }) format: string;
  @ApiProperty({ description: 'false when the format given in the request is not the one the text looks like' }) detected: boolean;
  @ApiProperty({ type: [String], enum: FIELDS, description: 'The fields this format carries for the tunnel: what was compared' }) checked: string[];
  @ApiProperty({ type: [RemoteConfigFindingDto], description: 'Every difference; empty when the text matches the tunnel' }) findings: RemoteConfigFindingDto[];
}
