// Services, controllers, guards and the worker hold rules, not SQL: every statement, query builder,
// repository or entity manager call lives in a query module (`*.queries.ts`, a class or functions
// on a DataSource or a transaction's EntityManager). Code outside them may open a transaction and
// hand its manager on, and start or close a DataSource; that is all it may do with one. This spec
// reads every src/**/*.ts outside the data layer (DATA_LAYER: query modules, entities, database/,
// cli/, specs) with syntax only, no type checker, and names every line that breaks the rule.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const SRC = __dirname;

/** What code outside the query modules may import from TypeORM: what it opens transactions on, and the errors it maps. */
const TYPEORM_ALLOWED = new Set(['DataSource', 'EntityManager', 'QueryFailedError', 'EntityNotFoundError']);
const NEST_TYPEORM_ALLOWED = new Set(['InjectDataSource', 'TypeOrmModule']);
/** A DataSource's members code outside the query layer may use: a transaction, and opening and closing it. */
const MANAGER_MEMBERS_ALLOWED = new Set(['transaction', 'initialize', 'destroy', 'isInitialized']);
/** Query-builder and repository calls, whatever the receiver is named. */
const QUERY_CALLS = new Set([
  'query',
  'createQueryBuilder',
  'getRepository',
  'setLock',
  'andWhere',
  'orWhere',
  'getOne',
  'getMany',
  'getRawMany',
  'getRawOne',
  'getManyAndCount',
  'getCount',
  'innerJoinAndSelect',
  'leftJoinAndSelect',
]);
const SQL = /\b(SELECT\s|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|FOR\s+UPDATE\b|ILIKE\b)/;

export function queryLayerViolations(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const at = (n: ts.Node, what: string) => found.push(`${fileName}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}: ${what}`);
  // Names (parameters, `this.` properties, transaction callbacks' first parameter) bound to a DataSource or EntityManager.
  const managers = new Set<string>();
  const typedAsManager = (t: ts.TypeNode | undefined) => !!t && /\b(DataSource|EntityManager)\b/.test(t.getText(sf));
  const collect = (n: ts.Node): void => {
    if ((ts.isParameter(n) || ts.isPropertyDeclaration(n)) && ts.isIdentifier(n.name) && typedAsManager(n.type)) managers.add(n.name.text);
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'transaction') {
      for (const arg of n.arguments) {
        if ((ts.isArrowFunction(arg) || ts.isFunctionExpression(arg)) && arg.parameters[0] && ts.isIdentifier(arg.parameters[0].name))
          managers.add(arg.parameters[0].name.text);
      }
    }
    ts.forEachChild(n, collect);
  };
  collect(sf);
  const isManager = (e: ts.Expression): boolean =>
    (ts.isIdentifier(e) && managers.has(e.text)) ||
    (ts.isPropertyAccessExpression(e) && e.expression.kind === ts.SyntaxKind.ThisKeyword && managers.has(e.name.text));
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const from = n.moduleSpecifier.text;
      const allowed = from === 'typeorm' ? TYPEORM_ALLOWED : from === '@nestjs/typeorm' ? NEST_TYPEORM_ALLOWED : null;
      const named = n.importClause?.namedBindings;
      if (allowed) {
        if (!named || !ts.isNamedImports(named) || n.importClause?.name) at(n, `imports ${from} other than by name`);
        else for (const el of named.elements) if (!allowed.has(el.name.text)) at(el, `imports ${el.name.text} from ${from}`);
      }
    }
    if (ts.isPropertyAccessExpression(n)) {
      if (isManager(n.expression) && !MANAGER_MEMBERS_ALLOWED.has(n.name.text))
        at(n, `uses ${n.getText(sf)} (a DataSource/EntityManager: only .transaction and the lifecycle are outside the query layer)`);
      if (n.name.text === 'manager') at(n, `uses ${n.getText(sf)}`);
      if (QUERY_CALLS.has(n.name.text) && ts.isCallExpression(n.parent) && n.parent.expression === n) at(n, `calls .${n.name.text}()`);
    }
    if (
      (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) &&
      SQL.test(n.text)
    ) {
      at(n, `holds SQL: ${n.text.trim().slice(0, 60)}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** Where data access belongs: query modules, entity declarations, and the database layer itself. */
const DATA_LAYER = [/\.queries\.ts$/, /\.entity\.ts$/, /\.spec\.ts$/, /^database\//, /^cli\//, /^vici\/testing\//];

function codeFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return codeFiles(p);
    return e.name.endsWith('.ts') && !DATA_LAYER.some((re) => re.test(path.relative(SRC, p))) ? [p] : [];
  });
}

describe('query layer', () => {
  it('finds each kind of violation in a sample service', () => {
    const sample = [
      "import { DataSource, In, Repository } from 'typeorm';",
      "import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';",
      'class S {',
      '  constructor(private readonly db: DataSource, private readonly repo: Repo) {}',
      "  a() { return this.db.query('SELECT id FROM vpn_tunnels'); }",
      '  b() { return this.db.transaction(async (tx) => { await tx.findOne(X, {}); await new XQueries(tx).ok(); }); }',
      "  c() { return this.repo.createQueryBuilder('t').getMany(); }",
      '  d(em: EntityManager) { return em.update(X, {}, {}); }',
      '}',
    ].join('\n');
    const v = queryLayerViolations('sample.service.ts', sample);
    expect(v).toEqual(
      expect.arrayContaining([
        expect.stringContaining(':1: imports In from typeorm'),
        expect.stringContaining(':1: imports Repository from typeorm'),
        expect.stringContaining(':2: imports InjectRepository from @nestjs/typeorm'),
        expect.stringContaining(':5: uses this.db.query'),
        expect.stringContaining(':5: holds SQL'),
        expect.stringContaining(':6: uses tx.findOne'),
        expect.stringContaining(':7: calls .createQueryBuilder()'),
        expect.stringContaining(':7: calls .getMany()'),
        expect.stringContaining(':8: uses em.update'),
      ]),
    );
    expect(v.filter((x) => x.includes(':6:'))).toHaveLength(1);
  });

  it('no code outside the query modules holds SQL or calls a repository, query builder or entity manager', () => {
    const files = codeFiles(SRC);
    expect(files.length).toBeGreaterThan(100);
    const violations = files.flatMap((f) => queryLayerViolations(path.relative(SRC, f), fs.readFileSync(f, 'utf8')));
    expect(violations).toEqual([]);
  });
});
