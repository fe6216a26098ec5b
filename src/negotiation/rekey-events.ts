// Pure: charon's `ike-rekey` / `child-rekey` event body (the part under one connection name) as a
// line of the tunnel's connection log.
import type { ViciSection, ViciValue } from '../vici';

const section = (v: ViciValue | undefined): ViciSection | null => (v && typeof v === 'object' && !Array.isArray(v) ? v : null);
const str = (s: ViciSection | null, key: string): string | undefined => (s && typeof s[key] === 'string' ? (s[key] as string) : undefined);

/**
 * ike-rekey:   { old: {IKE_SA}, new: {IKE_SA} }
 * child-rekey: { ...IKE_SA, 'child-sas': { <name>: { old: {CHILD_SA}, new: {CHILD_SA} } } }
 */
export function describeRekey(event: 'ike-rekey' | 'child-rekey', body: ViciValue | undefined): string {
  const b = section(body);
  if (event === 'ike-rekey') {
    const from = str(section(b?.old), 'uniqueid');
    const to = str(section(b?.new), 'uniqueid');
    return from && to ? `IKE_SA rekeyed (#${from} -> #${to})` : 'IKE_SA rekeyed';
  }
  const children = section(b?.['child-sas']);
  const lines = Object.values(children ?? {}).map((v) => {
    const c = section(v);
    const oldSa = section(c?.old);
    const newSa = section(c?.new);
    const name = str(newSa, 'name') ?? str(oldSa, 'name') ?? 'CHILD_SA';
    const spis = (s: ViciSection | null) => `${str(s, 'spi-in') ?? '?'}_i ${str(s, 'spi-out') ?? '?'}_o`;
    return `CHILD_SA ${name} rekeyed (SPIs ${spis(oldSa)} -> ${spis(newSa)})`;
  });
  return lines.length ? lines.join('; ') : 'CHILD_SA rekeyed';
}
