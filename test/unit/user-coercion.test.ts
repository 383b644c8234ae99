/** The fast path for incoming Users agrees with scimmy's coercion on generated bodies, and takes the IdPs' usual ones. */
import fc from 'fast-check';
import { coerceUser, coerceUserWithScimmy, fastUserCoercion } from '../../src/scim/schemas.js';
import { URN } from '../../src/scim/urns.js';

type Json = Record<string, unknown>;

function outcome(coerce: (body: unknown) => Json, body: unknown): { ok: Json } | { error: true } {
  try {
    const { schemas: _s, meta: _m, ...rest } = coerce(body);
    return { ok: rest };
  } catch {
    return { error: true };
  }
}

const caseOf = (name: string) =>
  fc.constantFrom(name, name.toLowerCase(), name.toUpperCase(), name[0]!.toUpperCase() + name.slice(1));

const scalar = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('work', 'home', 'other', 'mobile', '', 'x\u0000y'),
  fc.boolean(),
  fc.constant(null),
  fc.integer(),
);

const subObject = fc.dictionary(
  fc.oneof(
    caseOf('value'),
    caseOf('type'),
    caseOf('primary'),
    caseOf('display'),
    caseOf('givenName'),
    caseOf('familyName'),
    fc.constant('bogus'),
  ),
  scalar,
  { maxKeys: 4 },
);

const attributeValue = fc.oneof(
  scalar,
  subObject,
  fc.array(subObject, { maxLength: 3 }),
  fc.array(scalar, { maxLength: 2 }),
);

const body = fc
  .record(
    {
      userName: fc.oneof(fc.emailAddress(), scalar),
      rest: fc.dictionary(
        fc.oneof(
          caseOf('displayName'),
          caseOf('active'),
          caseOf('emails'),
          caseOf('phoneNumbers'),
          caseOf('name'),
          caseOf('title'),
          caseOf('externalId'),
          caseOf('password'),
          caseOf('groups'),
          caseOf('roles'),
          caseOf('id'),
          caseOf('schemas'),
          fc.constant('unknownAttribute'),
          fc.constant(URN.enterpriseUser),
          fc.constant(`${URN.enterpriseUser}:department`),
        ),
        fc.oneof(
          attributeValue,
          fc.dictionary(
            fc.oneof(caseOf('employeeNumber'), caseOf('manager'), caseOf('department')),
            fc.oneof(scalar, subObject),
            { maxKeys: 3 },
          ),
        ),
        { maxKeys: 6 },
      ),
      withUserName: fc.boolean(),
    },
    { requiredKeys: ['userName', 'rest', 'withUserName'] },
  )
  .map(({ userName, rest, withUserName }) => (withUserName ? { ...rest, userName } : rest));

/** Bodies of the shapes IdPs send, with key casing and optional parts varied. */
const realistic = fc.record(
  {
    userName: fc.emailAddress(),
    active: fc.boolean(),
    displayName: fc.string({ maxLength: 8 }),
    externalId: fc.string({ minLength: 1, maxLength: 8 }),
    name: fc.record(
      { givenName: fc.string({ maxLength: 5 }), familyName: fc.string({ maxLength: 5 }) },
      { requiredKeys: [] },
    ),
    emails: fc.array(
      fc.record(
        { value: fc.emailAddress(), type: fc.constantFrom('work', 'home', 'other'), primary: fc.boolean() },
        { requiredKeys: ['value'] },
      ),
      { maxLength: 2 },
    ),
    password: fc.string({ maxLength: 5 }),
    groups: fc.constant([]),
    [URN.enterpriseUser]: fc.record(
      { employeeNumber: fc.string({ maxLength: 4 }), manager: fc.record({ value: fc.uuid() }) },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['userName'] },
);

describe('User coercion fast path', () => {
  it('accepts and refuses exactly what scimmy does, with the same result', () => {
    let fast = 0;
    fc.assert(
      fc.property(fc.oneof(body, realistic), (b) => {
        if (fastUserCoercion(b) !== undefined) fast++;
        expect(outcome(coerceUser, b)).toEqual(outcome(coerceUserWithScimmy, b));
      }),
      { numRuns: 3000 },
    );
    // The generated bodies exercise the fast path, not only the fallback.
    expect(fast).toBeGreaterThan(750);
  });

  it('takes the bodies Okta and Entra send without asking scimmy', () => {
    const okta = {
      schemas: [URN.user],
      userName: 'dana@example.com',
      name: { givenName: 'Dana', familyName: 'Scully' },
      emails: [{ primary: true, value: 'dana@example.com', type: 'work' }],
      displayName: 'Dana Scully',
      locale: 'en-US',
      externalId: '00u1abcd',
      groups: [],
      password: 'placeholder',
      active: true,
    };
    const entra = {
      schemas: [URN.user, URN.enterpriseUser],
      externalId: 'e2b3',
      userName: 'Dana@Contoso.com',
      active: true,
      displayName: 'Dana',
      title: 'Agent',
      emails: [{ primary: true, type: 'work', value: 'dana@contoso.com' }],
      name: { formatted: 'Dana Scully', familyName: 'Scully', givenName: 'Dana' },
      [URN.enterpriseUser]: { employeeNumber: '7', department: 'X-Files', manager: { value: 'm1' } },
    };
    for (const b of [okta, entra]) {
      expect(fastUserCoercion(b)).toBeDefined();
      expect(outcome(coerceUser, b)).toEqual(outcome(coerceUserWithScimmy, b));
    }
  });
});
