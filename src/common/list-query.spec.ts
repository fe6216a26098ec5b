import { ValidationFailed } from './errors';
import { ListQueryDto, resolveListQuery } from './list-query';

const SORTABLE = { createdAt: 'g.created_at', name: 'g.name' };

const q = (over: Partial<ListQueryDto> = {}): ListQueryDto => Object.assign(new ListQueryDto(), over);

function thrown(fn: () => unknown): ValidationFailed {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationFailed);
    return err as ValidationFailed;
  }
  throw new Error('expected ValidationFailed');
}

describe('resolveListQuery', () => {
  it('defaults: offset 0, limit 20, createdAt, descending, no search', () => {
    expect(resolveListQuery(q(), SORTABLE)).toEqual({ offset: 0, limit: 20, sortColumn: 'g.created_at', order: 'DESC', like: null });
  });

  it('passes offset, limit, sort and order through', () => {
    expect(resolveListQuery(q({ offset: 40, limit: 10, sort: 'name', order: 'asc' }), SORTABLE)).toEqual({
      offset: 40,
      limit: 10,
      sortColumn: 'g.name',
      order: 'ASC',
      like: null,
    });
  });

  it('uses the default sort given', () => {
    expect(resolveListQuery(q(), SORTABLE, 'name').sortColumn).toBe('g.name');
  });

  it.each([
    ['desc', 'DESC'],
    ['asc', 'ASC'],
    [undefined, 'DESC'],
  ] as const)('order %p -> %s', (order, sql) => {
    expect(resolveListQuery(q({ order }), SORTABLE).order).toBe(sql);
  });

  it.each(['g.name', 'name; DROP TABLE tenants', 'NAME', 'created_at', '', 'constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'refuses sort %p with ValidationFailed naming sort',
    (sort) => {
      const err = thrown(() => resolveListQuery(q({ sort }), SORTABLE));
      expect(err.violations).toEqual([expect.objectContaining({ field: 'sort', rule: 'one_of', value: sort })]);
      expect(err.violations[0].message).toContain('createdAt, name');
    },
  );

  it('refuses a default sort the endpoint does not offer', () => {
    expect(thrown(() => resolveListQuery(q(), { name: 'g.name' })).violations[0].field).toBe('sort');
  });

  describe('fuzzy search', () => {
    it.each([
      ['vpn', '%vpn%'],
      ['  office  ', '%office%'],
      ['100%', '%100\\%%'],
      ['gw_1', '%gw\\_1%'],
      ['a\\b', '%a\\\\b%'],
      ['%_\\', '%\\%\\_\\\\%'],
      ["o'brien", "%o'brien%"],
      ['10.0.0.1', '%10.0.0.1%'],
    ])('q %p -> LIKE %p', (text, like) => {
      expect(resolveListQuery(q({ q: text }), SORTABLE).like).toBe(like);
    });

    it.each(['', '   ', undefined])('q %p means no search', (text) => {
      expect(resolveListQuery(q({ q: text }), SORTABLE).like).toBeNull();
    });
  });
});
