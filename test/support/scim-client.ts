/** A SCIM client for tests: real HTTP against the test server, with a connection's bearer token. */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import type { Services } from '../../src/services.js';

export interface ScimResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export interface ScimClient {
  readonly token: string;
  readonly orgId: string;
  readonly connectionId: string;
  request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ScimResponse<T>>;
}

export function clientFor(baseUrl: string, token: string, orgId: string, connectionId: string): ScimClient {
  return {
    token,
    orgId,
    connectionId,
    async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const res = await fetch(`${baseUrl}/scim/v2${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/scim+json',
          ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, body: parsed as T, text };
    },
  };
}

/** A new org (or the given one) with a connection of the given kind and a SCIM client for it. */
export async function newConnection(
  services: Services,
  baseUrl: string,
  kind: 'okta' | 'entra' | 'google' | 'generic',
  orgId?: string,
): Promise<ScimClient> {
  const org =
    orgId ?? (await services.organizations.create(`Org ${Math.random().toString(36).slice(2, 8)}`, CLI_ACTOR)).id;
  const connection = await services.connections.create(
    org,
    { kind, name: `${kind} ${Math.random().toString(36).slice(2, 8)}` },
    CLI_ACTOR,
  );
  const { token } = await services.scimTokens.issue(org, connection.id, CLI_ACTOR);
  return clientFor(baseUrl, token, org, connection.id);
}
