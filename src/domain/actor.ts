/** Who makes a change: recorded on every audit event. */
export type ActorType = 'scim' | 'admin' | 'user' | 'system' | 'cli' | 'sync';

export interface Actor {
  readonly type: ActorType;
  readonly id: string | null;
  readonly label: string | null;
  readonly requestId: string | null;
  /** What the request was, in words ("SCIM PATCH"): told in access history, not audited. */
  readonly operation?: string;
  /** The connection a SCIM token or a directory sync acts for. */
  readonly connectionId?: string;
}

export const CLI_ACTOR: Actor = { type: 'cli', id: null, label: 'identity-bridge CLI', requestId: null };
export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, label: 'identity-bridge', requestId: null };
