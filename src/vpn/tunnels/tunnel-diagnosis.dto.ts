import { ApiProperty } from '@nestjs/swagger';
import { DIAGNOSIS_CHECKS } from './tunnel-diagnosis';

export class DiagnosisCheckDto {
  @ApiProperty({
    enum: DIAGNOSIS_CHECKS,
    description:
      "gateway_running, host_answers (the gateway host ran the checks), peer_answers_ike (an IKE packet from the gateway's own namespace to the peer's UDP 500 and 4500), last_attempt, sa_established, traffic (SA counters over 2 s), routes_applied",
  })
  id: string;
  @ApiProperty({ enum: ['pass', 'fail', 'warn', 'skip'] }) status: string;
  @ApiProperty({ example: 'nothing answered IKE from 203.0.113.9 on UDP 500 or 4500 within 3 s' }) detail: string;
  @ApiProperty({ type: String, nullable: true, description: 'What to do about it' }) advice: string | null;
}

export class TunnelDiagnosisDto {
  @ApiProperty({ format: 'date-time' }) ranAt: string;
  @ApiProperty({ type: [DiagnosisCheckDto], description: 'In the order to look at them' }) checks: DiagnosisCheckDto[];
}
