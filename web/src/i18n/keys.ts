// Finds the message keys the code uses: translate-function calls, plus string literals that look like keys of
// a known namespace (maps such as the breadcrumb's), plus template-literal prefixes.
export interface UsedKeys {
  keys: Map<string, string>; // key -> first file using it
  prefixes: Map<string, string>; // template prefix -> file
}

export function usedKeys(files: { path: string; text: string }[], namespaces: string[]): UsedKeys {
  const keys = new Map<string, string>();
  const prefixes = new Map<string, string>();
  const ns = namespaces.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const literal = new RegExp(`['"]((?:${ns})\\.[A-Za-z0-9_.]+)['"]`, 'g');
  const call = /\bt\(\s*['"]([^'"]+)['"]/g;
  const template = /\bt\(\s*`([^`$]*)\$\{/g;
  for (const f of files) {
    for (const m of f.text.matchAll(call)) if (!keys.has(m[1])) keys.set(m[1], f.path);
    for (const m of f.text.matchAll(literal)) if (!keys.has(m[1]) && !m[1].endsWith('.')) keys.set(m[1], f.path);
    for (const m of f.text.matchAll(template)) if (!prefixes.has(m[1])) prefixes.set(m[1], f.path);
  }
  return { keys, prefixes };
}

export function flatten(obj: unknown, prefix = '', out: Map<string, string> = new Map()): Map<string, string> {
  if (obj && typeof obj === 'object') {
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (typeof v === 'string') out.set(key, v);
      else flatten(v, key, out);
    }
  }
  return out;
}
