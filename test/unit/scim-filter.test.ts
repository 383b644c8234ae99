import fc from 'fast-check';
import knex from 'knex';
import type { UserFilter } from '../../src/domain/directory-filter.js';
import { parseDateTime } from '../../src/scim/filter/date-time.js';
import { FilterBoundError, MAX_FILTER_DEPTH, MAX_FILTER_TERMS } from '../../src/scim/filter/filter-bounds.js';
import { parseFilter, rewriteValuePathSubAttributes } from '../../src/scim/filter/parse-filter.js';
import { resolveGroupFilter, resolveUserFilter } from '../../src/scim/filter/resolve-filter.js';
import { ScimError } from '../../src/scim/scim-error.js';
import {
  compileGroupFilter,
  compileUserFilter,
  filterSql,
  userFilterCost,
} from '../../src/store/repositories/filter-sql.js';
import { filterText } from '../support/scim-arbitraries.js';

// Knex without a connection only renders SQL.
const pg = knex({ client: 'pg' });

function userSql(text: string): { sql: string; bindings: readonly unknown[] } {
  return filterSql(pg, compileUserFilter(resolveUserFilter(parseFilter(text)), 'org-1'), 'directory_users as u');
}

function groupSql(text: string): { sql: string; bindings: readonly unknown[] } {
  return filterSql(pg, compileGroupFilter(resolveGroupFilter(parseFilter(text)), 'org-1'), 'directory_groups as g');
}

const terms = (n: number, term: (i: number) => string, joiner = 'or'): string =>
  Array.from({ length: n }, (_, i) => term(i)).join(` ${joiner} `);

function refusal(text: string): ScimError {
  try {
    resolveUserFilter(parseFilter(text));
  } catch (error) {
    return error as ScimError;
  }
  throw new Error(`accepted: ${text}`);
}

