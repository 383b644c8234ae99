/**
 * Discovery (RFC 7644 §4): what this server really supports. Schemas come from scimmy's
 * definitions; ServiceProviderConfig and ResourceTypes are written here because they must
 * state this server's own limits (including RFC 9865 cursor paging, which scimmy's
 * config does not describe).
 */
import { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from '../list-params.js';
import { NotFoundError } from '../../domain/errors/index.js';
import { schemaDocuments } from '../schemas.js';
import { URN } from '../urns.js';

export const BULK_MAX_OPERATIONS = 1000;
export const BULK_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;
export const MAX_FILTER_RESULTS = MAX_PAGE_SIZE;

export function serviceProviderConfig(baseUrl: string): Record<string, unknown> {
  return {
    schemas: [URN.serviceProviderConfig],
    documentationUri: `${baseUrl.replace(/\/scim\/v2$/, '')}/`,
    patch: { supported: true },
    bulk: { supported: true, maxOperations: BULK_MAX_OPERATIONS, maxPayloadSize: BULK_MAX_PAYLOAD_BYTES },
    filter: { supported: true, maxResults: MAX_FILTER_RESULTS },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    pagination: {
      cursor: true,
      index: true,
      defaultPaginationMethod: 'index',
      defaultPageSize: DEFAULT_PAGE_SIZE,
      maxPageSize: MAX_PAGE_SIZE,
    },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'A SCIM token issued for this connection (identity-bridge scim-token issue)',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function resourceTypes(baseUrl: string): Array<Record<string, unknown>> {
  return [
    {
      schemas: [URN.resourceType],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'A user of the identity provider',
      schema: URN.user,
      schemaExtensions: [{ schema: URN.enterpriseUser, required: false }],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
    },
    {
      schemas: [URN.resourceType],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'A group of the identity provider',
      schema: URN.group,
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
    },
  ];
}

export function listOf(resources: Array<Record<string, unknown>>): Record<string, unknown> {
  return {
    schemas: [URN.listResponse],
    totalResults: resources.length,
    itemsPerPage: resources.length,
    startIndex: 1,
    Resources: resources,
  };
}

export function resourceType(baseUrl: string, id: string): Record<string, unknown> {
  const found = resourceTypes(baseUrl).find((r) => r.id === id);
  if (!found) throw new NotFoundError('ResourceType', id);
  return found;
}

export function schemaDocument(baseUrl: string, id: string): Record<string, unknown> {
  const found = schemaDocuments(baseUrl).find((s) => s.id === id);
  if (!found) throw new NotFoundError('Schema', id);
  return found;
}
