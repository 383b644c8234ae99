/**
 * Refused sign-ins in the audit log of the connection's organization: the protocol and the
 * reason, never the token or the assertion. A refusal the sign-in already audited (it knew
 * who was refused), or one for a path that names no connection, is not written again.
 */
import { recordAudit } from '../audit/audit-log.js';
import { isConnectionId } from '../domain/connection.js';
import type { Store } from '../store/store.js';
import type { SignInRefused } from './sign-in.js';

export class SignInRefusals {
  constructor(private readonly store: Store) {}

  async record(
    connectionId: string,
    protocol: 'oidc' | 'saml',
    error: SignInRefused,
    requestId: string,
  ): Promise<void> {
    if (error.audited || !isConnectionId(connectionId)) return;
    const orgId = await this.store.repos.connections.ownerOf(connectionId);
    if (!orgId) return;
    await recordAudit(
      this.store.repos,
      orgId,
      { type: 'user', id: null, label: null, requestId },
      {
        action: 'sso.refused',
        target: { type: 'connection', id: connectionId },
        data: { protocol, reason: error.reason },
      },
    );
  }
}
