/**
 * The OpenAPI 3.1 document of the admin API, generated from the route table: the zod
 * schemas that validate each request are turned into JSON Schema (draft 2020-12, which
 * OpenAPI 3.1 uses) with zod's own converter.
 */
import { z } from 'zod';
import type { AdminRoute } from './route-table.js';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => {
    const s = jsonSchema(field, 'input');
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === 'path' || !field.safeParse(undefined).success,
      schema: rest,
      ...(typeof description === 'string' ? { description } : {}),
    };
  });
}

const PROBLEM = { $ref: '#/components/schemas/Problem' };
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: PROBLEM } },
});

export function openApiDocument(routes: readonly AdminRoute[], publicUrl: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const status = r.status ?? (r.response ? 200 : 204);
    const success =
      r.response === 'csv'
        ? { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } }
        : r.response
          ? { description: 'OK', content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } }
          : { description: 'Done' };
    const operation: Record<string, unknown> = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      'x-required-role': r.role,
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      responses: {
        [String(status)]: success,
        '400': problem('The request is invalid; `errors` lists each field'),
        ...(r.role === 'none'
          ? {}
          : {
              '401': problem('No valid admin token or console session'),
              '403': problem(`Needs the ${r.role} role (or the CSRF token, for console sessions)`),
            }),
        '404': problem('Not found in this organization'),
        '503': problem('The database is unavailable; retry after Retry-After seconds'),
        ...(r.method === 'get'
          ? {}
          : {
              '502': problem(
                'The connection to the database was lost while the change was committed: it may or may not have been applied',
              ),
              '504': problem('No answer in time: the change may still be applied; read it before retrying'),
            }),
      },
      ...(r.role === 'none' ? { security: [] } : {}),
    };
    if (r.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: jsonSchema(r.body, 'input') } },
      };
    }
    (paths[r.path] ??= {})[r.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'identity-bridge admin API',
      version: '1',
      description:
        'Connections, directory, teams, mappings (with preview), org policy, access explanations and the audit log of one organization. Errors are RFC 9457 problem details.',
    },
    servers: [{ url: `${publicUrl}/admin/api/v1` }],
    security: [{ adminToken: [] }, { consoleSession: [] }],
    paths,
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'identity-bridge admin-token issue' },
        consoleSession: {
          type: 'apiKey',
          in: 'cookie',
          name: 'ib_session',
          description: 'an SSO or setup-link console session; changes also need the X-CSRF-Token header',
        },
      },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail', 'code'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string' },
            requestId: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['path', 'message'],
                properties: { path: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  };
}
