import { createCipheriv, createDecipheriv, randomBytes } from 'crypto';

// Pre-shared keys at rest: AES-256-GCM with a fresh 96-bit IV per value. The stored form carries a
// version so the key can be rotated later: `v1:<iv>:<tag>:<ciphertext>` (base64).
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split(':');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unrecognised sealed secret');
    // authTagLength pins the full 16-byte tag: without it GCM accepts a truncated (4..15-byte) tag.
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'), { authTagLength: 16 });
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}

/** The Nest token of the API's SecretBox (sealing PSKs and webhook secrets). */
export const SECRET_BOX = Symbol('SECRET_BOX');
