// Webhook signing and retry timing. Pure (node:crypto only).
//
// A receiver recomputes HMAC-SHA256 over the raw request body with the channel's secret and
// compares it with `X-VPN-Signature: sha256=<hex>`; `X-VPN-Delivery` is the same on every retry
// of one notification, so a receiver can drop duplicates.
import { createHmac, timingSafeEqual } from 'crypto';

export const SIGNATURE_HEADER = 'X-VPN-Signature';
export const DELIVERY_HEADER = 'X-VPN-Delivery';
export const EVENT_HEADER = 'X-VPN-Event';

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** Constant-time check of a received signature header. */
export function verifySignature(secret: string, body: string, header: string | undefined | null): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, body));
  const got = Buffer.from(header);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** Delay before attempt `attempt + 1` after `attempt` failed: base, 2 base, 4 base … capped. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs = 15 * 60_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export type DeliveryOutcome = { kind: 'delivered' } | { kind: 'retry'; delayMs: number } | { kind: 'failed' };

/** After attempt number `attempt` (1-based): 2xx delivers; anything else retries until the last attempt. */
export function deliveryOutcome(status: number | null, attempt: number, maxAttempts: number, baseMs: number): DeliveryOutcome {
  if (status !== null && status >= 200 && status < 300) return { kind: 'delivered' };
  if (attempt >= maxAttempts) return { kind: 'failed' };
  return { kind: 'retry', delayMs: retryDelayMs(attempt, baseMs) };
}
