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
