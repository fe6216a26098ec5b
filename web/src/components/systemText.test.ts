// Text the API writes in English into stored rows, shown in the page's language: every gateway
// state reason a tenant can read (src/vpn/tenant-reasons.ts, src/billing/gateway-lifecycle.queries.ts,
// src/vpn/gateways/gateways.service.ts) and every remote-configuration vendor (src/remote-config/vendors.ts).
import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import en from '../i18n/en.json';
import zh from '../i18n/zh.json';
import { gatewayReason, vendorName } from './systemText';

const API_GATEWAY_REASONS = [
  'waiting for a gateway host',
  'renewed: starting again',
  'expired at 2026-12-01T00:00:00.000Z: renew before 2026-12-08T00:00:00.000Z or it is released',
  'the platform could not start this gateway; the operator has been alerted (quote the gateway id to support)',
];
const API_VENDORS = [
  ['strongswan-ipsec', 'strongSwan (ipsec.conf, legacy starter)'],
  ['strongswan-swanctl', 'strongSwan (swanctl.conf)'],
  ['libreswan', 'libreswan (ipsec.conf)'],
  ['cisco-ios', 'Cisco IOS / IOS XE (crypto map)'],
  ['huawei', 'Huawei VRP / H3C Comware 5'],
];
// Product, format and protocol names a Chinese page shows as they are.
const NAMES = /\b(strongSwan|libreswan|ipsec|swanctl|conf|starter|Cisco|IOS|XE|crypto|map|VRP|H3C|Comware|ID)\b/g;

async function tr(lng: 'zh' | 'en') {
  const i = i18next.createInstance();
  await i.init({ resources: { en: { translation: en }, zh: { translation: zh } }, lng, interpolation: { escapeValue: false } });
  return i.t;
}

describe('system text in the page language', () => {
  it('every gateway state reason the API gives a tenant reads as Chinese on a zh page, with its times', async () => {
    const t = await tr('zh');
    for (const reason of API_GATEWAY_REASONS) {
      const text = gatewayReason(reason, t)!;
      expect(text).not.toBe(reason);
      expect(text.replace(NAMES, '')).not.toMatch(/[A-Za-z]{2,}/);
    }
    expect(gatewayReason(API_GATEWAY_REASONS[2], t)).toMatch(/2026-12-0\d \d\d:\d\d:\d\d.*2026-12-0\d \d\d:\d\d:\d\d/);
    expect(gatewayReason(null, t)).toBeNull();
    // An unknown reason is shown as written rather than hidden.
    expect(gatewayReason('something new', t)).toBe('something new');
  });

  it('English pages read the same sentences', async () => {
    const t = await tr('en');
    expect(gatewayReason('waiting for a gateway host', t)).toBe('Waiting for a gateway host');
  });

  it('vendor names keep the product names and translate the rest', async () => {
    const zhT = await tr('zh');
    const enT = await tr('en');
    for (const [id, name] of API_VENDORS) {
      expect(vendorName(id, name, enT)).toBe(name);
      expect(vendorName(id, name, zhT).replace(NAMES, '')).not.toMatch(/[A-Za-z]{2,}/);
    }
    expect(vendorName('new-vendor', 'New Vendor', zhT)).toBe('New Vendor');
  });
});
