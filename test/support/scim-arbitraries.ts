/** fast-check generators of SCIM filters and PATCH operations: mostly near-valid, with hostile values and mutations. */
import fc from 'fast-check';

const ATTRIBUTES = [
  'userName',
  'USERNAME',
  'displayName',
  'title',
  'active',
  'externalId',
  'id',
  'name.givenName',
  'name.nosuch',
  'emails',
  'emails.value',
  'emails.type',
  'emails.primary',
  'phoneNumbers.value',
  'groups.value',
  'members.value',
  'meta.created',
  'meta.lastModified',
  'meta.resourceType',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName',
  'nosuch',
  'x.y.z',
];
const OPERATORS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'EQ', 'Co', 'xx'];

const hostileString = fc.oneof(
  fc.string(),
  fc.constantFrom(
    "' OR 1=1 --",
    '"; DROP TABLE directory_users; --',
    '%',
    '_',
    '\\',
    '\u0000',
    'é',
    '2020-01-01T00:00:00Z',
    'True',
  ),
);

export const filterValue = fc.oneof(
  hostileString.map((s) => JSON.stringify(s)),
  fc.integer().map(String),
  fc.constantFrom('true', 'false', 'null', '1.5e3', '"unterminated'),
);

const comparison = fc
  .tuple(fc.constantFrom(...ATTRIBUTES), fc.constantFrom(...OPERATORS), filterValue)
  .map(([a, op, v]) => `${a} ${op} ${v}`);
const presence = fc.constantFrom(...ATTRIBUTES).map((a) => `${a} pr`);

export const filterText: fc.Arbitrary<string> = fc.letrec<{ filter: string }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparison,
    presence,
    fc.tuple(tie('filter'), fc.constantFrom('and', 'or', 'AND'), tie('filter')).map(([a, j, b]) => `${a} ${j} ${b}`),
    tie('filter').map((f) => `not (${f})`),
    tie('filter').map((f) => `(${f})`),
    fc.tuple(fc.constantFrom('emails', 'members', 'groups', 'title'), tie('filter')).map(([a, f]) => `${a}[${f}]`),
    fc
      .tuple(comparison, fc.nat(40), fc.string({ maxLength: 3 }))
      .map(([f, at, junk]) => f.slice(0, at) + junk + f.slice(at)),
  ),
})).filter;

const PATHS = [
  undefined,
  'title',
  'active',
  'userName',
  'name',
  'name.givenName',
  'emails',
  'emails[type eq "work"]',
  'emails[type eq "work"].value',
  'emails[type eq "home"].primary',
  'emails[bad',
  'phoneNumbers[type eq "work"].value',
  'members',
  'members[value eq "x"]',
  'displayName',
  'externalId',
  'id',
  'meta',
  'groups',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
  'nosuch',
  '',
];

export const patchOperation = fc.record(
  {
    op: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('add', 'Add', 'replace', 'REPLACE', 'remove', 'Remove') },
      { weight: 1, arbitrary: fc.constantFrom('move', '') },
    ),
    path: fc.constantFrom(...PATHS),
    value: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom('True', 'False', { active: 'False' }, { displayName: 'x', id: 'y' }, [{ value: 'nobody' }], {
        givenName: 'G',
      }),
    ),
  },
  { requiredKeys: ['op'] },
);

export const patchBody = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.array(patchOperation, { minLength: 1, maxLength: 3 }).map((Operations) => ({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations,
    })),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const TERM_ATTRIBUTES = [
  'emails.value',
  'groups.value',
  'groups.display',
  'members.value',
  'phoneNumbers.value',
  'userName',
  'title',
  'meta.created',
  'name.familyName',
];

/** Filters of up to 80 comparisons and 12 levels: within the bounds they answer, past them they are refused. */
export const manyTermFilter: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(
      fc
        .tuple(
          fc.constantFrom(...TERM_ATTRIBUTES),
          fc.constantFrom('eq', 'co', 'ne', 'sw', 'gt', 'pr'),
          fc.string({ maxLength: 8 }),
        )
        .map(([a, op, v]) =>
          op === 'pr'
            ? `${a} pr`
            : a === 'meta.created'
              ? `${a} ${op === 'co' || op === 'sw' ? 'gt' : op} "2026-01-01T00:00:00Z"`
              : `${a} ${op} ${JSON.stringify(v)}`,
        ),
      { minLength: 1, maxLength: 80 },
    ),
    fc.array(fc.constantFrom('and', 'or'), { minLength: 80, maxLength: 80 }),
    fc.nat(12),
    fc.boolean(),
  )
  .map(([terms, joins, depth, valuePath]) => {
    const body = terms.map((t, i) => (i === 0 ? t : `${joins[i]} ${t}`)).join(' ');
    const inner = valuePath ? `emails[type eq "work" and value co "x"] or ${body}` : body;
    return Array.from({ length: depth }).reduce<string>((f, _, i) => (i % 2 ? `not (${f})` : `(${f})`), inner);
  });

/** A JSON value nested `depth` levels deep (objects and arrays in turn). */
export const nestedValue: fc.Arbitrary<{ depth: number; text: string }> = fc.nat({ max: 60 }).map((depth) => {
  let text = '"leaf"';
  for (let i = 0; i < depth; i++) text = i % 2 ? `[${text}]` : `{"k":${text}}`;
  return { depth, text };
});
