export const CONNECTION_KINDS = ['okta', 'entra', 'google', 'generic'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

export function isConnectionKind(value: string): value is ConnectionKind {
  return (CONNECTION_KINDS as readonly string[]).includes(value);
}

export interface Connection {
  readonly id: string;
  readonly orgId: string;
  readonly kind: ConnectionKind;
  readonly name: string;
  readonly lastScimRequestAt: string | null;
  readonly lastScimError: string | null;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Whether a path segment can name a connection (its id is a UUID); anything else is refused before a lookup. */
export function isConnectionId(value: string): boolean {
  return /^[0-9a-f-]{36}$/.test(value);
}
