// Secrets travel in VICI messages (load-shared's `data`); anything logged goes through here.
import type { ViciSection, ViciValue } from './message';

const SECRET_KEYS = new Set(['data', 'secret', 'password', 'psk']);
export const REDACTED = '<redacted>';

/** A copy of `message` with every secret-bearing key, at any depth, replaced by REDACTED. */
export function redactSecrets(message: ViciSection): ViciSection {
  const out: ViciSection = {};
  for (const [key, value] of Object.entries(message)) {
    const copy: ViciValue = SECRET_KEYS.has(key.toLowerCase()) ? REDACTED : typeof value === 'string' || Array.isArray(value) ? value : redactSecrets(value);
    Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
