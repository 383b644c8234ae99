import fc from 'fast-check';
import { resolveGroupAttribute, resolveUserAttribute } from '../../src/scim/filter/attributes.js';
import { filterToSql } from '../../src/scim/filter/filter-to-sql.js';
import { parseFilter, rewriteValuePathSubAttributes } from '../../src/scim/filter/parse-filter.js';
import { ScimError } from '../../src/scim/scim-error.js';
import { filterText } from '../support/scim-arbitraries.js';

const USERS = { alias: 'u' as const, resolve: resolveUserAttribute };
const GROUPS = { alias: 'g' as const, resolve: resolveGroupAttribute };

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

  it('binds every value and quotes every identifier', () => {
    const sql = filterToSql(parseFilter(`userName eq "x' OR '1'='1" and title co "50%"`), USERS);
    expect(sql.sql).not.toContain("'1'='1");
    expect(sql.sql).not.toContain('50%');
    expect(sql.bindings).toContain("x' or '1'='1");
    expect(sql.bindings).toContain('%50\\%%');
  });

  it('keeps the conditions of a value path on one element', () => {
    const sql = filterToSql(parseFilter('emails[type eq "work" and value co "@x"]'), USERS);
    expect(sql.sql.match(/EXISTS/g)).toHaveLength(1);
    const split = filterToSql(parseFilter('emails[type eq "work"] and emails.value co "@x"'), USERS);
    expect(split.sql.match(/EXISTS/g)).toHaveLength(2);
  });

  it('either translates a generated filter or refuses it with invalidFilter, never anything else', () => {
    fc.assert(
      fc.property(filterText, (text) => {
        for (const target of [USERS, GROUPS]) {
          try {
            const sql = filterToSql(parseFilter(text), target);
            expect(typeof sql.sql).toBe('string');
            for (const b of sql.bindings) expect(['string', 'number', 'boolean']).toContain(typeof b);
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
          filterToSql(parseFilter(text), USERS);
        } catch (error) {
          expect(error).toBeInstanceOf(ScimError);
          expect([400]).toContain((error as ScimError).status);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
