import { createHmac } from 'crypto';
import { deliveryOutcome, retryDelayMs, signBody, verifySignature } from './webhook-signature';

describe('HMAC signature', () => {
  const secret = 'whsec-0123456789abcdef';
  const body = JSON.stringify({ event: 'firing', alert: { metric: 'tunnel_health', value: 0 } });

  it('is sha256=<hex HMAC-SHA256 of the raw body with the channel secret>', () => {
    const hex = createHmac('sha256', secret).update(body).digest('hex');
    expect(signBody(secret, body)).toBe(`sha256=${hex}`);
    expect(signBody(secret, body)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('a known vector (RFC 4231 test case 2)', () => {
    expect(signBody('Jefe', 'what do ya want for nothing?')).toBe('sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('verifies the right secret and body only', () => {
    const header = signBody(secret, body);
    expect(verifySignature(secret, body, header)).toBe(true);
    expect(verifySignature('another-secret-0123', body, header)).toBe(false);
    expect(verifySignature(secret, `${body} `, header)).toBe(false);
    expect(verifySignature(secret, body, header.slice(0, -1))).toBe(false);
    expect(verifySignature(secret, body, undefined)).toBe(false);
    expect(verifySignature(secret, body, header.toUpperCase())).toBe(false);
  });

  it('signs UTF-8 bytes (a resource name with non-ASCII characters)', () => {
    const text = JSON.stringify({ name: '上海-idc' });
    expect(signBody(secret, text)).toBe(`sha256=${createHmac('sha256', secret).update(Buffer.from(text, 'utf8')).digest('hex')}`);
  });
});

describe('retries with exponential back-off', () => {
  it('doubles from the base and caps', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, 2000))).toEqual([2000, 4000, 8000, 16000]);
    expect(retryDelayMs(30, 2000)).toBe(15 * 60_000);
  });

  it('2xx delivers; other statuses and network errors retry until the last attempt fails', () => {
    expect(deliveryOutcome(200, 1, 5, 1000)).toEqual({ kind: 'delivered' });
    expect(deliveryOutcome(204, 5, 5, 1000)).toEqual({ kind: 'delivered' });
    expect(deliveryOutcome(500, 1, 5, 1000)).toEqual({ kind: 'retry', delayMs: 1000 });
    expect(deliveryOutcome(301, 2, 5, 1000)).toEqual({ kind: 'retry', delayMs: 2000 });
    expect(deliveryOutcome(null, 4, 5, 1000)).toEqual({ kind: 'retry', delayMs: 8000 });
    expect(deliveryOutcome(404, 5, 5, 1000)).toEqual({ kind: 'failed' });
    expect(deliveryOutcome(null, 5, 5, 1000)).toEqual({ kind: 'failed' });
  });
});
