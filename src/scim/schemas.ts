/**
 * scimmy, used for what it does well: the RFC 7643 schema definitions (User with the
 * Enterprise extension, Group), validation and coercion of one incoming resource, and the
 * /Schemas documents. Everything it does per collection or per request (listing, paging,
 * filtering, PATCH, routing, errors) is done elsewhere in this folder, each with its reason.
 */
import SCIMMY from 'scimmy';
import { ScimError } from './scim-error.js';

SCIMMY.Resources.declare(SCIMMY.Resources.User, {}).declare(SCIMMY.Resources.Group, {});
SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false);

/** A resource as scimmy coerced it: known attributes only, read-only ones (id, meta, groups) dropped. */
export type CoercedResource = Record<string, unknown>;

function coerce(make: () => unknown): CoercedResource {
  try {
    return JSON.parse(JSON.stringify(make())) as CoercedResource;
  } catch (error) {
    // scimmy reports every schema violation as a plain Error/TypeError with a readable message.
    throw new ScimError(400, 'invalidValue', (error as Error).message);
  }
}

export function coerceUser(body: unknown): CoercedResource {
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
