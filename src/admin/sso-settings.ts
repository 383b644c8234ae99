/**
 * Sign-in settings of a connection, as an admin configures them (console, admin API, CLI).
 * SAML settings come from the IdP's metadata (its XML, or a URL fetched through the
 * outbound guard) or from its values typed one by one. Returns what the IdP admin enters
 * on their side. The client secret is sealed before it is stored and never returned.
 */
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../domain/actor.js';
import { InvalidInputError, NotFoundError } from '../domain/errors/index.js';
import {
  SAML_ATTRIBUTE_DEFAULTS,
  checkIssuer,
  type OidcSettings,
  type SamlAttributeNames,
  type SamlSettings,
} from '../domain/sso-settings.js';
import { nowIso } from '../domain/clock.js';
import { oidcEndpoints, samlEndpoints, type OidcEndpoints, type SamlEndpoints } from '../domain/sso-endpoints.js';
import type { GuardedFetch } from '../outbound/guarded-fetch.js';
import type { Store } from '../store/store.js';
import { parseIdpMetadata, type IdpMetadata } from '../sso/idp-metadata.js';
import type { SecretBox } from '../sso/secret-box.js';
import { fetchIdpMetadata } from './idp-metadata-fetch.js';

export interface OidcInput {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly groupsClaim?: string;
  readonly jit?: boolean;
}

/** Where the IdP's own SAML settings come from: its metadata (XML or URL), or its values. */
export interface SamlIdpSource {
  readonly metadataXml?: string;
  readonly metadataUrl?: string;
  readonly idpEntityId?: string;
  readonly idpSsoUrl?: string;
  /** PEM or bare base64 certificates. */
  readonly idpCerts?: readonly string[];
}

export interface SamlInput extends SamlIdpSource {
  readonly wantResponseSigned?: boolean;
  readonly allowIdpInitiated?: boolean;
  readonly jit?: boolean;
  readonly idpLogoutUrl?: string;
  /** Attribute names that differ from the kind's defaults (Google's groups attribute is the admin's choice). */
  readonly attributes?: Partial<SamlAttributeNames>;
}

/** A certificate as PEM, from PEM or the bare base64 that IdP metadata carries. */
export function toPem(certificate: string): string {
  const body = certificate.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(body) || body.length < 100) {
    throw new InvalidInputError(
      'sso.invalid_certificate',
      'The IdP certificate is not a PEM or base64 X.509 certificate',
    );
  }
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export class SsoSettingsService {
  constructor(
    private readonly store: Store,
    private readonly publicUrl: string,
    /** Seals the OIDC client secret. */
    private readonly box: SecretBox,
    /** Fetches a metadata URL an admin typed. */
    private readonly outbound: GuardedFetch,
  ) {}

  async configureOidc(orgId: string, connectionId: string, input: OidcInput, actor: Actor): Promise<OidcEndpoints> {
    const issuer = checkIssuer(input.issuer.trim());
    if (!input.clientId.trim()) throw new InvalidInputError('sso.invalid_client', 'The client id is required');
    if (!input.clientSecret) throw new InvalidInputError('sso.invalid_client', 'The client secret is required');
    const settings: OidcSettings = {
      issuer,
      clientId: input.clientId.trim(),
      clientSecretSealed: this.box.seal(input.clientSecret),
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

  async configureSaml(orgId: string, connectionId: string, input: SamlInput, actor: Actor): Promise<SamlEndpoints> {
    const idp = await this.idpOf(input);
    const ssoUrl = checkIssuer(idp.ssoUrl.trim());
    const entityId = idp.entityId.trim();
    if (!entityId) throw new InvalidInputError('sso.invalid_entity_id', "The IdP's entity ID is required");
    if (idp.certificates.length === 0) {
      throw new InvalidInputError(
        'sso.invalid_certificate',
        "At least one of the IdP's signing certificates is required",
      );
    }
    await this.store.transaction(async (repos) => {
      const connection = await repos.connections.get(orgId, connectionId);
      if (!connection) throw new NotFoundError('connection', connectionId);
      const settings: SamlSettings = {
        idpEntityId: entityId,
        idpSsoUrl: ssoUrl,
        idpCerts: idp.certificates.map(toPem),
        // Okta signs the Response by default; Entra and Google sign only the assertion.
        wantResponseSigned: input.wantResponseSigned ?? connection.kind === 'okta',
        allowIdpInitiated: input.allowIdpInitiated ?? false,
        jit: input.jit ?? false,
        attributes: {
          ...(SAML_ATTRIBUTE_DEFAULTS[connection.kind] ?? SAML_ATTRIBUTE_DEFAULTS.generic!),
          ...Object.fromEntries(
            Object.entries(input.attributes ?? {}).filter(([, v]) => typeof v === 'string' && v.trim()),
          ),
        },
        ...(input.idpLogoutUrl ? { idpLogoutUrl: checkIssuer(input.idpLogoutUrl.trim()) } : {}),
      };
      await repos.connections.setSamlSettings(orgId, connectionId, settings, nowIso());
      await recordAudit(repos, orgId, actor, {
        action: 'connection.saml_configured',
        target: { type: 'connection', id: connectionId },
        data: {
          idpEntityId: entityId,
          idpSsoUrl: ssoUrl,
          certificates: settings.idpCerts.length,
          wantResponseSigned: settings.wantResponseSigned,
          allowIdpInitiated: settings.allowIdpInitiated,
          jit: settings.jit,
        },
      });
    });
    return this.samlEndpoints(connectionId);
  }

  samlEndpoints(connectionId: string): SamlEndpoints {
    return samlEndpoints(this.publicUrl, connectionId);
  }

  oidcEndpoints(connectionId: string): OidcEndpoints {
    return oidcEndpoints(this.publicUrl, connectionId);
  }

  /** The IdP's entity ID, SSO URL and certificates: from its metadata when given, else from the values. */
  private async idpOf(source: SamlIdpSource): Promise<IdpMetadata> {
    if (source.metadataXml || source.metadataUrl) {
      return parseIdpMetadata(source.metadataXml ?? (await fetchIdpMetadata(this.outbound, source.metadataUrl!)));
    }
    if (source.idpEntityId && source.idpSsoUrl && source.idpCerts?.length) {
      return { entityId: source.idpEntityId, ssoUrl: source.idpSsoUrl, certificates: [...source.idpCerts] };
    }
    throw new InvalidInputError(
      'sso.saml_settings_required',
      "Paste the IdP's metadata XML or URL, or give idpEntityId, idpSsoUrl and idpCerts",
    );
  }
}
