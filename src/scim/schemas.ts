/**
 * scimmy, used for what it does well: the RFC 7643 schema definitions (User with the
 * Enterprise extension, Group), validation and coercion of one incoming resource, and the
 * /Schemas documents. Everything it does per collection or per request (listing, paging,
 * filtering, PATCH, routing, errors) is done elsewhere in this folder, each with its reason.
 */
import SCIMMY from 'scimmy';
import { ScimError } from './scim-error.js';
import { compileUserCoercion, type CoercedResource } from './user-fast-coercion.js';

SCIMMY.Resources.declare(SCIMMY.Resources.User, {}).declare(SCIMMY.Resources.Group, {});
SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false);

function coerce(make: () => unknown): CoercedResource {
  let json: string;
  try {
    json = JSON.stringify(make());
  } catch (error) {
    // scimmy reports every schema violation as a plain Error/TypeError with a readable message.
    throw new ScimError(400, 'invalidValue', (error as Error).message);
  }
  const resource = JSON.parse(json) as CoercedResource;
  // PostgreSQL text cannot hold NUL; refuse it on every dialect alike.
  if (containsNul(resource)) throw new ScimError(400, 'invalidValue', 'Values may not contain NUL characters');
  return resource;
}

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(containsNul);
  return false;
}

export const fastUserCoercion = compileUserCoercion(
  SCIMMY.Schemas.User.definition,
  SCIMMY.Schemas.EnterpriseUser.definition,
);

export function coerceUser(body: unknown): CoercedResource {
  const fast = fastUserCoercion(body);
  if (fast !== undefined) {
    if (containsNul(fast)) throw new ScimError(400, 'invalidValue', 'Values may not contain NUL characters');
    return fast;
  }
  return coerce(() => new SCIMMY.Schemas.User(body, 'in'));
}

/** scimmy's own coercion of a User, bypassing the fast path (the property test compares the two). */
export function coerceUserWithScimmy(body: unknown): CoercedResource {
  return coerce(() => new SCIMMY.Schemas.User(body, 'in'));
}

export function coerceGroup(body: unknown): CoercedResource {
  return coerce(() => new SCIMMY.Schemas.Group(body, 'in'));
}

export interface SchemaDocument {
  readonly id: string;
  readonly [key: string]: unknown;
}

/** The /Schemas documents, with `meta.location` under the given base URL. */
export function schemaDocuments(baseUrl: string): SchemaDocument[] {
  const definitions = [
    SCIMMY.Schemas.User.definition,
    SCIMMY.Schemas.EnterpriseUser.definition,
    SCIMMY.Schemas.Group.definition,
  ];
  return definitions.map((d) => {
    const doc = d.describe(`${baseUrl}/Schemas`) as SchemaDocument;
    return doc;
  });
}
