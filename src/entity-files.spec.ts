// One naming for entity files: each TypeORM entity in its own `<kebab-case class name>.entity.ts`,
// and nothing else named `.entity.ts`/`.entities.ts`. Syntax only: it reads every src/**/*.ts.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const SRC = __dirname;
const kebab = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();

/** The entity classes a file declares (classes decorated with `@Entity(...)`). */
function entityClasses(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  return sf.statements.flatMap((st) =>
    ts.isClassDeclaration(st) && st.name && (ts.getDecorators(st) ?? []).some((d) => /^@Entity\b/.test(d.getText(sf))) ? [st.name.text] : [],
  );
}

export function entityFileViolations(fileName: string, text: string): string[] {
  const classes = entityClasses(fileName, text);
  const base = path.basename(fileName);
  const found: string[] = [];
  if (classes.length > 1) found.push(`${fileName}: declares ${classes.length} entities (${classes.join(', ')}): one per file`);
  if (classes.length === 1 && base !== `${kebab(classes[0])}.entity.ts`) found.push(`${fileName}: ${classes[0]} belongs in ${kebab(classes[0])}.entity.ts`);
  if (classes.length === 0 && /\.entit(y|ies)\.ts$/.test(base)) found.push(`${fileName}: named as an entity file but declares no entity`);
  return found;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [p] : [];
  });
}

describe('entity files', () => {
  it('names each kind of violation', () => {
    const two = "@Entity('a') export class AlphaRow {}\n@Entity('b') export class BetaRow {}";
    expect(entityFileViolations('x/rows.entities.ts', two)).toEqual([expect.stringContaining('declares 2 entities (AlphaRow, BetaRow)')]);
    expect(entityFileViolations('x/alpha.entity.ts', "@Entity('a') export class AlphaRow {}")).toEqual([
      expect.stringContaining('AlphaRow belongs in alpha-row.entity.ts'),
    ]);
    expect(entityFileViolations('x/alpha-row.entity.ts', "@Entity('a') export class AlphaRow {}")).toEqual([]);
    expect(entityFileViolations('x/kinds.entity.ts', 'export const KINDS = [];')).toEqual([expect.stringContaining('declares no entity')]);
    expect(entityFileViolations('x/service.ts', "@Entity('a') export class AlphaRow {}")).toEqual([expect.stringContaining('belongs in alpha-row.entity.ts')]);
  });

  it('every entity is alone in its <kebab-case name>.entity.ts', () => {
    const files = sourceFiles(SRC);
    const violations = files.flatMap((f) => entityFileViolations(path.relative(SRC, f), fs.readFileSync(f, 'utf8')));
    expect(violations).toEqual([]);
    expect(files.filter((f) => f.endsWith('.entity.ts')).length).toBeGreaterThanOrEqual(30);
  });
});
