/** What a SCIM client may see and change: the users and groups of one connection of one org. */
export interface ConnectionScope {
  readonly orgId: string;
  readonly connectionId: string;
}
