// Feature folders do not import each other in circles. A folder here is a folder directly under
// src/ (vpn/, billing/, routes/, ...); the files directly in src/ (main.ts, worker.ts, app.module.ts,
// api-app.ts) compose the processes and are no folder. Every relative import of a non-spec .ts file
// under src/ is an arrow from its file's folder to the imported file's folder, type-only imports
// included, except entity registration:
//   - the imports of src/database/entities.ts, which lists every entity for TypeORM, and
//   - an entity file's imports of other entity files (*.entity.ts, *.entities.ts): TypeORM
//     relations name each other's classes in both directions.
// Code that uses another folder's entity (a query, a service) is an arrow like any other import.
//
// billing/ imports vpn/ (it renews and expires gateways and their tunnels); vpn/ does not import
// billing/: a gateway purchase's charge is injected (vpn/gateways/gateway-charger.ts). The test
// fails when any folder joins a cycle or a two-way pair appears.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const SRC = __dirname;
const KNOWN_TWO_WAY: string[] = [];
const KNOWN_CYCLES: string[][] = [];

const isEntity = (f: string) => /\.entit(y|ies)\.ts$/.test(f);

export interface Arrow {
  from: string;
  to: string;
  /** The importing file and the imported one, relative to src/. */
  via: string;
}

/** The folder arrows of the given files (paths relative to src/, text by path). */
export function folderArrows(files: Map<string, string>): Arrow[] {
  const folder = (f: string) => (f.includes('/') ? f.split('/')[0] : null);
  const resolve = (from: string, spec: string): string | null => {
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
    return [`${base}.ts`, `${base}/index.ts`, base].find((c) => files.has(c)) ?? null;
  };
  const arrows: Arrow[] = [];
  for (const [file, text] of files) {
    const from = folder(file);
    if (!from || file === 'database/entities.ts') continue;
    for (const imported of ts.preProcessFile(text, true, true).importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      const target = resolve(file, imported.fileName);
      const to = target && folder(target);
      if (!target || !to || to === from || (isEntity(file) && isEntity(target))) continue;
      arrows.push({ from, to, via: `${file} -> ${target}` });
    }
  }
  return arrows;
}

/** Folders on a cycle (strongly connected components of more than one folder), each sorted. */
export function cycles(arrows: Arrow[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const a of arrows) {
    if (!next.has(a.from)) next.set(a.from, new Set());
    if (!next.has(a.to)) next.set(a.to, new Set());
    next.get(a.from)!.add(a.to);
  }
  const reaches = (a: string, b: string) => {
    const seen = new Set([a]);
    const todo = [a];
    while (todo.length) {
      for (const n of next.get(todo.pop()!)!) {
        if (!seen.has(n)) {
          seen.add(n);
          todo.push(n);
        }
      }
    }
    return seen.has(b);
  };
  const out: string[][] = [];
  const placed = new Set<string>();
  for (const f of [...next.keys()].sort()) {
    if (placed.has(f)) continue;
    const component = [...next.keys()].filter((g) => g === f || (reaches(f, g) && reaches(g, f))).sort();
    component.forEach((g) => placed.add(g));
    if (component.length > 1) out.push(component);
  }
  return out;
}

function twoWay(arrows: Arrow[]): string[] {
  const keys = new Set(arrows.map((a) => `${a.from} -> ${a.to}`));
  return [...new Set(arrows.filter((a) => a.from < a.to && keys.has(`${a.to} -> ${a.from}`)).map((a) => `${a.from} <-> ${a.to}`))].sort();
}

function sourceFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) out.set(path.relative(dir, p).split(path.sep).join('/'), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('folder imports', () => {
  it('finds a cycle through three folders and leaves entity registration out', () => {
    const files = new Map([
      ['a/one.ts', "import { two } from '../b/two';"],
      ['b/two.ts', "import type { three } from '../c/three';"],
      ['c/three.ts', "import { one } from '../a';"],
      ['a/index.ts', ''],
      ['d/x.entity.ts', "import { Y } from '../e/y.entity';"],
      ['e/y.entity.ts', "import { X } from '../d/x.entity';"],
      ['database/entities.ts', "import { Y } from '../e/y.entity';"],
      ['e/uses.ts', "import { q } from '../database/q';"],
      ['database/q.ts', ''],
      ['main.ts', "import { one } from './a/one';"],
    ]);
    const arrows = folderArrows(files);
    expect(cycles(arrows)).toEqual([['a', 'b', 'c']]);
    expect(arrows.map((a) => `${a.from} -> ${a.to}`).sort()).toEqual(['a -> b', 'b -> c', 'c -> a', 'e -> database']);
  });

  it('src/ has no folder cycle but the known one, and no new two-way pair', () => {
    const arrows = folderArrows(sourceFiles(SRC));
    expect(arrows.length).toBeGreaterThan(100);
    const explain = (pair: string) => {
      const [a, b] = pair.split(' <-> ');
      return `${pair}: ${arrows
        .filter((x) => (x.from === a && x.to === b) || (x.from === b && x.to === a))
        .map((x) => x.via)
        .join(', ')}`;
    };
    expect(twoWay(arrows).map(explain)).toEqual(KNOWN_TWO_WAY.map(explain));
    expect(cycles(arrows)).toEqual(KNOWN_CYCLES);
  });
});
