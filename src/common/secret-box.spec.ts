import { randomBytes } from 'crypto';
import { SecretBox } from './secret-box';

const KEY = Buffer.alloc(32, 0x42);
const box = new SecretBox(KEY);

/** Flips one bit of the base64 part at `index` of a sealed value. */
function tamper(sealed: string, index: 1 | 2 | 3, byte = 0): string {
  const parts = sealed.split(':');
  const buf = Buffer.from(parts[index], 'base64');
  buf[byte] ^= 0x01;
  parts[index] = buf.toString('base64');
  return parts.join(':');
}

describe('SecretBox', () => {
  it.each(['a', 'Secr3t!#$%&*()', 'x'.repeat(128), 'ünïcødé 密钥', ''])('round-trips %p', (plaintext) => {
    expect(box.open(box.seal(plaintext))).toBe(plaintext);
  });

  it('opens with another instance holding the same key', () => {
    expect(new SecretBox(Buffer.from(KEY)).open(box.seal('shared'))).toBe('shared');
  });

  it('writes v1:<iv>:<tag>:<ciphertext> with a 96-bit IV and a 128-bit tag', () => {
    const [version, iv, tag, body] = box.seal('hello world').split(':');
    expect(version).toBe('v1');
    expect(Buffer.from(iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(tag, 'base64')).toHaveLength(16);
    expect(Buffer.from(body, 'base64')).toHaveLength('hello world'.length);
  });

  it('uses a fresh IV each time, so sealing twice gives different text', () => {
    const a = box.seal('same key');
    const b = box.seal('same key');
    expect(a).not.toBe(b);
    expect(a.split(':')[1]).not.toBe(b.split(':')[1]);
    const ivs = new Set(Array.from({ length: 50 }, () => box.seal('x').split(':')[1]));
    expect(ivs.size).toBe(50);
  });

  it('does not contain the plaintext, raw or base64', () => {
    const plaintext = 'MyVerySecretPreSharedKey-2025';
    const sealed = box.seal(plaintext);
    expect(sealed).not.toContain(plaintext);
    expect(sealed).not.toContain(Buffer.from(plaintext).toString('base64').slice(0, 12));
    expect(Buffer.from(sealed.split(':')[3], 'base64').toString('utf8')).not.toContain('Secret');
  });

  it.each([
    [3, 0, 'first ciphertext byte'],
    [3, 5, 'a middle ciphertext byte'],
    [2, 0, 'first tag byte'],
    [2, 15, 'last tag byte'],
    [1, 0, 'first IV byte'],
  ] as [1 | 2 | 3, number, string][])('refuses a value with a flipped bit in part %d byte %d (%s)', (part, byte) => {
    const sealed = box.seal('do not touch');
    expect(() => box.open(tamper(sealed, part, byte))).toThrow();
  });

  it('refuses a truncated tag (GCM would otherwise accept 4..15-byte tags)', () => {
    const [v, iv, tag, body] = box.seal('do not touch').split(':');
    for (const length of [4, 8, 12, 15]) {
      const short = Buffer.from(tag, 'base64').subarray(0, length).toString('base64');
      expect(() => box.open([v, iv, short, body].join(':'))).toThrow();
    }
  });

  it('refuses a swapped ciphertext from another value', () => {
    const a = box.seal('first secret').split(':');
    const b = box.seal('other secret').split(':');
    expect(() => box.open([a[0], a[1], a[2], b[3]].join(':'))).toThrow();
  });

  it('refuses to open with a wrong key', () => {
    const sealed = box.seal('only for KEY');
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow();
    const oneBitOff = Buffer.from(KEY);
    oneBitOff[31] ^= 0x80;
    expect(() => new SecretBox(oneBitOff).open(sealed)).toThrow();
  });

  it.each(['', 'plain text', 'v2:a:b:c', 'v1:onlyiv', 'v1::tag:body', 'v1:iv::body', 'v1:aXY='])('refuses the malformed value %p', (sealed) => {
    expect(() => box.open(sealed)).toThrow();
  });

  it.each([0, 16, 31, 33, 64])('needs a 32-byte key (not %d)', (length) => {
    expect(() => new SecretBox(Buffer.alloc(length))).toThrow(/32-byte key/);
  });
});