describe('SCIM filter translation', () => {
  it('rewrites a value path followed by a sub-attribute into one value path', () => {
    expect(rewriteValuePathSubAttributes('emails[type eq "work"].value eq "a@b"')).toBe(
      'emails[(type eq "work") and value eq "a@b"]',
    );
    expect(rewriteValuePathSubAttributes('emails[type eq "w]"].value pr and x eq 1')).toBe(
      'emails[(type eq "w]") and value pr] and x eq 1',
    );
    expect(rewriteValuePathSubAttributes('userName eq "a[b].c eq d"')).toBe('userName eq "a[b].c eq d"');
  });

  it('binds every value and names only known columns', () => {
    const sql = userSql(`userName eq "x' OR '1'='1" and title co "50%"`);
    expect(sql.sql).not.toContain("'1'='1");
    expect(sql.sql).not.toContain('50%');
    expect(sql.bindings).toContain("x' or '1'='1");
    expect(sql.bindings).toContain('%50\\%%');
    expect(sql.sql).toContain('u.user_name_lower');
  });

  it('keeps the conditions of a value path on one element', () => {
    expect(userSql('emails[type eq "work" and value co "@x"]').sql.match(/EXISTS/g)).toHaveLength(1);
    expect(userSql('emails[type eq "work"] and emails.value co "@x"').sql.match(/EXISTS/g)).toHaveLength(2);
  });

  it('reads each collection once, whatever the number of its terms, past a few terms', () => {
    const sql = userSql(terms(40, (i) => (i % 2 ? `emails.value eq "x${i}@example.com"` : `groups.value eq "g${i}"`)));
    expect(sql.sql).not.toMatch(/EXISTS/);
    expect(sql.sql.match(/LEFT JOIN/g)).toHaveLength(2);
    expect(sql.sql.match(/MAX\(CASE WHEN/g)).toHaveLength(40);
    const members = groupSql(terms(10, (i) => `members[value eq "u${i}"]`, 'and'));
    expect(members.sql.match(/LEFT JOIN/g)).toHaveLength(1);
  });

  it('tells a lookup an index answers from a scan of the connection', () => {
    const cost = (text: string) => userFilterCost(resolveUserFilter(parseFilter(text)));
    expect(cost('userName eq "dana@example.com"')).toBe('lookup');
    expect(cost('externalId eq "a" or id eq "b"')).toBe('lookup');
    expect(cost('userName eq "a" and title co "x"')).toBe('lookup');
    expect(cost('emails[type eq "work" and value eq "a@b"]')).toBe('lookup');
    expect(cost('title co "x"')).toBe('scan');
    expect(cost('userName eq "a" or title co "x"')).toBe('scan');
    expect(cost('not (userName eq "a")')).toBe('scan');
    expect(cost('groups.value eq "g1" or groups.value eq "g2"')).toBe('lookup');
    // Read as grouped joins, many collection terms read all of the org's elements.
    expect(cost(terms(10, (i) => `groups.value eq "g${i}"`))).toBe('scan');
  });

  it('refuses filters past the bounds with invalidFilter naming the bound', () => {
    const many = refusal(terms(MAX_FILTER_TERMS + 1, (i) => `title eq "t${i}"`));
    expect(many).toBeInstanceOf(FilterBoundError);
    expect(many.message).toContain(`more than ${MAX_FILTER_TERMS} comparisons`);
    expect(() => resolveUserFilter(parseFilter(terms(MAX_FILTER_TERMS, (i) => `title eq "t${i}"`)))).not.toThrow();

    const deep = refusal(`${'('.repeat(MAX_FILTER_DEPTH + 1)}title pr${')'.repeat(MAX_FILTER_DEPTH + 1)}`);
    expect(deep.message).toContain(`more than ${MAX_FILTER_DEPTH} levels`);
    const alternating = refusal(
      Array.from({ length: MAX_FILTER_DEPTH + 1 }).reduce<string>(
        (inner, _, i) => `title eq "${i}" ${i % 2 ? 'and' : 'or'} (${inner})`,
        'title pr',
      ),
    );
    expect(alternating.scimType).toBe('invalidFilter');
    expect(refusal(`not (${'('.repeat(2000)}title pr${')'.repeat(2000)})`).message).toContain('levels');
    expect(refusal(`title eq "${'x'.repeat(5000)}"`).message).toContain('4096 characters');
  });

  it('compares dates as instants, and refuses what is not xsd:dateTime', () => {
    expect(parseDateTime('2011-05-13T04:42:34Z')).toBe(Date.UTC(2011, 4, 13, 4, 42, 34));
    expect(parseDateTime('2011-05-13T06:42:34+02:00')).toBe(Date.UTC(2011, 4, 13, 4, 42, 34));
    expect(parseDateTime('2011-05-13T04:42:34')).toBe(Date.UTC(2011, 4, 13, 4, 42, 34));
    for (const bad of [
      '+010000-01-01T00:00:00Z',
      '2021-02-30T00:00:00Z',
      '2021-02-29T00:00:00Z',
      '2011-05-13',
      'yesterday',
    ]) {
      expect(parseDateTime(bad)).toBeUndefined();
      expect(refusal(`meta.created lt "${bad}"`).scimType).toBe('invalidFilter');
    }
    // Years past 9999 are valid xsd: later than every stored time, decided without comparing text.
    expect(userSql('meta.created lt "10000-01-01T00:00:00Z"').sql).toMatch(/u\.created_at IS NOT NULL/);
    expect(userSql('meta.created gt "275760-09-13T00:00:00Z"').sql).toContain('1 = 0');
    expect(userSql('meta.lastModified ge "2026-01-01T00:00:00+01:00"').bindings).toContain('2025-12-31T23:00:00.000Z');
  });

  it('either translates a generated filter or refuses it with invalidFilter, never anything else', () => {
    fc.assert(
      fc.property(filterText, (text) => {
        for (const sql of [() => userSql(text), () => groupSql(text)]) {
          try {
            const compiled = sql();
            expect(typeof compiled.sql).toBe('string');
            for (const b of compiled.bindings) expect(['string', 'number', 'boolean']).toContain(typeof b);
          } catch (error) {
            expect(error).toBeInstanceOf(ScimError);
            expect((error as ScimError).scimType).toBe('invalidFilter');
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses arbitrary strings with invalidFilter or accepts them, never throwing anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          userSql(text);
        } catch (error) {
          expect(error).toBeInstanceOf(ScimError);
          expect([400]).toContain((error as ScimError).status);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('treats meta.resourceType as a constant of the resource', () => {
    const f: UserFilter = resolveUserFilter(parseFilter('meta.resourceType eq "User"'));
    expect(f).toEqual({ kind: 'constant', value: true });
    expect(resolveGroupFilter(parseFilter('meta.resourceType eq "User"'))).toEqual({ kind: 'constant', value: false });
  });
});
