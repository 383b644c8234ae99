/**
 * Sign-in settings of a connection, as the IdP admin configures them (CLI now, admin API
 * later). Returns what the IdP admin enters on their side. The client secret is sealed
 * before it is stored and never returned.
 */
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../audit/actor.js';
import { InvalidInputError, NotFoundError } from '../domain/errors/index.js';
import { checkIssuer, type OidcSettings } from '../domain/sso-settings.js';
import { nowIso } from '../store/rows.js';
import type { Store } from '../store/store.js';
import type { SecretBox } from '../sso/secret-box.js';

export interface OidcInput {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly groupsClaim?: string;
  readonly jit?: boolean;
}

export interface OidcEndpoints {
  readonly redirectUri: string;
  readonly loginUrl: string;
}

export class SsoSettingsService {
  constructor(
    private readonly store: Store,
    private readonly publicUrl: string,
  ) {}

  async configureOidc(
    orgId: string,
    connectionId: string,
    input: OidcInput,
    box: SecretBox,
    actor: Actor,
  ): Promise<OidcEndpoints> {
    const issuer = checkIssuer(input.issuer.trim());
    if (!input.clientId.trim()) throw new InvalidInputError('sso.invalid_client', 'The client id is required');
    if (!input.clientSecret) throw new InvalidInputError('sso.invalid_client', 'The client secret is required');
    const settings: OidcSettings = {
      issuer,
      clientId: input.clientId.trim(),
      clientSecretSealed: box.seal(input.clientSecret),
      scopes: ['openid', 'email', 'profile'],
      groupsClaim: input.groupsClaim?.trim() || 'groups',
      jit: input.jit ?? false,
    };
    await this.store.transaction(async (repos) => {
      if (!(await repos.connections.setOidcSettings(orgId, connectionId, settings, nowIso()))) {
        throw new NotFoundError('connection', connectionId);
      }
      await recordAudit(repos, orgId, actor, {
        action: 'connection.oidc_configured',
        target: { type: 'connection', id: connectionId },
        data: { issuer, clientId: settings.clientId, groupsClaim: settings.groupsClaim, jit: settings.jit },
      });
    });
    return this.oidcEndpoints(connectionId);
  }

  oidcEndpoints(connectionId: string): OidcEndpoints {
    return {
      redirectUri: `${this.publicUrl}/sso/${connectionId}/oidc/callback`,
      loginUrl: `${this.publicUrl}/sso/${connectionId}/oidc/login`,
    };
  }
}
