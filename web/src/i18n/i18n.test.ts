// The message catalogue check (`npm run check:i18n`): zh and en have the same keys, every key the
// code uses exists, placeholders match, and every enumerated value has its message.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import en from './en.json';
import zh from './zh.json';
import { flatten, usedKeys } from './keys';
import { DPD_ACTIONS, FAILURE_CODES, IKE_EXCHANGE_MODES, INITIATOR_MODES, WAITING_FOR_REMOTE, type peerAddressProblem } from '../shared';

// Every problem the server's peer-address rule names (a new one fails the console's type-check here).
const PEER_ADDRESS_PROBLEMS: Record<NonNullable<ReturnType<typeof peerAddressProblem>>, true> = {
  invalid_ipv4: true,
  loopback: true,
  multicast: true,
  broadcast: true,
  link_local: true,
};
// The tunnel's reasons: the worker's codes and the view's own.
const REASONS = [...FAILURE_CODES, WAITING_FOR_REMOTE];

const SRC = join(__dirname, '..');

function sources(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts'))
      out.push({ path: relative(SRC, p), text: readFileSync(p, 'utf8') });
  }
  return out;
}

const enKeys = flatten(en);
const zhKeys = flatten(zh);
const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe('message catalogue', () => {
  it('zh and en have the same keys', () => {
    expect([...zhKeys.keys()].filter((k) => !enKeys.has(k))).toEqual([]);
    expect([...enKeys.keys()].filter((k) => !zhKeys.has(k))).toEqual([]);
  });

  it('zh and en use the same placeholders, and no message is empty', () => {
    const bad: string[] = [];
    for (const [k, v] of enKeys) {
      const z = zhKeys.get(k);
      if (z === undefined) continue;
      if (!v.trim() || !z.trim()) bad.push(`${k}: empty`);
      if (placeholders(v).join() !== placeholders(z).join()) bad.push(`${k}: ${placeholders(v).join()} vs ${placeholders(z).join()}`);
    }
    expect(bad).toEqual([]);
  });

  it('every key used in the code exists', () => {
    const { keys, prefixes } = usedKeys(sources(SRC), Object.keys(en));
    expect(keys.size).toBeGreaterThan(100);
    // A plural key (t('time.days', {count})) exists as its i18next forms: time.days_one, time.days_other.
    const missing = [...keys].filter(([k]) => !enKeys.has(k) && !enKeys.has(`${k}_other`)).map(([k, f]) => `${k} (${f})`);
    expect(missing).toEqual([]);
    const noPrefix = [...prefixes].filter(([p]) => ![...enKeys.keys()].some((k) => k.startsWith(p))).map(([p, f]) => `${p} (${f})`);
    expect(noPrefix).toEqual([]);
  });

  it('every enumerated value has its message', () => {
    const enums: Record<string, string[]> = {
      'state.resource': ['creating', 'running', 'deleting', 'error', 'expired'],
      'state.connection': ['connecting', 'connected', 'phase1_failed', 'phase2_failed'],
      charge: ['hourly', 'monthly', 'yearly'],
      period: ['hourly', 'monthly', 'yearly'],
      'policy.mode': [...IKE_EXCHANGE_MODES],
      'options.mode': [...INITIATOR_MODES],
      'options.modeHint': [...INITIATOR_MODES],
      'options.dpdActions': [...DPD_ACTIONS],
      'logs.kinds': ['attempt', 'connected', 'down', 'rekey', 'config', 'deleted'],
      'logs.results': ['success', 'failure'],
      'logs.summaries': ['attempt', 'connected', 'down', 'rekey', 'config_success', 'config_failure', 'deleted'],
      faq: REASONS,
      failureTitle: REASONS,
      'validation.peerIp': Object.keys(PEER_ADDRESS_PROBLEMS),
      'alert.metrics': [
        'tunnel_health',
        'tunnel_bps_in',
        'tunnel_bps_out',
        'tunnel_pps_in',
        'tunnel_pps_out',
        'gateway_rx_bps',
        'gateway_tx_bps',
        'gateway_rx_pps',
        'gateway_tx_pps',
        'gateway_tx_utilization',
        'gateway_failovers',
      ],
      'alert.comparators': ['lt', 'le', 'gt', 'ge', 'eq', 'ne'],
      'alert.states': ['firing', 'resolved'],
      'alert.channelTypes': ['webhook', 'console'],
      'alert.resourceTypes': ['gateway', 'tunnel'],
      'billing.orderKinds': ['purchase', 'renewal', 'auto_renewal'],
      'billing.ledgerKinds': ['top_up', 'charge', 'refund'],
      'op.per': ['hourly', 'monthly', 'yearly'],
      'tunnel.pushStatus': ['applied', 'pending', 'failed'],
      'tunnel.pushError': ['network_unreachable', 'invalid_gateway', 'route_exists', 'no_device', 'not_permitted', 'no_such_process', 'unknown'],
      'op.queueStates': ['waiting', 'active', 'delayed', 'prioritized', 'waitingChildren', 'failed'],
    };
    const missing: string[] = [];
    for (const [prefix, values] of Object.entries(enums))
      for (const v of values) if (!enKeys.has(`${prefix}.${v}`) && !enKeys.has(`${prefix}.${v}_other`)) missing.push(`${prefix}.${v}`);
    expect(missing).toEqual([]);
  });
});
