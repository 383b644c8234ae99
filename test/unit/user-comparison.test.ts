/** When a directory sync writes a user: only when what the directory says of them changed. */
import { EMPTY_NAME, type DirectoryUser } from '../../src/domain/directory.js';
import { differs, inputOf } from '../../src/directory/sync/user-comparison.js';
import { aUser } from '../support/factories.js';

const stored: DirectoryUser = aUser('o-1', {
  connectionId: 'c-1',
  externalId: '1001',
  userName: 'ada@acme.example',
  displayName: 'Ada Lovelace',
  name: { ...EMPTY_NAME, givenName: 'Ada', familyName: 'Lovelace' },
  multiValued: {
    emails: [{ value: 'ada@acme.example', primary: true, type: 'work', display: null, subAttributes: null }],
  },
  extensions: { 'urn:google': { orgUnitPath: '/Eng', customSchemas: { Employment: { badge: '42', site: 'LDN' } } } },
});

describe('user comparison of a directory sync', () => {
  it('finds no difference in the same user, whatever the order of object keys', () => {
    const next = inputOf(stored);
    expect(differs(stored, next)).toBe(false);
    const reordered = {
      ...next,
      extensions: {
        'urn:google': { customSchemas: { Employment: { site: 'LDN', badge: '42' } }, orgUnitPath: '/Eng' },
      },
    };
    expect(differs(stored, reordered)).toBe(false);
  });

  it('takes an absent, undefined or null value alike', () => {
    // A stored JSON value with a null where the directory now leaves the key out.
    const withNull = { ...stored, extensions: { 'urn:google': { orgUnitPath: '/Eng', customSchemas: null } } };
    expect(differs(withNull, { ...inputOf(stored), extensions: { 'urn:google': { orgUnitPath: '/Eng' } } })).toBe(
      false,
    );
    expect(differs({ ...stored, extensions: null }, { ...inputOf(stored), extensions: null })).toBe(false);
  });

  it('sees a renamed user, a suspended one, a changed email and a changed custom value', () => {
    const next = inputOf(stored);
    expect(differs(stored, { ...next, name: { ...next.name, familyName: 'King' } })).toBe(true);
    expect(differs(stored, { ...next, active: false })).toBe(true);
    expect(
      differs(stored, {
        ...next,
        multiValued: {
          emails: [{ value: 'ada@acme.example', primary: false, type: 'work', display: null, subAttributes: null }],
        },
      }),
    ).toBe(true);
    expect(differs(stored, { ...next, extensions: { 'urn:google': { orgUnitPath: '/Sales' } } })).toBe(true);
    expect(differs(stored, { ...next, extensions: null })).toBe(true);
  });
});
