import { randomBytes } from 'crypto';

// Readable, prefixed, unguessable resource ids (`vpngw-k3j9x2ab`), never sequences: ids leak
// nothing about volume and are safe to show in URLs and logs.
const ALPHABET = '0123456789abcdefghijkmnopqrstuvwxyz'; // no 'l': it reads as '1'

export const ID_PREFIX = {
  tenant: 'tenant',
  apiKey: 'key',
  dataCenter: 'dc',
  machineType: 'mt',
  vpc: 'vpc',
  subnet: 'subnet',
  externalIp: 'eip',
  instance: 'inst',
  gateway: 'vpngw',
  peer: 'rgw',
  tunnel: 'vpntnl',
  agentTarget: 'agt',
  alertTemplate: 'alt',
  alertChannel: 'chn',
  alert: 'alert',
  notification: 'ntf',
  webhookDelivery: 'dlv',
  order: 'ord',
  ledgerEntry: 'led',
  billingNotice: 'bnt',
} as const;

export function newId(prefix: string, length = 8): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return `${prefix}-${out}`;
}

export function newSecretToken(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}
